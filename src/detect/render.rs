//! `sel detect`'s output: a table for people, and the snapshot document with
//! the bound selectors for tools (docs/detect.md).

use serde_json::{json, Map, Value as Json};

use super::bind::bind;
use super::host::Host;
use crate::error::Result;
use crate::label::Label;
use crate::target_graph::TargetGraph;

/// A selector bound to a probe, and the value it takes on a host.
#[derive(Debug)]
pub struct Bound {
    /// The selector.
    pub selector: Label,
    /// Its probe.
    pub probe: String,
    /// Its value, or why the probe gives it none.
    pub value: Result<String>,
}

/// Every selector of `graph` bound to a probe, in label order, with the
/// value `host` gives it.
pub fn bound_values(graph: &TargetGraph, host: &Host) -> Vec<Bound> {
    graph
        .selectors()
        .into_iter()
        .filter_map(|t| {
            let s = t.rule.selector()?;
            let d = s.detect.as_ref()?;
            let value = bind(host.fact(&d.probe), &t.label, s)
                .map(|v| v.expect("a bound selector has a value or an error"))
                .map_err(|e| e.at(t.location.clone()));
            Some(Bound {
                selector: t.label.clone(),
                probe: d.probe.clone(),
                value,
            })
        })
        .collect()
}

/// The facts, one a line (probe, value, source, note), then the bound selectors.
pub fn text(host: &Host, bound: &[Bound]) -> String {
    let mut rows: Vec<[String; 4]> = vec![[
        "PROBE".into(),
        "VALUE".into(),
        "SOURCE".into(),
        "NOTE".into(),
    ]];
    for (name, fact) in host.facts() {
        rows.push([
            name.to_string(),
            fact.value.clone().unwrap_or_else(|| "-".into()),
            fact.source.to_string(),
            fact.note.clone().unwrap_or_default(),
        ]);
    }
    let mut out = String::new();
    if let Some(file) = &host.replayed_from {
        out.push_str(&format!("# the facts of snapshot {file}\n"));
    }
    table(&mut out, &rows);
    if !bound.is_empty() {
        out.push_str("\nSelectors bound to probes (--host sets them so):\n");
        let mut rows: Vec<[String; 4]> = vec![[
            "SELECTOR".into(),
            "VALUE".into(),
            "PROBE".into(),
            String::new(),
        ]];
        for b in bound {
            let (value, note) = match &b.value {
                Ok(v) => (v.clone(), String::new()),
                Err(e) => ("-".to_string(), format!("error: {}", e.message)),
            };
            rows.push([b.selector.to_string(), value, b.probe.clone(), note]);
        }
        table(&mut out, &rows);
    }
    out
}

/// Rows in aligned columns; the last column is not padded.
fn table(out: &mut String, rows: &[[String; 4]]) {
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2)];
    for r in rows {
        let mut line = String::new();
        for (i, w) in widths.iter().enumerate() {
            line.push_str(&format!("{:<w$}  ", r[i], w = *w));
        }
        line.push_str(&r[3]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// The snapshot document (`sel.host/v1`) with the bound selectors:
/// `"selectors": {LABEL: {"probe", "value"} or {"probe", "error"}}`.
pub fn json(host: &Host, bound: &[Bound]) -> Json {
    let mut doc = host.snapshot();
    let selectors: Map<String, Json> = bound
        .iter()
        .map(|b| {
            let v = match &b.value {
                Ok(v) => json!({"probe": b.probe, "value": v}),
                Err(e) => json!({"probe": b.probe, "error": {"kind": e.kind.name(), "message": e.message}}),
            };
            (b.selector.to_string(), v)
        })
        .collect();
    doc["selectors"] = Json::Object(selectors);
    doc
}
