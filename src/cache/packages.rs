//! The cache of evaluated packages, `.sel-cache/packages.v1`, and loading
//! through it.
//!
//! An entry holds a package's targets and the BLAKE3 hash of every file its
//! evaluation read: the BUILD file and, transitively, each .bzl it loads
//! (with the stamps of [`crate::store`], so an unchanged file is not read
//! again). An entry is used only when all those files still hash the same,
//! so an edit, a rename or a deleted .bzl always re-evaluates. The file
//! carries a format version, sel's version, the workspace root and a hash
//! of its own payload: anything unexpected (corruption, another version, a
//! moved workspace) and the cache is ignored and rebuilt. It never changes
//! an answer; deleting the directory is always safe. sel never searches
//! dot-directories for packages, so the cache is not mistaken for part of
//! the workspace.
//!
//! [`load_workspace`], [`load_packages`] and [`load_closure`] load packages
//! as the loader ([`crate::build_file`]) reads them, taking the fresh ones
//! from here, and check the graph they make.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use rayon::prelude::*;

use crate::build_file::{mentioned_packages, platforms};
use crate::error::Result;
use crate::store::{nanos_since_epoch, read_checked, write_checked, FileState, Hash, Stamp};
use crate::target_graph::{Package, TargetGraph};
use crate::workspace::{PackageDir, Workspace};

const FILE: &str = "packages.v1";
const MAGIC: &[u8; 8] = b"selcache";
/// Bumped whenever the layout of `Package` changes, so an older cache is rebuilt.
const FORMAT: u32 = 8;

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

/// Loads every package of the workspace, in parallel, and checks the result.
/// With `use_cache`, packages whose files are unchanged come from `.sel-cache/`
/// and the cache is brought up to date.
pub fn load_workspace(ws: &Workspace, use_cache: bool) -> Result<TargetGraph> {
    let dirs = if use_cache {
        ws.packages_cached()?
    } else {
        let dirs = ws.packages()?;
        crate::timing::phase("walk");
        dirs
    };
    let run = Run::new(ws, use_cache);
    let loaded = run.load_all(&dirs)?;
    run.finish(loaded, true)
}

/// Loads the packages `dirs`, all those of the workspace (as
/// [`Workspace::packages`] found them), using and refreshing the cache like
/// [`load_workspace`]. Also gives the files the loading read, with their
/// states, for the answer cache.
pub fn load_packages(
    ws: &Workspace,
    dirs: &[PackageDir],
    known: &crate::build_file::inputs::Fingerprints,
) -> Result<(TargetGraph, crate::build_file::inputs::Inputs)> {
    let mut run = Run::new(ws, true);
    run.loader.known = Some(known);
    let loaded = run.load_all(dirs)?;
    let inputs = run.inputs(&loaded);
    Ok((run.finish(loaded, true)?, inputs))
}

/// Loads the packages `roots` and every package their targets mention (as a
/// dependency, select key, condition, selector or visibility), transitively:
/// all a query whose patterns name only those packages can reach. Packages
/// are loaded in parallel as they are discovered; nothing else is read.
/// Also gives the files they were loaded from, with their states (none
/// without a cache), for the answer cache.
///
/// `Ok(None)` when this does not go smoothly (a package that does not exist,
/// a BUILD file or a check that fails): the caller then loads the whole
/// workspace, which reports such errors as it always does, so loading less
/// never changes an error either.
pub fn load_closure(
    ws: &Workspace,
    use_cache: bool,
    roots: &[String],
) -> Result<Option<(TargetGraph, crate::build_file::inputs::Inputs)>> {
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Visit<'a, 'w> {
        ws: &'w Workspace,
        run: &'a Run<'w>,
        seen: Mutex<rustc_hash::FxHashSet<String>>,
        loaded: Mutex<Vec<Loaded>>,
        failed: AtomicBool,
    }

    impl Visit<'_, '_> {
        /// Schedules package `name` unless it was already seen.
        fn reach<'s>(&'s self, scope: &rayon::Scope<'s>, name: &str) {
            if !self
                .seen
                .lock()
                .expect("no panics while locked")
                .insert(name.to_string())
            {
                return;
            }
            // The built-in repository's packages are not read from disk:
            // `finish` adds them when the closure names them.
            if crate::label::is_external(name) {
                return;
            }
            let Some(dir) = self.ws.package_dir(name) else {
                self.failed.store(true, Ordering::Relaxed);
                return;
            };
            scope.spawn(move |scope| {
                if self.failed.load(Ordering::Relaxed) {
                    return;
                }
                match self.run.load(&dir) {
                    Ok(l) => {
                        for package in mentioned_packages(&l.package) {
                            self.reach(scope, &package);
                        }
                        self.loaded.lock().expect("no panics while locked").push(l);
                    }
                    Err(_) => self.failed.store(true, Ordering::Relaxed),
                }
            });
        }
    }

    let run = Run::new(ws, use_cache);
    let visit = Visit {
        ws,
        run: &run,
        seen: Mutex::default(),
        loaded: Mutex::default(),
        failed: AtomicBool::new(false),
    };
    crate::build_file::eval_pool().install(|| {
        rayon::scope(|scope| {
            for root in roots {
                visit.reach(scope, root);
            }
        })
    });
    crate::timing::phase("evaluate");
    if visit.failed.into_inner() {
        return Ok(None);
    }
    let mut loaded = visit.loaded.into_inner().expect("no panics while locked");
    loaded.sort_by(|a, b| a.package.name.cmp(&b.package.name));
    // What the answer cache needs to keep the answer: a closure's files.
    let inputs = if use_cache {
        run.inputs(&loaded)
    } else {
        crate::build_file::inputs::Inputs::default()
    };
    Ok(run.finish(loaded, false).ok().map(|graph| (graph, inputs)))
}

/// One loading of packages: the Starlark loader, and the cache if in use.
struct Run<'w> {
    ws: &'w Workspace,
    use_cache: bool,
    loader: crate::build_file::Loader<'w>,
    hashes: Hashes,
    cached: Cache,
}

impl<'w> Run<'w> {
    fn new(ws: &'w Workspace, use_cache: bool) -> Self {
        Run {
            ws,
            use_cache,
            loader: {
                let mut loader = crate::build_file::Loader::new(ws);
                loader.hashing = use_cache;
                loader
            },
            hashes: Hashes::default(),
            cached: if use_cache {
                Cache::read(&ws.root)
            } else {
                Cache::empty()
            },
        }
    }

    /// Every package of `dirs`, in parallel.
    fn load_all(&self, dirs: &[PackageDir]) -> Result<Vec<Loaded>> {
        let loaded: Vec<Result<Loaded>> = crate::build_file::eval_pool()
            .install(|| dirs.par_iter().map(|d| self.load(d)).collect());
        let loaded = loaded.into_iter().collect::<Result<Vec<_>>>()?;
        crate::timing::phase("evaluate");
        Ok(loaded)
    }

    /// One package: from the cache if its files are unchanged, else evaluated.
    fn load(&self, d: &PackageDir) -> Result<Loaded> {
        let hashes = &self.hashes;
        let cached = self
            .use_cache
            .then(|| self.cached.take(&d.name, &d.build_file, hashes))
            .flatten();
        if let Some(taken) = cached {
            return Ok(Loaded {
                path: d.build_file.clone(),
                build: taken.build,
                fingerprint: taken.fingerprint,
                loads: taken.loads,
                package: taken.package,
                encoded: Some(taken.encoded),
                cache: true,
            });
        }
        // The stamp is taken before the file is read: if it changes while
        // being read, the next run sees another stamp and hashes it again.
        let stamp = self.use_cache.then(|| Stamp::of(&d.build_file)).flatten();
        let evaluated = self.loader.package(d)?;
        // Only what Starlark evaluated is worth caching: `fast.rs` reads a
        // plain BUILD file about as fast as the cache could decode it.
        let Some(read) = evaluated.interpreted else {
            return Ok(Loaded {
                path: d.build_file.clone(),
                // Not cached, but its state is one of the answer cache's inputs.
                build: FileState::new(evaluated.hash, stamp),
                fingerprint: evaluated.fingerprint,
                loads: Vec::new(),
                package: evaluated.package,
                encoded: None,
                cache: false,
            });
        };
        let loads = read
            .into_iter()
            .filter_map(|p| hashes.of(&p, None).map(|h| (p, h)))
            .collect();
        Ok(Loaded {
            path: d.build_file.clone(),
            build: FileState::new(evaluated.hash, stamp),
            fingerprint: evaluated.fingerprint,
            loads,
            package: evaluated.package,
            encoded: None,
            cache: true,
        })
    }

    /// The files these packages were loaded from, with their states, for
    /// the answer cache. `loaded` is sorted by package.
    fn inputs(&self, loaded: &[Loaded]) -> crate::build_file::inputs::Inputs {
        let build_files = loaded
            .iter()
            .map(|l| crate::build_file::inputs::BuildInput {
                package: l.package.name.clone(),
                path: l.path.clone(),
                state: l.build,
                fingerprint: l.fingerprint,
            })
            .collect();
        let mut others: Vec<(PathBuf, FileState)> = loaded
            .iter()
            .flat_map(|l| l.loads.iter().cloned())
            .collect();
        others.push((
            self.ws.root.join(crate::workspace::MARKER),
            self.ws.settings_state,
        ));
        others.sort_by(|a, b| a.0.cmp(&b.0));
        others.dedup_by(|a, b| a.0 == b.0);
        crate::build_file::inputs::Inputs {
            build_files,
            others,
            started: self.hashes.started(),
        }
    }

    /// Writes the cache if it changed. `complete`: these are all the packages
    /// of the workspace, so cache entries nobody took are of deleted or
    /// changed packages; otherwise the entries of packages not loaded this
    /// time are kept for later runs.
    fn write_cache(&self, loaded: &[Loaded], complete: bool) {
        let evaluated = loaded.iter().any(|l| l.cache && l.encoded.is_none());
        let stale_entries = complete && self.cached.has_leftovers();
        if !(evaluated || stale_entries) {
            return;
        }
        let cached = &self.cached;
        let mut records: Vec<Record> = loaded
            .iter()
            .filter(|l| l.cache)
            .map(|l| Record {
                name: &l.package.name,
                path: &l.path,
                build: &l.build,
                fingerprint: &l.fingerprint,
                loads: &l.loads,
                package: match &l.encoded {
                    Some(at) => Stored::Encoded(cached.encoded(at)),
                    None => Stored::Decoded(&l.package),
                },
            })
            .collect();
        if complete {
            write(&self.ws.root, &records, self.hashes.started());
            return;
        }
        // Leftovers of loaded packages are stale versions of them.
        let kept = cached.take_leftovers();
        let names: rustc_hash::FxHashSet<&str> =
            loaded.iter().map(|l| l.package.name.as_str()).collect();
        records.extend(
            kept.iter()
                .filter(|(name, _)| !names.contains(name.as_str()))
                .map(|(name, e)| Record {
                    name,
                    path: &e.path,
                    build: &e.build,
                    fingerprint: &e.fingerprint,
                    loads: &e.loads,
                    package: Stored::Encoded(cached.encoded_entry(e)),
                }),
        );
        records.sort_by(|a, b| a.name.cmp(b.name));
        write(&self.ws.root, &records, self.hashes.started());
    }

    /// Brings the cache up to date (see [`Run::write_cache`]) and checks the graph.
    fn finish(self, loaded: Vec<Loaded>, complete: bool) -> Result<TargetGraph> {
        if self.use_cache {
            self.write_cache(&loaded, complete);
        }
        // The built-in `@platforms` repository, if the packages name it.
        let builtin = loaded.par_iter().any(|l| platforms::needed(&l.package));
        let packages = loaded.into_iter().map(|l| l.package);
        let graph = if builtin {
            TargetGraph::new(packages.chain(platforms::packages()))
        } else {
            TargetGraph::new(packages)
        };
        crate::timing::phase("index");
        crate::configuration::validate(&graph)?;
        crate::license::expression::validate(&graph)?;
        crate::timing::phase("validate");
        Ok(graph)
    }
}

/// A package as loaded, with what the cache needs to know of it.
struct Loaded {
    /// The BUILD file.
    path: PathBuf,
    build: FileState,
    /// The package's [`fingerprint`] (zero without a cache).
    fingerprint: Hash,
    loads: Vec<(PathBuf, FileState)>,
    package: Package,
    /// Where the cache file holds it encoded; `None` if it was evaluated.
    encoded: Option<std::ops::Range<usize>>,
    /// Whether it belongs in the cache (it came from there, or Starlark evaluated it).
    cache: bool,
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
