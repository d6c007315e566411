//! `homeward persons import FILE.csv` (docs/adr/0030).

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use homeward_domain::import::Mapping;
use homeward_store::import::{self, ImportError, Options};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum PersonsCommand {
    /// Import persons from a CSV file (UTF-8, header row): external_id,
    /// given_names, family_name, original_script_name, sex, date_of_birth,
    /// nationality, phone, uci, passport_number. Rows are matched on
    /// external_id: a re-import creates nobody twice.
    Import {
        /// The CSV file.
        file: PathBuf,
        #[arg(long)]
        database_url: Option<String>,
        /// Check and count every row; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A file renaming columns: `from,to` lines (or `from = "to"`).
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Where to write the invalid rows (default: FILE.report.csv, only when some are invalid).
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

/// The default report path: next to the input, `NAME.report.csv`.
fn default_report(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    file.with_file_name(format!("{stem}.report.csv"))
}

pub async fn persons_command(cfg: &crate::config::Config, c: PersonsCommand) -> Result<()> {
    let PersonsCommand::Import {
        file,
        database_url,
        dry_run,
        mapping,
        report,
    } = c;
    let mapping = match mapping {
        Some(m) => {
            let text = std::fs::read_to_string(&m)
                .with_context(|| format!("cannot read the mapping file {}", m.display()))?;
            Mapping::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", m.display()))?
        }
        None => Mapping::default(),
    };
    let f =
        std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let store = crate::open(cfg, database_url).await?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(size);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut on_progress = |p: &import::Progress| {
        if let Some(b) = &bar {
            b.set_position(p.bytes_read);
            b.set_message(format!(
                "{} rows: {} created, {} updated, {} unchanged, {} invalid",
                p.summary.rows,
                p.summary.created,
                p.summary.updated,
                p.summary.unchanged,
                p.summary.invalid
            ));
        }
    };
    let options = Options {
        dry_run,
        ..Options::default()
    };
    let reader = std::io::BufReader::with_capacity(256 * 1024, f);
    let result = import::run(&store, None, reader, &mapping, &options, &mut on_progress).await;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    store.close().await;
    let out = match result {
        Ok(o) => o,
        Err(ImportError::Refused(m)) => bail!("{}: refused, nothing imported: {m}", file.display()),
        Err(e) => return Err(e.into()),
    };
    let s = &out.summary;
    let verb = if dry_run { "would be " } else { "" };
    println!(
        "{} rows: {} {verb}created, {} {verb}updated, {} unchanged, {} invalid{}",
        s.rows,
        s.created,
        s.updated,
        s.unchanged,
        s.invalid,
        if dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    if !out.problems.is_empty() || report.is_some() {
        let path = report.unwrap_or_else(|| default_report(&file));
        let w = std::fs::File::create(&path)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
        import::write_report(&out.problems, std::io::BufWriter::new(w))
            .with_context(|| format!("cannot write the report {}", path.display()))?;
        println!(
            "report: {} ({} problems on {} invalid rows)",
            path.display(),
            out.problems.len(),
            s.invalid
        );
    }
    Ok(())
}
