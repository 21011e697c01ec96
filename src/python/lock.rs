//! A lock file as sel reads it ([`Lock`]): what the readers (`uv_lock`,
//! `pylock`) produce and the writer of workspaces (`generate`) takes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::marker::{self, Marker};

/// The lock file formats sel imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockFormat {
    /// uv's `uv.lock`.
    UvLock,
    /// PEP 751's `pylock.toml`.
    Pylock,
}

impl LockFormat {
    /// The format's usual file name.
    pub fn file_name(self) -> &'static str {
        match self {
            LockFormat::UvLock => "uv.lock",
            LockFormat::Pylock => "pylock.toml",
        }
    }
}

/// A lock file as sel reads it: a graph of distributions whose edges hold
/// under markers.
#[derive(Clone, Debug)]
pub struct Lock {
    /// Where it came from.
    pub format: LockFormat,
    /// The Python versions the lock is for (`>=3.10`).
    pub requires_python: Option<String>,
    /// The project: an index into `dists`.
    pub root: usize,
    /// Every distribution, the project included.
    pub dists: Vec<Dist>,
    /// The project's extras (normalized names).
    pub extras: Vec<String>,
    /// The project's dependency groups (normalized names).
    pub groups: Vec<String>,
    /// The groups installed when none is asked for.
    pub default_groups: Vec<String>,
}

/// One locked distribution.
#[derive(Clone, Debug)]
pub struct Dist {
    /// Its normalized name.
    pub name: String,
    /// Its version, if the lock gives one.
    pub version: Option<String>,
    /// The kind of source: `registry`, `git`, `url`, `path`, `directory`, `editable`, `virtual`.
    pub source: String,
    /// For a local source (`editable`, `virtual`, `directory`, `path`), its path
    /// relative to the lock file.
    pub path: Option<String>,
    /// Whether it is a project of the workspace rather than a third-party distribution.
    pub project: bool,
    /// Its dependencies.
    pub deps: Vec<Edge>,
    /// The dependencies of each of its extras.
    pub extras: BTreeMap<String, Vec<Edge>>,
}

/// A dependency: a distribution, with extras, under a marker.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The distribution depended on (an index into `Lock::dists`).
    pub dist: usize,
    /// The extras of it that are requested.
    pub extras: Vec<String>,
    /// When the edge holds.
    pub marker: Marker,
}

/// Checks that a version can be written into a label (`NAME@VERSION`): PEP 440
/// versions are ASCII letters, digits, `.`, `+`, `!`, `-` and `_`.
pub(crate) fn check_version(version: Option<&str>) -> std::result::Result<(), String> {
    match version {
        Some(v)
            if v.is_empty()
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".+!-_".contains(&b)) =>
        {
            Err(format!(
                "version `{}` is not a PEP 440 version (ASCII letters, digits, `.`, `+`, `!`, `-` and `_`)",
                marker::shortened(v)
            ))
        }
        _ => Ok(()),
    }
}

/// A generated file: its path relative to the workspace root, and its text.
pub type File = (PathBuf, String);
