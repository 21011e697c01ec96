//! Rendering `cquery --all-configs` results: each target with its condition.
//!
//! Text puts the condition beside each label (`cuda in {11, 12} and os =
//! linux`, `always`); JSON follows SPEC: `targets` with `when`, `errors` with
//! `target`, `kind`, `message` and `when`, conditions as lists of cubes.

use std::fmt::Write;

use serde_json::{json, Value as Json};

use crate::configuration::symbolic::Failure;
use crate::query::result::{AllConfigsResult, CoversResult};

/// The schema identifier of `--all-configs` JSON documents.
pub const SCHEMA: &str = "sel.cquery-all/v1";

/// `LABEL  CONDITION` lines, aligned, sorted by label.
pub fn label(result: &AllConfigsResult) -> String {
    aligned(
        result
            .targets
            .iter()
            .map(|(l, c)| (l.as_str(), result.algebra.render(*c))),
    )
}

/// Lines of a label and its condition, the conditions in one column.
fn aligned<'a>(rows: impl Iterator<Item = (&'a str, String)>) -> String {
    let rows: Vec<(&str, String)> = rows.collect();
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (l, c) in rows {
        // Padded by hand: `format!`'s width is at most 65,535 and a label may be longer.
        out.push_str(l);
        let pad = width - l.chars().count() + 2;
        out.extend(std::iter::repeat_n(' ', pad));
        out.push_str(&c);
        out.push('\n');
    }
    out
}

/// The selectors of the space, as the JSON documents list them: a
/// multi-valued selector once, with its elements as `values` and
/// `"multi_valued": true`.
fn selectors_json(alg: &crate::condition::Algebra) -> Json {
    let space = alg.space();
    space
        .space_selectors()
        .iter()
        .map(|s| {
            let dims = &space.selectors()[s.dims.clone()];
            let values: Vec<&str> = match s.multi_valued {
                true => dims.iter().filter_map(|d| d.element.as_deref()).collect(),
                false => dims[0].values.iter().map(String::as_str).collect(),
            };
            json!({
                "label": s.label,
                "values": values,
                "ordered": dims[0].ordered,
                "multi_valued": s.multi_valued,
            })
        })
        .collect()
}

/// The failures, one line each, for stderr: `warning: fails where COND: MESSAGE`.
pub fn failures(result: &AllConfigsResult) -> String {
    warnings(
        result
            .failures
            .iter()
            .map(|f| (f, result.algebra.render(f.when))),
    )
}

/// The JSON document.
pub fn json(result: &AllConfigsResult, query: &str) -> Json {
    let alg = &result.algebra;
    document(
        alg,
        &result.fixed,
        query,
        result
            .targets
            .iter()
            .map(|(l, c)| (l, alg.to_json(*c), alg.render(*c))),
        result
            .failures
            .iter()
            .map(|f| (f, alg.to_json(f.when), alg.render(f.when))),
    )
}

/// [`label()`] of a result computed with sums of products.
pub fn covers_label(result: &CoversResult) -> String {
    aligned(
        result
            .targets
            .iter()
            .map(|(l, c)| (l.as_str(), result.algebra.render_cubes(c))),
    )
}

/// [`failures()`] of a result computed with sums of products.
pub fn covers_failures(result: &CoversResult) -> String {
    warnings(
        result
            .failures
            .iter()
            .map(|f| (&f.failure, result.algebra.render_cubes(&f.when))),
    )
}

/// [`json()`] of a result computed with sums of products: the same document.
pub fn covers_json(result: &CoversResult, query: &str) -> Json {
    let alg = &result.algebra;
    document(
        alg,
        &result.fixed,
        query,
        result
            .targets
            .iter()
            .map(|(l, c)| (l, alg.cubes_to_json(c), alg.render_cubes(c))),
        result.failures.iter().map(|f| {
            (
                &f.failure,
                alg.cubes_to_json(&f.when),
                alg.render_cubes(&f.when),
            )
        }),
    )
}

/// `warning:` lines of failures, each given with its condition as text.
fn warnings<'a>(failures: impl Iterator<Item = (&'a Failure, String)>) -> String {
    let mut out = String::new();
    for (f, when) in failures {
        let _ = writeln!(
            out,
            "warning: evaluation fails where {when}: {} [{}]",
            f.message,
            f.kind.code()
        );
    }
    out
}

/// The `sel.cquery-all/v1` document of targets and failures, each given with
/// its condition as JSON cubes and as text.
fn document<'a>(
    alg: &crate::condition::Algebra,
    fixed: &[(crate::label::Label, String)],
    query: &str,
    targets: impl Iterator<Item = (&'a crate::label::Label, Json, String)>,
    failures: impl Iterator<Item = (&'a Failure, Json, String)>,
) -> Json {
    json!({
        "schema": SCHEMA,
        "command": "cquery",
        "query": query,
        "fixed": fixed.iter().map(|(l, v)| (l.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "selectors": selectors_json(alg),
        "targets": targets.map(|(l, when, text)| json!({
            "label": l.to_string(),
            "when": when,
            "when_text": text,
        })).collect::<Vec<_>>(),
        "errors": failures.map(|(f, when, text)| {
            let mut e = failure_json(alg, f);
            e["when"] = when;
            e["when_text"] = json!(text);
            e
        }).collect::<Vec<_>>(),
    })
}

/// `sel matrix` as text: each class's condition, then its result or failure.
pub fn matrix_text(result: &AllConfigsResult, classes: &[crate::matrix::Class]) -> String {
    let mut out = String::new();
    for (i, c) in classes.iter().enumerate() {
        out.push_str(&matrix_class_text(result, c, i == 0));
    }
    out
}

/// One class of `sel matrix` as text (a blank line before all but the first).
pub fn matrix_class_text(
    result: &AllConfigsResult,
    class: &crate::matrix::Class,
    first: bool,
) -> String {
    let alg = &result.algebra;
    let mut out = String::new();
    if !first {
        out.push('\n');
    }
    let _ = writeln!(out, "when {}:", alg.render(class.when));
    if class.failures.is_empty() {
        for l in &class.targets {
            let _ = writeln!(out, "  {l}");
        }
    } else {
        for f in &class.failures {
            let _ = writeln!(out, "  error [{}]: {}", f.kind.code(), f.message);
        }
    }
    out
}

fn failure_json(
    alg: &crate::condition::Algebra,
    f: &crate::configuration::symbolic::Failure,
) -> Json {
    let mut e = json!({
        "target": f.target.to_string(),
        "kind": f.kind.name(),
        "message": f.message,
        "when": alg.to_json(f.when),
    });
    if let Some(loc) = &f.location {
        if let Some((line, col)) = loc.line_col() {
            e["location"] = json!({"file": loc.name(), "line": line, "column": col});
        }
    }
    e
}

/// `sel matrix` as JSON: `{"classes": [{"when", "targets"} | {"when", "error"}]}`.
pub fn matrix_json(
    result: &AllConfigsResult,
    classes: &[crate::matrix::Class],
    query: &str,
) -> Json {
    let alg = &result.algebra;
    json!({
        "schema": "sel.matrix/v1",
        "query": query,
        "fixed": result.fixed.iter().map(|(l, v)| (l.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "classes": classes.iter().map(|c| {
            let mut o = json!({"when": alg.to_json(c.when), "when_text": alg.render(c.when)});
            if c.failures.is_empty() {
                o["targets"] = json!(c.targets.iter().map(|l| l.to_string()).collect::<Vec<_>>());
            } else {
                o["error"] = failure_json(alg, &c.failures[0]);
                o["errors"] = json!(c.failures.iter().map(|f| failure_json(alg, f)).collect::<Vec<_>>());
            }
            o
        }).collect::<Vec<_>>(),
    })
}

fn keys_text(keys: &[crate::target_graph::SelectKey]) -> String {
    if keys.is_empty() {
        "always (no select)".to_string()
    } else {
        format!(
            "select key {}",
            keys.iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// `sel why` as text: the condition, the paths, and every edge with its keys.
pub fn why_text(why: &crate::why::Why) -> String {
    let alg = why.run.algebra();
    let mut out = String::new();
    if alg.is_never(why.when) {
        let _ = writeln!(
            out,
            "{} is not in deps({}) in any configuration",
            why.to, why.from
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{} is in deps({}) when {}",
        why.to,
        why.from,
        alg.render(why.when)
    );
    let _ = writeln!(out, "\npaths:");
    for (path, c) in &why.paths {
        let names: Vec<String> = path.iter().map(|l| l.to_string()).collect();
        let _ = writeln!(out, "  {}\n    when {}", names.join(" -> "), alg.render(*c));
    }
    if why.paths.len() >= crate::why::MAX_PATHS {
        let _ = writeln!(
            out,
            "  (the first {} paths; the edges below cover all of them)",
            crate::why::MAX_PATHS
        );
    }
    let _ = writeln!(out, "\nedges:");
    for e in &why.edges {
        let _ = writeln!(
            out,
            "  {} -> {}\n    via {}; when {}",
            e.from,
            e.to,
            keys_text(&e.keys),
            alg.render(e.when)
        );
    }
    out
}

/// `sel why` as JSON.
pub fn why_json(why: &crate::why::Why) -> Json {
    let alg = why.run.algebra();
    json!({
        "schema": "sel.why/v1",
        "from": why.from.to_string(),
        "to": why.to.to_string(),
        "when": alg.to_json(why.when),
        "when_text": alg.render(why.when),
        "paths": why.paths.iter().map(|(p, c)| json!({
            "targets": p.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
            "when": alg.to_json(*c),
        })).collect::<Vec<_>>(),
        "edges": why.edges.iter().map(|e| json!({
            "from": e.from.to_string(),
            "to": e.to.to_string(),
            "keys": e.keys.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            "when": alg.to_json(e.when),
        })).collect::<Vec<_>>(),
    })
}

fn example_text(example: &[(String, String)]) -> String {
    example
        .iter()
        .map(|(s, v)| format!("--select {s}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `sel check` as text: one block a finding, then a count.
pub fn check_text(report: &crate::check::Report) -> String {
    use crate::check::Severity;
    let alg = &report.algebra;
    let mut out = String::new();
    for f in &report.findings {
        let sev = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{sev}[{}]: {}", f.code, f.message);
        if let Some(loc) = &f.location {
            let _ = writeln!(out, "  --> {loc}");
        }
        if !alg.is_always(f.when) {
            let _ = writeln!(out, "  when: {}", alg.render(f.when));
        }
        if !f.example.is_empty() {
            let _ = writeln!(out, "  example: {}", example_text(&f.example));
        }
        for p in &f.paths {
            let _ = writeln!(out, "  path: {}", crate::capability::path_text(p));
        }
    }
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = report.findings.len() - errors;
    let _ = writeln!(out, "{errors} error(s), {warnings} warning(s)");
    out
}

/// `sel check` as JSON.
pub fn check_json(report: &crate::check::Report) -> Json {
    use crate::check::Severity;
    let alg = &report.algebra;
    json!({
        "schema": "sel.check/v1",
        "findings": report.findings.iter().map(|f| {
            let mut o = json!({
                "severity": match f.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "code": f.code,
                "target": f.target.to_string(),
                "message": f.message,
                "when": alg.to_json(f.when),
                "example": f.example.iter().map(|(s, v)| (s.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
            });
            if let Some(loc) = &f.location {
                if let Some((line, col)) = loc.line_col() {
                    o["location"] = json!({"file": loc.name(), "line": line, "column": col});
                }
            }
            if !f.paths.is_empty() {
                o["paths"] = json!(f.paths.iter().map(|p| labels_json(p)).collect::<Vec<_>>());
            }
            o
        }).collect::<Vec<_>>(),
    })
}

fn labels_json(labels: &[crate::label::Label]) -> Json {
    json!(labels.iter().map(|l| l.to_string()).collect::<Vec<_>>())
}

/// A pair of clashing packages as JSON: `a`, `b`, `reason` (`"exclusive"`
/// with `capability`, or `"conflicts"`), `message`.
fn pair_json(pair: &crate::capability::Pair) -> Json {
    let mut o = json!({
        "a": pair.a.to_string(),
        "b": pair.b.to_string(),
        "message": pair.describe(),
    });
    match pair.capability() {
        Some(c) => {
            o["reason"] = json!("exclusive");
            o["capability"] = json!(c.to_string());
        }
        None => o["reason"] = json!("conflicts"),
    }
    o
}

/// The clashes of a union ([`crate::Union`]) as text for stderr: each pair,
/// and the selectors that keep its two packages apart, or where they meet.
pub fn union_clashes(union: &crate::Union) -> String {
    let alg = &union.result.algebra;
    let mut out = String::new();
    for c in &union.clashes {
        let _ = writeln!(
            out,
            "warning[sel::clash]: the union holds a clash: {}",
            c.pair.describe()
        );
        let _ = writeln!(out, "  {}: {}", c.pair.a, alg.render(c.a));
        let _ = writeln!(out, "  {}: {}", c.pair.b, alg.render(c.b));
        match &c.separating {
            Some(sels) => {
                let names: Vec<&str> = sels.iter().map(|&s| alg.space().display_name(s)).collect();
                let _ = writeln!(out, "  separated by: {}", names.join(", "));
            }
            None => {
                let _ = writeln!(
                    out,
                    "  not separated: both are in one configuration's result when {}",
                    alg.render(alg.and(c.a, c.b))
                );
            }
        }
    }
    out
}

/// `cquery --union` as JSON: the `sel.cquery-all/v1` document, its `command`
/// `"cquery --union"`, with `clashes`.
pub fn union_json(union: &crate::Union, query: &str) -> Json {
    let alg = &union.result.algebra;
    let mut doc = json(&union.result, query);
    doc["command"] = json!("cquery --union");
    doc["clashes"] = union
        .clashes
        .iter()
        .map(|c| {
            let mut o = pair_json(&c.pair);
            o["a_when"] = alg.to_json(c.a);
            o["b_when"] = alg.to_json(c.b);
            o["separating"] = match &c.separating {
                Some(s) => json!(s
                    .iter()
                    .map(|&s| alg.space().selectors()[s].label.clone())
                    .collect::<Vec<_>>()),
                None => Json::Null,
            };
            o
        })
        .collect();
    doc
}

/// `sel images` as text: each image with its condition and its packages,
/// then what no image serves, and the count against the lower bound.
pub fn images_text(images: &crate::ImagesResult) -> String {
    let alg = &images.algebra;
    let found = &images.images;
    let mut out = String::new();
    for (i, image) in found.images.iter().enumerate() {
        let _ = writeln!(out, "image {}: {}", i + 1, alg.render(image.when));
        let rows = image.targets.iter().map(|(l, c)| {
            let text = if *c == image.when {
                String::new()
            } else {
                alg.render(*c)
            };
            (l.as_str(), text)
        });
        for line in aligned(rows).lines() {
            let _ = writeln!(out, "  {}", line.trim_end());
        }
    }
    for p in &found.unserved {
        let _ = writeln!(
            out,
            "no image: {} (both in one result when {})",
            p.pair.describe(),
            alg.render(alg.and(p.a, p.b))
        );
    }
    if !alg.is_never(found.failing) {
        let _ = writeln!(
            out,
            "no image: evaluation fails when {}",
            alg.render(found.failing)
        );
    }
    let n = found.images.len();
    let sep: Vec<&str> = found
        .separating
        .iter()
        .map(|&s| alg.space().display_name(s))
        .collect();
    let by = if sep.is_empty() {
        String::new()
    } else {
        format!("; separating selectors: {}", sep.join(", "))
    };
    let verdict = if found.method == "exact" {
        "the fewest".to_string()
    } else {
        format!("at least {} needed", found.lower_bound)
    };
    let _ = writeln!(
        out,
        "{n} image{} ({verdict}{by})",
        if n == 1 { "" } else { "s" }
    );
    out
}

/// `sel images` as JSON: `sel.images/v1`.
pub fn images_json(images: &crate::ImagesResult, query: &str) -> Json {
    let alg = &images.algebra;
    let found = &images.images;
    json!({
        "schema": "sel.images/v1",
        "query": query,
        "fixed": images.fixed.iter().map(|(l, v)| (l.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "selectors": selectors_json(alg),
        "images": found.images.iter().map(|i| json!({
            "when": alg.to_json(i.when),
            "when_text": alg.render(i.when),
            "targets": i.targets.iter().map(|(l, c)| json!({
                "label": l.to_string(),
                "when": alg.to_json(*c),
                "when_text": alg.render(*c),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "unserved": found.unserved.iter().map(|p| {
            let mut o = pair_json(&p.pair);
            let both = alg.and(p.a, p.b);
            o["when"] = alg.to_json(both);
            o["when_text"] = json!(alg.render(both));
            o
        }).collect::<Vec<_>>(),
        "failing": alg.to_json(found.failing),
        "separating": found.separating.iter().map(|&s| alg.space().selectors()[s].label.clone()).collect::<Vec<_>>(),
        "lower_bound": found.lower_bound,
        "method": found.method,
    })
}
