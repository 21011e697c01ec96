//! Rendering query results: one module per `--output` format.

pub mod json;

use std::fmt::Write;

use crate::target_graph::TargetGraph;
use crate::QueryResult;

/// The `--output` formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Canonical labels, one a line, sorted.
    Label,
    /// `KIND rule LABEL`, one a line.
    #[value(name = "label_kind")]
    LabelKind,
    /// The documented JSON schema (docs/json.md).
    Json,
}

/// Renders a result in a format; the text ends with a newline unless empty.
pub fn render(
    format: Format,
    graph: &TargetGraph,
    result: &QueryResult,
    command: &str,
    query: &str,
) -> String {
    let mut out = String::new();
    match format {
        Format::Label => {
            for l in &result.targets {
                let _ = writeln!(out, "{l}");
            }
        }
        Format::LabelKind => {
            for l in &result.targets {
                let kind = graph.target(l).map(|t| t.rule.kind()).unwrap_or("unknown");
                let _ = writeln!(out, "{kind} rule {l}");
            }
        }
        Format::Json => {
            let v = json::result(graph, result, command, query);
            out = serde_json::to_string_pretty(&v).expect("JSON values serialise");
            out.push('\n');
        }
    }
    out
}
