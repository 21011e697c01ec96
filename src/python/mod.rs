//! Python lock files as sel workspaces, and back.
//!
//! `sel import` reads a lock file (uv's `uv.lock`, or a PEP 751
//! `pylock.toml`) into a [`Lock`]: distributions, and dependency edges that
//! hold under PEP 508 markers. [`generate`] writes it as a sel workspace: the
//! marker variables become selectors (`python_full_version` one *ordered*
//! selector whose values are exactly the version ranges the lock's markers tell
//! apart; `sys_platform` and the other strings the values the lock mentions
//! plus `other`; the project's extras and dependency groups on/off), each
//! marker becomes a `config_setting` or a `config_setting_group`, each
//! conditional edge a `select()`. Nothing is approximated: a marker sel cannot
//! write exactly is an error that names it. docs/import.md has the mapping and
//! why it is exact.
//!
//! [`export`] goes the other way: the packages of a query, with the condition
//! under which each is present written back as a PEP 508 marker (`sel export
//! requirements`).

pub mod export;
pub mod generate;
pub mod lock;
pub mod marker;
pub mod pylock;
pub mod uv_lock;

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
pub use lock::{Dist, Edge, File, Lock, LockFormat};

/// The largest lock file sel reads: 1 GiB (the largest real locks are a few MB).
const MAX_LOCK_BYTES: u64 = 1 << 30;

/// Reads a lock file, telling the format by its name (`uv.lock`, `pylock.toml`,
/// `pylock.NAME.toml`) or else by its contents.
pub fn read_lock(path: &Path) -> Result<Lock> {
    let shown = path.display().to_string();
    let cannot = |e: String| Error::new(ErrorKind::Import, format!("cannot read {shown}: {e}"));
    // A lock is a file: not a device or a pipe that never ends (`/dev/zero`).
    let meta = std::fs::metadata(path).map_err(|e| cannot(e.to_string()))?;
    if !meta.is_file() {
        return Err(cannot("not a regular file".to_string()));
    }
    if meta.len() > MAX_LOCK_BYTES {
        return Err(cannot(format!(
            "{} bytes; sel reads lock files of at most {MAX_LOCK_BYTES} bytes",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| cannot(e.to_string()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let pylock = if name == "uv.lock" {
        false
    } else if name == "pylock.toml" || (name.starts_with("pylock.") && name.ends_with(".toml")) {
        true
    } else {
        text.lines()
            .any(|l| l.trim_start().starts_with("lock-version"))
    };
    if pylock {
        pylock::parse(&text, &shown)
    } else {
        uv_lock::parse(&text, &shown)
    }
}

/// `sel import`: reads the lock file and writes the workspace into `out`.
/// Returns the files written, relative to `out`.
pub fn import(lockfile: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let lock = read_lock(lockfile)?;
    let source_name = lockfile
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(lock.format.file_name())
        .to_string();
    let files = generate::workspace(&lock, &source_name)?;
    generate::write(&files, out)?;
    Ok(files.into_iter().map(|(p, _)| p).collect())
}
