//! Files under `<root>/.sel-cache/`, for every cache of sel: each a record
//! behind magic bytes, a format version and the checksum of its payload,
//! written through a temporary file and a rename and read back only if all
//! of that holds (anything else is no cache: a miss, never an error); and
//! what the caches know of the files they were computed from, a content
//! hash with a stamp.
//!
//! Reading and hashing every file on every run would cost as much as
//! evaluating them, so each hash is kept with the file's stamp (size,
//! inode, modification and change times), as git's index does: a file whose
//! stamp is unchanged is not read again. The change time cannot be set by
//! tools that restore modification times, and a stamp is trusted only if the
//! file had last changed well before the run that recorded it, so a change
//! within the clock's granularity of that run is still seen (git's "racily
//! clean" files).
//!
//! The lowest floor: it knows no other module of sel. The package cache
//! ([`crate::cache::packages`]), the answer cache ([`crate::cache::answers`])
//! and the walk's listing ([`crate::workspace`]) are built on it.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// The cache directory, relative to the workspace root.
pub const DIR: &str = ".sel-cache";
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
pub(crate) fn nanos_since_epoch(t: SystemTime) -> i128 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// The record in the cache file `name`, if the file is there, intact (see
/// [`read_checked`]) and holds a `T`.
pub fn read_record<T: serde::de::DeserializeOwned>(
    root: &Path,
    name: &str,
    magic: &[u8; 8],
    format: u32,
) -> Option<T> {
    let (bytes, payload) = read_checked(root, name, magic, format)?;
    postcard::from_bytes(&bytes[payload..]).ok()
}

/// Writes `record` as the cache file `name` (see [`write_checked`]); best effort.
pub fn write_record<T: Serialize>(
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
pub fn read_checked(
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
pub fn write_checked(root: &Path, name: &str, magic: &[u8; 8], format: u32, parts: &[&[u8]]) {
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
