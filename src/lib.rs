//! sel evaluates Bazel-style declarative dependency graphs with
//! `config_setting` / `select()`, and answers queries about them for one
//! configuration or for all configurations at once.
//!
//! The pipeline: [`workspace`] finds the root (`sel.toml`) and the packages;
//! [`build_file`] evaluates their BUILD files with Starlark into a
//! [`target_graph::TargetGraph`] whose attributes may hold unresolved selects;
//! [`configuration`] gives every selector a value and resolves selects into
//! [`configuration::ConfiguredTarget`]s; [`query`] evaluates Bazel's query
//! language over the unconfigured graph (`query`) or a configured one
//! (`cquery`); [`output`] renders results. [`condition`] is the algebra of
//! conditions over selector values behind specialization and the
//! multi-dimensional graph.
//!
//! ```
//! # fn main() -> Result<(), sel::Error> {
//! let dir = std::env::temp_dir().join(format!("sel-doctest-{}", std::process::id()));
//! std::fs::create_dir_all(dir.join("app")).unwrap();
//! std::fs::write(dir.join("sel.toml"), "").unwrap();
//! std::fs::write(dir.join("app/BUILD"), r#"
//! selector(name = "gpu", values = ["no", "yes"], default = "no")
//! config_setting(name = "on", flag_values = {":gpu": "yes"})
//! package(name = "app", deps = select({":on": [":cuda"], "//conditions:default": []}))
//! package(name = "cuda")
//! "#).unwrap();
//! let session = sel::Session::open(&dir)?;
//! let all = session.query("deps(//app)")?;
//! assert_eq!(all.labels(), ["//app:app", "//app:cuda"]);
//! let request = sel::Request { selects: vec!["gpu=no".into()], ..Default::default() };
//! let configured = session.cquery("deps(//app)", &request)?;
//! assert_eq!(configured.labels(), ["//app:app"]);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

pub mod build_file;
pub mod cache;
pub mod capability;
pub mod check;
pub mod cli;
pub mod condition;
pub mod configuration;
pub mod detect;
pub mod error;
pub mod label;
pub mod license;
pub mod matrix;
pub mod output;
pub mod purl;
pub mod python;
pub mod query;
pub mod sbom;
pub mod store;
pub mod target_graph;
#[cfg(test)]
mod test_rng;
pub mod timing;
pub mod why;
pub mod workspace;

use std::path::Path;

pub use capability::{ImagesResult, Union};
pub use configuration::{Configuration, Configurer, Request};
pub use error::{Error, ErrorKind, Result};
pub use label::Label;
pub use query::result::{AllConfigsResult, AllConfigsRun, CoversResult, QueryResult};
pub use target_graph::TargetGraph;
pub use workspace::Workspace;

use condition::Cond;
use configuration::symbolic::{Failure, SymbolicConfigurer};
use configuration::Origin;
use query::all_configs::AllConfigsEnv;
use query::env::{ConfiguredEnv, UnconfiguredEnv};

/// A loaded workspace, ready for queries.
pub struct Session {
    /// The workspace on disk.
    pub workspace: Workspace,
    /// Its evaluated targets.
    pub graph: TargetGraph,
}

/// The pattern of a query `deps(PATTERN)`, the one that
/// [`Session::cquery_all_covers`] answers; `None` for any other query.
pub fn deps_of_pattern(expr: &str) -> Option<String> {
    use query::syntax::{Arg, Expr, Func};
    let Ok(Expr::Call {
        func: Func::Deps,
        args,
        ..
    }) = query::parse(expr)
    else {
        return None;
    };
    match &args[..] {
        [Arg::Expr(Expr::Pattern { text, .. })] => Some(text.clone()),
        _ => None,
    }
}

/// Whether `sel query EXPR` loads the whole workspace: its patterns cover it
/// (`//...`), or one does not parse (the full load reports that). Otherwise
/// it loads only the packages its patterns can reach
/// ([`Session::load_and_query`]).
pub fn query_loads_everything(workspace: &Workspace, expr: &str) -> bool {
    pattern_packages(workspace, expr).is_none()
}

/// The packages and the subtrees a query's patterns name, or `None` when
/// it needs every package.
fn pattern_packages(workspace: &Workspace, expr: &str) -> Option<(Vec<String>, Vec<String>)> {
    let parsed = query::parse(expr).ok()?;
    let mut roots: Vec<String> = Vec::new();
    let mut subtrees: Vec<String> = Vec::new();
    for text in query::patterns(&parsed) {
        match label::TargetPattern::parse(text, &workspace.cwd_package) {
            // The built-in repository is there when the workspace names it:
            // only a full load knows.
            Ok(label::TargetPattern::Target(l)) if l.is_external() => return None,
            Ok(label::TargetPattern::Package(p) | label::TargetPattern::Subtree(p))
                if label::is_external(&p) =>
            {
                return None
            }
            Ok(label::TargetPattern::Target(l)) => roots.push(l.package().to_string()),
            Ok(label::TargetPattern::Package(p)) => roots.push(p),
            Ok(label::TargetPattern::Subtree(p)) if !p.is_empty() => subtrees.push(p),
            _ => return None,
        }
    }
    Some((roots, subtrees))
}

/// The packages a query's patterns name, or `None` when it needs them all
/// (`//...`) or a pattern does not parse (the full load reports that).
fn query_roots(workspace: &Workspace, expr: &str) -> Result<Option<Vec<String>>> {
    let Some((mut roots, subtrees)) = pattern_packages(workspace, expr) else {
        return Ok(None);
    };
    if !subtrees.is_empty() {
        for dir in workspace.packages()? {
            if subtrees
                .iter()
                .any(|s| label::package_in_subtree(&dir.name, s))
            {
                roots.push(dir.name);
            }
        }
    }
    Ok(Some(roots))
}

impl Session {
    /// Finds the workspace around `dir` and loads every package, using and
    /// refreshing the cache of evaluated packages (`.sel-cache/`).
    pub fn open(dir: &Path) -> Result<Session> {
        Session::open_with(dir, true)
    }

    /// Like [`Session::open`]; `use_cache = false` evaluates every BUILD file
    /// and leaves the cache alone (`--no-cache`).
    pub fn open_with(dir: &Path, use_cache: bool) -> Result<Session> {
        timing::start();
        let workspace = Workspace::discover(dir)?;
        let graph = cache::packages::load_workspace(&workspace, use_cache)?;
        Ok(Session { workspace, graph })
    }

    /// `sel query` from scratch: loads only the packages of `workspace` the
    /// query can reach (those its patterns name and, through
    /// [`cache::packages::load_closure`], every package they mention, transitively),
    /// and evaluates it. A pattern over the whole workspace (`//...`) loads
    /// everything, and so does anything unusual (an error, a missing
    /// package): the answer and the errors are those of a full load.
    ///
    /// Also gives, when only the packages its patterns name (no subtree:
    /// those are found by a walk) and the packages they mention were
    /// loaded, the files they were loaded from: all the answer depends on
    /// (see [`cache::answers::lookup_closure`]).
    pub fn load_and_query(
        mut workspace: Workspace,
        use_cache: bool,
        expr: &str,
    ) -> Result<(Session, QueryResult, Option<build_file::inputs::Inputs>)> {
        timing::start();
        if let Some(roots) = query_roots(&workspace, expr)? {
            let named_only = pattern_packages(&workspace, expr).is_some_and(|(_, s)| s.is_empty());
            if let Some((graph, inputs)) =
                cache::packages::load_closure(&workspace, use_cache, &roots)?
            {
                let session = Session { workspace, graph };
                match session.query(expr) {
                    Ok(result) => return Ok((session, result, named_only.then_some(inputs))),
                    // The full load below answers with its own error.
                    Err(_) => workspace = session.workspace,
                }
            }
        }
        let graph = cache::packages::load_workspace(&workspace, use_cache)?;
        let session = Session { workspace, graph };
        let result = session.query(expr)?;
        Ok((session, result, None))
    }

    /// The unconfigured graph of `result`, the answer of `sel query expr`
    /// printed in `shape`, when the query is a closure of targets named by
    /// label: the answer cache keeps it, to recompute the answer after a
    /// change (see [`cache::recompute`]).
    pub fn kept_graph(
        &self,
        expr: &str,
        result: &QueryResult,
        shape: cache::recompute::Shape,
    ) -> Option<cache::recompute::KeptGraph> {
        let parsed = query::parse(expr).ok()?;
        let roots = cache::recompute::closure_roots(&parsed, &self.workspace.cwd_package)?;
        cache::recompute::KeptGraph::unconfigured(&self.graph, &result.targets, &roots, shape)
    }

    /// `sel query`: the unconfigured graph, every select branch an edge.
    pub fn query(&self, expr: &str) -> Result<QueryResult> {
        let parsed = query::parse(expr)?;
        let mut env = UnconfiguredEnv::new(&self.graph, &self.workspace.cwd_package);
        let set = query::evaluate(&mut env, expr, &parsed)?;
        timing::phase("query");
        Ok(QueryResult {
            targets: set.into_keys().collect(),
            configuration: None,
            configured: Vec::new(),
        })
    }

    /// The configuration a request asks for (with `--config` looked up in `sel.toml`).
    pub fn configuration(&self, request: &Request) -> Result<Configuration> {
        Configuration::from_request(&self.graph, request)
    }

    /// `sel cquery`: the graph configured by the request's selector values.
    pub fn cquery(&self, expr: &str, request: &Request) -> Result<QueryResult> {
        self.cquery_with(expr, request, true)
    }

    /// `sel cquery`; with `attributes = false` the result's `configured` is
    /// left empty (the labels are all that label output needs, and copying
    /// every resolved attribute of a large result costs memory and time).
    /// The answer and its errors are the same either way.
    pub fn cquery_with(
        &self,
        expr: &str,
        request: &Request,
        attributes: bool,
    ) -> Result<QueryResult> {
        Ok(self
            .cquery_keeping(expr, request, attributes, None, false)?
            .0)
    }

    /// The clashes of a `cquery` (see [`capability`]): the pairs of packages
    /// that some target of the result holds in its closure while one
    /// provides what the other provides exclusively, or conflicts with it.
    /// `cquery` fails with the first (`sel::clash`) unless told to allow them.
    pub fn clashes(&self, expr: &str, request: &Request) -> Result<Vec<capability::Clash>> {
        let result = self.cquery_keeping(expr, request, false, None, true)?.0;
        let config = result.configuration.expect("a cquery has a configuration");
        let cfg = Configurer::new(&self.graph, config);
        capability::clashes(&cfg, &result.targets)
    }

    /// [`Session::cquery_with`]; with `keep`, the shape the answer is
    /// printed in, also the configured graph the answer was computed from,
    /// when the query is a closure of targets named by label (see
    /// [`cache::recompute`]): the answer cache keeps it, to recompute the answer
    /// after a change.
    ///
    /// A result some of whose targets hold a clash in their closure (see
    /// [`capability`]) is a `sel::clash` error unless `allow_clashes`.
    pub fn cquery_keeping(
        &self,
        expr: &str,
        request: &Request,
        attributes: bool,
        keep: Option<cache::recompute::Shape>,
        allow_clashes: bool,
    ) -> Result<(QueryResult, Option<cache::recompute::KeptGraph>)> {
        let parsed = query::parse(expr)?;
        let config = self.configuration(request)?;
        let cfg = Configurer::new(&self.graph, config.clone());
        let mut env = ConfiguredEnv::new(&cfg, &self.workspace.cwd_package);
        let set = query::evaluate(&mut env, expr, &parsed)?;
        timing::phase("query");
        let declares = capability::declares_any(&self.graph);
        if !allow_clashes && declares {
            let roots: Vec<Label> = set.keys().cloned().collect();
            let clashes = capability::clashes(&cfg, &roots)?;
            if !clashes.is_empty() {
                return Err(capability::clash_error(&clashes, &config));
            }
        }
        // A dependency edited anywhere can make a clash: an answer about a
        // workspace with capabilities is never recomputed from its graph.
        let kept = keep.filter(|_| !declares).and_then(|shape| {
            let roots = cache::recompute::closure_roots(&parsed, &self.workspace.cwd_package)?;
            cache::recompute::KeptGraph::new(&self.graph, &env, &roots, set.len(), shape)
        });
        let configured = if attributes {
            set.keys()
                .map(|l| cfg.resolve_target(l))
                .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let result = QueryResult {
            targets: set.into_keys().collect(),
            configuration: Some(config),
            configured,
        };
        Ok((result, kept))
    }

    /// `sel cquery --all-configs`: the query for every configuration at once.
    /// Selectors the request sets stay fixed; the others range over their values.
    pub fn cquery_all(&self, expr: &str, request: &Request) -> Result<AllConfigsResult> {
        Ok(self.all_configs(expr, request)?.into_result())
    }

    /// The evaluation behind [`Session::cquery_all`], keeping the symbolic
    /// resolver for commands that look further into the graph (`why`, `check`).
    ///
    /// Conditions whose decision diagrams outgrow the algebra's bound end the run with
    /// `sel::conditions_too_large` ([`condition::TooLarge`]).
    pub fn all_configs(&self, expr: &str, request: &Request) -> Result<AllConfigsRun<'_>> {
        let run = condition::guard(|| self.all_configs_unguarded(expr, request))?;
        let alg = run.algebra();
        timing::phase(&format!(
            "all-configs ({} condition nodes, {} operations)",
            alg.node_count(),
            alg.steps()
        ));
        // The query's intermediate combinations are not what output combines.
        alg.clear_caches();
        Ok(run)
    }

    /// `sel cquery EXPR --union`: what one image must hold to serve every
    /// configuration of the selectors the request leaves free, and the
    /// clashes it holds (see [`capability`]).
    pub fn union(&self, expr: &str, request: &Request) -> Result<Union> {
        let run = self.all_configs(expr, request)?;
        let clashes = condition::guard(|| capability::union_clashes(&run))?;
        Ok(Union {
            result: run.into_result(),
            clashes,
        })
    }

    /// `sel images EXPR`: the fewest groups of the configurations of the free
    /// selectors whose unions hold no clash (see [`capability::images`]).
    pub fn images(
        &self,
        expr: &str,
        request: &Request,
        max_classes: usize,
    ) -> Result<ImagesResult> {
        let run = self.all_configs(expr, request)?;
        let images = condition::guard(|| capability::images(&run, max_classes))?;
        let result = run.into_result();
        Ok(ImagesResult {
            algebra: result.algebra,
            fixed: result.fixed,
            images,
        })
    }

    /// `cquery 'deps(PATTERN)' --all-configs` with conditions as sums of products
    /// ([`condition::sop`]) rather than decision diagrams: the same answer as
    /// [`Session::cquery_all`], for graphs whose reachability conditions have no
    /// small diagram (many paths under many unrelated selectors). `None` for any
    /// other expression.
    pub fn cquery_all_covers(&self, expr: &str, request: &Request) -> Result<Option<CoversResult>> {
        let Some(text) = deps_of_pattern(expr) else {
            return Ok(None);
        };
        let pattern = label::TargetPattern::parse(&text, &self.workspace.cwd_package)
            .map_err(|e| Error::new(ErrorKind::BadLabel, e.0))?;
        condition::guard(|| {
            let (sym, fixed, fixed_idx, universe) = self.symbolic(request)?;
            let mut env = AllConfigsEnv::new(&sym, universe, &self.workspace.cwd_package);
            let (targets, failures) =
                query::all_configs::deps_as_covers(&mut env, &pattern, &fixed_idx)?;
            drop(env);
            Ok(Some(CoversResult {
                algebra: sym.into_algebra(),
                fixed,
                targets,
                failures,
            }))
        })
    }

    /// A resolver for every configuration of `request`'s free selectors: the fixed
    /// ones with their values (labels, and indices), and the condition that fixes them.
    #[allow(clippy::type_complexity)]
    fn symbolic(
        &self,
        request: &Request,
    ) -> Result<(
        SymbolicConfigurer<'_>,
        Vec<(Label, String)>,
        Vec<(usize, usize)>,
        Cond,
    )> {
        let config = self.configuration(request)?;
        let fixed: Vec<(Label, String)> = config
            .values
            .iter()
            .filter(|(_, (_, origin))| *origin != Origin::Default)
            .map(|(l, (v, _))| (l.clone(), v.clone()))
            .collect();
        let sym = SymbolicConfigurer::new(&self.graph);
        let alg = sym.algebra();
        let mut fixed_idx = Vec::new();
        let mut universe = alg.always();
        for (l, v) in &fixed {
            // A dimension, or one per element of a multi-valued selector.
            let dims = alg
                .space()
                .assign(l.as_str(), v)
                .expect("fixed selectors exist, and their values were checked");
            for (s, i) in dims {
                universe = alg.and(universe, alg.equals(s, i));
                fixed_idx.push((s, i));
            }
        }
        sym.restrict_to(universe);
        Ok((sym, fixed, fixed_idx, universe))
    }

    fn all_configs_unguarded(&self, expr: &str, request: &Request) -> Result<AllConfigsRun<'_>> {
        let parsed = query::parse(expr)?;
        let (sym, fixed, fixed_idx, universe) = self.symbolic(request)?;
        let alg = sym.algebra();
        let mut env = AllConfigsEnv::new(&sym, universe, &self.workspace.cwd_package);
        let set = query::evaluate(&mut env, expr, &parsed)?;
        let failures = env.failures()?;
        let compat = env.into_compatibility();
        let failing = alg.or_all(failures.iter().map(|f| f.when));
        let run = AllConfigsRun {
            sym,
            fixed,
            fixed_idx,
            compat,
            targets: Vec::new(),
            failures: Vec::new(),
        };
        let targets: Vec<(Label, Cond)> = set
            .into_iter()
            .map(|(l, c)| (l, run.free(run.algebra().and_not(c, failing))))
            .filter(|(_, c)| !run.algebra().is_never(*c))
            .collect();
        let failures: Vec<Failure> = failures
            .into_iter()
            .map(|f| Failure {
                when: run.free(f.when),
                ..f
            })
            .collect();
        Ok(AllConfigsRun {
            targets,
            failures,
            ..run
        })
    }
}
