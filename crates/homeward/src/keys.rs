//! Loading the data keys, and the `homeward keys` commands (ADR 0028).

use crate::config::Config;
use anyhow::{Context, Result};
use homeward_store::crypto::Keyring;
use std::io::Write;
use std::path::Path;

/// The configured keys; with none configured, `data_dir/data.key`, created
/// (readable by its owner only) on first start so a fresh install works.
pub fn load(cfg: &Config) -> Result<Keyring> {
    if let Some(text) = cfg.data_key.as_deref().filter(|t| !t.trim().is_empty()) {
        return Keyring::parse(text).context("HOMEWARD_DATA_KEY / HOMEWARD_DATA_KEY_FILE");
    }
    let path = Path::new(&cfg.data_dir).join("data.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            warn_if_readable_by_others(&path);
            Keyring::parse(&text).with_context(|| format!("data key file {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&cfg.data_dir)
                .with_context(|| format!("cannot create {}", cfg.data_dir))?;
            let line = Keyring::new_key_line();
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts
                .open(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            writeln!(
                f,
                "# Homeward data key: keep a copy apart from the database backups."
            )?;
            writeln!(f, "{line}")?;
            f.sync_all()?;
            tracing::warn!(
                path = %path.display(),
                "created a new data key for restricted data; back it up apart from the database \
                 (without it counselling notes, health data and attachments cannot be read), or set \
                 HOMEWARD_DATA_KEY_FILE"
            );
            Keyring::parse(&line).context("new data key")
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            if m.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the data key file is readable by other users: chmod 600 it");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
