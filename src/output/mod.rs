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
pub mod order;

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::configuration::ConfiguredTarget;
use crate::error::{Location, Source};
use crate::label::Label;
use crate::target_graph::{Attr, SelectKey, Target, TargetGraph};
use crate::QueryResult;

/// The `--output` formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Canonical labels, one a line.
    Label,
    /// `KIND rule LABEL`, one a line.
    #[value(name = "label_kind")]
    LabelKind,
    /// The distinct packages (directories) of the results, `//pkg`, sorted.
    Package,
    /// Each target as BUILD text: selects kept in query, resolved in cquery.
    Build,
    /// Graphviz DOT of the dependency edges among the results.
    Graph,
    /// The documented JSON schema (docs/json.md, schema/query-v1.schema.json).
    Json,
}

/// The `--order` of targets in the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    /// By label.
    #[default]
    Sorted,
    /// Dependencies before their dependents; ties (and cycles) broken by label.
    Deps,
}

/// Which command produced a result: how its edges and attributes read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `sel query`: unconfigured, selects kept.
    Query,
    /// `sel cquery`: one configuration, selects resolved.
    Cquery,
}

impl Command {
    /// The subcommand's name, as JSON's `"command"` writes it.
    pub fn name(self) -> &'static str {
        match self {
            Command::Query => "query",
            Command::Cquery => "cquery",
        }
    }
}

/// How to render a result.
#[derive(Clone, Debug)]
pub struct Options {
    /// The format.
    pub format: Format,
    /// The order of targets.
    pub order: Order,
    /// The command that produced the result.
    pub command: Command,
    /// The query expression, as given.
    pub query: String,
}

/// One direct dependency edge of a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dep {
    /// The target depended on.
    pub label: Label,
    /// The select keys the edge comes through: empty when a plain (non-select)
    /// part of the attribute holds it. In `query`, all the keys whose branches
    /// hold it; in `cquery`, the keys chosen in this configuration.
    pub keys: Vec<SelectKey>,
}

impl Dep {
    /// Whether the edge exists only through select branches.
    pub fn is_conditional(&self) -> bool {
        !self.keys.is_empty()
    }
}

/// The direct dependencies of a target of a result, sorted by label.
///
/// For `query` these are [`Target::all_deps`]. For `cquery` they are the
/// configured target's deps, each with the chosen keys that brought it in.
pub fn direct_deps(target: &Target, configured: Option<&ConfiguredTarget>) -> Vec<Dep> {
    let Some(c) = configured else {
        return target
            .all_deps()
            .into_iter()
            .map(|(label, keys)| Dep { label, keys })
            .collect();
    };
    let mut out: Vec<Dep> = Vec::new();
    for name in target.rule.dep_attrs() {
        let Some(attr) = target.rule.attr(name) else {
            continue;
        };
        let mut chosen = c.chosen.get(*name).into_iter().flatten();
        let mut found: Vec<(Label, Option<SelectKey>)> = Vec::new();
        configured_labels(attr, &mut chosen, &mut found);
        for (label, key) in found {
            match out.iter_mut().find(|d| d.label == label) {
                // A plain part holds it: the edge is unconditional.
                Some(d) if key.is_none() => d.keys.clear(),
                Some(d) if d.keys.is_empty() => {}
                Some(d) => {
                    let key = key.expect("checked above");
                    if !d.keys.contains(&key) {
                        d.keys.push(key);
                    }
                }
                None => out.push(Dep {
                    label,
                    keys: key.into_iter().collect(),
                }),
            }
        }
    }
    // Whatever the walk found, the configured deps are the truth.
    out.retain(|d| c.deps.contains(&d.label));
    for l in &c.deps {
        if !out.iter().any(|d| d.label == *l) {
            out.push(Dep {
                label: l.clone(),
                keys: Vec::new(),
            });
        }
    }
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

/// The labels an attribute gives in a configuration, each with the chosen key
/// of the select that holds it (`None` for plain parts). `chosen` yields the
/// keys taken by the attribute's selects, in order, as the configurer records them.
fn configured_labels<'a>(
    attr: &Attr,
    chosen: &mut impl Iterator<Item = &'a SelectKey>,
    out: &mut Vec<(Label, Option<SelectKey>)>,
) {
    match attr {
        Attr::Plain(v) => out.extend(v.labels().into_iter().map(|l| (l.clone(), None))),
        Attr::Select(s) => {
            let Some(key) = chosen.next() else { return };
            if let Some((_, v)) = s.branches.iter().find(|(k, _)| k == key) {
                out.extend(
                    v.labels()
                        .into_iter()
                        .map(|l| (l.clone(), Some(key.clone()))),
                );
            }
        }
        Attr::Concat(parts) => {
            for p in parts {
                configured_labels(p, chosen, out);
            }
        }
    }
}

/// The targets of a result in the requested order.
pub fn ordered(graph: &TargetGraph, result: &QueryResult, order: Order) -> Vec<Label> {
    match order {
        Order::Sorted => result.targets.clone(),
        Order::Deps => order::dependencies_first(graph, result),
    }
}

/// The configured form of a result's target, in `cquery`.
pub fn configured<'r>(result: &'r QueryResult, label: &Label) -> Option<&'r ConfiguredTarget> {
    // `configured` is in label order, like `targets`.
    result
        .configured
        .binary_search_by(|c| c.label.cmp(label))
        .ok()
        .map(|i| &result.configured[i])
}

/// `//pkg` for a package path (`//` for the root package).
pub fn package_label(package: &str) -> String {
    format!("//{package}")
}

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

/// Where each target's item is in a written answer whose targets are
/// items of their own (a line of `--output=label` or `label_kind`, an
/// element of the JSON document's `targets`), as the writer placed them:
/// what lets the answer cache recompute an answer item by item without
/// reading the text back ([`crate::cache::recompute`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Itemized {
    /// The target of each item, in written order.
    pub labels: Vec<Label>,
    /// Where each item starts and ends, in bytes: a line with its newline;
    /// a JSON element from its opening brace to its closing one.
    pub spans: Vec<(u32, u32)>,
    /// What is written between two items.
    pub separator: String,
}

/// Writes a result to `out` as [`write`] does and, for a result in label
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
            let mut items = Itemized::default();
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
                items.labels.push(l.clone());
                items.spans.push((at as u32, (at + line.len()) as u32));
                at += line.len();
            }
            Ok((at <= u32::MAX as usize).then_some(items))
        }
        _ => write(graph, result, options, out).map(|()| None),
    }
}

/// Lines and columns of locations, for outputs that show them.
/// (`Location::line_col` reads each file once per process and finds a line
/// by binary search: a BUILD file of 40,000 targets once counted its
/// newlines up to every target, quadratic in the targets of one file.)
#[derive(Default)]
pub struct Positions;

impl Positions {
    /// The file as shown, and the 1-based line and column, of a location in a file.
    pub fn of(&mut self, at: &Location) -> Option<(String, Option<(usize, usize)>)> {
        let Source::File(file) = at.source() else {
            return None;
        };
        Some((file.shown.clone(), at.line_col()))
    }
}
