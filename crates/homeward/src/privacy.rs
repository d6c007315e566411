//! `homeward retention run` and `homeward person export` (docs/adr/0026).

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use homeward_store::{retention, subject_access, Error};

#[derive(Subcommand)]
pub enum RetentionCommand {
    /// Delete the records of people whose every case ended longer ago than
    /// their programme's retention period (with --dry-run: only report who).
    Run {
        /// Print the report and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum PersonCommand {
    /// Everything held about one person (subject access): a JSON file and a PDF.
    Export {
        /// The person's id.
        #[arg(long)]
        id: String,
        /// Folder to write `person-<id>.json` and `.pdf` into (default: here).
        #[arg(long, default_value = ".")]
        out: String,
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// Prints a plan's report: per programme, who would go and the oldest end.
pub fn print_plan(plan: &retention::Plan) {
    if plan.lines.is_empty() {
        println!("Nobody is due for deletion on {}.", plan.today);
        return;
    }
    println!("Due for deletion on {}:", plan.today);
    println!(
        "{:<16} {:>6} {:>8} {:>6}  oldest closure",
        "programme", "years", "persons", "cases"
    );
    for l in &plan.lines {
        println!(
            "{:<16} {:>6} {:>8} {:>6}  {}",
            l.programme, l.retention_years, l.persons, l.cases, l.oldest_closure
        );
    }
    println!("total: {} persons, {} cases", plan.persons(), plan.cases());
}

pub async fn retention_command(cfg: &crate::config::Config, c: RetentionCommand) -> Result<()> {
    let RetentionCommand::Run {
        dry_run,
        database_url,
    } = c;
    let store = crate::open(cfg, database_url).await?;
    let plan = retention::plan(&store, chrono::Utc::now().date_naive()).await?;
    print_plan(&plan);
    if dry_run || plan.households.is_empty() {
        return Ok(());
    }
    let out = retention::purge(&store, None, &plan).await?;
    println!(
        "deleted: {} persons, {} cases, {} files; {} households changed since the report and were kept",
        out.persons, out.cases, out.files_deleted, out.skipped
    );
    if out.file_errors > 0 {
        bail!(
            "{} attachment files could not be deleted (see the log)",
            out.file_errors
        );
    }
    Ok(())
}

pub async fn person_command(cfg: &crate::config::Config, c: PersonCommand) -> Result<()> {
    let PersonCommand::Export {
        id,
        out,
        database_url,
    } = c;
    let Ok(id) = uuid::Uuid::parse_str(id.trim()) else {
        bail!("--id must be a person's id (a UUID)");
    };
    let store = crate::open(cfg, database_url).await?;
    let doc = match subject_access::export(&store, None, id).await {
        Ok(d) => d,
        Err(Error::NotFound) => bail!("no person with id {id}"),
        Err(e) => return Err(e.into()),
    };
    let dir = std::path::Path::new(&out);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {out}"))?;
    let json_path = dir.join(format!("person-{id}.json"));
    let pdf_path = dir.join(format!("person-{id}.pdf"));
    std::fs::write(&json_path, serde_json::to_vec_pretty(&doc)?)
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    let pdf =
        homeward_web::subject_access::pdf(&doc, &homeward_web::subject_access::Labels::english())
            .map_err(|e| anyhow::anyhow!("the PDF could not be made: {e}"))?;
    std::fs::write(&pdf_path, pdf)
        .with_context(|| format!("cannot write {}", pdf_path.display()))?;
    println!("{}\n{}", json_path.display(), pdf_path.display());
    Ok(())
}
