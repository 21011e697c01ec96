//! The on-disk cache of evaluated packages, under `<root>/.sel-cache/`.
//!
//! An entry holds a package's targets and the BLAKE3 hash of every file its
//! evaluation read: the BUILD file and, transitively, each .bzl it loads. An
//! entry is used only when all those files still hash the same, so an edit,
//! a rename or a deleted .bzl always re-evaluates. The file carries a format
//! version, sel's version, the workspace root and a hash of its own payload:
//! anything unexpected (corruption, another version, a moved workspace) and
//! the cache is ignored and rebuilt. It never changes an answer; deleting the
//! directory is always safe. sel never searches dot-directories for packages,
//! so the cache is not mistaken for part of the workspace.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::target_graph::Package;

/// The cache directory, relative to the workspace root.
pub const DIR: &str = ".sel-cache";
const FILE: &str = "packages.v1";
const MAGIC: &[u8; 8] = b"selcache";
/// Bumped whenever the layout of `Package` changes, so an older cache is rebuilt.
const FORMAT: u32 = 2;

/// A file's content hash.
pub type Hash = [u8; 32];

/// What the cache knows of one package.
#[derive(Serialize, Deserialize)]
pub struct Entry {
    /// The BUILD file's hash.
    pub build: Hash,
    /// Every .bzl file the evaluation loaded, transitively, with its hash.
    pub loads: Vec<(PathBuf, Hash)>,
    /// The evaluated package.
    pub package: Package,
}

#[derive(Serialize)]
struct EntryRef<'a> {
    build: &'a Hash,
    loads: &'a [(PathBuf, Hash)],
    package: &'a Package,
}

#[derive(Serialize, Deserialize)]
struct Header {
    sel: String,
    root: PathBuf,
}

/// Hashes of files, each read once however many packages ask.
#[derive(Default)]
pub struct Hashes {
    known: Mutex<HashMap<PathBuf, Option<Hash>>>,
}

impl Hashes {
    /// The hash of a file's content, `None` if it cannot be read.
    pub fn of(&self, path: &Path) -> Option<Hash> {
        if let Some(h) = self.known.lock().expect("no panics while locked").get(path) {
            return *h;
        }
        let h = std::fs::read(path)
            .ok()
            .map(|bytes| *blake3::hash(&bytes).as_bytes());
        self.known
            .lock()
            .expect("no panics while locked")
            .insert(path.to_path_buf(), h);
        h
    }
}

/// The entries read from disk, taken out one by one as packages are loaded.
pub struct Cache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Cache {
    /// Reads the cache of the workspace at `root`; an absent, unreadable or
    /// corrupt cache is an empty one.
    pub fn read(root: &Path) -> Cache {
        let entries = std::fs::read(root.join(DIR).join(FILE))
            .ok()
            .and_then(|bytes| decode(&bytes, root))
            .unwrap_or_default();
        Cache {
            entries: Mutex::new(entries),
        }
    }

    /// No cache at all (`--no-cache`).
    pub fn empty() -> Cache {
        Cache {
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether entries were left untaken (packages deleted since): the cache
    /// should be rewritten without them.
    pub fn has_leftovers(&self) -> bool {
        !self
            .entries
            .lock()
            .expect("no panics while locked")
            .is_empty()
    }

    /// The entries nobody took, by package name.
    pub fn into_leftovers(self) -> Vec<(String, Entry)> {
        self.entries
            .into_inner()
            .expect("no panics while locked")
            .into_iter()
            .collect()
    }

    /// The cached package, if every file it was evaluated from is unchanged.
    pub fn take(&self, name: &str, build: &Hash, hashes: &Hashes) -> Option<Entry> {
        let mut entries = self.entries.lock().expect("no panics while locked");
        let fresh = entries.get(name).is_some_and(|e| {
            e.build == *build && e.loads.iter().all(|(p, h)| hashes.of(p) == Some(*h))
        });
        if fresh {
            entries.remove(name)
        } else {
            None
        }
    }
}

fn decode(bytes: &[u8], root: &Path) -> Option<HashMap<String, Entry>> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (format, rest) = rest.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*format) != FORMAT {
        return None;
    }
    let (checksum, payload) = rest.split_first_chunk::<32>()?;
    if blake3::hash(payload).as_bytes() != checksum {
        return None;
    }
    let (header, rest): (Header, &[u8]) = postcard::take_from_bytes(payload).ok()?;
    if header.sel != env!("CARGO_PKG_VERSION") || header.root != root {
        return None;
    }
    let entries: Vec<(String, Entry)> = postcard::from_bytes(rest).ok()?;
    Some(entries.into_iter().collect())
}

/// What [`write`] stores of one package: it, its BUILD file's hash, and the
/// .bzl files its evaluation read with their hashes.
pub type EntryParts<'a> = (&'a Package, &'a Hash, &'a [(PathBuf, Hash)]);

/// Writes the cache for these packages; best effort (a read-only workspace
/// simply has no cache).
pub fn write(root: &Path, entries: &[EntryParts]) {
    let header = Header {
        sel: env!("CARGO_PKG_VERSION").to_string(),
        root: root.to_path_buf(),
    };
    let refs: Vec<(&str, EntryRef)> = entries
        .iter()
        .map(|(package, build, loads)| {
            (
                package.name.as_str(),
                EntryRef {
                    build,
                    loads,
                    package,
                },
            )
        })
        .collect();
    let Ok(mut payload) = postcard::to_stdvec(&header) else {
        return;
    };
    let Ok(body) = postcard::to_stdvec(&refs) else {
        return;
    };
    payload.extend_from_slice(&body);
    let dir = root.join(DIR);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let _ = std::fs::write(
        dir.join("README"),
        "sel's cache of evaluated BUILD files. Safe to delete; `sel --no-cache` ignores it.\n",
    );
    // Write to a temporary file and rename, so a reader never sees half a cache.
    let tmp = dir.join(format!("{FILE}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(MAGIC)?;
        f.write_all(&FORMAT.to_le_bytes())?;
        f.write_all(blake3::hash(&payload).as_bytes())?;
        f.write_all(&payload)
    });
    if written.is_ok() {
        let _ = std::fs::rename(&tmp, dir.join(FILE));
    } else {
        let _ = std::fs::remove_file(&tmp);
    }
}
