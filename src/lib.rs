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

pub mod answers;
pub mod build_file;
pub mod check;
pub mod cli;
pub mod condition;
pub mod configuration;
pub mod error;
pub mod incremental;
pub mod label;
pub mod license;
pub mod matrix;
pub mod output;
pub mod purl;
pub mod python;
pub mod query;
pub mod sbom;
pub mod target_graph;
#[cfg(test)]
mod test_rng;
pub mod timing;
pub mod why;
pub mod workspace;

use std::path::Path;

pub use configuration::{Configuration, Configurer, Request};
pub use error::{Error, ErrorKind, Result};
pub use label::Label;
pub use target_graph::TargetGraph;
pub use workspace::Workspace;

use condition::{Algebra, Cond};
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

/// The answer to a `query` or `cquery`: targets, sorted by label.
#[derive(Clone, Debug)]
pub struct QueryResult {
    /// The targets of the result.
    pub targets: Vec<Label>,
    /// The configuration, for `cquery`.
    pub configuration: Option<Configuration>,
    /// For `cquery`, each target of the result with its selects resolved, in label order.
    pub configured: Vec<configuration::ConfiguredTarget>,
}

impl QueryResult {
    /// The labels as strings, sorted.
    pub fn labels(&self) -> Vec<String> {
        self.targets.iter().map(|l| l.to_string()).collect()
    }
}

/// The answer to `cquery 'deps(...)' --all-configs` computed with sums of
/// products ([`Session::cquery_all_covers`]): each target with the cover of the
/// condition under which it is in the result, and the regions where evaluation fails.
pub struct CoversResult {
    /// The algebra of the run: its space names the selectors and values.
    pub algebra: Algebra,
    /// Selectors fixed by `--select`/`--platform`/`--config`, with their values;
    /// the covers do not mention them.
    pub fixed: Vec<(Label, String)>,
    /// Targets with where they are in the result, sorted by label; none empty.
    pub targets: Vec<(Label, Vec<condition::Cube>)>,
    /// Where evaluation fails, and why.
    pub failures: Vec<query::all_configs::CoveredFailure>,
}

/// The answer to `cquery --all-configs`: each target with the condition under
/// which it is in the result, and the regions where evaluation fails.
pub struct AllConfigsResult {
    /// The algebra the conditions live in.
    pub algebra: Algebra,
    /// Selectors fixed by `--select`/`--platform`/`--config`, with their values;
    /// conditions do not mention them.
    pub fixed: Vec<(Label, String)>,
    /// Targets with their conditions, sorted by label; none is `never`.
    pub targets: Vec<(Label, Cond)>,
    /// Where evaluation fails, and why.
    pub failures: Vec<Failure>,
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

/// The condition of `label` in targets sorted by label (a binary search: `why`
/// asks for every edge of a result).
fn when_in(targets: &[(Label, Cond)], label: &Label) -> Option<Cond> {
    debug_assert!(
        targets.windows(2).all(|w| w[0].0 < w[1].0),
        "sorted by label"
    );
    targets
        .binary_search_by(|(l, _)| l.cmp(label))
        .ok()
        .map(|i| targets[i].1)
}

impl AllConfigsResult {
    /// The condition under which `label` is in the result (`never` if it is not).
    pub fn when(&self, label: &Label) -> Cond {
        when_in(&self.targets, label).unwrap_or(self.algebra.never())
    }

    /// Where evaluation fails at all.
    pub fn failing(&self) -> Cond {
        self.algebra.or_all(self.failures.iter().map(|f| f.when))
    }
}

/// An `--all-configs` evaluation with its symbolic resolver still at hand.
pub struct AllConfigsRun<'g> {
    /// The resolver (and the algebra inside it).
    pub sym: SymbolicConfigurer<'g>,
    /// Selectors fixed by the request, with their values.
    pub fixed: Vec<(Label, String)>,
    fixed_idx: Vec<(usize, usize)>,
    /// Where each visited target exists (over all selectors).
    compat: std::collections::HashMap<Label, Cond>,
    /// Targets with their conditions (over the free selectors), sorted by label.
    pub targets: Vec<(Label, Cond)>,
    /// Where evaluation fails (over the free selectors).
    pub failures: Vec<Failure>,
}

impl AllConfigsRun<'_> {
    /// Where a target the evaluation visited exists (its and its dependencies'
    /// `target_compatible_with` hold), over all selectors; `None` if not visited.
    pub fn compatibility(&self, label: &Label) -> Option<Cond> {
        self.compat.get(label).copied()
    }

    /// The algebra.
    pub fn algebra(&self) -> &Algebra {
        self.sym.algebra()
    }

    /// A condition with the fixed selectors set to their values (so it no longer mentions them).
    pub fn free(&self, c: Cond) -> Cond {
        let alg = self.sym.algebra();
        self.fixed_idx
            .iter()
            .fold(c, |c, (s, i)| alg.restrict(c, *s, *i))
    }

    /// The condition under which `label` is in the result (`never` if it is not).
    pub fn when(&self, label: &Label) -> Cond {
        when_in(&self.targets, label).unwrap_or(self.algebra().never())
    }

    /// The plain result, giving up the resolver.
    pub fn into_result(self) -> AllConfigsResult {
        AllConfigsResult {
            algebra: self.sym.into_algebra(),
            fixed: self.fixed,
            targets: self.targets,
            failures: self.failures,
        }
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
        let graph = build_file::load_workspace(&workspace, use_cache)?;
        Ok(Session { workspace, graph })
    }

    /// `sel query` from scratch: loads only the packages of `workspace` the
    /// query can reach (those its patterns name and, through
    /// [`build_file::load_closure`], every package they mention, transitively),
    /// and evaluates it. A pattern over the whole workspace (`//...`) loads
    /// everything, and so does anything unusual (an error, a missing
    /// package): the answer and the errors are those of a full load.
    ///
    /// Also gives, when only the packages its patterns name (no subtree:
    /// those are found by a walk) and the packages they mention were
    /// loaded, the files they were loaded from: all the answer depends on
    /// (see [`answers::lookup_closure`]).
    pub fn load_and_query(
        mut workspace: Workspace,
        use_cache: bool,
        expr: &str,
    ) -> Result<(Session, QueryResult, Option<answers::Inputs>)> {
        timing::start();
        if let Some(roots) = query_roots(&workspace, expr)? {
            let named_only = pattern_packages(&workspace, expr).is_some_and(|(_, s)| s.is_empty());
            if let Some((graph, inputs)) = build_file::load_closure(&workspace, use_cache, &roots)?
            {
                let session = Session { workspace, graph };
                match session.query(expr) {
                    Ok(result) => return Ok((session, result, named_only.then_some(inputs))),
                    // The full load below answers with its own error.
                    Err(_) => workspace = session.workspace,
                }
            }
        }
        let graph = build_file::load_workspace(&workspace, use_cache)?;
        let session = Session { workspace, graph };
        let result = session.query(expr)?;
        Ok((session, result, None))
    }

    /// The unconfigured graph of `result`, the answer of `sel query expr`
    /// printed in `shape`, when the query is a closure of targets named by
    /// label: the answer cache keeps it, to recompute the answer after a
    /// change (see [`incremental`]).
    pub fn kept_graph(
        &self,
        expr: &str,
        result: &QueryResult,
        shape: incremental::Shape,
    ) -> Option<incremental::KeptGraph> {
        let parsed = query::parse(expr).ok()?;
        let roots = incremental::closure_roots(&parsed, &self.workspace.cwd_package)?;
        incremental::KeptGraph::unconfigured(&self.graph, &result.targets, &roots, shape)
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
        Ok(self.cquery_keeping(expr, request, attributes, None)?.0)
    }

    /// [`Session::cquery_with`]; with `keep`, the shape the answer is
    /// printed in, also the configured graph the answer was computed from,
    /// when the query is a closure of targets named by label (see
    /// [`incremental`]): the answer cache keeps it, to recompute the answer
    /// after a change.
    pub fn cquery_keeping(
        &self,
        expr: &str,
        request: &Request,
        attributes: bool,
        keep: Option<incremental::Shape>,
    ) -> Result<(QueryResult, Option<incremental::KeptGraph>)> {
        let parsed = query::parse(expr)?;
        let config = self.configuration(request)?;
        let cfg = Configurer::new(&self.graph, config.clone());
        let mut env = ConfiguredEnv::new(&cfg, &self.workspace.cwd_package);
        let set = query::evaluate(&mut env, expr, &parsed)?;
        timing::phase("query");
        let kept = keep.and_then(|shape| {
            let roots = incremental::closure_roots(&parsed, &self.workspace.cwd_package)?;
            incremental::KeptGraph::new(&self.graph, &env, &roots, set.len(), shape)
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
