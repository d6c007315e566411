//! Peak memory of writing N generated case rows through the export writer:
//!
//!     cargo run --release -p homeward-exports --example export_memory -- 1000000 csv
//!     cargo run --release -p homeward-exports --example export_memory -- 1000000 xlsx
//!
//! CSV goes to a sink (like /dev/null); XLSX to a temporary file (the
//! workbook must be assembled from its sheet). Prints the peak resident set
//! size (VmHWM, Linux) before and after, which must not grow with N.

use homeward_exports::{Cell, Sink, COLUMNS};
use std::time::Instant;

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn row(i: u64) -> Vec<Cell> {
    vec![
        Cell::Text(format!("GTA-2012-{i:07}")),
        Cell::Text("gta-2012".into()),
        Cell::Text("departed".into()),
        // Every tenth name tries a formula, to exercise neutralisation.
        Cell::Text(if i % 10 == 0 {
            format!("=HYPERLINK(\"http://x/{i}\")")
        } else {
            format!("Horváth Ágnes {i}")
        }),
        Cell::Text("female".into()),
        Cell::Text("1980-01-01".into()),
        Cell::Text("HU".into()),
        Cell::Number((i % 6 + 1) as i64),
        Cell::Text("HU".into()),
        Cell::Text("Budapest".into()),
        Cell::Text("Counsellor One".into()),
        Cell::Text("2012-07-01".into()),
        Cell::Text("2012-08-01".into()),
        Cell::Text("+1 416 555 0100".into()),
        Cell::Text(format!("p{i}@example.org")),
        Cell::Text(format!("{i:010}")),
        Cell::Text(format!("HU{i:08}")),
    ]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let format = args.next().unwrap_or_else(|| "csv".into());
    let before = peak_kib();
    let started = Instant::now();
    let labels: Vec<String> = COLUMNS.iter().map(|c| c.id.to_string()).collect();
    let tags: Vec<&str> = COLUMNS.iter().map(|c| c.hxl).collect();
    let dir = std::env::temp_dir().join(format!("homeward-export-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("out.xlsx");
    let bytes = if format == "xlsx" {
        let mut s = Sink::xlsx(&path, Some(&dir))?;
        s.header(&labels, Some(&tags))?;
        for i in 0..n {
            s.row(&row(i))?;
        }
        s.finish()?;
        std::fs::metadata(&path)?.len()
    } else {
        let mut s = Sink::csv(std::io::sink());
        s.header(&labels, Some(&tags))?;
        for i in 0..n {
            s.row(&row(i))?;
        }
        s.finish()?;
        0
    };
    let after = peak_kib();
    std::fs::remove_dir_all(&dir)?;
    println!(
        "{n} rows, {format}: peak RSS {before} KiB before, {after} KiB after; {:.1} s{}",
        started.elapsed().as_secs_f64(),
        if bytes > 0 {
            format!("; file {bytes} bytes")
        } else {
            String::new()
        }
    );
    Ok(())
}
