//! Letter rendering time (issue 20's build profile): renders every letter
//! kind in each of its languages, `--rounds` times, and prints the median
//! and 95th percentile per letter. The first render of a process compiles
//! the templates and loads the fonts; it is reported apart. Each render
//! is of another case (typst memoises layouts it has seen). Run it on a
//! release build, before and after a change to the release profile:
//! `cargo run --release -p homeward-bench --bin bench-letters`.

use anyhow::Result;
use clap::Parser;
use homeward_bench::{ms, percentile};
use homeward_letters::{languages, render, LetterData, LetterKind, Segment, Traveller};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "bench-letters", about = "Letter rendering time")]
struct Args {
    /// Renders of each letter kind and language.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
}

fn traveller(name: &str, relationship: &str, doc: &str) -> Traveller {
    Traveller {
        name_latin: name.into(),
        name_original: None,
        date_of_birth: Some("1988-04-12".into()),
        relationship: Some(relationship.into()),
        document_number: Some(doc.into()),
        ticket_number: Some(format!("014-{doc}")),
        special_assistance: vec![],
    }
}

/// A family of three on two flights: what a typical letter holds.
fn sample() -> LetterData {
    LetterData {
        case_number: "TOR-2026-00042".into(),
        programme_name: "GTA AVRR pilot".into(),
        issued_on: "2026-11-28".into(),
        travellers: vec![
            traveller("Ádám Kovács", "principal", "HU1234567"),
            traveller("Olena Kovács", "spouse", "HU0098765"),
            traveller("Bence Kovács", "son", "HU5551212"),
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
        ..Default::default()
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut data = sample();
    let t = Instant::now();
    render(LetterKind::Application, "en", &data)?;
    println!(
        "first render (templates and fonts loaded): {} ms",
        ms(t.elapsed().as_micros() as u64)
    );
    let mut all = Vec::new();
    for kind in LetterKind::ALL {
        let mut times = Vec::new();
        for lang in languages(kind) {
            for round in 0..args.rounds {
                // Another case each time: typst memoises what it laid out
                // before, and no office prints the same letter twice.
                data.case_number = format!("TOR-2026-{round:05}");
                data.travellers[0].document_number = Some(format!("HU{round:07}"));
                let t = Instant::now();
                let r = render(kind, lang, &data)?;
                times.push(t.elapsed().as_micros() as u64);
                anyhow::ensure!(r.pdf.starts_with(b"%PDF"), "{kind:?} {lang}: not a PDF");
            }
        }
        times.sort_unstable();
        println!(
            "{:<26} {:>4} renders  median {:>7} ms  p95 {:>7} ms",
            kind.as_str(),
            times.len(),
            ms(percentile(&times, 50.0)),
            ms(percentile(&times, 95.0))
        );
        all.extend(times);
    }
    all.sort_unstable();
    println!(
        "{:<26} {:>4} renders  median {:>7} ms  p95 {:>7} ms",
        "all",
        all.len(),
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 95.0))
    );
    Ok(())
}
