//! Kept answers recomputed after a change, without loading the workspace.
//!
//! A `cquery 'deps(//a:b + //c:d)'` prints the closure of its roots in the
//! configured graph; a `query` of the same form, in the unconfigured graph
//! (every branch of every select an edge). Printed one item a target in
//! label order (a line of `--output=label` or `label_kind`, an element of
//! the JSON document's `targets`: a [`Shape`]), such an answer is kept by
//! the answer cache (`answers`) with the closure's edges, by item of the
//! answer (a [`KeptGraph`]), and with where the writer placed each item
//! and whose it is ([`crate::output::Itemized`]): the text is never read
//! back. When BUILD files changed since and their packages are not
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
//!   platforms (every target's configuration may depend on them), or
//!   capabilities or `conflicts` (a clash may appear anywhere);
//! - a changed target fails a check, does not configure (no branch of a
//!   select matches), is incompatible, or depends on a target that does not
//!   exist or is not visible to it;
//! - a target of the closure depends on a changed package's target that no
//!   longer exists or is no longer visible to it, or a root no longer exists;
//! - the configured closure has a cycle (the unconfigured graph may);
//! - for a `query`, whose answer is kept with the files of the packages it
//!   loaded only (`answers::lookup_closure`): the changed packages
//!   mention, or the closure reaches, a package outside those.
//!
//! The items of unchanged packages' targets are copied from the kept
//! answer; those of the changed packages' targets (which may have moved in
//! their files, and whose attributes may have changed) and of targets newly
//! reached are written anew.
//!
//! A closure that now reaches targets the kept one did not (a dependency
//! put back) has no kept edges for them: their packages are loaded as the
//! walk reaches them, with the packages they mention, and their targets
//! configured (and their edges checked) like the changed ones; the walk is
//! done again, up to `MAX_ROUNDS` (8) times.
//!
//! Unchanged packages are what they were, and so are the .bzl files and
//! `sel.toml` (the answer cache checks both before), so their targets'
//! configured edges, checks and compatibility are what they were too.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::configuration::{
    self, configurable_attrs, each_label, each_value, Configuration, Configurer, Edges, Request,
};
use crate::label::{compare_packages, compare_split, Label, TargetPattern};
use crate::output::Itemized;
use crate::query::env::ConfiguredEnv;
use crate::query::syntax::{Arg, Expr, Func, SetOp};
use crate::target_graph::{Package, Rule, Target, TargetGraph, TargetId};
use crate::workspace::Workspace;
use std::cmp::Ordering;

/// The closure a kept answer printed, by item of the answer (a line is
/// the item of a label output): its roots, and each target's dependencies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptGraph {
    /// The items of the query's roots.
    roots: Vec<u32>,
    /// Where each item's dependencies end in `deps` (they start where the
    /// previous item's end).
    ends: Vec<u32>,
    /// The dependencies of every item, in written order, by item.
    deps: Vec<u32>,
    /// The packages that declare selectors, conditions or platforms, sorted.
    config_packages: Vec<String>,
    /// How the answer printed its targets.
    shape: Shape,
}

/// Whether targets of this rule decide configurations rather than being
/// configured: selectors, conditions, platforms.
fn configures(rule: &Rule) -> bool {
    !matches!(rule, Rule::Package { .. } | Rule::Alias { .. })
}

/// The packages of `graph` that declare selectors, conditions or platforms,
/// or aliases of them (which are those selectors and conditions), sorted.
fn config_packages(graph: &TargetGraph) -> Vec<String> {
    let configures_in = |t: &Target| {
        configures(&t.rule)
            || (matches!(t.rule, Rule::Alias { .. })
                && graph
                    .follow_aliases(&t.label)
                    .is_ok_and(|end| configures(&end.rule)))
    };
    graph
        .packages()
        .filter(|p| p.targets.iter().any(configures_in))
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
#[derive(Clone, Copy)]
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
    /// `roots`, whose result has `result_len` targets printed in `shape`;
    /// `None` if the walk covered other targets than the result's.
    pub fn new(
        graph: &TargetGraph,
        env: &ConfiguredEnv,
        roots: &[Label],
        result_len: usize,
        shape: Shape,
    ) -> Option<KeptGraph> {
        // Checked targets come in id order, which is label order: the
        // answer's order.
        let mut item_of = vec![u32::MAX; graph.len()];
        let mut items = 0u32;
        for (i, _) in env.checked_edges() {
            item_of[i] = items;
            items += 1;
        }
        if items as usize != result_len {
            return None;
        }
        let mut ends = Vec::with_capacity(result_len);
        let mut deps = Vec::new();
        for (_, ds) in env.checked_edges() {
            for d in ds {
                let item = item_of[d.index()];
                if item == u32::MAX {
                    return None;
                }
                deps.push(item);
            }
            ends.push(deps.len() as u32);
        }
        KeptGraph::assemble(graph, roots, &item_of, ends, deps, shape)
    }

    /// The graph of a `query`'s closure `result` (sorted) over `graph`
    /// from `roots`, printed in `shape`: each target's dependencies in
    /// every branch of every select. `None` if a dependency is not in the
    /// result.
    pub fn unconfigured(
        graph: &TargetGraph,
        result: &[Label],
        roots: &[Label],
        shape: Shape,
    ) -> Option<KeptGraph> {
        let ids = result
            .iter()
            .map(|l| graph.find(l))
            .collect::<Option<Vec<TargetId>>>()?;
        let mut item_of = vec![u32::MAX; graph.len()];
        for (item, id) in ids.iter().enumerate() {
            item_of[id.index()] = item as u32;
        }
        let mut ends = Vec::with_capacity(result.len());
        let mut deps = Vec::new();
        let mut missing = false;
        for id in &ids {
            let start = deps.len();
            each_dep(graph.target_by_id(*id), &mut |l| {
                let item = graph.find(l).map_or(u32::MAX, |d| item_of[d.index()]);
                if item == u32::MAX {
                    missing = true;
                } else {
                    deps.push(item);
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
        KeptGraph::assemble(graph, roots, &item_of, ends, deps, shape)
    }

    /// The graph of items `ends` and `deps` describe, from the items of
    /// `roots` (`item_of` numbers the graph's targets); `None` if a root is
    /// not an item.
    fn assemble(
        graph: &TargetGraph,
        roots: &[Label],
        item_of: &[u32],
        ends: Vec<u32>,
        deps: Vec<u32>,
        shape: Shape,
    ) -> Option<KeptGraph> {
        let roots = roots
            .iter()
            .map(|l| graph.find(l).map(|id| item_of[id.index()]))
            .collect::<Option<Vec<u32>>>()?;
        Some(KeptGraph {
            roots,
            ends,
            deps,
            config_packages: config_packages(graph),
            shape,
        })
    }

    /// The dependencies of item `i`.
    fn deps_of(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.deps[start as usize..self.ends[i] as usize]
    }
}

/// How a kept answer printed its targets, one item each, in label order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shape {
    /// `--output=label`: a line of the label.
    Labels,
    /// `--output=label_kind`: a line `KIND rule LABEL`.
    LabelKinds,
    /// `--output=json`: an element of the document's `targets` array.
    Json,
}

impl Shape {
    /// The shape of answers printed in `format` in label order, if their
    /// targets are items of this kind.
    pub fn of(format: crate::output::Format, order: crate::output::Order) -> Option<Shape> {
        use crate::output::{Format, Order};
        match (format, order) {
            (Format::Label, Order::Sorted) => Some(Shape::Labels),
            (Format::LabelKind, Order::Sorted) => Some(Shape::LabelKinds),
            (Format::Json, Order::Sorted) => Some(Shape::Json),
            _ => None,
        }
    }
}

/// What a kept answer printed: the closure's graph, and where each of its
/// targets is in the text, as the writer placed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Printed {
    pub graph: KeptGraph,
    pub items: Itemized,
}

/// The items of a kept answer, one a target, in label order: each line of
/// a label output, each element of a JSON document's `targets`.
struct Items<'t> {
    text: &'t str,
    shape: Shape,
    placed: &'t Itemized,
}

impl<'t> Items<'t> {
    /// `None` unless `placed` describes `text`, with at least one item.
    /// (The items are in label order as the writer wrote the sorted result;
    /// the file they were kept in is checksummed and tied to the text.)
    fn new(text: &'t str, placed: &'t Itemized, shape: Shape) -> Option<Items<'t>> {
        if placed.is_empty() || !placed.describes(text) {
            return None;
        }
        Some(Items {
            text,
            shape,
            placed,
        })
    }

    fn len(&self) -> usize {
        self.placed.len()
    }

    /// Item `i`, as it was written.
    fn item(&self, i: usize) -> &'t str {
        let (start, end) = self.placed.span(i);
        &self.text[start..end]
    }

    /// What comes before the first item.
    fn head(&self) -> &'t str {
        &self.text[..self.placed.span(0).0]
    }

    /// What comes after the last item.
    fn tail(&self) -> &'t str {
        &self.text[self.placed.span(self.len() - 1).1..]
    }

    /// Item `i`'s label, as `(package, name)`.
    fn key(&self, i: usize) -> (&'t str, &'t str) {
        Label::split_canonical(self.placed.label(i)).unwrap_or(("", ""))
    }

    /// Item `i`'s target.
    fn label(&self, i: usize) -> Label {
        let (package, name) = self.key(i);
        Label::new(package, name)
    }

    /// The first item whose label is not `before`.
    fn first_not(&self, before: impl Fn((&str, &str)) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if before(self.key(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The item of `label`.
    fn find(&self, label: &Label) -> Option<usize> {
        let key = (label.package(), label.name());
        let i = self.first_not(|k| compare_split(k, key) == Ordering::Less);
        (i < self.len() && self.key(i) == (label.package(), label.name())).then_some(i)
    }

    /// The items of the targets of `package`: consecutive, items being in
    /// label order.
    fn of_package(&self, package: &str) -> std::ops::Range<usize> {
        let start = self.first_not(|(p, _)| compare_packages(p, package) == Ordering::Less);
        let end = self.first_not(|(p, _)| compare_packages(p, package) != Ordering::Greater);
        start..end
    }
}

/// The most walks of a recomputation: each after loading the packages the
/// previous one reached beyond the kept closure.
const MAX_ROUNDS: usize = 8;

/// The answer `text`, which printed `printed`, recomputed now that the
/// packages `changed` (read again) are what they are: see the module's
/// documentation. `None` when that cannot be done with certainty.
///
/// The steps: give up if the change touches what configures
/// (`touches_configuration`); load what configuring the changed packages
/// reads (`Recomputation::start`); then, round by round, check the
/// changed targets (first round), walk the closure from the kept roots,
/// configuring the targets whose kept edges no longer hold
/// (`Recomputation::walk`), and either write the answer
/// (`Recomputation::answer`) or load the packages the walk reached
/// beyond what is loaded (`Recomputation::load_reached`) and walk again.
pub fn recompute(
    ws: &Workspace,
    text: &str,
    printed: &Printed,
    changed: Vec<Package>,
    mode: Mode,
) -> Option<String> {
    let kept = &printed.graph;
    let items = Items::new(text, &printed.items, kept.shape)?;
    if kept.ends.len() != items.len() || touches_configuration(kept, &changed) {
        return None;
    }
    let mut r = Recomputation::start(ws, &items, kept, changed, mode)?;
    for round in 0..MAX_ROUNDS {
        let graph = TargetGraph::new(std::mem::take(&mut r.packages));
        let cfg = match mode {
            Mode::Configured(request) => Some(Configurer::new(
                &graph,
                Configuration::from_request(&graph, request).ok()?,
            )),
            Mode::Unconfigured(_) => None,
        };
        if round == 0 {
            r.check_changed(&graph, cfg.as_ref())?;
        }
        let walked = r.walk(&graph, cfg.as_ref())?;
        if walked.missing.is_empty() {
            let out = r.answer(&graph, cfg.as_ref(), &walked.done)?;
            crate::timing::phase("recompute answer");
            return Some(out);
        }
        r.packages = graph.into_packages();
        r.load_reached(walked.missing)?;
    }
    // A closure that reaches far beyond the kept one is as well computed
    // from scratch.
    None
}

/// Whether a change may change how targets are configured: selectors and
/// conditions are not configured but configure, and a change to them may
/// change any target's edges.
fn touches_configuration(kept: &KeptGraph, changed: &[Package]) -> bool {
    changed.iter().any(|p| {
        kept.config_packages
            .binary_search_by(|c| c.as_str().cmp(&p.name))
            .is_ok()
            || p.targets.iter().any(|t| configures(&t.rule))
            // A package that now declares conflicts may make a clash
            // (capabilities configure: they are caught above).
            || p.targets.iter().any(|t| t.rule.attr("conflicts").is_some())
    })
}

/// A recomputation under way.
///
/// Nodes: the answer's items, then targets that were not in it (of the
/// changed packages, and of other packages as the closure reaches them,
/// loaded as it does). A changed package's items are consecutive (items
/// are in label order), and its targets are configured again; the other
/// items keep their edges.
struct Recomputation<'a> {
    ws: &'a Workspace,
    items: &'a Items<'a>,
    kept: &'a KeptGraph,
    mode: Mode<'a>,
    changed_names: Vec<String>,
    /// The packages to build the next round's graph from.
    packages: Vec<Package>,
    /// The names of all packages loaded.
    loaded: FxHashSet<String>,
    /// Whether each item is a target of a changed package.
    is_changed: Vec<bool>,
    /// Whether each item's target is no longer there.
    gone: Vec<bool>,
    nodes: Nodes,
    /// The edges of the nodes configured again, by node.
    fresh: FxHashMap<usize, Vec<u32>>,
}

/// What a walk of the closure found.
struct Walked {
    /// Whether each node was reached.
    done: Vec<bool>,
    /// The packages of dependencies not loaded yet: the closure goes on
    /// there.
    missing: Vec<String>,
}

impl<'a> Recomputation<'a> {
    /// Loads the changed packages, what their targets mention, and what
    /// declares selectors and conditions: all that configuring them reads.
    fn start(
        ws: &'a Workspace,
        items: &'a Items<'a>,
        kept: &'a KeptGraph,
        changed: Vec<Package>,
        mode: Mode<'a>,
    ) -> Option<Self> {
        let changed_names: Vec<String> = changed.iter().map(|p| p.name.clone()).collect();
        let mut around: Vec<String> = kept.config_packages.clone();
        for p in &changed {
            around.extend(crate::build_file::mentioned_packages(p));
        }
        around.sort();
        around.dedup();
        around.retain(|name| !changed_names.contains(name));
        let n = items.len();
        let mut r = Recomputation {
            ws,
            items,
            kept,
            mode,
            changed_names,
            packages: Vec::new(),
            loaded: FxHashSet::default(),
            is_changed: vec![false; n],
            gone: vec![false; n],
            nodes: Nodes::default(),
            fresh: FxHashMap::default(),
        };
        if !around.iter().all(|p| r.is_covered(p)) {
            return None;
        }
        let mut packages = crate::build_file::load_named(ws, &around)?;
        packages.extend(changed);
        for name in &r.changed_names {
            let range = items.of_package(name);
            r.is_changed[range.clone()].fill(true);
            r.gone[range].fill(true);
        }
        for p in &packages {
            let changed = r.changed_names.contains(&p.name);
            r.nodes.add(p, items, changed, &mut r.gone);
            r.loaded.insert(p.name.clone());
        }
        r.packages = packages;
        Some(r)
    }

    /// Whether the answer may depend on package `name`: a `query`'s record
    /// covers only some packages, and what it does not cover could change
    /// unseen.
    fn is_covered(&self, name: &str) -> bool {
        match self.mode {
            Mode::Unconfigured(covered) => {
                covered.binary_search_by(|p| p.as_str().cmp(name)).is_ok()
            }
            Mode::Configured(_) => true,
        }
    }

    /// Whether target `id` is visible from `package` (the unconfigured
    /// graph has no visibility errors: `query` does not check them).
    fn visible(graph: &TargetGraph, cfg: Option<&Configurer>, id: TargetId, from: &str) -> bool {
        cfg.is_none() || graph.is_public(id) || graph.target_by_id(id).visible_to(from)
    }

    /// The changed targets pass the checks, and the unchanged items' edges
    /// into changed packages still lead to a target visible to them (a
    /// target that is gone is not found).
    fn check_changed(&self, graph: &TargetGraph, cfg: Option<&Configurer>) -> Option<()> {
        let changed = self
            .changed_names
            .iter()
            .flat_map(|name| graph.package(name));
        configuration::check_targets(graph, changed.flat_map(|p| p.targets.iter())).ok()?;
        for i in (0..self.items.len()).filter(|&i| !self.is_changed[i]) {
            for &d in self.kept.deps_of(i) {
                if self.is_changed[d as usize] {
                    let id = graph.find(&self.items.label(d as usize))?;
                    if !Self::visible(graph, cfg, id, self.items.key(i).0) {
                        return None;
                    }
                }
            }
        }
        Some(())
    }

    /// The target of `node`.
    fn label(&self, node: usize) -> Label {
        match node.checked_sub(self.items.len()) {
            Some(k) => self.nodes.added[k].clone(),
            None => self.items.label(node),
        }
    }

    /// A node's edges, configured now (as the configured query does, only
    /// for the targets the closure reaches); in the unconfigured graph,
    /// every branch's. `Some(None)` when a dependency's package is not
    /// loaded yet (it goes to `missing`); `None` to give up.
    fn configure(
        &self,
        graph: &TargetGraph,
        cfg: Option<&Configurer>,
        node: usize,
        edges: &mut Edges,
        missing: &mut Vec<String>,
    ) -> Option<Option<Vec<u32>>> {
        let label = self.label(node);
        let t = graph.target_by_id(graph.find(&label)?);
        match cfg {
            Some(cfg) => {
                cfg.edges(t, edges).ok()?;
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
            if !self.loaded.contains(d.package()) {
                missing.push(d.package().to_string());
                continue;
            }
            if !Self::visible(graph, cfg, graph.find(d)?, label.package()) {
                return None;
            }
            let to = match self.nodes.node_of.get(d) {
                Some(&to) => to,
                None => self.items.find(d)?,
            };
            out.push(to as u32);
        }
        Some((missing.len() == before).then_some(out))
    }

    /// The closure from the kept roots, depth first; a cycle in the
    /// configured graph gives up (the full run reports it). An item of an
    /// unchanged package keeps its edges; other nodes are configured as
    /// the walk reaches them. A node whose dependencies are not all loaded
    /// yet is not followed this round.
    fn walk(&mut self, graph: &TargetGraph, cfg: Option<&Configurer>) -> Option<Walked> {
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let n = self.items.len();
        let mut state = vec![NEW; n + self.nodes.added.len()];
        let mut edges = Edges::default();
        let mut missing = Vec::new();
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for &root in &self.kept.roots {
            let root = root as usize;
            if self.gone[root] {
                return None;
            }
            let mut next = Some(root);
            loop {
                if let Some(node) = next.take().filter(|&node| state[node] == NEW) {
                    if !self.is_kept(node) && !self.fresh.contains_key(&node) {
                        if let Some(out) =
                            self.configure(graph, cfg, node, &mut edges, &mut missing)?
                        {
                            self.fresh.insert(node, out);
                        }
                    }
                    state[node] = OPEN;
                    stack.push((node, 0));
                }
                let Some((node, at)) = stack.last_mut() else {
                    break;
                };
                let deps: &[u32] = if self.is_kept(*node) {
                    self.kept.deps_of(*node)
                } else {
                    self.fresh.get(node).map_or(&[], |d| d.as_slice())
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
        missing.sort();
        missing.dedup();
        Some(Walked {
            done: state.into_iter().map(|s| s == DONE).collect(),
            missing,
        })
    }

    /// Whether `node` is an item that keeps its edges.
    fn is_kept(&self, node: usize) -> bool {
        node < self.items.len() && !self.is_changed[node]
    }

    /// Loads the packages `missing` (sorted) that the closure reached, and
    /// those they mention (their targets' dependencies, next round).
    fn load_reached(&mut self, missing: Vec<String>) -> Option<()> {
        let mut more = crate::build_file::load_named(self.ws, &missing)?;
        let mentioned: Vec<String> = more
            .iter()
            .flat_map(crate::build_file::mentioned_packages)
            .filter(|p| !self.loaded.contains(p) && missing.binary_search(p).is_err())
            .collect::<FxHashSet<String>>()
            .into_iter()
            .collect();
        more.extend(crate::build_file::load_named(self.ws, &mentioned)?);
        if !more.iter().all(|p| self.is_covered(&p.name)) {
            return None;
        }
        for p in &more {
            self.loaded.insert(p.name.clone());
            self.nodes.add(p, self.items, false, &mut self.gone);
        }
        self.packages.extend(more);
        Some(())
    }

    /// The recomputed answer: the items of the kept answer reached, and the
    /// targets added that were reached, in label order; the items of
    /// targets of changed packages, and of added targets, written anew.
    fn answer(
        &self,
        graph: &TargetGraph,
        cfg: Option<&Configurer>,
        reached: &[bool],
    ) -> Option<String> {
        let items = self.items;
        let n = items.len();
        let mut positions = crate::output::Positions;
        let mut render = |label: &Label| -> Option<String> {
            let t = graph.target_by_id(graph.find(label)?);
            Some(match items.shape {
                Shape::Labels => format!("{label}\n"),
                Shape::LabelKinds => format!("{} rule {label}\n", t.rule.kind()),
                Shape::Json => {
                    // As the full run, which resolves every attribute (and
                    // fails where one cannot be).
                    let configured = cfg.map(|cfg| cfg.resolve_target(label)).transpose().ok()?;
                    crate::output::json::target_item(t, configured.as_ref(), &mut positions)
                }
            })
        };
        let mut added: Vec<&Label> = self
            .nodes
            .added
            .iter()
            .enumerate()
            .filter(|&(k, _)| reached[n + k])
            .map(|(_, l)| l)
            .collect();
        added.sort();
        let mut out = String::with_capacity(items.text.len() + 64 * added.len());
        out.push_str(items.head());
        let mut first = true;
        let mut push = |out: &mut String, item: &str| {
            if !std::mem::take(&mut first) {
                out.push_str(items.placed.separator());
            }
            out.push_str(item);
        };
        let mut added = added.into_iter().peekable();
        for i in (0..n).filter(|&i| reached[i]) {
            let key = items.key(i);
            while let Some(l) =
                added.next_if(|l| compare_split((l.package(), l.name()), key) == Ordering::Less)
            {
                push(&mut out, &render(l)?);
            }
            if self.is_changed[i] {
                push(&mut out, &render(&items.label(i))?);
            } else {
                push(&mut out, items.item(i));
            }
        }
        for l in added {
            push(&mut out, &render(l)?);
        }
        out.push_str(items.tail());
        Some(out)
    }
}

/// The targets of a recomputation that are not items of the kept answer.
#[derive(Default)]
struct Nodes {
    /// Their labels: node `n + k` is `added[k]` (`n` items).
    added: Vec<Label>,
    /// The node of each, and of each changed package's target.
    node_of: FxHashMap<Label, usize>,
}

impl Nodes {
    /// Numbers the targets of a loaded package: a changed package's all
    /// (each that is an item is no longer `gone`), another's those that are
    /// not items (an item of an unchanged package keeps its edges).
    fn add(&mut self, p: &Package, items: &Items, changed: bool, gone: &mut [bool]) {
        for t in &p.targets {
            let node = match items.find(&t.label) {
                Some(item) if changed => {
                    gone[item] = false;
                    item
                }
                Some(_) => continue,
                None => {
                    self.added.push(t.label.clone());
                    items.len() + self.added.len() - 1
                }
            };
            self.node_of.insert(t.label.clone(), node);
        }
    }
}
