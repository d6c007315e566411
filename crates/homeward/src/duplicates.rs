//! `homeward duplicates`: candidate pairs of people registered twice
//! (docs/adr/0029).

use anyhow::{bail, Result};
use homeward_store::duplicates;
use std::io::Write;

/// Keys anyone not yet keyed, then prints every candidate pair scoring
/// `min_score` or more: a table, or with `json` one JSON object per line.
/// Pairs decided "not duplicates" and people merged into another record
/// are left out (docs/adr/0032). The pass also replaces the stored
/// candidates of the review queue (all pairs at `possible` or above,
/// whatever `min_score`).
pub async fn run(
    cfg: &crate::config::Config,
    database_url: Option<String>,
    json: bool,
    min_score: f64,
) -> Result<()> {
    if !(0.0..=1.0).contains(&min_score) {
        bail!("--min-score must be between 0 and 1");
    }
    let store = crate::open(cfg, database_url).await?;
    let keyed = duplicates::backfill(&store).await?;
    if keyed > 0 {
        eprintln!("Computed the matching keys of {keyed} persons.");
    }
    let started = homeward_store::now();
    let all = duplicates::all_pairs(&store, 0.0).await?;
    duplicates::store_all(&store, &all, started).await?;
    let pairs: Vec<_> = all.into_iter().filter(|p| p.score >= min_score).collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if !json && !pairs.is_empty() {
        writeln!(out, "{:<36}  {:<36}  {:>5}  level", "a", "b", "score")?;
    }
    for p in &pairs {
        if json {
            let line = serde_json::json!({
                "a": p.a,
                "b": p.b,
                "a_external_id": p.a_external_id,
                "b_external_id": p.b_external_id,
                "score": (p.score * 1000.0).round() / 1000.0,
                "level": p.level.as_str(),
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "{}  {}  {:>5.3}  {}",
                p.a,
                p.b,
                p.score,
                p.level.as_str()
            )?;
        }
    }
    out.flush()?;
    let likely = pairs
        .iter()
        .filter(|p| p.level == homeward_domain::duplicates::Level::Likely)
        .count();
    eprintln!(
        "{} candidate pairs: {likely} likely, {} possible.",
        pairs.len(),
        pairs.len() - likely
    );
    Ok(())
}
