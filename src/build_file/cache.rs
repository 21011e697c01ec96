//! The on-disk cache of evaluated packages, under `<root>/.sel-cache/`.
//!
//! An entry holds a package's targets and the BLAKE3 hash of every file its
//! evaluation read: the BUILD file and, transitively, each .bzl it loads. An
//! entry is used only when all those files still hash the same, so an edit,
//! a rename or a deleted .bzl always re-evaluates.
//!
//! Reading and hashing every file on every run would cost as much as
//! evaluating them, so each hash is stored with the file's stamp (size,
//! inode, modification and change times), as git's index does: a file whose
//! stamp is unchanged is not read again. The change time cannot be set by
//! tools that restore modification times, and a stamp is trusted only if the
//! file had last changed well before the run that recorded it, so a change
//! within the clock's granularity of that run is still seen (git's "racily
//! clean" files). The file carries a format
//! version, sel's version, the workspace root and a hash of its own payload:
//! anything unexpected (corruption, another version, a moved workspace) and
//! the cache is ignored and rebuilt. It never changes an answer; deleting the
//! directory is always safe. sel never searches dot-directories for packages,
//! so the cache is not mistaken for part of the workspace.

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::target_graph::Package;

/// The cache directory, relative to the workspace root.
pub const DIR: &str = ".sel-cache";
const FILE: &str = "packages.v1";
const MAGIC: &[u8; 8] = b"selcache";
/// Bumped whenever the layout of `Package` changes, so an older cache is rebuilt.
const FORMAT: u32 = 7;
/// How long before a run a file must have last changed for its stamp to be
/// trusted: more than any file system's timestamp granularity.
const SETTLED: Duration = Duration::from_secs(2);

/// A file's content hash.
pub type Hash = [u8; 32];

/// What the cache knows of a file: its content hash, and its stamp when read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    /// The BLAKE3 hash of its content.
    pub hash: Hash,
    stamp: Option<Stamp>,
}

impl FileState {
    /// A file whose content hashed to `hash`, with the stamp taken before it was read.
    pub fn new(hash: Hash, stamp: Option<Stamp>) -> FileState {
        FileState { hash, stamp }
    }

    /// The state of the file at `path` now, `None` if it cannot be read.
    /// `recorded` is what a cache says of it, written by a run that started
    /// at the given time: if the stamp is the same and had settled then, the
    /// file is not read again.
    pub fn now(path: &Path, recorded: Option<(&FileState, i128)>) -> Option<FileState> {
        let stamp = Stamp::of(path);
        match (stamp, recorded) {
            (Some(now), Some((was, at))) if was.stamp == Some(now) && now.settled_before(at) => {
                Some(*was)
            }
            _ => std::fs::read(path).ok().map(|bytes| FileState {
                hash: *blake3::hash(&bytes).as_bytes(),
                stamp,
            }),
        }
    }
}

/// A file's metadata that changes whenever its content does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    inode: u64,
    /// Modification and change times, in nanoseconds since the epoch.
    modified: i128,
    changed: i128,
}

impl Stamp {
    /// The stamp of a file now, `None` where it cannot be had.
    #[cfg(unix)]
    pub fn of(path: &Path) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        let nanos = |secs: i64, ns: i64| i128::from(secs) * 1_000_000_000 + i128::from(ns);
        Some(Stamp {
            len: m.len(),
            inode: m.ino(),
            modified: nanos(m.mtime(), m.mtime_nsec()),
            changed: nanos(m.ctime(), m.ctime_nsec()),
        })
    }

    /// Elsewhere, no stamp: every file is read and hashed.
    #[cfg(not(unix))]
    pub fn of(_: &Path) -> Option<Stamp> {
        None
    }

    /// Whether the file had last changed well before `at` (nanoseconds
    /// since the epoch): a file that changed shortly before may change again
    /// within its timestamps' granularity, keeping its stamp.
    pub fn settled_before(&self, at: i128) -> bool {
        self.changed < at - SETTLED.as_nanos() as i128
    }
}

/// Nanoseconds since the epoch, now.
pub fn now() -> i128 {
    nanos_since_epoch(SystemTime::now())
}

/// Nanoseconds since the epoch.
fn nanos_since_epoch(t: SystemTime) -> i128 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// What the cache knows of one package. Its targets stay encoded in the
/// cache file's bytes until they are asked for: a stale or unneeded entry
/// is never decoded, and one written back unchanged is never re-encoded.
pub struct Entry {
    /// The BUILD file the package was read from (`BUILD.sel` or `BUILD`):
    /// an entry of one never stands for the other, even with equal texts.
    pub path: PathBuf,
    /// The BUILD file's state.
    pub build: FileState,
    /// The package's fingerprint (see `build_file::fingerprint`).
    pub fingerprint: Hash,
    /// Every .bzl file the evaluation loaded, transitively, with its state.
    pub loads: Vec<(PathBuf, FileState)>,
    /// Where the encoded package is in the cache file.
    package: Range<usize>,
}

/// A package to write to the cache.
pub struct Record<'a> {
    pub name: &'a str,
    pub path: &'a Path,
    pub build: &'a FileState,
    pub fingerprint: &'a Hash,
    pub loads: &'a [(PathBuf, FileState)],
    pub package: Stored<'a>,
}

/// A package as evaluated, or as the cache already holds it.
pub enum Stored<'a> {
    Decoded(&'a Package),
    Encoded(&'a [u8]),
}

/// One entry as the file holds it: name, BUILD file path and state,
/// fingerprint, loads, encoded package.
type StoredEntry<'a> = (
    &'a str,
    PathBuf,
    FileState,
    Hash,
    Vec<(PathBuf, FileState)>,
    &'a [u8],
);

#[derive(Serialize, Deserialize)]
struct Header {
    sel: String,
    root: PathBuf,
    /// When the run that wrote the cache started (nanoseconds since the epoch):
    /// stamps of files that changed shortly before are not trusted.
    started: i128,
}

/// The states of files, each found once however many packages ask.
pub struct Hashes {
    known: Mutex<HashMap<PathBuf, Option<FileState>>>,
    /// When this run started.
    started: i128,
}

impl Default for Hashes {
    fn default() -> Self {
        Hashes {
            known: Mutex::default(),
            started: nanos_since_epoch(SystemTime::now()),
        }
    }
}

impl Hashes {
    /// The state of a file, `None` if it cannot be read. `recorded` is what
    /// the cache says of it (in a cache written by a run that started at
    /// `recorded_at`): if the stamp is the same and was settled then, the
    /// file is not read again.
    pub fn of(&self, path: &Path, recorded: Option<(&FileState, i128)>) -> Option<FileState> {
        if let Some(h) = self.known.lock().expect("no panics while locked").get(path) {
            return *h;
        }
        let state = FileState::now(path, recorded);
        self.known
            .lock()
            .expect("no panics while locked")
            .insert(path.to_path_buf(), state);
        state
    }

    /// When this run started, for the cache it writes.
    pub fn started(&self) -> i128 {
        self.started
    }
}

/// The entries read from disk, taken out one by one as packages are loaded.
pub struct Cache {
    /// The cache file's bytes, which the entries point into.
    bytes: Vec<u8>,
    entries: Mutex<HashMap<String, Entry>>,
    /// When the run that wrote it started.
    started: i128,
}

/// A fresh package from the cache.
pub struct Taken {
    pub build: FileState,
    pub fingerprint: Hash,
    pub loads: Vec<(PathBuf, FileState)>,
    pub package: Package,
    /// Where it is encoded in the cache file, to write it back as it is.
    pub encoded: Range<usize>,
}

impl Cache {
    /// Reads the cache of the workspace at `root`; an absent, unreadable or
    /// corrupt cache is an empty one.
    pub fn read(root: &Path) -> Cache {
        let Some((bytes, payload)) = read_checked(root, FILE, MAGIC, FORMAT) else {
            return Cache::empty();
        };
        match decode(&bytes, payload, root) {
            Some((entries, started)) => Cache {
                entries: Mutex::new(entries),
                started,
                bytes,
            },
            None => Cache::empty(),
        }
    }

    /// No cache at all (`--no-cache`).
    pub fn empty() -> Cache {
        Cache {
            bytes: Vec::new(),
            entries: Mutex::new(HashMap::new()),
            started: 0,
        }
    }

    /// Whether entries were left untaken (packages deleted or changed since).
    pub fn has_leftovers(&self) -> bool {
        !self
            .entries
            .lock()
            .expect("no panics while locked")
            .is_empty()
    }

    /// The entries nobody took, by package name.
    pub fn take_leftovers(&self) -> Vec<(String, Entry)> {
        self.entries
            .lock()
            .expect("no panics while locked")
            .drain()
            .collect()
    }

    /// The encoded package at `at` in the cache file.
    pub fn encoded(&self, at: &Range<usize>) -> &[u8] {
        &self.bytes[at.clone()]
    }

    /// The encoded package of a leftover entry.
    pub fn encoded_entry(&self, e: &Entry) -> &[u8] {
        self.encoded(&e.package)
    }

    /// The cached package `name` whose BUILD file is `build_file`, if every
    /// file it was evaluated from is unchanged.
    pub fn take(&self, name: &str, build_file: &Path, hashes: &Hashes) -> Option<Taken> {
        let entry = self
            .entries
            .lock()
            .expect("no panics while locked")
            .remove(name)?;
        // A package read from `BUILD` is not one read from `BUILD.sel`:
        // its locations point into the file it came from.
        let same_file = entry.path == build_file;
        let same = |path: &Path, was: &FileState| {
            hashes
                .of(path, Some((was, self.started)))
                .is_some_and(|now| now.hash == was.hash)
        };
        if same_file
            && same(build_file, &entry.build)
            && entry.loads.iter().all(|(p, s)| same(p, s))
        {
            if let Ok(package) = postcard::from_bytes::<Package>(self.encoded(&entry.package)) {
                return Some(Taken {
                    build: entry.build,
                    fingerprint: entry.fingerprint,
                    loads: entry.loads,
                    package,
                    encoded: entry.package,
                });
            }
        }
        // Stale: put it back, so that a run that loads only some packages
        // knows it has a newer version to write.
        self.entries
            .lock()
            .expect("no panics while locked")
            .insert(name.to_string(), entry);
        None
    }
}

/// The entries of a cache file whose payload (checksum verified) starts at `payload`.
fn decode(bytes: &[u8], payload: usize, root: &Path) -> Option<(HashMap<String, Entry>, i128)> {
    let payload = &bytes[payload..];
    let (header, rest): (Header, &[u8]) = postcard::take_from_bytes(payload).ok()?;
    if header.sel != env!("CARGO_PKG_VERSION") || header.root != root {
        return None;
    }
    let stored: Vec<StoredEntry> = postcard::from_bytes(rest).ok()?;
    let base = bytes.as_ptr() as usize;
    let entries = stored
        .into_iter()
        .map(|(name, path, build, fingerprint, loads, package)| {
            let start = package.as_ptr() as usize - base;
            let entry = Entry {
                path,
                build,
                fingerprint,
                loads,
                package: start..start + package.len(),
            };
            (name.to_string(), entry)
        })
        .collect();
    Some((entries, header.started))
}

/// Writes the cache for these packages, sorted by name; best effort (a
/// read-only workspace simply has no cache). `started`: when the run whose
/// states these are started ([`Hashes::started`]).
pub fn write(root: &Path, records: &[Record], started: i128) {
    use rayon::prelude::*;
    let header = Header {
        sel: env!("CARGO_PKG_VERSION").to_string(),
        root: root.to_path_buf(),
        started,
    };
    // Encoding the evaluated packages is the bulk of the work: in parallel.
    let encoded: Vec<Option<Vec<u8>>> = records
        .par_iter()
        .map(|r| match r.package {
            Stored::Decoded(p) => postcard::to_stdvec(p).ok(),
            Stored::Encoded(_) => None,
        })
        .collect();
    // The payload is the header and the list of entries, as postcard writes
    // a `Vec<StoredEntry>`: its length, then each entry's name, states and
    // the length of its package, then the package's bytes. Written in parts,
    // so that no package is copied: the packages are the size of the cache.
    let Ok(header) = postcard::to_stdvec(&header) else {
        return;
    };
    let Ok(count) = postcard::to_stdvec(&records.len()) else {
        return;
    };
    let mut heads: Vec<Vec<u8>> = Vec::with_capacity(records.len());
    let mut packages: Vec<&[u8]> = Vec::with_capacity(records.len());
    for (r, e) in records.iter().zip(&encoded) {
        let bytes = match (&r.package, e) {
            (Stored::Encoded(b), _) => b,
            (Stored::Decoded(_), Some(b)) => b.as_slice(),
            (Stored::Decoded(_), None) => return,
        };
        let Ok(head) =
            postcard::to_stdvec(&(r.name, r.path, r.build, r.fingerprint, r.loads, bytes.len()))
        else {
            return;
        };
        heads.push(head);
        packages.push(bytes);
    }
    let mut parts: Vec<&[u8]> = vec![&header, &count];
    for (head, package) in heads.iter().zip(&packages) {
        parts.push(head);
        parts.push(package);
    }
    write_checked(root, FILE, MAGIC, FORMAT, &parts);
}

/// The record in the cache file `name`, if the file is there, intact (see
/// [`read_checked`]) and holds a `T`.
pub(crate) fn read_record<T: serde::de::DeserializeOwned>(
    root: &Path,
    name: &str,
    magic: &[u8; 8],
    format: u32,
) -> Option<T> {
    let (bytes, payload) = read_checked(root, name, magic, format)?;
    postcard::from_bytes(&bytes[payload..]).ok()
}

/// Writes `record` as the cache file `name` (see [`write_checked`]); best effort.
pub(crate) fn write_record<T: Serialize>(
    root: &Path,
    name: &str,
    magic: &[u8; 8],
    format: u32,
    record: &T,
) {
    if let Ok(payload) = postcard::to_stdvec(record) {
        write_checked(root, name, magic, format, &[&payload]);
    }
}

/// Reads the cache file `name`: its bytes, and where its payload starts,
/// if it has the magic bytes and format expected and its checksum holds.
pub(crate) fn read_checked(
    root: &Path,
    name: &str,
    magic: &[u8; 8],
    format: u32,
) -> Option<(Vec<u8>, usize)> {
    let bytes = read_bounded(&root.join(DIR).join(name))?;
    let rest = bytes.strip_prefix(magic)?;
    let (found, rest) = rest.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*found) != format {
        return None;
    }
    let (checksum, payload) = rest.split_first_chunk::<32>()?;
    if blake3::hash(payload).as_bytes() != checksum {
        return None;
    }
    let start = bytes.len() - payload.len();
    Some((bytes, start))
}

/// The most a cache file may hold: anything larger is not one sel wrote.
const MAX_FILE: u64 = 4 << 30;

/// The bytes of a cache file, if it is a regular file (not a link, which
/// may point at `/dev/zero` or at a file elsewhere) of at most [`MAX_FILE`]
/// bytes; anything else is no cache (a miss, never an error).
fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let dir = path.parent()?;
    let plain = |p: &Path| std::fs::symlink_metadata(p).ok();
    if !plain(dir)?.is_dir() || !plain(path)?.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    // What was opened, not what the name pointed at a moment before.
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(meta.len()).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Writes the cache file `name`: magic bytes, format, the payload's checksum
/// and the payload, the concatenation of `parts`. Through a temporary file
/// and a rename, so a reader never sees half a file; best effort (a
/// read-only workspace simply has no cache).
pub(crate) fn write_checked(
    root: &Path,
    name: &str,
    magic: &[u8; 8],
    format: u32,
    parts: &[&[u8]],
) {
    let dir = root.join(DIR);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let _ = std::fs::write(
        dir.join("README"),
        "sel's cache of evaluated BUILD files, of answers and of the walk. Safe to delete; `sel --no-cache` ignores it.\n",
    );
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    let mut checksum = blake3::Hasher::new();
    for part in parts {
        checksum.update(part);
    }
    let written = std::fs::File::create(&tmp).and_then(|f| {
        let mut f = std::io::BufWriter::with_capacity(1 << 16, f);
        f.write_all(magic)?;
        f.write_all(&format.to_le_bytes())?;
        f.write_all(checksum.finalize().as_bytes())?;
        parts.iter().try_for_each(|part| f.write_all(part))?;
        f.flush()
    });
    if written.is_ok() {
        let _ = std::fs::rename(&tmp, dir.join(name));
    } else {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::Label;
    use crate::target_graph::{Attrs, Rule, Target};

    fn package(name: &str, targets: &[&str]) -> Package {
        Package {
            name: name.to_string(),
            build_file: format!("{name}/BUILD"),
            targets: targets
                .iter()
                .map(|t| {
                    let rule = Rule::Package {
                        attrs: Attrs::default(),
                    };
                    Target::new(Label::new(name, t), rule, Vec::new(), Vec::new(), None)
                })
                .collect(),
        }
    }

    /// What `write` writes, `read` reads back: packages newly encoded and
    /// packages copied as the old file held them, with their files' states.
    #[test]
    fn written_entries_are_read_back() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let build = |dir: &str, text: &str| {
            let path = root.join(dir).join("BUILD");
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            let state = FileState::now(&path, None).unwrap();
            (path, state)
        };
        let (a_path, a_state) = build("a", "a");
        let (b_path, b_state) = build("b", "b");
        let (a, b) = (package("a", &["x", "y"]), package("b", &["z"]));
        let (defs, defs_state) = build("defs", "def f(): pass");
        let loads = vec![(defs.clone(), defs_state)];
        let (a_print, b_print) = ([1; 32], [2; 32]);
        let record = |name, build, fingerprint, loads, package| Record {
            name,
            path: if name == "a" { &a_path } else { &b_path },
            build,
            fingerprint,
            loads,
            package,
        };
        write(
            root,
            &[
                record("a", &a_state, &a_print, &loads, Stored::Decoded(&a)),
                record("b", &b_state, &b_print, &[], Stored::Decoded(&b)),
            ],
            0,
        );
        // Rewritten with `a` copied as it was encoded.
        let cache = Cache::read(root);
        let encoded = cache.entries.lock().unwrap()["a"].package.clone();
        let kept = cache.encoded(&encoded).to_vec();
        write(
            root,
            &[
                record("a", &a_state, &a_print, &loads, Stored::Encoded(&kept)),
                record("b", &b_state, &b_print, &[], Stored::Decoded(&b)),
            ],
            0,
        );
        let cache = Cache::read(root);
        let hashes = Hashes::default();
        let entry = cache.entries.lock().unwrap()["a"].loads.clone();
        assert_eq!(entry, loads);
        let taken = cache.take("b", &b_path, &hashes).expect("b is fresh");
        assert_eq!(taken.package, b);
        assert_eq!(taken.build, b_state);
        assert_eq!(taken.fingerprint, b_print);
        let taken = cache.take("a", &a_path, &hashes).expect("a is fresh");
        assert_eq!(taken.package, a);
        assert_eq!(taken.loads, loads);
        assert_eq!(taken.fingerprint, a_print);
        assert!(!cache.has_leftovers());
        // Another BUILD file of the package, even with the same text, is not the entry's.
        let cache = Cache::read(root);
        let sel = root.join("b/BUILD.sel");
        std::fs::write(&sel, "b").unwrap();
        assert!(cache.take("b", &sel, &Hashes::default()).is_none());
        assert!(cache.has_leftovers());
        // Once a file it loaded is gone, an entry is stale, and put back.
        std::fs::remove_file(&defs).unwrap();
        let cache = Cache::read(root);
        assert!(cache.take("a", &a_path, &Hashes::default()).is_none());
        assert!(cache.has_leftovers());
    }
}
