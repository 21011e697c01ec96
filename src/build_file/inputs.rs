//! What a load read: every package's BUILD file with its state and its
//! package's fingerprint, and the other files. The loader reports it here, at
//! its own floor; the answer cache above (`crate::answers`) keeps it and decides
//! from it whether a kept answer still holds.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::store::{FileState, Hash};

/// The fingerprints of packages (see [`crate::build_file`]) by BUILD file,
/// each with the content hash of the file it was computed from.
pub type Fingerprints = rustc_hash::FxHashMap<PathBuf, (Hash, Hash)>;

/// A package's BUILD file as a full load read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInput {
    /// The package's name (its path in the workspace).
    pub package: String,
    pub path: PathBuf,
    pub state: FileState,
    /// The fingerprint of the package it declared: all an answer can
    /// depend on in it.
    pub fingerprint: Hash,
}

/// The files a full load of the workspace read, with their states: the
/// packages' BUILD files in walk order, then the other files it read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// Every package's BUILD file, as the walk found them (sorted by package).
    pub build_files: Vec<BuildInput>,
    /// The other files: .bzl files and `sel.toml`, sorted by path.
    pub others: Vec<(PathBuf, FileState)>,
    /// When the run that read them started.
    pub started: i128,
}
