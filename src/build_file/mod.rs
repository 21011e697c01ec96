//! Evaluating BUILD and .bzl files with Starlark: the only module that touches
//! the `starlark` crate.
//!
//! Packages are evaluated in parallel (rayon), each in its own Starlark heap.
//! A .bzl file is evaluated once, frozen, and shared between the packages that
//! load it; its `load()`s are followed depth-first with the chain of files in
//! hand, so a load cycle is reported with the whole cycle. Evaluation is
//! bounded by a step budget, so a runaway loop stops with an error naming its
//! file. What leaves this module is plain data: [`Package`]s of [`Target`](crate::target_graph::Target)s.

mod builtins;
pub mod cache;
mod fast;
pub mod inputs;
pub mod memory;
mod nesting;
#[cfg(test)]
mod tests;
mod value;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;
use starlark::environment::{FrozenModule, Globals, GlobalsBuilder, Module};
use starlark::eval::{Evaluator, ReturnFileLoader};
use starlark::syntax::{AstModule, Dialect, DialectTypes};

use crate::error::{did_you_mean, Error, ErrorKind, Location, Result};
use crate::label::Label;
use crate::target_graph::{Attr, Package, Rule, SelectKey, TargetGraph};
use crate::workspace::{PackageDir, Workspace};

use builtins::{location_of, BuildContext};

/// The most Starlark steps (function calls and loop iterations) one file may take.
pub const MAX_STEPS: u64 = 50_000_000;
/// The most memory one file's evaluation may allocate.
pub const MAX_HEAP_BYTES: usize = 1 << 30;

/// The stack of the threads that read and evaluate BUILD and .bzl files.
/// The starlark crate recurses on the nesting of expressions; with
/// [`nesting::MAX_NESTING`] bounding that nesting, this holds it many times
/// over (a level takes a few KiB). Only the pages used are ever committed.
const EVAL_STACK_BYTES: usize = 256 << 20;

/// The threads that read and evaluate BUILD and .bzl files (as many as
/// rayon's global pool has), with [`EVAL_STACK_BYTES`] of stack each.
fn eval_pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(EVAL_STACK_BYTES)
            .thread_name(|i| format!("sel-eval-{i}"))
            .build()
            .expect("a thread pool can be started")
    })
}

/// An error if `text` (the file `shown`, at `path`) nests an expression
/// deeper than [`nesting::MAX_NESTING`]: the parser would overflow the stack.
fn check_nesting(text: &str, path: &Path, shown: &str) -> Result<()> {
    match nesting::too_deep(text) {
        None => Ok(()),
        Some(at) => Err(Error::new(
            ErrorKind::Syntax,
            format!(
                "`{shown}` nests an expression more than {} levels deep",
                nesting::MAX_NESTING
            ),
        )
        .at(Some(Location::new(
            crate::error::Source::file(shown, path),
            at..at + 1,
        )))
        .with_help_opt(Some(
            "brackets, and operators chained within them, count a level each; flatten the expression".into(),
        ))),
    }
}

fn globals() -> &'static Globals {
    static GLOBALS: OnceLock<Globals> = OnceLock::new();
    GLOBALS.get_or_init(|| {
        let mut b = GlobalsBuilder::standard();
        builtins::build_globals(&mut b);
        b.namespace("selects", builtins::selects_namespace);
        b.build()
    })
}

/// The files of `@bazel_skylib` that sel knows, with the built-ins each
/// gives: `load("@bazel_skylib//lib:selects.bzl", "selects")` and the build
/// settings of `//rules:common_settings.bzl` bind sel's own, so a BUILD file
/// written for Bazel with skylib reads the same here.
const SKYLIB: &[(&str, &[&str])] = &[
    ("@bazel_skylib//lib:selects.bzl", &["selects"]),
    (
        "@bazel_skylib//rules:common_settings.bzl",
        &["bool_flag", "int_flag", "string_flag", "string_list_flag"],
    ),
];

/// The module `load()` finds for a label of `@bazel_skylib`: one of
/// [`SKYLIB`], or an error.
fn skylib_module(label: &str) -> std::result::Result<FrozenModule, String> {
    static MODULES: OnceLock<Vec<FrozenModule>> = OnceLock::new();
    let modules = MODULES.get_or_init(|| {
        SKYLIB
            .iter()
            .map(|(_, names)| {
                Module::with_temp_heap(|module| {
                    module.frozen_heap().add_reference(globals().heap());
                    for (name, value) in globals().iter() {
                        if names.contains(&name) {
                            module.set(name, value.to_value());
                        }
                    }
                    module.freeze().expect("built-ins freeze")
                })
            })
            .collect()
    });
    match SKYLIB.iter().position(|(id, _)| *id == label) {
        Some(i) => Ok(modules[i].clone()),
        None => Err(format!(
            "sel knows only these files of @bazel_skylib: {}",
            SKYLIB
                .iter()
                .map(|(id, _)| *id)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn dialect(allow_def: bool) -> Dialect {
    Dialect {
        enable_def: allow_def,
        enable_lambda: true,
        enable_load: true,
        enable_keyword_only_arguments: true,
        enable_types: DialectTypes::Disable,
        enable_load_reexport: true,
        enable_top_level_stmt: true,
        enable_f_strings: false,
        ..Dialect::Standard
    }
}

thread_local! {
    static EVALUATING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is evaluating a BUILD file: a panic there is turned
/// into an error, so a panic hook may stay quiet about it.
pub fn is_evaluating() -> bool {
    EVALUATING.with(|e| e.get())
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
    known: &inputs::Fingerprints,
) -> Result<(TargetGraph, inputs::Inputs)> {
    let mut run = Run::new(ws, true);
    run.loader.known = Some(known);
    let loaded = run.load_all(dirs)?;
    let inputs = run.inputs(&loaded);
    Ok((run.finish(loaded, true)?, inputs))
}

/// A package read again by [`reread`].
pub struct Reread {
    /// The package.
    pub package: Package,
    /// Its fingerprint (`fingerprint`).
    pub fingerprint: cache::Hash,
    /// The .bzl files its evaluation loaded, transitively.
    pub loads: Vec<PathBuf>,
}

/// Reads the packages `dirs` again, in parallel, to tell whether they
/// changed (the answer cache's); `None` if one fails to load, so that
/// the caller loads the workspace and reports the error as it always does.
pub fn reread(ws: &Workspace, dirs: &[&PackageDir]) -> Option<Vec<Reread>> {
    let loader = Loader::new(ws);
    eval_pool().install(|| {
        dirs.par_iter()
            .map(|d| {
                let evaluated = loader.package(d).ok()?;
                Some(Reread {
                    package: evaluated.package,
                    fingerprint: evaluated.fingerprint,
                    loads: evaluated.interpreted.unwrap_or_default(),
                })
            })
            .collect()
    })
}

/// The packages `names`, loaded in parallel from their BUILD files, with
/// neither cache nor checks: what recomputing an answer around a few
/// changed packages reads ([`crate::incremental`]). `None` if one is not a
/// package or fails to load; the caller then loads the whole workspace,
/// which reports that as it always does.
pub fn load_named(ws: &Workspace, names: &[String]) -> Option<Vec<Package>> {
    let loader = Loader {
        hashing: false,
        ..Loader::new(ws)
    };
    eval_pool().install(|| {
        names
            .par_iter()
            .map(|name| Some(loader.package(&ws.package_dir(name)?).ok()?.package))
            .collect()
    })
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
) -> Result<Option<(TargetGraph, inputs::Inputs)>> {
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
    eval_pool().install(|| {
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
        inputs::Inputs::default()
    };
    Ok(run.finish(loaded, false).ok().map(|graph| (graph, inputs)))
}

/// Every package a package's targets mention by label, each once.
pub(crate) fn mentioned_packages(package: &Package) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |l: &Label| {
        let p = l.package();
        // `//visibility:public` and `:private` name no package, nor does
        // `//conditions:default` (a member of an always-true group).
        if p != "visibility"
            && !l.is_conditions_default()
            && p != package.name
            && !out.iter().any(|o| o == p)
        {
            out.push(p.to_string());
        }
    };
    for t in &package.targets {
        t.visibility().iter().for_each(&mut add);
        match &t.rule {
            Rule::Package { attrs } => attrs.iter().for_each(|(_, a)| attr_labels(a, &mut add)),
            Rule::Alias { actual } => attr_labels(actual, &mut add),
            Rule::ConfigSetting { flag_values } | Rule::Platform { flag_values } => {
                flag_values.iter().for_each(|f| add(&f.selector))
            }
            Rule::ConfigSettingGroup { conditions, .. } => conditions.iter().for_each(&mut add),
            Rule::Selector { .. } => {}
        }
    }
    out
}

/// The labels of an attribute's values and select keys.
fn attr_labels(attr: &Attr, add: &mut impl FnMut(&Label)) {
    use crate::configuration::each_label;
    match attr {
        Attr::Plain(v) => each_label(v, add),
        Attr::Select(s) => {
            for (key, v) in &s.branches {
                if let SelectKey::Condition(l) = key {
                    add(l);
                }
                each_label(v, add);
            }
        }
        Attr::Concat(parts) => parts.iter().for_each(|p| attr_labels(p, add)),
    }
}

/// One loading of packages: the Starlark loader, and the cache if in use.
struct Run<'w> {
    ws: &'w Workspace,
    use_cache: bool,
    loader: Loader<'w>,
    hashes: cache::Hashes,
    cached: cache::Cache,
}

impl<'w> Run<'w> {
    fn new(ws: &'w Workspace, use_cache: bool) -> Self {
        Run {
            ws,
            use_cache,
            loader: Loader {
                hashing: use_cache,
                ..Loader::new(ws)
            },
            hashes: cache::Hashes::default(),
            cached: if use_cache {
                cache::Cache::read(&ws.root)
            } else {
                cache::Cache::empty()
            },
        }
    }

    /// Every package of `dirs`, in parallel.
    fn load_all(&self, dirs: &[PackageDir]) -> Result<Vec<Loaded>> {
        let loaded: Vec<Result<Loaded>> =
            eval_pool().install(|| dirs.par_iter().map(|d| self.load(d)).collect());
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
        let stamp = self
            .use_cache
            .then(|| cache::Stamp::of(&d.build_file))
            .flatten();
        let evaluated = self.loader.package(d)?;
        // Only what Starlark evaluated is worth caching: `fast.rs` reads a
        // plain BUILD file about as fast as the cache could decode it.
        let Some(read) = evaluated.interpreted else {
            return Ok(Loaded {
                path: d.build_file.clone(),
                // Not cached, but its state is one of the answer cache's inputs.
                build: cache::FileState::new(evaluated.hash, stamp),
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
            build: cache::FileState::new(evaluated.hash, stamp),
            fingerprint: evaluated.fingerprint,
            loads,
            package: evaluated.package,
            encoded: None,
            cache: true,
        })
    }

    /// The files these packages were loaded from, with their states, for
    /// the answer cache. `loaded` is sorted by package.
    fn inputs(&self, loaded: &[Loaded]) -> inputs::Inputs {
        let build_files = loaded
            .iter()
            .map(|l| inputs::BuildInput {
                package: l.package.name.clone(),
                path: l.path.clone(),
                state: l.build,
                fingerprint: l.fingerprint,
            })
            .collect();
        let mut others: Vec<(PathBuf, cache::FileState)> = loaded
            .iter()
            .flat_map(|l| l.loads.iter().cloned())
            .collect();
        others.push((
            self.ws.root.join(crate::workspace::MARKER),
            self.ws.settings_state,
        ));
        others.sort_by(|a, b| a.0.cmp(&b.0));
        others.dedup_by(|a, b| a.0 == b.0);
        inputs::Inputs {
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
        let mut records: Vec<cache::Record> = loaded
            .iter()
            .filter(|l| l.cache)
            .map(|l| cache::Record {
                name: &l.package.name,
                path: &l.path,
                build: &l.build,
                fingerprint: &l.fingerprint,
                loads: &l.loads,
                package: match &l.encoded {
                    Some(at) => cache::Stored::Encoded(cached.encoded(at)),
                    None => cache::Stored::Decoded(&l.package),
                },
            })
            .collect();
        if complete {
            cache::write(&self.ws.root, &records, self.hashes.started());
            return;
        }
        // Leftovers of loaded packages are stale versions of them.
        let kept = cached.take_leftovers();
        let names: rustc_hash::FxHashSet<&str> =
            loaded.iter().map(|l| l.package.name.as_str()).collect();
        records.extend(
            kept.iter()
                .filter(|(name, _)| !names.contains(name.as_str()))
                .map(|(name, e)| cache::Record {
                    name,
                    path: &e.path,
                    build: &e.build,
                    fingerprint: &e.fingerprint,
                    loads: &e.loads,
                    package: cache::Stored::Encoded(cached.encoded_entry(e)),
                }),
        );
        records.sort_by(|a, b| a.name.cmp(b.name));
        cache::write(&self.ws.root, &records, self.hashes.started());
    }

    /// Brings the cache up to date (see [`Run::write_cache`]) and checks the graph.
    fn finish(self, loaded: Vec<Loaded>, complete: bool) -> Result<TargetGraph> {
        if self.use_cache {
            self.write_cache(&loaded, complete);
        }
        let graph = TargetGraph::new(loaded.into_iter().map(|l| l.package));
        crate::timing::phase("index");
        crate::configuration::validate(&graph)?;
        crate::license::validate(&graph)?;
        crate::timing::phase("validate");
        Ok(graph)
    }
}

/// What a query's answer can depend on in a package, as a hash: its targets
/// with all their attributes, and the line and column of each (which outputs
/// show), but not the byte offsets behind them. A BUILD file edited without
/// changing these (a comment reworded, a comment or blank line added after
/// the last target) gives the same fingerprint, and kept answers stay valid
/// (the answer cache's). `text` is the BUILD file's text.
fn fingerprint(package: &Package, build_file: &Path, text: &str) -> cache::Hash {
    let encoded = Location::serialized_by_line(build_file, text, || postcard::to_stdvec(package));
    // A package always encodes; were it not to, no two would compare equal.
    match encoded {
        Ok(bytes) => *blake3::hash(&bytes).as_bytes(),
        Err(_) => *blake3::hash(text.as_bytes()).as_bytes(),
    }
}

/// The text of a BUILD or .bzl file (`shown` as users see its path).
fn read_source(path: &Path, shown: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::new(ErrorKind::Load, format!("cannot read `{shown}`: {e}")))
}

/// A package as the loader read it.
struct Evaluated {
    package: Package,
    /// The hash of the BUILD file's text (zero when the loader is not hashing).
    hash: cache::Hash,
    /// The package's [`fingerprint`] (zero when the loader is not hashing).
    fingerprint: cache::Hash,
    /// For a BUILD file Starlark evaluated: the .bzl files it loaded. `None`
    /// when `fast.rs` read it.
    interpreted: Option<Vec<PathBuf>>,
}

/// A package as loaded, with what the cache needs to know of it.
struct Loaded {
    /// The BUILD file.
    path: PathBuf,
    build: cache::FileState,
    /// The package's [`fingerprint`] (zero without a cache).
    fingerprint: cache::Hash,
    loads: Vec<(PathBuf, cache::FileState)>,
    package: Package,
    /// Where the cache file holds it encoded; `None` if it was evaluated.
    encoded: Option<std::ops::Range<usize>>,
    /// Whether it belongs in the cache (it came from there, or Starlark evaluated it).
    cache: bool,
}

/// Evaluates files of one workspace, sharing frozen .bzl modules.
struct Loader<'w> {
    ws: &'w Workspace,
    /// Frozen .bzl modules, with every .bzl file each one read (itself included).
    bzl: Mutex<HashMap<PathBuf, (FrozenModule, Vec<PathBuf>)>>,
    /// Whether to hash BUILD files as they are read (for the caches; a run
    /// without them skips it).
    hashing: bool,
    /// Fingerprints of packages as the answer cache knows them, by the
    /// content hash of their BUILD file: a file that hashes the same is not
    /// fingerprinted again.
    known: Option<&'w inputs::Fingerprints>,
    /// The package of every .bzl file loaded so far (the package of the
    /// label that loads it), by the file name Starlark knows it by: what
    /// `Label("...")` written in it resolves against.
    bzl_packages: builtins::BzlPackages,
}

enum Kind {
    Build,
    Bzl,
}

impl<'w> Loader<'w> {
    fn new(ws: &'w Workspace) -> Self {
        Loader {
            ws,
            bzl: Mutex::new(HashMap::new()),
            hashing: true,
            known: None,
            bzl_packages: builtins::BzlPackages::default(),
        }
    }

    fn package(&self, dir: &PackageDir) -> Result<Evaluated> {
        self.package_using(dir, true)
    }

    /// Loads a package; with `fast`, a declarative BUILD file is read without
    /// the interpreter (`fast.rs`), which gives the same package.
    fn package_using(&self, dir: &PackageDir, fast: bool) -> Result<Evaluated> {
        // Inline when already on an evaluation thread (`load_all`'s).
        eval_pool().install(|| self.package_here(dir, fast))
    }

    /// [`Self::package_using`], on this thread.
    fn package_here(&self, dir: &PackageDir, fast: bool) -> Result<Evaluated> {
        let shown = self.ws.shown(&dir.build_file);
        let mut ctx = BuildContext::new(Some(dir.name.clone()), &self.ws.root, shown.clone());
        ctx.bzl_packages = self.bzl_packages.clone();
        let text = read_source(&dir.build_file, &shown)?;
        check_nesting(&text, &dir.build_file, &shown)?;
        let hash = if self.hashing {
            *blake3::hash(text.as_bytes()).as_bytes()
        } else {
            cache::Hash::default()
        };
        if fast && fast::read(&text, &ctx).is_some() {
            let package = Package {
                name: dir.name.clone(),
                build_file: shown,
                targets: ctx.targets.into_inner().into_values().collect(),
            };
            return Ok(Evaluated {
                fingerprint: self.fingerprint(&package, &dir.build_file, &text, &hash),
                package,
                hash,
                interpreted: None,
            });
        }
        ctx.targets.borrow_mut().clear();
        // The interpreter panics on some pathological inputs (a list doubled
        // past 2^32 elements before the heap limit is checked): an error, not a crash.
        EVALUATING.with(|e| e.set(true));
        // The text goes to the interpreter; the fingerprint needs it after.
        let kept = self.hashing.then(|| text.clone());
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.eval_file(&dir.build_file, text, &dir.name, Kind::Build, &ctx, &[])
        }));
        EVALUATING.with(|e| e.set(false));
        let read = match outcome {
            Ok(result) => result?.1,
            Err(payload) => {
                let why = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Err(Error::new(
                    ErrorKind::Eval,
                    format!("evaluation of `{shown}` exceeded what the Starlark interpreter can hold ({why})"),
                ));
            }
        };
        let package = Package {
            name: dir.name.clone(),
            build_file: shown,
            targets: ctx.targets.into_inner().into_values().collect(),
        };
        Ok(Evaluated {
            fingerprint: kept.map_or_else(cache::Hash::default, |text| {
                self.fingerprint(&package, &dir.build_file, &text, &hash)
            }),
            package,
            hash,
            interpreted: Some(read),
        })
    }

    /// The [`fingerprint`] of a package read from `text`, whose hash is
    /// `hash`, if hashing.
    fn fingerprint(
        &self,
        package: &Package,
        build_file: &Path,
        text: &str,
        hash: &cache::Hash,
    ) -> cache::Hash {
        if !self.hashing {
            return cache::Hash::default();
        }
        match self.known.and_then(|k| k.get(build_file)) {
            Some((content, known)) if content == hash => *known,
            _ => fingerprint(package, build_file, text),
        }
    }

    /// Parses and evaluates one file; for a .bzl file returns its frozen module.
    fn eval_file(
        &self,
        path: &Path,
        text: String,
        package: &str,
        kind: Kind,
        ctx: &BuildContext,
        chain: &[PathBuf],
    ) -> Result<(Option<FrozenModule>, Vec<PathBuf>)> {
        let shown = self.ws.shown(path);
        let is_bzl = matches!(kind, Kind::Bzl);
        let ast = AstModule::parse(&shown, text, &dialect(is_bzl)).map_err(|e| {
            let mut err = self.convert(e, ErrorKind::Syntax, &shown);
            if err.message.contains("`def` is not allowed") {
                err.message = format!("functions cannot be defined in BUILD files (`{shown}`)");
                err.help = Some("define macros in a .bzl file and load() them, as in Bazel".into());
            }
            err
        })?;
        // Follow the loads first, so that evaluation finds them ready.
        let mut chain = chain.to_vec();
        chain.push(path.to_path_buf());
        let mut loaded: Vec<(String, FrozenModule)> = Vec::new();
        let mut files: Vec<PathBuf> = Vec::new();
        for load in ast.loads() {
            let at = location_of(&self.ws.root, &load.span);
            let (module, read) = self.bzl_module(load.module_id, package, &chain, &at)?;
            files.extend(read);
            for theirs in load.symbols.values() {
                if module.get_option(theirs).ok().flatten().is_none() {
                    let names: Vec<String> =
                        module.names().map(|n| n.as_str().to_string()).collect();
                    return Err(Error::new(
                        ErrorKind::Load,
                        format!("`{}` does not define `{theirs}`", load.module_id),
                    )
                    .at(Some(at.clone()))
                    .with_help_opt(did_you_mean(theirs, names.iter().map(|s| s.as_str()))));
                }
            }
            loaded.push((load.module_id.to_string(), module));
        }
        let modules: HashMap<&str, &FrozenModule> =
            loaded.iter().map(|(k, m)| (k.as_str(), m)).collect();
        let loader = ReturnFileLoader { modules: &modules };
        files.sort();
        files.dedup();
        // Both heaps' bytes count, by the allocator (`memory`), if it is sel's.
        let _budget = memory::Guard::new(&shown, MAX_HEAP_BYTES);
        let module = Module::with_temp_heap(|module| {
            {
                let mut eval = Evaluator::new(&module);
                eval.set_loader(&loader);
                eval.set_check_cancelled(Box::new(memory::over_budget));
                eval.extra = Some(ctx);
                eval.set_max_tick_count(MAX_STEPS)
                    .and_then(|_| eval.set_max_heap_size(MAX_HEAP_BYTES))
                    .map_err(|e| Error::new(ErrorKind::Eval, e.to_string()))?;
                eval.eval_module(ast, globals())
                    .map_err(|e| self.convert(e, ErrorKind::Eval, &shown))?;
            }
            if is_bzl {
                module
                    .freeze()
                    .map(Some)
                    .map_err(|e| Error::new(ErrorKind::Eval, format!("`{shown}`: {e:?}")))
            } else {
                Ok(None)
            }
        })?;
        Ok((module, files))
    }

    /// The frozen module of a .bzl file named by a load() label.
    fn bzl_module(
        &self,
        module_id: &str,
        package: &str,
        chain: &[PathBuf],
        at: &Location,
    ) -> Result<(FrozenModule, Vec<PathBuf>)> {
        if module_id.starts_with("@bazel_skylib//") {
            let module = skylib_module(module_id).map_err(|why| {
                Error::new(ErrorKind::Load, format!("cannot load `{module_id}`: {why}"))
                    .at(Some(at.clone()))
            })?;
            return Ok((module, Vec::new()));
        }
        let label = Label::parse_relative(module_id, Some(package)).map_err(|e| {
            Error::new(ErrorKind::Load, format!("bad load() label: {}", e.0)).at(Some(at.clone()))
        })?;
        if !label.name().ends_with(".bzl") {
            return Err(Error::new(
                ErrorKind::Load,
                format!("load() takes a .bzl file, not `{label}`"),
            )
            .at(Some(at.clone())));
        }
        let path = self.ws.root.join(label.package()).join(label.name());
        if let Some(i) = chain.iter().position(|p| *p == path) {
            let mut cycle: Vec<String> = chain[i..].iter().map(|p| self.ws.shown(p)).collect();
            cycle.push(self.ws.shown(&path));
            return Err(Error::new(
                ErrorKind::LoadCycle,
                format!("load cycle: {}", cycle.join(" -> ")),
            )
            .at(Some(at.clone())));
        }
        if let Some(m) = self.bzl.lock().expect("no panics while locked").get(&path) {
            return Ok(m.clone());
        }
        if !path.is_file() {
            return Err(Error::new(
                ErrorKind::Load,
                format!(
                    "cannot load `{label}`: file `{}` does not exist",
                    self.ws.shown(&path)
                ),
            )
            .at(Some(at.clone())));
        }
        let mut ctx = BuildContext::new(None, &self.ws.root, String::new());
        ctx.bzl_packages = self.bzl_packages.clone();
        self.bzl_packages
            .lock()
            .expect("no panics while locked")
            .insert(self.ws.shown(&path), label.package().to_string());
        let text = read_source(&path, &self.ws.shown(&path))?;
        check_nesting(&text, &path, &self.ws.shown(&path))?;
        let (module, mut read) =
            self.eval_file(&path, text, label.package(), Kind::Bzl, &ctx, chain)?;
        let module = module.expect("a .bzl file gives a module");
        read.push(path.clone());
        // Another thread may have evaluated it meanwhile; both results are equal.
        self.bzl
            .lock()
            .expect("no panics while locked")
            .insert(path, (module.clone(), read.clone()));
        Ok((module, read))
    }

    /// A Starlark error as a sel error: sel's own errors keep their kind.
    fn convert(&self, e: starlark::Error, default: ErrorKind, file: &str) -> Error {
        // Errors raised outside a statement's span (step limits) still carry the call stack.
        let location = e
            .span()
            .or_else(|| {
                e.call_stack()
                    .frames
                    .iter()
                    .rev()
                    .find_map(|f| f.location.as_ref())
            })
            .map(|s| location_of(&self.ws.root, s));
        let own = match e.kind() {
            starlark::ErrorKind::Native(a)
            | starlark::ErrorKind::Other(a)
            | starlark::ErrorKind::Value(a) => a.downcast_ref::<Error>().cloned(),
            _ => None,
        };
        if let Some(own) = own {
            return own.at(location);
        }
        let message = e.kind().to_string();
        let lower = message.to_lowercase();
        let (kind, message) = if lower.contains("tick") && lower.contains("limit") {
            (
                ErrorKind::Eval,
                format!("evaluation of `{file}` took more than {MAX_STEPS} steps (a loop that does not end?)"),
            )
        } else if (lower.contains("heap") && lower.contains("limit"))
            || lower.contains("evaluation cancelled")
        {
            (
                ErrorKind::Eval,
                format!(
                    "evaluation of `{file}` needs more memory than its budget ({} MiB in all, {} MiB for one value)",
                    MAX_HEAP_BYTES >> 20,
                    MAX_HEAP_BYTES >> 22
                ),
            )
        } else {
            (default, message)
        };
        Error::new(kind, message).at(location)
    }
}
