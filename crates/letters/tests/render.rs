//! Renders every letter and reads the PDF text back.

use std::path::Path;

use homeward_letters::{languages, render, LetterData, LetterKind, Segment, Traveller};
use serde_json::Value;

const HOSTILE: &str = r#"#panic("x") ] $ \ [*bold* _x_ <l> @r {1} // c /* d"#;

fn traveller(latin: &str, original: Option<&str>, relationship: &str, doc: &str) -> Traveller {
    Traveller {
        name_latin: latin.into(),
        name_original: original.map(Into::into),
        date_of_birth: Some("1988-04-12".into()),
        relationship: Some(relationship.into()),
        document_number: Some(doc.into()),
        ticket_number: Some(format!("014-{doc}")),
        special_assistance: vec![],
    }
}

fn sample() -> LetterData {
    let mut principal = traveller("Ádám Kovács", None, "principal", "HU1234567");
    principal.special_assistance = vec!["Wheelchair to the aircraft door (WCHS)".into()];
    LetterData {
        case_number: "TOR-2026-00042".into(),
        programme_name: "GTA AVRR pilot".into(),
        issued_on: "2026-11-28".into(),
        travellers: vec![
            principal,
            traveller(
                "Olena Shevchenko",
                Some("Олена Шевченко"),
                "spouse",
                "FX0098765",
            ),
            traveller(
                "Nikos Papadopoulos",
                Some("Νίκος Παπαδόπουλος"),
                "son",
                "AE5551212",
            ),
        ],
        country_of_return: Some("HU".into()),
        destination_locality: Some("Debrecen".into()),
        segments: vec![
            Segment {
                carrier: "AC".into(),
                flight_number: "878".into(),
                from_code: "YYZ".into(),
                from_name: "Toronto Pearson".into(),
                to_code: "FRA".into(),
                to_name: "Frankfurt".into(),
                departs_local: "2026-12-03 18:40 (America/Toronto)".into(),
                arrives_local: "2026-12-04 08:15 (Europe/Berlin)".into(),
            },
            Segment {
                carrier: "LH".into(),
                flight_number: "1334".into(),
                from_code: "FRA".into(),
                from_name: "Frankfurt".into(),
                to_code: "BUD".into(),
                to_name: "Budapest Ferenc Liszt".into(),
                departs_local: "2026-12-04 10:05 (Europe/Berlin)".into(),
                arrives_local: "2026-12-04 11:35 (Europe/Budapest)".into(),
            },
        ],
        booking_reference: Some("QX7R2L".into()),
        entitlement: Some("CAD 2,000.00".into()),
        declaration_signed_on: Some("2026-11-20".into()),
        eligibility_rule_set: Some("gta-pilot-2012 v3".into()),
        departure_confirmed_at_utc: Some("2026-12-03 23:02 UTC".into()),
        departure_confirmed_by: Some("Maria Ionescu (IOM Toronto)".into()),
        mission_contact: Some("IOM Budapest, +36 1 000 0000".into()),
        data_version: 17,
        office: Some("Toronto".into()),
        authority: Some("Canada Border Services Agency (CBSA)".into()),
        host_country: Some("CA".into()),
        letterhead: None,
        signatory: None,
        returnee_page: None,
    }
}

/// A programme's letters name its own office, authority and host country:
/// nothing of Toronto's is written into them.
#[test]
fn letters_name_the_programmes_office_and_authority() {
    let data = LetterData {
        office: Some("Brussels".into()),
        authority: Some("Fedasil".into()),
        host_country: Some("BE".into()),
        case_number: "BRU-2027-00001".into(),
        segments: Vec::new(),
        departure_confirmed_by: Some("An Peeters (IOM Brussels)".into()),
        ..sample()
    };
    for kind in [LetterKind::DepartureConfirmation, LetterKind::Application] {
        let text = text_of(&render(kind, "en", &data).unwrap().pdf);
        assert_contains(&text, "Brussels", kind.as_str());
        assert_contains(&text, "Fedasil", kind.as_str());
        assert!(!text.contains("Toronto"), "{}: {text}", kind.as_str());
        assert!(
            !text.contains("CBSA") && !text.contains("Canad"),
            "{}: {text}",
            kind.as_str()
        );
    }
    let text = text_of(&render(LetterKind::TravelLetter, "fr", &data).unwrap().pdf);
    assert_contains(&text, "Brussels, le", "the French place line");
    // Its letterhead and signatory, when it has them.
    let headed = LetterData {
        letterhead: Some("IOM Belgium and Luxembourg\nRue Montoyer 40, 1000 Brussels".into()),
        signatory: Some("An Peeters, Programme Manager".into()),
        ..data
    };
    let text = text_of(&render(LetterKind::TravelLetter, "en", &headed).unwrap().pdf);
    assert_contains(
        &text,
        "IOM Belgium and Luxembourg",
        "the letterhead's first line",
    );
    assert_contains(&text, "Rue Montoyer 40", "the letterhead's second line");
    assert_contains(&text, "An Peeters, Programme Manager", "the signatory");
}

fn strings(lang: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("templates/strings/{lang}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The PDF's text with all whitespace removed, so that the way the extractor
/// spaces words and table cells does not matter.
fn text_of(pdf: &[u8]) -> String {
    squash(&pdf_extract::extract_text_from_mem(pdf).expect("PDF text extraction"))
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn assert_contains(text: &str, needle: &str, what: &str) {
    assert!(
        text.contains(&squash(needle)),
        "{what}: {needle:?} not found in {text:?}"
    );
}

fn assert_valid_pdf(pdf: &[u8], what: &str) {
    assert!(pdf.starts_with(b"%PDF-"), "{what}: no %PDF- header");
    assert!(
        pdf.trim_ascii_end().ends_with(b"%%EOF"),
        "{what}: no %%EOF trailer"
    );
}

#[test]
fn every_kind_in_every_language_renders_its_content() {
    let data = sample();
    for kind in LetterKind::ALL {
        for &lang in languages(kind) {
            let what = format!("{kind}/{lang}");
            let out = render(kind, lang, &data).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(out.lang, lang, "{what}");
            assert_valid_pdf(&out.pdf, &what);
            let text = text_of(&out.pdf);

            let t = strings(lang);
            let title = t[kind.as_str()]["title"].as_str().unwrap();
            assert_contains(&text, title, &what);
            assert_contains(&text, "TOR-2026-00042", &what);
            assert_contains(&text, "Ádám Kovács", &what);
            assert_contains(&text, "Олена Шевченко", &what);
            assert_contains(&text, "Νίκος Παπαδόπουλος", &what);
            let org = t["common"]["org"].as_str().unwrap();
            assert_contains(&text, &format!("{org} — Homeward"), &what);
            if matches!(
                kind,
                LetterKind::TravelLetter | LetterKind::DepartureConfirmation
            ) {
                assert_contains(&text, "AC 878", &what);
                assert_contains(&text, "LH 1334", &what);
                assert_contains(&text, "QX7R2L", &what);
            }
        }
    }
}

#[test]
fn translated_headings_and_localized_values() {
    let data = sample();
    let fr = text_of(&render(LetterKind::TravelLetter, "fr", &data).unwrap().pdf);
    assert_contains(&fr, "Lettre de voyage", "fr");
    assert_contains(&fr, "À qui de droit", "fr");
    assert_contains(&fr, "Debrecen, Hongrie", "fr");
    assert_contains(&fr, "28 novembre 2026", "fr");

    let hu = text_of(&render(LetterKind::TravelLetter, "hu", &data).unwrap().pdf);
    assert_contains(&hu, "Utazási levél", "hu");
    assert_contains(&hu, "Magyarország", "hu");
    assert_contains(&hu, "2026. november 28.", "hu");

    let es = text_of(&render(LetterKind::TravelLetter, "es", &data).unwrap().pdf);
    assert_contains(&es, "Carta de viaje", "es");
    assert_contains(&es, "Hungría", "es");

    let en = text_of(&render(LetterKind::TravelLetter, "en", &data).unwrap().pdf);
    assert_contains(&en, "To whom it may concern", "en");
    assert_contains(&en, "Debrecen, Hungary", "en");
    assert_contains(&en, "IOM Budapest", "en");

    let fr_app = text_of(&render(LetterKind::Application, "fr", &data).unwrap().pdf);
    assert_contains(
        &fr_app,
        "Déclaration signée le 20 novembre 2026",
        "fr application",
    );
    assert_contains(&fr_app, "Signature de Ádám Kovács", "fr application");

    let fr_cbsa = text_of(
        &render(LetterKind::DepartureConfirmation, "fr", &data)
            .unwrap()
            .pdf,
    );
    assert_contains(&fr_cbsa, "Confirmation de départ", "fr cbsa");
    assert_contains(&fr_cbsa, "2026-12-03 23:02 UTC", "fr cbsa");
    assert_contains(&fr_cbsa, "Maria Ionescu", "fr cbsa");

    let cert = text_of(
        &render(LetterKind::ReintegrationCertificate, "en", &data)
            .unwrap()
            .pdf,
    );
    assert_contains(&cert, "CAD 2,000.00", "certificate");
    assert_contains(
        &cert,
        "Ádám Kovács, Olena Shevchenko and Nikos Papadopoulos",
        "certificate",
    );
}

#[test]
fn unknown_country_code_falls_back_to_the_code() {
    let mut data = sample();
    data.country_of_return = Some("ZZ".into());
    data.destination_locality = None;
    let text = text_of(&render(LetterKind::TravelLetter, "fr", &data).unwrap().pdf);
    assert_contains(&text, "ZZ", "unknown country");
}

#[test]
fn special_assistance_is_on_the_travel_letter_but_not_sent_to_cbsa() {
    let data = sample();
    let letter = text_of(&render(LetterKind::TravelLetter, "en", &data).unwrap().pdf);
    assert_contains(&letter, "Wheelchair to the aircraft door", "travel letter");
    let cbsa = text_of(
        &render(LetterKind::DepartureConfirmation, "en", &data)
            .unwrap()
            .pdf,
    );
    assert!(
        !cbsa.contains(&squash("Wheelchair")),
        "CBSA must not see assistance needs"
    );
}

#[test]
fn markup_in_the_data_prints_literally() {
    let mut data = sample();
    data.travellers[0].name_latin = HOSTILE.into();
    data.travellers[1].name_original = Some(format!("{HOSTILE} 2"));
    data.case_number = "#strong[x]".into();
    data.programme_name = "$ a^2 $ #let x = 1".into();
    data.mission_contact = Some("\")] #panic(\"y\")".into());
    for kind in LetterKind::ALL {
        let out = render(kind, "en", &data).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let text = text_of(&out.pdf);
        assert_contains(&text, HOSTILE, kind.as_str());
        assert_contains(&text, &format!("{HOSTILE} 2"), kind.as_str());
        assert_contains(&text, "#strong[x]", kind.as_str());
    }
    let text = text_of(&render(LetterKind::TravelLetter, "en", &data).unwrap().pdf);
    assert_contains(&text, "$ a^2 $ #let x = 1", "programme name");
    assert_contains(&text, "\")] #panic(\"y\")", "mission contact");
}

#[test]
fn unknown_or_untranslated_language_falls_back_to_english() {
    let data = sample();
    let out = render(LetterKind::TravelLetter, "xx", &data).unwrap();
    assert_eq!(out.lang, "en");
    assert_contains(&text_of(&out.pdf), "Travel letter", "xx");

    let out = render(LetterKind::Application, "hu", &data).unwrap();
    assert_eq!(out.lang, "en");
    assert_contains(
        &text_of(&out.pdf),
        "Declaration of voluntary return",
        "hu application",
    );

    let out = render(LetterKind::TravelLetter, "fr-CA", &data).unwrap();
    assert_eq!(out.lang, "fr");
}

#[test]
fn same_input_gives_identical_bytes() {
    let data = sample();
    for kind in LetterKind::ALL {
        let a = render(kind, "fr", &data).unwrap().pdf;
        let b = render(kind, "fr", &data).unwrap().pdf;
        assert!(a == b, "{kind}: two renders differ");
    }
    let mut other = sample();
    other.travellers[0].name_latin = "Béla Kovács".into();
    assert!(
        render(LetterKind::TravelLetter, "en", &data).unwrap().pdf
            != render(LetterKind::TravelLetter, "en", &other).unwrap().pdf
    );
}

#[test]
fn sparse_data_still_renders() {
    let data = LetterData {
        case_number: "TOR-2026-00043".into(),
        issued_on: "not a date".into(),
        travellers: vec![traveller("Ana María Gómez", None, "principal", "PE998877")],
        ..LetterData::default()
    };
    for kind in LetterKind::ALL {
        for &lang in languages(kind) {
            let out = render(kind, lang, &data).unwrap_or_else(|e| panic!("{kind}/{lang}: {e}"));
            assert_valid_pdf(&out.pdf, kind.as_str());
        }
    }
    let text = text_of(&render(LetterKind::TravelLetter, "en", &data).unwrap().pdf);
    assert_contains(
        &text,
        "The itinerary has not been confirmed yet.",
        "no segments",
    );
    assert_contains(&text, "Ana María Gómez", "one traveller");
    assert_contains(
        &text,
        "The person named below, the bearer of this letter",
        "singular",
    );

    let cbsa = text_of(
        &render(LetterKind::DepartureConfirmation, "en", &data)
            .unwrap()
            .pdf,
    );
    assert_contains(&cbsa, "Not yet confirmed", "unconfirmed departure");
    assert_contains(&cbsa, "DRAFT", "unconfirmed departure");

    let cert = text_of(
        &render(LetterKind::ReintegrationCertificate, "en", &data)
            .unwrap()
            .pdf,
    );
    assert_contains(
        &cert,
        "will be agreed in a reintegration plan",
        "no entitlement",
    );
}

/// Word stems that must never describe a traveller, in any language we ship.
const FORBIDDEN: &[&str] = &[
    "deport", // deportee, deportation, déporté, deportado, deportál…
    "removal",
    "removed",
    "remove",
    "expuls", // expulsion, expulsé, expulsado, expulzió
    "expulz",
    "renvoi",
    "renvoy",
    "illegal", // illegal, illegális
    "illégal",
    "ilegal",
    "irregular",
    "irrégulier",
    "failed claim",
    "rejected",
    "débouté",
    "rechazad",
    "elutasít",
    "custody",
    "detention",
    "détention",
    "detenci",
    "detenid",
    "őrizet",
    "escort",
    "escorte",
    "escolta",
    "kísér",
    "toloncol", // kitoloncolt, kitoloncolás
    "kiutasít",
    "enforcement",
    "inadmissible",
    "criminal",
];

fn assert_clean(text: &str, what: &str) {
    let lower = text.to_lowercase();
    for word in FORBIDDEN {
        assert!(
            !lower.contains(word),
            "{what} contains forbidden wording {word:?}"
        );
    }
}

#[test]
fn no_forbidden_wording_in_templates_or_strings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut checked = 0;
    for dir in [root.clone(), root.join("strings")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_clean(
                    &std::fs::read_to_string(&path).unwrap(),
                    &path.display().to_string(),
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 9,
        "expected 5 templates and 4 strings files, checked {checked}"
    );
}

#[test]
fn no_forbidden_wording_in_rendered_letters() {
    let data = sample();
    for kind in LetterKind::ALL {
        for &lang in languages(kind) {
            let raw = pdf_extract::extract_text_from_mem(&render(kind, lang, &data).unwrap().pdf)
                .unwrap();
            assert!(raw.len() > 400, "{kind}/{lang}: suspiciously little text");
            assert_clean(&raw, &format!("{kind}/{lang}"));
        }
    }
}

/// The embedded fonts have no Arabic or Chinese glyphs: such names come from
/// system fonts when present, and otherwise must still not break a letter.
#[test]
fn names_in_scripts_without_an_embedded_font_still_render() {
    let mut data = sample();
    data.travellers[1].name_original = Some("أحمد الخطيب".into());
    data.travellers[2].name_original = Some("王小明".into());
    for kind in LetterKind::ALL {
        let out = render(kind, "en", &data).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_valid_pdf(&out.pdf, kind.as_str());
        assert_contains(&text_of(&out.pdf), "Ádám Kovács", kind.as_str());
    }
}

#[test]
fn the_persons_own_papers_say_where_their_page_is() {
    let mut d = sample();
    d.returnee_page = Some(homeward_letters::ReturneePage {
        url: "https://homeward.example.org/my".into(),
        // A stand-in for the QR code the server draws: any SVG document.
        qr_svg: "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 2 2\"><rect width=\"1\" height=\"1\"/></svg>".into(),
    });
    for (kind, lang, title) in [
        (
            LetterKind::ReintegrationCertificate,
            "hu",
            "Az Ön személyes oldala",
        ),
        (
            LetterKind::ReintegrationCertificate,
            "en",
            "Your private page",
        ),
        (LetterKind::Application, "fr", "Votre page personnelle"),
    ] {
        let pdf = render(kind, lang, &d).unwrap().pdf;
        let text = squash(&text_of(&pdf));
        assert_contains(
            &text,
            "https://homeward.example.org/my",
            "the page's address",
        );
        assert_contains(&text, &squash(title), "the block's title");
    }
    // Papers for others (airlines, CBSA) carry no such thing.
    for kind in [LetterKind::TravelLetter, LetterKind::DepartureConfirmation] {
        let text = text_of(&render(kind, "en", &d).unwrap().pdf);
        assert!(!text.contains("homeward.example.org"), "{kind}");
    }
    // Without an address, no block.
    let text = text_of(
        &render(LetterKind::ReintegrationCertificate, "en", &sample())
            .unwrap()
            .pdf,
    );
    assert!(!text.contains("Yourprivatepage") && text.contains("Forany"));
}
