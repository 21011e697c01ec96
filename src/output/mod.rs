//! Rendering query results: one module per `--output` format, and the
//! `--order` of the targets.
//!
//! Every format is a pure function of the graph and the result, so the same
//! input gives the same bytes: targets come in label order or in a
//! deterministic dependency order ([`order`]), edges are sorted, maps are
//! ordered. The formats share one notion of a target's direct dependencies,
//! [`direct_deps`]: in `query` every edge any configuration could have, with
//! the select keys it depends on; in `cquery` the configured edges, with the
//! keys that were chosen to bring them in.

pub mod all_configs;
pub mod build;
pub mod graph;
pub mod json;
pub mod options;
pub mod order;
pub mod targets;

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::query::result::QueryResult;
use crate::target_graph::TargetGraph;

pub use options::{Command, Format, Options, Order};
pub use order::ordered;
pub use targets::{configured, direct_deps, package_label, Dep, Itemized, Positions};

/// Renders a result; the text ends with a newline unless empty.
pub fn render(graph: &TargetGraph, result: &QueryResult, options: &Options) -> String {
    let mut out = String::new();
    match options.format {
        Format::Label => {
            for l in ordered(graph, result, options.order) {
                let _ = writeln!(out, "{l}");
            }
        }
        Format::LabelKind => {
            for l in ordered(graph, result, options.order) {
                let kind = graph.target(&l).map(|t| t.rule.kind()).unwrap_or("unknown");
                let _ = writeln!(out, "{kind} rule {l}");
            }
        }
        Format::Package => {
            // Packages are always sorted: a package-level order is not a
            // dependency order (packages may depend on each other both ways).
            let packages: BTreeSet<&str> = result.targets.iter().map(|l| l.package()).collect();
            for p in packages {
                let _ = writeln!(out, "{}", package_label(p));
            }
        }
        Format::Build => out = build::render(graph, result, options),
        Format::Graph => out = graph::render(graph, result, options),
        Format::Json => out = json::text(graph, result, options),
    }
    out
}

/// Writes a result to `out` as [`render`] renders it; `--output=json` is
/// written as it is produced, never held whole in memory (a deep query of a
/// large workspace gives a document of a hundred megabytes).
pub fn write(
    graph: &TargetGraph,
    result: &QueryResult,
    options: &Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match options.format {
        Format::Json => json::write(graph, result, options, out),
        _ => out.write_all(render(graph, result, options).as_bytes()),
    }
}

/// Writes a result to `out` as [`write()`] does and, for a result in label
/// order whose targets are items of their own, says where each is. `None`
/// for other formats and orders, or a text too long to index by `u32`.
pub fn write_itemized(
    graph: &TargetGraph,
    result: &QueryResult,
    options: &Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Option<Itemized>> {
    if options.order != Order::Sorted {
        return write(graph, result, options, out).map(|()| None);
    }
    match options.format {
        Format::Json => json::write_itemized(graph, result, options, out),
        Format::Label | Format::LabelKind => {
            let mut items = Some(Itemized::new(""));
            let mut line = String::new();
            let mut at = 0usize;
            for l in &result.targets {
                line.clear();
                if options.format == Format::LabelKind {
                    let kind = graph.target(l).map(|t| t.rule.kind()).unwrap_or("unknown");
                    let _ = write!(line, "{kind} rule ");
                }
                let _ = writeln!(line, "{l}");
                out.write_all(line.as_bytes())?;
                // Past what a span can say, the answer is written but not itemized.
                items = items.and_then(|mut i| i.push(l, (at, at + line.len())).map(|()| i));
                at += line.len();
            }
            Ok(items)
        }
        _ => write(graph, result, options, out).map(|()| None),
    }
}
