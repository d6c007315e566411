//! Renders every letter for a sample case into a directory and reports how
//! long rendering takes:
//!
//! ```sh
//! cargo run --release -p homeward-letters --example render_samples -- /tmp/letters
//! ```

use std::time::Instant;

use homeward_letters::{languages, render, LetterData, LetterKind, Segment, Traveller};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "letters-out".into());
    std::fs::create_dir_all(&out)?;
    let data = LetterData {
        case_number: "TOR-2026-00042".into(),
        programme_name: "GTA AVRR pilot".into(),
        issued_on: "2026-11-28".into(),
        travellers: vec![
            Traveller {
                name_latin: "Ádám Kovács".into(),
                date_of_birth: Some("1988-04-12".into()),
                relationship: Some("principal".into()),
                document_number: Some("HU1234567".into()),
                ticket_number: Some("014-2345678901".into()),
                special_assistance: vec!["Wheelchair to the aircraft door (WCHS)".into()],
                ..Traveller::default()
            },
            Traveller {
                name_latin: "Olena Kovács".into(),
                name_original: Some("Олена Ковач".into()),
                date_of_birth: Some("1990-09-30".into()),
                relationship: Some("spouse".into()),
                document_number: Some("FX0098765".into()),
                ticket_number: Some("014-2345678902".into()),
                ..Traveller::default()
            },
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
    };

    let first = Instant::now();
    render(LetterKind::TravelLetter, "en", &data)?;
    println!(
        "first render (fonts, library, templates): {:?}",
        first.elapsed()
    );

    for kind in LetterKind::ALL {
        for &lang in languages(kind) {
            let start = Instant::now();
            let rendered = render(kind, lang, &data)?;
            let took = start.elapsed();
            let path = format!("{out}/{kind}-{lang}.pdf");
            std::fs::write(&path, &rendered.pdf)?;
            println!("{path}: {} bytes in {took:?}", rendered.pdf.len());
        }
    }

    // A new case each time, so that typst's memoization cannot reuse the page.
    let n = 20;
    let start = Instant::now();
    for i in 0..n {
        let mut d = data.clone();
        d.case_number = format!("TOR-2026-{i:05}");
        d.data_version = i;
        render(LetterKind::TravelLetter, "fr", &d)?;
    }
    println!(
        "travel letter, fresh data: {:?} per render",
        start.elapsed() / n as u32
    );
    Ok(())
}
