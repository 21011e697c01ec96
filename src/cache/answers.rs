//! The cache of answers, `.sel-cache/answers.v1`: the text a `query` or
//! `cquery` printed, kept with everything that text was computed from, so
//! that the same command on an unchanged workspace prints it again without
//! loading the workspace.
//!
//! An answer is keyed by the whole command line, the working directory and
//! sel's version. It is valid while the workspace has exactly the packages it
//! had (the same BUILD files, found by the same walk), every .bzl file the
//! loading read and `sel.toml` are unchanged, and every package is what it
//! was. A package whose BUILD file is unchanged is what it was; one whose
//! BUILD file changed is read again, and is what it was if its fingerprint
//! ([`crate::build_file`]: its targets and their attributes, at the same
//! lines and columns) is the same: an edited comment keeps the answers
//! (early cutoff, as build systems call it). Files are compared as in the package cache
//! ([`crate::store`]): by content hash, with a stamp (size,
//! inode, times) that spares reading a file that has not changed since it
//! had settled. A check that fails, a file that cannot be read, a corrupt or
//! foreign cache file: the command runs as if there were no cache, and its
//! answer replaces the stale ones. Only answers of successful runs that
//! loaded the whole workspace are kept (a `query` that loads only the
//! packages it reaches is fast already, and is never looked up: a lookup
//! walks the whole workspace).
//!
//! All answers in the file share one record of the workspace's files: an
//! answer computed from other files replaces them all.
//!
//! The answer of a closure query also keeps the graph it printed, in a
//! file of its own (`graph-KEY.v1`, with where each target's item is in
//! the answer's text and the hash of that text),
//! read only when the answer is stale: [`crate::cache::recompute`] recomputes
//! the answer from it.
//!
//! A `query` that loads only the packages its patterns name and those they
//! mention (see [`crate::Session::load_and_query`]) depends on nothing else:
//! its answer is kept in a file of its own (`answer-KEY.v1`), with the
//! files of those packages, and is valid while they are what they were
//! (checked as above) and each package still has that BUILD file (no
//! `BUILD.sel` appeared beside a `BUILD`). No walk is needed to look it up.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::build_file::inputs::{BuildInput, Fingerprints, Inputs};
use crate::cache::recompute::{KeptGraph, Printed};
use crate::error::Result;
use crate::output::Itemized;
use crate::store::{read_record, write_record, FileState, Hash};
use crate::target_graph::Package;
use crate::workspace::{PackageDir, Workspace};

const FILE: &str = "answers.v1";
const MAGIC: &[u8; 8] = b"selanswr";
/// Bumped whenever the file's layout changes.
const FORMAT: u32 = 8;
/// The most changed BUILD files read again to see whether their packages
/// changed; with more (a branch switched, say), the workspace is loaded.
const MAX_REREAD: usize = 64;
/// The most answers kept; the oldest goes first.
const MAX_ANSWERS: usize = 8;
/// Larger answers are not kept: writing them would cost a cold run more than
/// a warm one saves.
const MAX_ANSWER_BYTES: usize = 16 << 20;
/// The most bytes of answers kept in all: every lookup reads the whole file.
const MAX_TOTAL_BYTES: usize = 32 << 20;

/// What identifies a command: its arguments, where it ran, and sel's version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key(Hash);

impl Key {
    /// The key of this process's command line, run from its current directory.
    pub fn of_this_process() -> Key {
        let cwd = std::env::current_dir().unwrap_or_default();
        Key::new(&cwd, std::env::args_os().skip(1))
    }

    /// The key of the arguments `args` run from `cwd`.
    pub fn new(cwd: &Path, args: impl IntoIterator<Item = std::ffi::OsString>) -> Key {
        let mut h = blake3::Hasher::new();
        // Each part with its length, so that no two command lines run together
        // into the same bytes.
        let mut part = |bytes: &[u8]| {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        part(env!("CARGO_PKG_VERSION").as_bytes());
        part(cwd.as_os_str().as_encoded_bytes());
        for a in args {
            part(a.as_encoded_bytes());
        }
        Key(*h.finalize().as_bytes())
    }
}

impl Inputs {
    /// Whether answers computed from either record hold for the other: the
    /// same packages, with the same fingerprints, from the same other files.
    fn same_answers(&self, other: &Inputs) -> bool {
        self.build_files.len() == other.build_files.len()
            && self
                .build_files
                .iter()
                .zip(&other.build_files)
                .all(|(a, b)| a.path == b.path && a.fingerprint == b.fingerprint)
            && self.others.len() == other.others.len()
            && self
                .others
                .iter()
                .zip(&other.others)
                .all(|((p, s), (q, t))| p == q && s.hash == t.hash)
    }

    /// Whether the files other than BUILD files (.bzl files, `sel.toml`) are unchanged.
    fn others_hold(&self) -> bool {
        use rayon::prelude::*;
        self.others.par_iter().all(|(path, was)| {
            FileState::now(path, Some((was, self.started))).is_some_and(|now| now.hash == was.hash)
        })
    }

    /// The packages' fingerprints, to be reused for BUILD files that hash
    /// the same, while the other files are unchanged.
    fn fingerprints(&self) -> Fingerprints {
        self.build_files
            .iter()
            .map(|b| (b.path.clone(), (b.state.hash, b.fingerprint)))
            .collect()
    }

    /// The packages whose BUILD files these are.
    fn package_dirs(&self) -> Vec<PackageDir> {
        self.build_files
            .iter()
            .map(|b| PackageDir {
                name: b.package.clone(),
                build_file: b.path.clone(),
            })
            .collect()
    }

    /// Which BUILD files changed (by index), if the workspace still has the
    /// same packages; `None` otherwise, or if a file cannot be read. `dirs`:
    /// the packages a walk found now. The other files are checked already.
    fn changed_build_files(&self, dirs: &[PackageDir]) -> Option<Vec<usize>> {
        use rayon::prelude::*;
        if dirs.len() != self.build_files.len()
            || dirs
                .iter()
                .zip(&self.build_files)
                .any(|(d, b)| d.build_file != b.path)
        {
            return None;
        }
        let unchanged = |path: &Path, was: &FileState| {
            FileState::now(path, Some((was, self.started))).map(|now| now.hash == was.hash)
        };
        let states: Option<Vec<bool>> = self
            .build_files
            .par_iter()
            .map(|b| unchanged(&b.path, &b.state))
            .collect();
        let changed = states?
            .into_iter()
            .enumerate()
            .filter_map(|(i, unchanged)| (!unchanged).then_some(i))
            .collect();
        Some(changed)
    }

    /// Whether the packages `dirs` (as a walk found them now) are the ones
    /// recorded, each what it was: its BUILD file unchanged, or read again
    /// (up to [`MAX_REREAD`] of them) with the same fingerprint. The other
    /// files are checked already.
    fn packages_hold(&self, ws: &Workspace, dirs: &[PackageDir]) -> Held {
        let Some(changed) = self.changed_build_files(dirs) else {
            return Held::No;
        };
        if changed.is_empty() {
            crate::timing::phase("check answer");
            return Held::Same;
        }
        let held = if changed.len() <= MAX_REREAD {
            self.reread(ws, dirs, &changed)
        } else {
            Held::No
        };
        crate::timing::phase(match held {
            Held::Same => "check answer, reread",
            _ => "stale answer, reread",
        });
        held
    }

    /// Reads the packages of the changed BUILD files `changed` again: each
    /// is what it was if it has the same fingerprint, evaluated from .bzl
    /// files among those checked unchanged.
    fn reread(&self, ws: &Workspace, dirs: &[PackageDir], changed: &[usize]) -> Held {
        let reread: Vec<&PackageDir> = changed.iter().map(|&i| &dirs[i]).collect();
        let Some(fresh) = crate::build_file::reread(ws, &reread) else {
            return Held::No;
        };
        let checked = |p: &PathBuf| self.others.binary_search_by(|(q, _)| q.cmp(p)).is_ok();
        if !fresh.iter().all(|r| r.loads.iter().all(checked)) {
            return Held::No;
        }
        let differ: Vec<Package> = changed
            .iter()
            .zip(fresh)
            .filter(|(&i, r)| r.fingerprint != self.build_files[i].fingerprint)
            .map(|(_, r)| r.package)
            .collect();
        if differ.is_empty() {
            Held::Same
        } else {
            Held::Changed(differ)
        }
    }
}

/// What became of the packages an answer was computed from.
enum Held {
    /// Each is what it was.
    Same,
    /// The same packages, from the same other files, but these (read again,
    /// as they are now) are not what they were.
    Changed(Vec<Package>),
    /// Anything else: packages added or removed, a file that cannot be read,
    /// too many changes.
    No,
}

/// The answers file's content.
#[derive(Default, Serialize, Deserialize)]
struct Stored {
    sel: String,
    root: PathBuf,
    inputs: Inputs,
    /// Oldest first.
    answers: Vec<(Key, Kept)>,
}

/// A kept answer: what the command printed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// On stdout.
    pub text: String,
    /// On stderr: the warnings of a successful command.
    pub warnings: String,
}

/// A kept answer with its graph, whose packages changed since it was
/// computed, with those packages as they are now: what
/// [`crate::cache::recompute::recompute`] needs.
pub struct Stale {
    /// The answer.
    pub text: String,
    /// The graph it printed, and where its items are.
    pub printed: Printed,
    /// The changed packages, read again.
    pub changed: Vec<Package>,
    /// The packages the answer's record has, sorted, if not the whole
    /// workspace: the answer cannot be recomputed to depend on others.
    pub covered: Option<Vec<String>>,
}

/// What a lookup found.
pub enum Lookup {
    /// The answer, still valid.
    Hit(Kept),
    /// No valid answer: the packages the walk found, to load them, and
    /// the fingerprints of those the cache knows; and the kept answer, if
    /// it may be recomputed rather than computed again.
    Miss {
        dirs: Vec<PackageDir>,
        known: Fingerprints,
        stale: Option<Box<Stale>>,
    },
}

/// The answer to the command `key` in `ws`, if one is kept and still valid.
/// Finds the workspace's packages either way ([`Workspace::packages_cached`]);
/// a walk error is the error the command itself would report.
pub fn lookup(ws: &Workspace, key: Key) -> Result<Lookup> {
    let stored = read(&ws.root);
    let dirs = ws.packages_cached()?;
    let miss = |dirs, known| {
        crate::timing::phase("no answer");
        Ok(Lookup::Miss {
            dirs,
            known,
            stale: None,
        })
    };
    let Some(stored) = stored else {
        return miss(dirs, Fingerprints::default());
    };
    if !stored.inputs.others_hold() {
        return miss(dirs, Fingerprints::default());
    }
    // Only a miss needs them.
    let known = || stored.inputs.fingerprints();
    let Some(kept) = stored
        .answers
        .iter()
        .find_map(|(k, kept)| (*k == key).then_some(kept))
        .cloned()
    else {
        return miss(dirs, known());
    };
    // After a reread the file is not rewritten with the new states: that
    // would cost more (answers can be megabytes) than reading these
    // packages again next time. Nor after an answer is recomputed: the
    // changed packages are read again, and it is recomputed again.
    match stored.inputs.packages_hold(ws, &dirs) {
        Held::Same => Ok(Lookup::Hit(kept)),
        Held::Changed(changed) => {
            let known = known();
            let stale = read_graph(&ws.root, key, &kept.text).map(|printed| {
                Box::new(Stale {
                    text: kept.text,
                    printed,
                    changed,
                    covered: None,
                })
            });
            Ok(Lookup::Miss { dirs, known, stale })
        }
        Held::No => miss(dirs, known()),
    }
}

/// An answer to keep once it is written: where, under which key, and what it
/// was computed from.
pub struct Pending {
    pub root: PathBuf,
    pub key: Key,
    pub inputs: Inputs,
    /// Whether it was computed from a closure of packages, not the workspace.
    pub closure: bool,
    /// The configured graph it printed, if it may be recomputed from it.
    pub graph: Option<KeptGraph>,
}

impl Pending {
    /// Keeps `text` and `warnings` as the answer (see [`store`] and
    /// [`store_closure`]).
    /// `items` says where the answer's targets are in `text`, if it is
    /// itemized ([`crate::output::Itemized`]).
    pub fn keep(self, text: String, items: Option<Itemized>, warnings: String) {
        // A recomputed answer has no warnings: with some, it is not kept
        // for that.
        let graph = self
            .graph
            .zip(items)
            .filter(|_| warnings.is_empty())
            .map(|(graph, items)| Printed { graph, items });
        store_graph(&self.root, self.key, &text, graph);
        let kept = Kept { text, warnings };
        if self.closure {
            store_closure(&self.root, self.key, kept, self.inputs);
        } else {
            store(&self.root, self.key, kept, self.inputs);
        }
    }
}

/// The most answers of closures kept, each in its own file; the least
/// recently written go first.
const MAX_CLOSURE_ANSWERS: usize = 16;

/// An answer computed from a closure of packages, as its file holds it.
#[derive(Serialize, Deserialize)]
struct ClosureAnswer {
    sel: String,
    root: PathBuf,
    key: Key,
    inputs: Inputs,
    kept: Kept,
}

/// The name of the file of the closure answer to `key`.
fn closure_file(key: Key) -> String {
    let hex: String = key.0[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("answer-{hex}.v1")
}

/// What a lookup of a closure's answer found.
pub enum ClosureLookup {
    /// The answer, still valid.
    Hit(Kept),
    /// The answer, its packages still those of its record, but some changed
    /// (see [`Stale`]); `Stale::covered` holds the packages the record has.
    Stale(Box<Stale>),
    /// Nothing usable.
    Miss,
}

/// The answer to the command `key` in `ws` if it was computed from a
/// closure of packages (see the module's documentation) that is still what
/// it was. Reads no directory.
pub fn lookup_closure(ws: &Workspace, key: Key) -> ClosureLookup {
    let Some(answer) = read_record::<ClosureAnswer>(&ws.root, &closure_file(key), MAGIC, FORMAT)
    else {
        return ClosureLookup::Miss;
    };
    if answer.sel != env!("CARGO_PKG_VERSION") || answer.root != ws.root || answer.key != key {
        return ClosureLookup::Miss;
    }
    let inputs = &answer.inputs;
    let dirs = inputs.package_dirs();
    // That each is still a file, `changed_build_files` sees.
    let same_build_files = {
        use rayon::prelude::*;
        dirs.par_iter()
            .all(|d| crate::workspace::is_preferred_build_file(&d.build_file))
    };
    if !inputs.others_hold() || !same_build_files {
        return ClosureLookup::Miss;
    }
    match inputs.packages_hold(ws, &dirs) {
        Held::Same => ClosureLookup::Hit(answer.kept),
        Held::Changed(changed) => match read_graph(&ws.root, key, &answer.kept.text) {
            Some(printed) => ClosureLookup::Stale(Box::new(Stale {
                text: answer.kept.text,
                printed,
                changed,
                covered: Some({
                    let mut names: Vec<String> = dirs.into_iter().map(|d| d.name).collect();
                    names.sort();
                    names
                }),
            })),
            None => ClosureLookup::Miss,
        },
        Held::No => ClosureLookup::Miss,
    }
}

/// Keeps `kept` as the answer to `key`, computed from the closure of
/// packages whose files are `inputs`, in a file of its own; the oldest such
/// files beyond `MAX_CLOSURE_ANSWERS` are removed. Best effort.
pub fn store_closure(root: &Path, key: Key, kept: Kept, inputs: Inputs) {
    if kept.text.len() + kept.warnings.len() > MAX_ANSWER_BYTES {
        return;
    }
    let answer = ClosureAnswer {
        sel: env!("CARGO_PKG_VERSION").to_string(),
        root: root.to_path_buf(),
        key,
        inputs,
        kept,
    };
    write_record(root, &closure_file(key), MAGIC, FORMAT, &answer);
    remove_oldest(root, "answer-", MAX_CLOSURE_ANSWERS);
}

/// The graph a kept answer printed, in a file of its own: only a lookup
/// that finds the answer stale reads it.
#[derive(Serialize, Deserialize)]
struct GraphFile {
    sel: String,
    root: PathBuf,
    key: Key,
    /// The hash of the answer's text: a graph is used only with the answer
    /// it was kept with.
    text: Hash,
    printed: Printed,
}

/// The most graph files kept; the least recently written go first.
const MAX_GRAPHS: usize = MAX_ANSWERS + MAX_CLOSURE_ANSWERS;

/// The name of the file of the graph of the answer to `key`.
fn graph_file(key: Key) -> String {
    let hex: String = key.0[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("graph-{hex}.v1")
}

/// Keeps `graph` as the graph of the answer `text` to `key` (or, with none,
/// removes the one kept before); the oldest files beyond [`MAX_GRAPHS`]
/// are removed. Best effort.
fn store_graph(root: &Path, key: Key, text: &str, printed: Option<Printed>) {
    let name = graph_file(key);
    let Some(printed) = printed else {
        let _ = std::fs::remove_file(root.join(crate::store::DIR).join(name));
        return;
    };
    let file = GraphFile {
        sel: env!("CARGO_PKG_VERSION").to_string(),
        root: root.to_path_buf(),
        key,
        text: *blake3::hash(text.as_bytes()).as_bytes(),
        printed,
    };
    write_record(root, &name, MAGIC, FORMAT, &file);
    remove_oldest(root, "graph-", MAX_GRAPHS);
}

/// The graph kept with the answer `text` to `key`, if there is one.
fn read_graph(root: &Path, key: Key, text: &str) -> Option<Printed> {
    let file: GraphFile = read_record(root, &graph_file(key), MAGIC, FORMAT)?;
    let same = file.sel == env!("CARGO_PKG_VERSION")
        && file.root == root
        && file.key == key
        && file.text == *blake3::hash(text.as_bytes()).as_bytes();
    same.then_some(file.printed)
}

/// Removes the oldest cache files whose names start with `prefix`, beyond
/// the `keep` most recently written.
fn remove_oldest(root: &Path, prefix: &str, keep: usize) {
    let Ok(entries) = std::fs::read_dir(root.join(crate::store::DIR)) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".v1")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(keep);
    for (_, path) in &files[..excess] {
        let _ = std::fs::remove_file(path);
    }
}

/// A writer that passes everything on and keeps a copy, as long as the copy
/// stays small enough to be kept as an answer.
pub struct Recording<W> {
    out: W,
    copy: Option<Vec<u8>>,
}

impl<W: Write> Recording<W> {
    /// Writes to `out`; with `record`, keeps a copy.
    pub fn new(out: W, record: bool) -> Self {
        Recording {
            out,
            copy: record.then(Vec::new),
        }
    }

    /// The text written, if it was recorded whole and is small enough to keep.
    pub fn into_copy(self) -> Option<String> {
        self.copy.and_then(|c| String::from_utf8(c).ok())
    }
}

impl<W: Write> Write for Recording<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        if let Some(copy) = &mut self.copy {
            if copy.len() + n > MAX_ANSWER_BYTES {
                self.copy = None;
            } else {
                copy.extend_from_slice(&buf[..n]);
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Keeps `kept` as the answer to `key` in the workspace at `root`, computed
/// from `inputs`. Best effort: a read-only workspace simply has no cache.
pub fn store(root: &Path, key: Key, kept: Kept, inputs: Inputs) {
    if kept.text.len() + kept.warnings.len() > MAX_ANSWER_BYTES {
        return;
    }
    let mut stored = match read(root) {
        Some(s) if s.inputs.same_answers(&inputs) => s,
        _ => Stored {
            sel: env!("CARGO_PKG_VERSION").to_string(),
            root: root.to_path_buf(),
            ..Stored::default()
        },
    };
    // The newest record of the files: its stamps are the most recent.
    stored.inputs = inputs;
    stored.answers.retain(|(k, _)| *k != key);
    stored.answers.push((key, kept));
    let size = |k: &Kept| k.text.len() + k.warnings.len();
    let mut total: usize = stored.answers.iter().map(|(_, k)| size(k)).sum();
    while stored.answers.len() > MAX_ANSWERS || total > MAX_TOTAL_BYTES {
        total -= size(&stored.answers.remove(0).1);
    }
    write_record(root, FILE, MAGIC, FORMAT, &stored);
}

/// The answers file of the workspace at `root`, `None` if absent, corrupt,
/// or written by another sel or for another root.
fn read(root: &Path) -> Option<Stored> {
    let stored: Stored = read_record(root, FILE, MAGIC, FORMAT)?;
    (stored.sel == env!("CARGO_PKG_VERSION") && stored.root == root).then_some(stored)
}
