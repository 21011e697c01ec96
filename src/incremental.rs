//! Kept answers recomputed after a change, without loading the workspace.
//!
//! A `cquery 'deps(//a:b + //c:d)'` printing labels (the default output,
//! sorted) prints the closure of its roots in the configured graph; a
//! `query` of the same form, in the unconfigured graph (every branch of
//! every select an edge). The answer cache ([`crate::answers`]) keeps such
//! an answer with the closure's edges, by line of the answer: a
//! [`KeptGraph`]. When BUILD files changed since and their packages are not
//! what they were (a dependency added or dropped), the answer is recomputed
//! from those edges ([`recompute`]): the changed packages' targets are
//! checked and configured again, against the packages they mention and
//! those that declare selectors and conditions, and the closure is walked
//! again. Nothing else is loaded: at 100,000 targets that is about ten
//! milliseconds where a load takes a fifth of a second.
//!
//! The recomputed answer is the full run's. Recomputing gives up, and the
//! command loads the workspace as usual (so that the answer, or the error,
//! is the full run's), whenever that is not certain:
//! - a changed package declares, or declared, selectors, conditions or
//!   platforms (every target's configuration may depend on them);
//! - a changed target fails a check, does not configure (no branch of a
//!   select matches), is incompatible, or depends on a target that does not
//!   exist or is not visible to it;
//! - a target of the closure depends on a changed package's target that no
//!   longer exists or is no longer visible to it, or a root no longer exists;
//! - the configured closure has a cycle (the unconfigured graph may);
//! - for a `query`, whose answer is kept with the files of the packages it
//!   loaded only ([`crate::answers::lookup_closure`]): the changed packages
//!   mention, or the closure reaches, a package outside those.
//!
//! A closure that now reaches targets the kept one did not (a dependency
//! put back) has no kept edges for them: their packages are loaded as the
//! walk reaches them, with the packages they mention, and their targets
//! configured (and their edges checked) like the changed ones; the walk is
//! done again, up to [`MAX_ROUNDS`] times.
//!
//! Unchanged packages are what they were, and so are the .bzl files and
//! `sel.toml` (the answer cache checks both before), so their targets'
//! configured edges, checks and compatibility are what they were too.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::configuration::{
    self, configurable_attrs, each_label, each_value, Configuration, Configurer, Edges, Request,
};
use crate::label::{Label, TargetPattern};
use crate::query::env::ConfiguredEnv;
use crate::query::syntax::{Arg, Expr, Func, SetOp};
use crate::target_graph::{Package, Rule, Target, TargetGraph, TargetId};
use crate::workspace::Workspace;

/// The configured closure a kept answer printed, by line of the answer: its
/// roots, and each target's configured dependencies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptGraph {
    /// The lines of the query's roots.
    roots: Vec<u32>,
    /// Where each line's dependencies end in `deps` (they start where the
    /// previous line's end).
    ends: Vec<u32>,
    /// The dependencies of every line, in written order, by line.
    deps: Vec<u32>,
    /// The packages that declare selectors, conditions or platforms, sorted.
    config_packages: Vec<String>,
}

/// Whether targets of this rule decide configurations rather than being
/// configured: selectors, conditions, platforms.
fn configures(rule: &Rule) -> bool {
    !matches!(rule, Rule::Package { .. } | Rule::Alias { .. })
}

/// The packages of `graph` that declare selectors, conditions or platforms, sorted.
fn config_packages(graph: &TargetGraph) -> Vec<String> {
    graph
        .packages()
        .filter(|p| p.targets.iter().any(|t| configures(&t.rule)))
        .map(|p| p.name.clone())
        .collect()
}

/// Calls `f` with every label of a target's dependency attributes, in
/// every branch of every select: its edges in the unconfigured graph.
fn each_dep(t: &Target, f: &mut impl FnMut(&Label)) {
    for (name, attr) in configurable_attrs(&t.rule) {
        if t.rule.dep_attrs().contains(&name) {
            each_value(attr, &mut |v| each_label(v, &mut *f));
        }
    }
}

/// What an answer printed: the closure in which graph.
pub enum Mode<'r> {
    /// `cquery`: the graph configured by this request.
    Configured(&'r Request),
    /// `query`: the unconfigured graph, every branch an edge; the answer
    /// was kept with the files of these packages only (sorted), so it may
    /// depend on no other.
    Unconfigured(&'r [String]),
}

/// The roots of a query that is the closure of targets named by label
/// (`deps(//a:b)`, `deps(//a:b + //c:d)`, no depth): the queries whose
/// answers keep their graph. `None` for any other query.
pub fn closure_roots(expr: &Expr, cwd_package: &str) -> Option<Vec<Label>> {
    let Expr::Call {
        func: Func::Deps,
        args,
        ..
    } = expr
    else {
        return None;
    };
    let [Arg::Expr(x)] = args.as_slice() else {
        return None;
    };
    let mut roots = Vec::new();
    union_of_labels(x, cwd_package, &mut roots)?;
    Some(roots)
}

fn union_of_labels(expr: &Expr, cwd_package: &str, out: &mut Vec<Label>) -> Option<()> {
    match expr {
        Expr::Pattern { text, .. } => match TargetPattern::parse(text, cwd_package).ok()? {
            TargetPattern::Target(l) => {
                out.push(l);
                Some(())
            }
            _ => None,
        },
        Expr::SetOp {
            op: SetOp::Union,
            left,
            right,
            ..
        } => {
            union_of_labels(left, cwd_package, out)?;
            union_of_labels(right, cwd_package, out)
        }
        _ => None,
    }
}

impl KeptGraph {
    /// The graph `env` walked to answer a closure query over `graph` from
    /// `roots`, whose result has `result_len` targets; `None` if the walk
    /// covered other targets than the result's.
    pub fn new(
        graph: &TargetGraph,
        env: &ConfiguredEnv,
        roots: &[Label],
        result_len: usize,
    ) -> Option<KeptGraph> {
        // Checked targets come in id order, which is label order: the
        // answer's order.
        let mut line_of = vec![u32::MAX; graph.len()];
        let mut lines = 0u32;
        for (i, _) in env.checked_edges() {
            line_of[i] = lines;
            lines += 1;
        }
        if lines as usize != result_len {
            return None;
        }
        let mut ends = Vec::with_capacity(result_len);
        let mut deps = Vec::new();
        for (_, ds) in env.checked_edges() {
            for d in ds {
                let line = line_of[d.index()];
                if line == u32::MAX {
                    return None;
                }
                deps.push(line);
            }
            ends.push(deps.len() as u32);
        }
        let roots = roots
            .iter()
            .map(|l| graph.find(l).map(|id| line_of[id.index()]))
            .collect::<Option<Vec<u32>>>()?;
        Some(KeptGraph {
            roots,
            ends,
            deps,
            config_packages: config_packages(graph),
        })
    }

    /// The graph of a `query`'s closure `result` (sorted) over `graph`
    /// from `roots`: each target's dependencies in every branch of every
    /// select. `None` if a dependency is not in the result.
    pub fn unconfigured(
        graph: &TargetGraph,
        result: &[Label],
        roots: &[Label],
    ) -> Option<KeptGraph> {
        let ids = result
            .iter()
            .map(|l| graph.find(l))
            .collect::<Option<Vec<TargetId>>>()?;
        let mut line_of = vec![u32::MAX; graph.len()];
        for (line, id) in ids.iter().enumerate() {
            line_of[id.index()] = line as u32;
        }
        let mut ends = Vec::with_capacity(result.len());
        let mut deps = Vec::new();
        let mut missing = false;
        for id in &ids {
            let start = deps.len();
            each_dep(graph.target_by_id(*id), &mut |l| {
                let line = graph.find(l).map_or(u32::MAX, |d| line_of[d.index()]);
                if line == u32::MAX {
                    missing = true;
                } else {
                    deps.push(line);
                }
            });
            deps[start..].sort_unstable();
            let mut kept = start;
            for i in start..deps.len() {
                if i == start || deps[i] != deps[kept - 1] {
                    deps[kept] = deps[i];
                    kept += 1;
                }
            }
            deps.truncate(kept);
            ends.push(deps.len() as u32);
        }
        if missing {
            return None;
        }
        let roots = roots
            .iter()
            .map(|l| graph.find(l).map(|id| line_of[id.index()]))
            .collect::<Option<Vec<u32>>>()?;
        Some(KeptGraph {
            roots,
            ends,
            deps,
            config_packages: config_packages(graph),
        })
    }

    /// The dependencies of line `i`.
    fn deps_of(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.deps[start as usize..self.ends[i] as usize]
    }
}

/// The lines of a kept answer: one label each, in label order.
struct Lines<'t> {
    text: &'t str,
    /// Where each line starts, and where the text ends.
    starts: Vec<u32>,
}

impl<'t> Lines<'t> {
    /// `None` if `text` does not end a line.
    fn new(text: &'t str) -> Option<Lines<'t>> {
        if !text.is_empty() && !text.ends_with('\n') {
            return None;
        }
        let mut starts = Vec::with_capacity(text.len() / 16);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        Some(Lines { text, starts })
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Line `i`, with its newline.
    fn line(&self, i: usize) -> &'t str {
        &self.text[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    /// Line `i`'s label, split as labels order: by package, then by name,
    /// on bytes. A line that is not an absolute label sorts first.
    fn label(&self, i: usize) -> (&'t str, &'t str) {
        let line = self.line(i).trim_end_matches('\n');
        line.strip_prefix("//")
            .and_then(|l| l.split_once(':'))
            .unwrap_or(("", ""))
    }

    /// The line of the label `//package:name`.
    fn find(&self, package: &str, name: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        let key = (package.as_bytes(), name.as_bytes());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let (p, m) = self.label(mid);
            match (p.as_bytes(), m.as_bytes()).cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The first line whose package is not before `package` (with
    /// `after`: not before nor equal to it).
    fn package_bound(&self, package: &str, after: bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let p = self.label(mid).0.as_bytes();
            if p < package.as_bytes() || (after && p == package.as_bytes()) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// The most walks of a recomputation: each after loading the packages the
/// previous one reached beyond the kept closure.
const MAX_ROUNDS: usize = 8;

/// The targets of a recomputation that are not lines of the kept answer.
#[derive(Default)]
struct Nodes {
    /// Their labels: node `n + k` is `added[k]` (`n` lines).
    added: Vec<Label>,
    /// The node of each, and of each changed package's target.
    node_of: FxHashMap<Label, usize>,
}

impl Nodes {
    /// Numbers the targets of a loaded package: a changed package's all
    /// (each that is a line is no longer `gone`), another's those that are
    /// not lines (a line of an unchanged package keeps its edges).
    fn add(&mut self, p: &Package, lines: &Lines, changed: bool, gone: &mut [bool]) {
        for t in &p.targets {
            let node = match lines.find(t.label.package(), t.label.name()) {
                Some(line) if changed => {
                    gone[line] = false;
                    line
                }
                Some(_) => continue,
                None => {
                    self.added.push(t.label.clone());
                    lines.len() + self.added.len() - 1
                }
            };
            self.node_of.insert(t.label.clone(), node);
        }
    }
}

/// The answer `text`, which printed the closure `kept`, recomputed now that
/// the packages `changed` (read again) are what they are: see the module's
/// documentation. `None` when that cannot be done with certainty.
pub fn recompute(
    ws: &Workspace,
    text: &str,
    kept: &KeptGraph,
    changed: Vec<Package>,
    mode: Mode,
) -> Option<String> {
    let lines = Lines::new(text)?;
    let n = lines.len();
    if kept.ends.len() != n {
        return None;
    }
    // Selectors and conditions are not configured but configure: a change
    // to them may change any target's edges.
    let is_config_package = |name: &str| {
        kept.config_packages
            .binary_search_by(|p| p.as_str().cmp(name))
            .is_ok()
    };
    if changed
        .iter()
        .any(|p| is_config_package(&p.name) || p.targets.iter().any(|t| configures(&t.rule)))
    {
        return None;
    }
    // The changed packages, what their targets mention, and what declares
    // selectors and conditions: all that configuring them reads.
    let changed_names: Vec<String> = changed.iter().map(|p| p.name.clone()).collect();
    let mut around: Vec<String> = kept.config_packages.clone();
    for p in &changed {
        around.extend(crate::build_file::mentioned_packages(p));
    }
    around.sort();
    around.dedup();
    around.retain(|name| !changed_names.contains(name));
    // A `query`'s record covers only some packages: what it does not
    // cover could change unseen.
    let is_covered = |name: &str| match mode {
        Mode::Unconfigured(covered) => covered.binary_search_by(|p| p.as_str().cmp(name)).is_ok(),
        Mode::Configured(_) => true,
    };
    if !around.iter().all(|p| is_covered(p)) {
        return None;
    }
    let mut packages = crate::build_file::load_named(ws, &around)?;
    packages.extend(changed);
    let mut loaded: FxHashSet<String> = packages.iter().map(|p| p.name.clone()).collect();

    // Nodes: the answer's lines, then targets that were not in it (of the
    // changed packages, and of other packages as the closure reaches them,
    // loaded as it does). A changed package's lines are consecutive (lines
    // are in label order), and its targets are configured again; the
    // other lines keep their edges.
    let mut is_changed = vec![false; n];
    let mut gone = vec![false; n];
    for name in &changed_names {
        let start = lines.package_bound(name, false);
        let end = lines.package_bound(name, true);
        is_changed[start..end].fill(true);
        gone[start..end].fill(true);
    }
    let mut nodes = Nodes::default();
    for p in &packages {
        nodes.add(p, &lines, changed_names.contains(&p.name), &mut gone);
    }
    let mut fresh: FxHashMap<usize, Vec<u32>> = FxHashMap::default();
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut first_round = true;
    let mut rounds = 0;
    let state = loop {
        // A closure that reaches far beyond the kept one is as well
        // computed from scratch.
        rounds += 1;
        if rounds > MAX_ROUNDS {
            return None;
        }
        let graph = TargetGraph::new(std::mem::take(&mut packages));
        let cfg = match mode {
            Mode::Configured(request) => Some(Configurer::new(
                &graph,
                Configuration::from_request(&graph, request).ok()?,
            )),
            Mode::Unconfigured(_) => None,
        };
        let visible = |id: TargetId, from: &str| {
            cfg.is_none() || graph.is_public(id) || graph.target_by_id(id).visible_to(from)
        };
        if std::mem::take(&mut first_round) {
            let changed = changed_names.iter().flat_map(|name| graph.package(name));
            configuration::check_targets(&graph, changed.flat_map(|p| p.targets.iter())).ok()?;
            // The unchanged lines' edges into changed packages still lead
            // to a target visible to them (a target that is gone is not
            // found).
            for i in (0..n).filter(|&i| !is_changed[i]) {
                for &d in kept.deps_of(i) {
                    if is_changed[d as usize] {
                        let (package, name) = lines.label(d as usize);
                        let id = graph.find(&Label::new(package, name))?;
                        if !visible(id, lines.label(i).0) {
                            return None;
                        }
                    }
                }
            }
        }
        // A target's edges, configured now (as the configured query does,
        // only for the targets the closure reaches); in the unconfigured
        // graph, every branch's. The packages of dependencies not loaded
        // yet go to `missing`.
        let mut edges = Edges::default();
        let mut missing: Vec<String> = Vec::new();
        let mut configure = |node: usize, missing: &mut Vec<String>| -> Option<Option<Vec<u32>>> {
            let label = match node.checked_sub(n) {
                Some(k) => nodes.added[k].clone(),
                None => {
                    let (package, name) = lines.label(node);
                    Label::new(package, name)
                }
            };
            let t = graph.target_by_id(graph.find(&label)?);
            match &cfg {
                Some(cfg) => {
                    cfg.edges(t, &mut edges).ok()?;
                    for c in &edges.compatible_with {
                        if !cfg.matches(c).ok()? {
                            return None;
                        }
                    }
                }
                None => {
                    edges.deps.clear();
                    each_dep(t, &mut |l| edges.deps.push(l.clone()));
                }
            }
            let before = missing.len();
            let mut out = Vec::with_capacity(edges.deps.len());
            for d in &edges.deps {
                if !loaded.contains(d.package()) {
                    missing.push(d.package().to_string());
                    continue;
                }
                if !visible(graph.find(d)?, label.package()) {
                    return None;
                }
                let to = match nodes.node_of.get(d) {
                    Some(&to) => to,
                    None => lines.find(d.package(), d.name())?,
                };
                out.push(to as u32);
            }
            Some((missing.len() == before).then_some(out))
        };

        // The closure, depth first; a cycle in the configured graph gives
        // up (the full run reports it). A target whose dependencies are not
        // all loaded yet is not followed this round.
        let mut state = vec![NEW; n + nodes.added.len()];
        let is_kept = |node: usize| node < n && !is_changed[node];
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for &root in &kept.roots {
            let root = root as usize;
            if gone[root] {
                return None;
            }
            let mut next = Some(root);
            loop {
                if let Some(node) = next.take().filter(|&node| state[node] == NEW) {
                    if !is_kept(node) && !fresh.contains_key(&node) {
                        if let Some(out) = configure(node, &mut missing)? {
                            fresh.insert(node, out);
                        }
                    }
                    state[node] = OPEN;
                    stack.push((node, 0));
                }
                let Some((node, at)) = stack.last_mut() else {
                    break;
                };
                let deps: &[u32] = if is_kept(*node) {
                    kept.deps_of(*node)
                } else {
                    fresh.get(node).map_or(&[], |d| d.as_slice())
                };
                let Some(&d) = deps.get(*at) else {
                    state[*node] = DONE;
                    stack.pop();
                    continue;
                };
                *at += 1;
                // The unconfigured graph may have cycles; a configured one not.
                if state[d as usize] == OPEN && cfg.is_some() {
                    return None;
                }
                next = Some(d as usize);
            }
        }
        if missing.is_empty() {
            break state;
        }
        // Load what the closure reached, and what those packages mention
        // (their targets' dependencies, next round), then walk again.
        missing.sort();
        missing.dedup();
        let mut more = crate::build_file::load_named(ws, &missing)?;
        let mentioned: Vec<String> = more
            .iter()
            .flat_map(crate::build_file::mentioned_packages)
            .filter(|p| !loaded.contains(p) && missing.binary_search(p).is_err())
            .collect::<FxHashSet<String>>()
            .into_iter()
            .collect();
        more.extend(crate::build_file::load_named(ws, &mentioned)?);
        if !more.iter().all(|p| is_covered(&p.name)) {
            return None;
        }
        for p in &more {
            loaded.insert(p.name.clone());
            nodes.add(p, &lines, false, &mut gone);
        }
        packages = graph.into_packages();
        packages.extend(more);
    };

    // The answer: the lines reached, and the added targets reached, in
    // label order.
    let mut reached_added: Vec<&Label> = nodes
        .added
        .iter()
        .enumerate()
        .filter(|(k, _)| state[n + k] == DONE)
        .map(|(_, l)| l)
        .collect();
    reached_added.sort();
    let mut out = String::with_capacity(text.len() + 64 * reached_added.len());
    let mut extra = reached_added.into_iter().peekable();
    for i in (0..n).filter(|&i| state[i] == DONE) {
        if extra.peek().is_some() {
            let (package, name) = lines.label(i);
            while let Some(l) = extra.next_if(|l| {
                (l.package().as_bytes(), l.name().as_bytes())
                    < (package.as_bytes(), name.as_bytes())
            }) {
                out.push_str(&l.to_string());
                out.push('\n');
            }
        }
        out.push_str(lines.line(i));
    }
    for l in extra {
        out.push_str(&l.to_string());
        out.push('\n');
    }
    crate::timing::phase("recompute answer");
    Some(out)
}
