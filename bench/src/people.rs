//! Generated people with known duplicates (docs/adr/0029): about one person
//! in ten is registered a second time, changed in one of the ways people
//! are (accents and case dropped, a typo, given and family names swapped,
//! day and month swapped, a day off, only the original script on one side).
//! Used by `bench-dups` for precision, recall and speed at scale.

use chrono::{Datelike, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use uuid::Uuid;

/// (Latin, original script) pairs: Hungarian, Russian, Arabic, Spanish.
const GIVEN: &[(&str, Option<&str>)] = &[
    ("Ágnes", None),
    ("László", None),
    ("Zoltán", None),
    ("Erzsébet", None),
    ("Bence", None),
    ("Dmitry", Some("Дмитрий")),
    ("Sergey", Some("Сергей")),
    ("Olga", Some("Ольга")),
    ("Natalya", Some("Наталья")),
    ("Mohammed", Some("محمد")),
    ("Ahmed", Some("أحمد")),
    ("Fatima", Some("فاطمة")),
    ("Juan", None),
    ("María", None),
    ("Lucía", None),
    ("István", None),
    ("Gábor", None),
    ("Katalin", None),
    ("Éva", None),
    ("Zsófia", None),
    ("Tamás", None),
    ("Krisztina", None),
    ("Attila", None),
    ("Ivan", Some("Иван")),
    ("Aleksandr", Some("Александр")),
    ("Yelena", Some("Елена")),
    ("Tatyana", Some("Татьяна")),
    ("Mikhail", Some("Михаил")),
    ("Anna", Some("Анна")),
    ("Omar", Some("عمر")),
    ("Ali", Some("علي")),
    ("Yusuf", Some("يوسف")),
    ("Aisha", Some("عائشة")),
    ("Khalid", Some("خالد")),
    ("Layla", Some("ليلى")),
    ("José", None),
    ("Carlos", None),
    ("Alejandro", None),
    ("Sofía", None),
    ("Valentina", None),
    ("Camila", None),
    ("Andrés", None),
    ("Diego", None),
    ("Jiří", None),
    ("Petr", None),
    ("Lenka", None),
    ("Tereza", None),
    ("Ivana", None),
    ("Marko", None),
    ("Luka", None),
    ("Ana", None),
];
const FAMILY: &[(&str, Option<&str>)] = &[
    ("Horváth", None),
    ("Kovács", None),
    ("Szabó", None),
    ("Tóth", None),
    ("Kuznetsov", Some("Кузнецов")),
    ("Ivanov", Some("Иванов")),
    ("Smirnov", Some("Смирнов")),
    ("Hassan", Some("حسن")),
    ("Khalil", Some("خليل")),
    ("García", None),
    ("Hernández", None),
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "vi", "ren", "ta", "mi", "sor", "de", "nu", "pel", "gor", "bri", "zan", "o", "bar",
    "les", "tu", "ham", "ri", "con",
];

/// One generated person.
#[derive(Clone, Debug)]
pub struct Gen {
    pub id: Uuid,
    pub given: Option<String>,
    pub family: Option<String>,
    pub original: Option<String>,
    pub dob: Option<NaiveDate>,
    pub sex: &'static str,
    /// How this registration differs from the first (empty for a first one).
    pub change: &'static str,
}

fn strip(s: &str) -> String {
    homeward_domain::duplicates::normalise(s)
}

fn typo(rng: &mut StdRng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 4 {
        return s.to_string();
    }
    let i = rng.gen_range(1..c.len() - 1);
    match rng.gen_range(0..3) {
        0 => {
            c.remove(i);
        }
        1 => c.swap(i, i + 1),
        _ => c[i] = ['e', 'a', 'i', 'o', 'y'][rng.gen_range(0..5)],
    }
    c.into_iter().collect()
}

/// A new person with a made-up but plausible name.
pub fn person(rng: &mut StdRng) -> Gen {
    let (g, go) = GIVEN[rng.gen_range(0..GIVEN.len())];
    let (f, fo) = FAMILY[rng.gen_range(0..FAMILY.len())];
    // A family name made distinct by syllables, as real names are.
    let n = rng.gen_range(1..4);
    let mut suffix = String::new();
    for _ in 0..n {
        suffix.push_str(SYLLABLES[rng.gen_range(0..SYLLABLES.len())]);
    }
    // Most family names made up of syllables (a few from the list above):
    // distinct without sharing a long prefix.
    let family = if rng.gen_bool(0.2) {
        suffix.clear();
        f.to_string()
    } else {
        let mut made = String::new();
        for _ in 0..n + 1 {
            made.push_str(SYLLABLES[rng.gen_range(0..SYLLABLES.len())]);
        }
        let mut c = made.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or(made)
    };
    let original = match (go, fo) {
        (Some(go), Some(fo)) if rng.gen_bool(0.3) => Some(format!("{go} {fo}")),
        _ => None,
    };
    let dob = NaiveDate::from_ymd_opt(
        rng.gen_range(1950..2012),
        rng.gen_range(1..13),
        rng.gen_range(1..29),
    );
    Gen {
        id: Uuid::new_v4(),
        given: Some(g.to_string()),
        family: Some(family),
        original: original.filter(|_| fo.is_some() && suffix.is_empty()),
        dob: dob.filter(|_| rng.gen_bool(0.95)),
        sex: if rng.gen_bool(0.5) { "male" } else { "female" },
        change: "",
    }
}

/// A second registration of `p`, changed in one of the ways people are.
pub fn duplicate(rng: &mut StdRng, p: &Gen) -> Gen {
    let mut d = p.clone();
    d.id = Uuid::new_v4();
    d.original = None;
    d.change = match rng.gen_range(0..6) {
        0 => {
            d.given = d.given.as_deref().map(strip);
            d.family = d.family.as_deref().map(|s| strip(s).to_uppercase());
            "accents and case"
        }
        1 => {
            d.family = d.family.as_deref().map(|s| typo(rng, s));
            "typo in the family name"
        }
        2 => {
            std::mem::swap(&mut d.given, &mut d.family);
            "names swapped"
        }
        3 => match p.dob {
            // Only a day that can be a month can be read as one.
            Some(x) if x.day() <= 12 && x.day() != x.month() => {
                d.dob = NaiveDate::from_ymd_opt(x.year(), x.day(), x.month());
                "day and month swapped"
            }
            Some(x) => {
                let y = x.year();
                let swapped = y / 100 * 100 + (y % 10) * 10 + (y / 10) % 10;
                d.dob = NaiveDate::from_ymd_opt(swapped, x.month(), x.day()).or(Some(x));
                "last two digits of the year swapped"
            }
            None => "no date of birth",
        },
        4 => {
            d.dob = p.dob.and_then(|x| x.checked_add_days(chrono::Days::new(1)));
            "date a day off"
        }
        _ => {
            // Transliterated from another alphabet: only the original script on one side.
            let g = GIVEN.iter().find(|(l, _)| Some(*l) == p.given.as_deref());
            if let Some((_, Some(go))) = g {
                d.original = Some(format!("{go} {}", p.family.clone().unwrap_or_default()));
                d.given = None;
                "given name in its own script only"
            } else {
                d.dob = None;
                "no date of birth"
            }
        }
    };
    d
}

/// The smaller id first, so that a pair has one spelling.
pub fn pair(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    (a.min(b), a.max(b))
}

/// `n` people (seeded, so a seed gives the same people and ids) and the
/// true duplicate pairs among them.
pub fn generate(n: usize, seed: u64) -> (Vec<Gen>, HashSet<(Uuid, Uuid)>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut people = Vec::with_capacity(n + 1);
    let mut truth = HashSet::new();
    while people.len() < n {
        let mut p = person(&mut rng);
        p.id = uuid_from(&mut rng);
        if rng.gen_bool(0.1) {
            let mut d = duplicate(&mut rng, &p);
            d.id = uuid_from(&mut rng);
            truth.insert(pair(p.id, d.id));
            people.push(d);
        }
        people.push(p);
    }
    (people, truth)
}

fn uuid_from(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_people_and_pairs() {
        let (a, ta) = generate(500, 3);
        let (b, tb) = generate(500, 3);
        assert_eq!(
            a.iter().map(|p| p.id).collect::<Vec<_>>(),
            b.iter().map(|p| p.id).collect::<Vec<_>>()
        );
        assert_eq!(ta, tb);
        assert!(
            ta.len() > 20 && ta.len() < 80,
            "about one in ten: {}",
            ta.len()
        );
        let ids: HashSet<Uuid> = a.iter().map(|p| p.id).collect();
        assert!(ta.iter().all(|(x, y)| ids.contains(x) && ids.contains(y)));
    }
}
