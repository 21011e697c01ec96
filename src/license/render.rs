//! `sel licenses` as text (a table grouped by license; violations with their
//! condition and path) and as JSON (`sel.licenses/v1`, docs/json.md).

use std::fmt::Write;

use serde_json::{json, Map, Value as Json};

use super::report::LicenseReport;
use crate::configuration::Origin;

/// The schema identifier of `sel licenses --output=json`.
pub const SCHEMA: &str = "sel.licenses/v1";

/// What the text shows for an unknown (empty) license.
pub const UNKNOWN: &str = "(unknown)";

fn shown(license: &str) -> &str {
    if license.is_empty() {
        UNKNOWN
    } else {
        license
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The report as text: the table, or with `--check` the violations.
pub fn text(report: &LicenseReport) -> String {
    match &report.violations {
        None => table(report),
        Some(_) => check(report),
    }
}

/// `LICENSE  PACKAGE  VERSION [WHEN]`, one row a package, the license written
/// on the first row of its group.
fn table(report: &LicenseReport) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut last: Option<&str> = None;
    for e in &report.entries {
        let license = if last == Some(e.license.as_str()) {
            String::new()
        } else {
            shown(&e.license).to_string()
        };
        last = Some(&e.license);
        let when = match (&report.algebra, e.when) {
            (Some(alg), Some(c)) => alg.render(c),
            _ => String::new(),
        };
        rows.push([license, e.label.to_string(), e.version.clone(), when]);
    }
    let mut header = vec!["LICENSE", "PACKAGE", "VERSION"];
    if report.algebra.is_some() {
        header.push("WHEN");
    }
    let mut widths = [0usize; 4];
    for (i, h) in header.iter().enumerate() {
        widths[i] = h.len();
    }
    for r in &rows {
        for (i, cell) in r.iter().enumerate() {
            widths[i] = widths[i].max(cell.len());
        }
    }
    let columns = header.len();
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate().take(columns) {
            if i + 1 == columns {
                s.push_str(c);
            } else {
                // Padded by hand: `format!`'s width is at most 65,535 and a name may be longer.
                s.push_str(c);
                let pad = widths[i].saturating_sub(c.chars().count()) + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.clone());
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    let _ = writeln!(
        out,
        "\n{}, {}",
        plural(report.package_count(), "package", "packages"),
        plural(report.license_count(), "license", "licenses")
    );
    out.push_str(&failures_text(report, "warning"));
    out
}

fn failures_text(report: &LicenseReport, severity: &str) -> String {
    let mut out = String::new();
    let Some(alg) = &report.algebra else {
        return out;
    };
    for f in &report.failures {
        let _ = writeln!(
            out,
            "{severity}[{}]: evaluation fails where {}, so licenses there are not known: {}",
            f.kind.code(),
            alg.render(f.when),
            f.message
        );
    }
    out
}

/// The violations, one block each, then a summary.
fn check(report: &LicenseReport) -> String {
    let mut out = String::new();
    let violations = report.violations.as_deref().unwrap_or_default();
    for v in violations {
        let _ = if v.license.is_empty() {
            writeln!(
                out,
                "error[sel::license_violation]: `{}` has an unknown license: {}",
                v.label,
                v.problem.describe()
            )
        } else {
            writeln!(
                out,
                "error[sel::license_violation]: `{}` is licensed `{}`: {}",
                v.label,
                v.license,
                v.problem.describe()
            )
        };
        if let Some(loc) = &v.location {
            let _ = writeln!(out, "  --> {loc}");
        }
        if let (Some(alg), Some(when)) = (&report.algebra, v.when) {
            let _ = writeln!(out, "  when: {}", alg.render(when));
        }
        let path: Vec<&str> = v.path.iter().map(|l| l.as_str()).collect();
        match (&report.algebra, v.path_when, v.when) {
            (Some(alg), Some(pw), Some(w)) if pw != w => {
                let _ = writeln!(
                    out,
                    "  path: {} (when {})",
                    path.join(" -> "),
                    alg.render(pw)
                );
            }
            _ => {
                let _ = writeln!(out, "  path: {}", path.join(" -> "));
            }
        }
    }
    out.push_str(&failures_text(report, "error"));
    let packages = plural(report.package_count(), "package", "packages");
    let configs = if report.algebra.is_some() {
        ", over all configurations"
    } else {
        ""
    };
    if violations.is_empty() {
        let _ = writeln!(out, "no license violations: {packages} checked{configs}");
    } else {
        let _ = writeln!(
            out,
            "{} among {packages}{configs}",
            plural(violations.len(), "license violation", "license violations")
        );
    }
    out
}

fn origin(o: &Origin) -> Json {
    match o {
        Origin::CommandLine => json!({"source": "command_line"}),
        Origin::Config(n) => json!({"source": "config", "config": n}),
        Origin::Platform(p) => json!({"source": "platform", "platform": p.to_string()}),
        Origin::Default => json!({"source": "default"}),
        Origin::Host(probe) => json!({"source": "host", "host": probe}),
    }
}

/// The JSON document, `sel.licenses/v1`.
pub fn json(report: &LicenseReport) -> Json {
    let alg = report.algebra.as_ref();
    let when = |c: Option<crate::condition::Cond>, o: &mut Map<String, Json>| {
        if let (Some(alg), Some(c)) = (alg, c) {
            o.insert("when".into(), alg.to_json(c));
            o.insert("when_text".into(), json!(alg.render(c)));
        }
    };
    let mut groups: Vec<Json> = Vec::new();
    let mut i = 0;
    while i < report.entries.len() {
        let license = &report.entries[i].license;
        let mut packages = Vec::new();
        while i < report.entries.len() && report.entries[i].license == *license {
            let e = &report.entries[i];
            let mut o = Map::new();
            o.insert("label".into(), json!(e.label.to_string()));
            o.insert("version".into(), json!(e.version));
            o.insert("purl".into(), json!(e.purl));
            when(e.when, &mut o);
            packages.push(Json::Object(o));
            i += 1;
        }
        groups.push(json!({
            "license": if license.is_empty() { Json::Null } else { json!(license) },
            "packages": packages,
        }));
    }
    let configuration = report.configuration.as_ref().map(|c| {
        let selectors: Map<String, Json> = c
            .values
            .iter()
            .map(|(l, (v, o))| {
                let mut s = origin(o);
                s["value"] = json!(v);
                (l.to_string(), s)
            })
            .collect();
        json!({ "selectors": selectors })
    });
    let check = report.violations.as_ref().map(|violations| {
        let list: Vec<Json> = violations
            .iter()
            .map(|v| {
                let mut o = Map::new();
                o.insert("label".into(), json!(v.label.to_string()));
                o.insert(
                    "license".into(),
                    if v.license.is_empty() {
                        Json::Null
                    } else {
                        json!(v.license)
                    },
                );
                o.insert("reason".into(), json!(v.problem.reason()));
                let (denied, not_allowed) = match &v.problem {
                    super::policy::Problem::Unknown => (Vec::new(), Vec::new()),
                    super::policy::Problem::Rejected {
                        denied,
                        not_allowed,
                    } => (denied.clone(), not_allowed.clone()),
                };
                o.insert("denied".into(), json!(denied));
                o.insert("not_allowed".into(), json!(not_allowed));
                o.insert("message".into(), json!(v.problem.describe()));
                when(v.when, &mut o);
                let mut path =
                    json!({"targets": v.path.iter().map(|l| l.to_string()).collect::<Vec<_>>()});
                if let (Some(alg), Some(c)) = (alg, v.path_when) {
                    path["when"] = alg.to_json(c);
                }
                o.insert("path".into(), path);
                if let Some(loc) = &v.location {
                    if let Some((line, column)) = loc.line_col() {
                        o.insert(
                            "location".into(),
                            json!({"file": loc.name(), "line": line, "column": column}),
                        );
                    }
                }
                Json::Object(o)
            })
            .collect();
        json!({ "ok": !report.failed(), "violations": list })
    });
    let errors: Vec<Json> = match alg {
        None => Vec::new(),
        Some(alg) => report
            .failures
            .iter()
            .map(|f| {
                json!({
                    "target": f.target.to_string(),
                    "kind": f.kind.name(),
                    "message": f.message,
                    "when": alg.to_json(f.when),
                    "when_text": alg.render(f.when),
                })
            })
            .collect(),
    };
    json!({
        "schema": SCHEMA,
        "query": report.query,
        "all_configs": report.algebra.is_some(),
        "configuration": configuration,
        "fixed": report.fixed.iter().map(|(l, v)| (l.to_string(), json!(v))).collect::<Map<_, _>>(),
        "licenses": groups,
        "check": check,
        "errors": errors,
    })
}
