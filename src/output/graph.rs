//! `--output=graph`: the result's dependency edges as Graphviz DOT.
//!
//! Nodes are the result's targets; edges are the direct dependency edges
//! among them (render with `dot -Tsvg`). In `query`, an edge that exists only
//! through select branches is dashed and labelled with every key whose branch
//! holds it, one a line: Bazel caps that list (`--graph:conditional_edges_limit`),
//! sel never does, since the keys are the point. An edge that some plain part
//! of the attribute holds is solid, whatever the selects say. In `cquery`
//! every edge holds in the configuration and is solid.
//!
//! Packages are boxes, aliases ellipses, and the configuration targets
//! (selectors, conditions, platforms) hexagons. Nodes come in the requested
//! `--order`, edges sorted, so the text is deterministic.

use std::fmt::Write;

use super::options::{Command, Options};
use super::order::ordered;
use super::targets::{configured, direct_deps};
use crate::query::result::QueryResult;
use crate::target_graph::{Rule, TargetGraph};

/// The result as a DOT digraph.
pub fn render(graph: &TargetGraph, result: &QueryResult, options: &Options) -> String {
    let labels = ordered(graph, result, options.order);
    let mut out = String::new();
    let _ = writeln!(out, "digraph sel {{");
    let _ = writeln!(
        out,
        "  // sel {} {}",
        options.command.name(),
        options.query.replace(['\n', '\r'], " ")
    );
    let _ = writeln!(
        out,
        "  node [shape=box, fontname=\"Helvetica\", fontsize=11];"
    );
    let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];");
    let mut edges: Vec<String> = Vec::new();
    for label in &labels {
        let Ok(t) = graph.target(label) else {
            continue;
        };
        let shape = match t.rule {
            Rule::Package { .. } => None,
            Rule::Alias { .. } => Some("ellipse"),
            _ => Some("hexagon"),
        };
        match shape {
            Some(s) => {
                let _ = writeln!(out, "  {} [shape={s}];", id(label.as_str()));
            }
            None => {
                let _ = writeln!(out, "  {};", id(label.as_str()));
            }
        }
        let c = match options.command {
            Command::Query => None,
            Command::Cquery => configured(result, label),
        };
        for dep in direct_deps(t, c) {
            if result.targets.binary_search(&dep.label).is_err() {
                continue;
            }
            let mut edge = format!("  {} -> {}", id(label.as_str()), id(dep.label.as_str()));
            if options.command == Command::Query && dep.is_conditional() {
                let keys: Vec<String> = dep.keys.iter().map(|k| k.to_string()).collect();
                let _ = write!(edge, " [style=dashed, label={}]", id(&keys.join("\n")));
            }
            edge.push(';');
            edges.push(edge);
        }
    }
    edges.sort();
    for e in edges {
        let _ = writeln!(out, "{e}");
    }
    out.push_str("}\n");
    out
}

/// A DOT quoted string; a newline becomes DOT's `\n` (a centred line break).
fn id(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
