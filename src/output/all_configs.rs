//! Rendering `cquery --all-configs` results: each target with its condition.
//!
//! Text puts the condition beside each label (`cuda in {11, 12} and os =
//! linux`, `always`); JSON follows SPEC: `targets` with `when`, `errors` with
//! `target`, `kind`, `message` and `when`, conditions as lists of cubes.

use std::fmt::Write;

use serde_json::{json, Value as Json};

use crate::AllConfigsResult;

/// The schema identifier of `--all-configs` JSON documents.
pub const SCHEMA: &str = "sel.cquery-all/v1";

/// `LABEL  CONDITION` lines, aligned, sorted by label.
pub fn label(result: &AllConfigsResult) -> String {
    let width = result
        .targets
        .iter()
        .map(|(l, _)| l.as_str().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (l, c) in &result.targets {
        let _ = writeln!(out, "{:width$}  {}", l.as_str(), result.algebra.render(*c));
    }
    out
}

/// The failures, one line each, for stderr: `warning: fails where COND: MESSAGE`.
pub fn failures(result: &AllConfigsResult) -> String {
    let mut out = String::new();
    for f in &result.failures {
        let _ = writeln!(
            out,
            "warning: evaluation fails where {}: {} [{}]",
            result.algebra.render(f.when),
            f.message,
            f.kind.code()
        );
    }
    out
}

/// The JSON document.
pub fn json(result: &AllConfigsResult, query: &str) -> Json {
    let alg = &result.algebra;
    let fixed: serde_json::Map<String, Json> = result
        .fixed
        .iter()
        .map(|(l, v)| (l.to_string(), json!(v)))
        .collect();
    json!({
        "schema": SCHEMA,
        "command": "cquery",
        "query": query,
        "fixed": fixed,
        "selectors": alg.space().selectors().iter().map(|s| json!({
            "label": s.label,
            "values": s.values,
            "ordered": s.ordered,
        })).collect::<Vec<_>>(),
        "targets": result.targets.iter().map(|(l, c)| json!({
            "label": l.to_string(),
            "when": alg.to_json(*c),
            "when_text": alg.render(*c),
        })).collect::<Vec<_>>(),
        "errors": result.failures.iter().map(|f| {
            let mut e = json!({
                "target": f.target.to_string(),
                "kind": f.kind.name(),
                "message": f.message,
                "when": alg.to_json(f.when),
                "when_text": alg.render(f.when),
            });
            if let Some(loc) = &f.location {
                if let Some((line, col)) = loc.line_col() {
                    e["location"] = json!({"file": loc.name(), "line": line, "column": col});
                }
            }
            e
        }).collect::<Vec<_>>(),
    })
}
