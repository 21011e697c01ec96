//! Kept answers recomputed after a change, without loading the workspace.
//!
//! A `cquery 'deps(//a:b + //c:d)'` prints the closure of its roots in the
//! configured graph; a `query` of the same form, in the unconfigured graph
//! (every branch of every select an edge). Printed one item a target in
//! label order (a line of `--output=label` or `label_kind`, an element of
//! the JSON document's `targets`: a [`Shape`]), such an answer is kept by
//! the answer cache (`answers`) with the closure's edges, by item
//! of the answer: a [`KeptGraph`]. When BUILD files changed since and their packages are not
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
use crate::label::{Label, TargetPattern};
use crate::query::env::ConfiguredEnv;
use crate::query::syntax::{Arg, Expr, Func, SetOp};
use crate::target_graph::{Package, Rule, Target, TargetGraph, TargetId};
use crate::workspace::Workspace;

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

/// The items of a kept answer, one a target, in label order: each line of
/// a label output, each element of a JSON document's `targets`.
struct Items<'t> {
    text: &'t str,
    shape: Shape,
    /// Where each item starts and ends (a line with its newline; a JSON
    /// element without the separator after it).
    spans: Vec<(u32, u32)>,
    /// Where each item's label is.
    labels: Vec<(u32, u32)>,
}

/// How a JSON document's `targets` array holds its elements (as
/// `serde_json`'s pretty printer writes them): each starts with a line of
/// its own opening brace, indented by four spaces, and ends with a line of
/// its closing brace; its fields are indented by six.
const JSON_ITEM_START: &[u8] = b"\n    {\n";
const JSON_ITEM_END: &[u8] = b"\n    }";
const JSON_LABEL: &[u8] = b"\n      \"label\": \"";
const JSON_SEPARATOR: &str = ",\n";

impl<'t> Items<'t> {
    /// `None` if `text` is not an answer of this shape.
    fn new(text: &'t str, shape: Shape) -> Option<Items<'t>> {
        let bytes = text.as_bytes();
        // About how long an item is: a label's line, or a JSON element.
        let per_item = match shape {
            Shape::Labels | Shape::LabelKinds => 16,
            Shape::Json => 512,
        };
        let mut spans = Vec::with_capacity(text.len() / per_item);
        let mut labels = Vec::with_capacity(text.len() / per_item);
        match shape {
            Shape::Labels | Shape::LabelKinds => {
                if !text.is_empty() && !text.ends_with('\n') {
                    return None;
                }
                let mut start = 0;
                for end in memchr::memchr_iter(b'\n', bytes) {
                    let line = &text[start..end];
                    let at = match shape {
                        Shape::Labels => start,
                        _ => start + line.find(" rule ")? + " rule ".len(),
                    };
                    spans.push((start as u32, end as u32 + 1));
                    labels.push((at as u32, end as u32));
                    start = end + 1;
                }
            }
            Shape::Json => {
                let item_start = memchr::memmem::Finder::new(JSON_ITEM_START);
                let item_end = memchr::memmem::Finder::new(JSON_ITEM_END);
                let label = memchr::memmem::Finder::new(JSON_LABEL);
                let mut from = 0;
                while let Some(at) = item_start.find(&bytes[from..]) {
                    let start = from + at + 1;
                    // Elements follow one another with a separator.
                    if let Some(&(_, end)) = spans.last() {
                        if text.get(end as usize..start)? != JSON_SEPARATOR {
                            return None;
                        }
                    }
                    let end = start + item_end.find(&bytes[start..])? + JSON_ITEM_END.len();
                    let field = start + label.find(&bytes[start..end])? + JSON_LABEL.len();
                    let field_end = field + memchr::memchr(b'"', &bytes[field..end])?;
                    // A label JSON escapes would not be the label's text.
                    if bytes[field..field_end].contains(&b'\\') {
                        return None;
                    }
                    spans.push((start as u32, end as u32));
                    labels.push((field as u32, field_end as u32));
                    from = end;
                }
                // The document has its fields before and after `targets`.
                spans.first()?;
            }
        }
        Some(Items {
            text,
            shape,
            spans,
            labels,
        })
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    /// Item `i`, as it was written.
    fn item(&self, i: usize) -> &'t str {
        let (start, end) = self.spans[i];
        &self.text[start as usize..end as usize]
    }

    /// What comes before the first item.
    fn head(&self) -> &'t str {
        &self.text[..self.spans.first().map_or(0, |s| s.0 as usize)]
    }

    /// What comes after the last item.
    fn tail(&self) -> &'t str {
        &self.text[self.spans.last().map_or(0, |s| s.1 as usize)..]
    }

    /// What is written between two items.
    fn separator(&self) -> &'static str {
        match self.shape {
            Shape::Json => JSON_SEPARATOR,
            Shape::Labels | Shape::LabelKinds => "",
        }
    }

    /// Item `i`'s label, split as labels order: by package, then by name,
    /// on bytes. A label that is not absolute sorts first.
    fn label(&self, i: usize) -> (&'t str, &'t str) {
        let (start, end) = self.labels[i];
        self.text[start as usize..end as usize]
            .strip_prefix("//")
            .and_then(|l| l.split_once(':'))
            .unwrap_or(("", ""))
    }

    /// The item of the label `//package:name`.
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

    /// The first item whose package is not before `package` (with
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
            let node = match items.find(t.label.package(), t.label.name()) {
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
    let items = Items::new(text, kept.shape)?;
    let n = items.len();
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

    // Nodes: the answer's items, then targets that were not in it (of the
    // changed packages, and of other packages as the closure reaches them,
    // loaded as it does). A changed package's items are consecutive (items
    // are in label order), and its targets are configured again; the
    // other items keep their edges.
    let mut is_changed = vec![false; n];
    let mut gone = vec![false; n];
    for name in &changed_names {
        let start = items.package_bound(name, false);
        let end = items.package_bound(name, true);
        is_changed[start..end].fill(true);
        gone[start..end].fill(true);
    }
    let mut nodes = Nodes::default();
    for p in &packages {
        nodes.add(p, &items, changed_names.contains(&p.name), &mut gone);
    }
    let mut fresh: FxHashMap<usize, Vec<u32>> = FxHashMap::default();
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut first_round = true;
    let mut rounds = 0;
    loop {
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
            // The unchanged items' edges into changed packages still lead
            // to a target visible to them (a target that is gone is not
            // found).
            for i in (0..n).filter(|&i| !is_changed[i]) {
                for &d in kept.deps_of(i) {
                    if is_changed[d as usize] {
                        let (package, name) = items.label(d as usize);
                        let id = graph.find(&Label::new(package, name))?;
                        if !visible(id, items.label(i).0) {
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
                    let (package, name) = items.label(node);
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
                    None => items.find(d.package(), d.name())?,
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
            let reached = |node: usize| state[node] == DONE;
            let out = answer(&items, &graph, cfg.as_ref(), &nodes, &is_changed, reached)?;
            crate::timing::phase("recompute answer");
            return Some(out);
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
            nodes.add(p, &items, false, &mut gone);
        }
        packages = graph.into_packages();
        packages.extend(more);
    }
}

/// The recomputed answer: the items of the kept answer reached, and the
/// targets `nodes` added that were reached, in label order; the items of
/// targets of changed packages, and of added targets, written anew.
fn answer(
    items: &Items,
    graph: &TargetGraph,
    cfg: Option<&Configurer>,
    nodes: &Nodes,
    is_changed: &[bool],
    reached: impl Fn(usize) -> bool,
) -> Option<String> {
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
    let mut added: Vec<&Label> = nodes
        .added
        .iter()
        .enumerate()
        .filter(|&(k, _)| reached(n + k))
        .map(|(_, l)| l)
        .collect();
    added.sort();
    let mut out = String::with_capacity(items.text.len() + 64 * added.len());
    out.push_str(items.head());
    let mut first = true;
    let mut push = |out: &mut String, item: &str| {
        if !std::mem::take(&mut first) {
            out.push_str(items.separator());
        }
        out.push_str(item);
    };
    let mut added = added.into_iter().peekable();
    for i in (0..n).filter(|&i| reached(i)) {
        let (package, name) = items.label(i);
        while let Some(l) = added.next_if(|l| {
            (l.package().as_bytes(), l.name().as_bytes()) < (package.as_bytes(), name.as_bytes())
        }) {
            push(&mut out, &render(l)?);
        }
        if is_changed[i] {
            push(&mut out, &render(&Label::new(package, name))?);
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
