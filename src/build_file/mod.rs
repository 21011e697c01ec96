//! Evaluating BUILD and .bzl files with Starlark: the only module that touches
//! the `starlark` crate.
//!
//! Packages are evaluated in parallel (rayon), each in its own Starlark heap.
//! A .bzl file is evaluated once, frozen, and shared between the packages that
//! load it; its `load()`s are followed depth-first with the chain of files in
//! hand, so a load cycle is reported with the whole cycle. Evaluation is
//! bounded by a step budget, so a runaway loop stops with an error naming its
//! file. What leaves this module is plain data: [`Package`]s of [`Target`](crate::target_graph::Target)s.

mod arg;
mod builtins;
mod fast;
pub mod inputs;
pub mod memory;
mod nesting;
pub mod platforms;
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
use crate::target_graph::{Attr, Package, Rule, SelectKey};
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
pub(crate) fn eval_pool() -> &'static rayon::ThreadPool {
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

/// A package read again by [`reread`].
pub struct Reread {
    /// The package.
    pub package: Package,
    /// Its fingerprint (`fingerprint`).
    pub fingerprint: crate::store::Hash,
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
/// changed packages reads ([`crate::cache::recompute`]). `None` if one is not a
/// package of the workspace (a package of the built-in `@platforms` neither)
/// or fails to load; the caller then loads the whole workspace, which
/// reports that as it always does.
pub fn load_named(ws: &Workspace, names: &[String]) -> Option<Vec<Package>> {
    let loader = Loader {
        hashing: false,
        ..Loader::new(ws)
    };
    eval_pool().install(|| {
        names
            .par_iter()
            .map(|name| {
                // The built-in repository is added by a full load only, which
                // decides whether the workspace has it.
                if crate::label::is_external(name) {
                    return None;
                }
                Some(loader.package(&ws.package_dir(name)?).ok()?.package)
            })
            .collect()
    })
}

/// Every package a package's targets mention by label, each once.
pub(crate) fn mentioned_packages(package: &Package) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    each_mentioned_label(package, &mut |l: &Label| {
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
    });
    out
}

/// Calls `add` with every label a package's targets mention (as a
/// dependency, select key, condition, selector, constraint, platform or
/// visibility), repeats included.
pub(crate) fn each_mentioned_label(package: &Package, add: &mut impl FnMut(&Label)) {
    for t in &package.targets {
        t.visibility().iter().for_each(&mut *add);
        match &t.rule {
            Rule::Package { attrs } => attrs.iter().for_each(|(_, a)| attr_labels(a, add)),
            Rule::Alias { actual } => attr_labels(actual, add),
            Rule::ConfigSetting {
                flag_values,
                constraint_values,
            } => {
                flag_values.iter().for_each(|f| add(&f.selector));
                constraint_values.iter().for_each(&mut *add);
            }
            Rule::Platform(p) => {
                p.flag_values.iter().for_each(|f| add(&f.selector));
                p.constraint_values
                    .iter()
                    .chain(&p.parent)
                    .for_each(&mut *add);
            }
            Rule::ConfigSettingGroup { conditions, .. } => conditions.iter().for_each(&mut *add),
            Rule::Capability(c) => c.providers.iter().for_each(&mut *add),
            Rule::ConstraintSetting { default } => default.iter().for_each(&mut *add),
            Rule::ConstraintValue { setting } => add(setting),
            Rule::Selector { .. } => {}
        }
    }
}

/// The labels of an attribute's values and select keys.
fn attr_labels(attr: &Attr, add: &mut impl FnMut(&Label)) {
    use crate::target_graph::each_label;
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

/// What a query's answer can depend on in a package, as a hash: its targets
/// with all their attributes, and the line and column of each (which outputs
/// show), but not the byte offsets behind them. A BUILD file edited without
/// changing these (a comment reworded, a comment or blank line added after
/// the last target) gives the same fingerprint, and kept answers stay valid
/// (the answer cache's). `text` is the BUILD file's text.
fn fingerprint(package: &Package, build_file: &Path, text: &str) -> crate::store::Hash {
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
pub(crate) struct Evaluated {
    pub(crate) package: Package,
    /// The hash of the BUILD file's text (zero when the loader is not hashing).
    pub(crate) hash: crate::store::Hash,
    /// The package's [`fingerprint`] (zero when the loader is not hashing).
    pub(crate) fingerprint: crate::store::Hash,
    /// For a BUILD file Starlark evaluated: the .bzl files it loaded. `None`
    /// when `fast.rs` read it.
    pub(crate) interpreted: Option<Vec<PathBuf>>,
}

/// Evaluates files of one workspace, sharing frozen .bzl modules.
pub(crate) struct Loader<'w> {
    ws: &'w Workspace,
    /// Frozen .bzl modules, with every .bzl file each one read (itself included).
    bzl: Mutex<HashMap<PathBuf, (FrozenModule, Vec<PathBuf>)>>,
    /// Whether to hash BUILD files as they are read (for the caches; a run
    /// without them skips it).
    pub(crate) hashing: bool,
    /// Fingerprints of packages as the answer cache knows them, by the
    /// content hash of their BUILD file: a file that hashes the same is not
    /// fingerprinted again.
    pub(crate) known: Option<&'w inputs::Fingerprints>,
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
    pub(crate) fn new(ws: &'w Workspace) -> Self {
        Loader {
            ws,
            bzl: Mutex::new(HashMap::new()),
            hashing: true,
            known: None,
            bzl_packages: builtins::BzlPackages::default(),
        }
    }

    pub(crate) fn package(&self, dir: &PackageDir) -> Result<Evaluated> {
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
            crate::store::Hash::default()
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
            fingerprint: kept.map_or_else(crate::store::Hash::default, |text| {
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
        hash: &crate::store::Hash,
    ) -> crate::store::Hash {
        if !self.hashing {
            return crate::store::Hash::default();
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
