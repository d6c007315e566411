//! What the case page shows of a case's travel: itineraries, warnings, letters.

use crate::i18n::Tr;
use crate::AppState;
use homeward_domain::{Action, Resource};
use homeward_letters::LetterKind;
use homeward_store::letters::Letter;
use homeward_store::travel::{self, Itinerary};
use homeward_store::{Actor, Error};

/// Segment rows offered by the booking form.
pub const SEGMENT_ROWS: usize = 4;

/// The travel section of a case page.
#[derive(Default)]
pub struct TravelView {
    pub itineraries: Vec<Itinerary>,
    pub can_book: bool,
    /// Why a role that books does not see the form yet (the case's state).
    pub book_later: bool,
    /// (id, label) of itineraries that may be replaced by a new booking.
    pub rebookable: Vec<(String, String)>,
    pub letters: Option<Vec<Letter>>,
    /// (kind, label) the user may make.
    pub letter_kinds: Vec<(String, String)>,
    /// (code, label) of the letter languages.
    pub letter_langs: Vec<(String, String)>,
    pub rows: Vec<usize>,
}

impl TravelView {
    /// Whether a warning code is for this itinerary (shown translated).
    pub fn warning_text(t: &Tr, w: &str) -> String {
        match w.split_once(':') {
            Some((code, at)) => format!("{} ({at})", t.t(&format!("warning-{code}"))),
            None => t.t(&format!("warning-{w}")),
        }
    }
}

/// Loads the travel section for `actor`; `None` for roles that do not see travel.
pub async fn load(
    state: &AppState,
    t: &Tr,
    actor: &Actor,
    case: &homeward_store::cases::ScopedCase,
    preferred_languages: &[String],
) -> Result<Option<TravelView>, Error> {
    let role = actor.role;
    if !role.can(Resource::Travel, Action::Read) {
        return Ok(None);
    }
    let status = homeward_domain::CaseStatus::parse(&case.summary().status);
    let may_book = role.can(Resource::Travel, Action::Create);
    let bookable = status.is_some_and(|s| homeward_domain::booking::BOOKABLE.contains(&s));
    let after_departure = status.is_some_and(|s| s.is_after_departure() || s.is_terminal());
    let mut itineraries = travel::list(&state.store, actor, case).await?;
    // Shown as read: "2027-03-13 22:00", warnings in the reader's language.
    for i in &mut itineraries {
        for s in &mut i.segments {
            s.departs_local = s.departs_local.replace('T', " ");
            s.arrives_local = s.arrives_local.replace('T', " ");
        }
        i.warnings = i
            .warnings
            .iter()
            .map(|w| TravelView::warning_text(t, w))
            .collect();
    }
    let rebookable = itineraries
        .iter()
        .filter(|i| matches!(i.status.as_str(), "booked" | "no_show" | "postponed"))
        .map(|i| {
            (
                i.id.to_string(),
                format!(
                    "{} → {} · {} · {}",
                    i.origin,
                    i.destination,
                    i.segments
                        .first()
                        .map(|s| s.departs_local.clone())
                        .unwrap_or_default(),
                    t.choice("itinerary", &i.status)
                ),
            )
        })
        .collect();
    let letters = if role.can(Resource::Letter, Action::Read) {
        Some(homeward_store::letters::list(&state.store, actor, case).await?)
    } else {
        None
    };
    let letter_kinds = if role.can(Resource::Letter, Action::Create) {
        LetterKind::ALL
            .iter()
            .filter(|k| role.may_read_letter(k.as_str()))
            .map(|k| (k.as_str().to_string(), t.choice("letter", k.as_str())))
            .collect()
    } else {
        Vec::new()
    };
    let mut letter_langs: Vec<(String, String)> = ["en", "fr", "es", "hu"]
        .iter()
        .map(|l| (l.to_string(), t.choice("letter-lang", l)))
        .collect();
    // The traveller's own language first, when a letter can be made in it.
    if let Some(i) = preferred_languages
        .iter()
        .find_map(|p| letter_langs.iter().position(|(c, _)| c == p))
    {
        let own = letter_langs.remove(i);
        letter_langs.insert(0, own);
    }
    Ok(Some(TravelView {
        itineraries,
        can_book: may_book && bookable,
        book_later: may_book && !bookable && !after_departure,
        rebookable,
        letters,
        letter_kinds,
        letter_langs,
        rows: (0..SEGMENT_ROWS).collect(),
    }))
}
