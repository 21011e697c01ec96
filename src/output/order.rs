//! `--order=deps`: dependencies before their dependents, what a build tool needs.
//!
//! The order respects every dependency *path* between two results, not only
//! direct edges: when `//a` reaches `//c` through `//b` and only `//a` and
//! `//c` are in the result, `//c` still comes first. (Bazel orders the result's
//! induced subgraph, which loses such paths.) Among targets whose dependencies
//! are all written, the smallest label comes first, so the order is
//! deterministic. The unconfigured graph may have cycles (select branches that
//! never hold together); the targets of a cycle come together, by label.

use std::collections::{BTreeSet, HashMap, HashSet};

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::options::Order;
use super::targets::{configured, direct_deps};
use crate::configuration::Configurer;
use crate::label::Label;
use crate::query::result::QueryResult;
use crate::target_graph::TargetGraph;

/// The targets of a result in the requested order.
pub fn ordered(graph: &TargetGraph, result: &QueryResult, order: Order) -> Vec<Label> {
    match order {
        Order::Sorted => result.targets.clone(),
        Order::Deps => dependencies_first(graph, result),
    }
}

/// The result's targets, dependencies first.
pub fn dependencies_first(graph: &TargetGraph, result: &QueryResult) -> Vec<Label> {
    let configurer = result
        .configuration
        .as_ref()
        .map(|c| Configurer::new(graph, c.clone()));
    // Direct edges of any target of the graph: configured ones in cquery.
    let edges = |label: &Label| -> Vec<Label> {
        let Ok(target) = graph.target(label) else {
            return Vec::new();
        };
        match &configurer {
            None => direct_deps(target, None)
                .into_iter()
                .map(|d| d.label)
                .collect(),
            Some(cfg) => match configured(result, label) {
                Some(c) => c.deps.clone(),
                // The query configured the closure of every result target
                // already, so this succeeds; were it not to, the target is
                // treated as a leaf rather than failing the output.
                None => cfg
                    .configure(label)
                    .map(|c| c.deps.clone())
                    .unwrap_or_default(),
            },
        }
    };
    let in_result: HashSet<&Label> = result.targets.iter().collect();
    // For each result target, the result targets it reaches through paths
    // whose inner nodes are outside the result.
    let mut reaches: HashMap<&Label, Vec<&Label>> = HashMap::new();
    let mut memo: HashMap<Label, Vec<Label>> = HashMap::new();
    for r in &result.targets {
        let mut found: BTreeSet<&Label> = BTreeSet::new();
        let mut seen: HashSet<Label> = HashSet::new();
        let mut stack: Vec<Label> = memo.entry(r.clone()).or_insert_with(|| edges(r)).clone();
        while let Some(d) = stack.pop() {
            if let Some(&l) = in_result.get(&d) {
                if l != r {
                    found.insert(l);
                }
                continue;
            }
            if seen.insert(d.clone()) {
                stack.extend(memo.entry(d.clone()).or_insert_with(|| edges(&d)).clone());
            }
        }
        reaches.insert(r, found.into_iter().collect());
    }
    // Strongly connected components (a cycle is one component; Kosaraju,
    // iterative: a chain of 100,000 targets overflowed recursive Tarjan), then Kahn's
    // algorithm over them, the component with the smallest label first.
    let mut g: DiGraph<&Label, ()> = DiGraph::new();
    let index: HashMap<&Label, NodeIndex> =
        result.targets.iter().map(|l| (l, g.add_node(l))).collect();
    for (r, ds) in &reaches {
        for d in ds {
            g.add_edge(index[r], index[d], ());
        }
    }
    let mut components: Vec<Vec<&Label>> = kosaraju_scc(&g)
        .into_iter()
        .map(|c| {
            let mut members: Vec<&Label> = c.into_iter().map(|n| g[n]).collect();
            members.sort();
            members
        })
        .collect();
    components.sort();
    let component_of: HashMap<&Label, usize> = components
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.iter().map(move |l| (*l, i)))
        .collect();
    let mut waiting: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); components.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); components.len()];
    for (r, ds) in &reaches {
        let cr = component_of[r];
        for d in ds {
            let cd = component_of[d];
            if cd != cr && waiting[cr].insert(cd) {
                dependents[cd].push(cr);
            }
        }
    }
    // Components are sorted by their smallest label, so the index orders them.
    let mut ready: BTreeSet<usize> = (0..components.len())
        .filter(|c| waiting[*c].is_empty())
        .collect();
    let mut out = Vec::with_capacity(result.targets.len());
    while let Some(c) = ready.pop_first() {
        out.extend(components[c].iter().map(|l| (*l).clone()));
        for &dependent in &dependents[c] {
            waiting[dependent].remove(&c);
            if waiting[dependent].is_empty() {
                ready.insert(dependent);
            }
        }
    }
    out
}
