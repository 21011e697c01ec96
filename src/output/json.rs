//! `--output=json`: the versioned schema of docs/json.md.

use serde_json::{json, Map, Value as Json};

use crate::configuration::{ConfiguredTarget, Origin};
use crate::target_graph::{Attr, Rule, SelectKey, Target, TargetGraph, Value};
use crate::QueryResult;

/// The schema identifier written in every document's `"schema"` field.
pub const SCHEMA: &str = "sel.query/v1";

/// A plain value as JSON: strings, labels as strings, lists, dicts as objects.
pub fn value(v: &Value) -> Json {
    match v {
        Value::None => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => json!(i),
        Value::Str(s) => Json::String(s.clone()),
        Value::Label(l) => Json::String(l.to_string()),
        Value::List(items) => Json::Array(items.iter().map(value).collect()),
        Value::Dict(items) => {
            let mut m = Map::new();
            for (k, v) in items {
                let key = match k {
                    Value::Str(s) => s.clone(),
                    other => other.to_string(),
                };
                m.insert(key, value(v));
            }
            Json::Object(m)
        }
    }
}

/// An unconfigured attribute: a value, `{"select": [...]}` or `{"concat": [...]}`.
pub fn attr(a: &Attr) -> Json {
    match a {
        Attr::Plain(v) => value(v),
        Attr::Select(s) => json!({
            "select": s.branches.iter().map(|(k, v)| json!({"key": k.to_string(), "value": value(v)})).collect::<Vec<_>>(),
            "no_match_error": s.no_match_error,
        }),
        Attr::Concat(parts) => json!({"concat": parts.iter().map(attr).collect::<Vec<_>>()}),
    }
}

fn fixed(t: &Target) -> Map<String, Json> {
    let mut m = Map::new();
    match &t.rule {
        Rule::Selector {
            values,
            default,
            doc,
        } => {
            m.insert("values".into(), json!(values));
            m.insert("default".into(), json!(default));
            m.insert("doc".into(), json!(doc));
        }
        Rule::ConfigSetting { flag_values } | Rule::Platform { flag_values } => {
            let fv: Map<String, Json> = flag_values
                .iter()
                .map(|f| (f.selector.to_string(), json!(f.value)))
                .collect();
            m.insert("flag_values".into(), Json::Object(fv));
        }
        Rule::ConfigSettingGroup { mode, conditions } => {
            let key = match mode {
                crate::target_graph::GroupMode::Any => "match_any",
                crate::target_graph::GroupMode::All => "match_all",
            };
            m.insert(
                key.into(),
                json!(conditions.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
            );
        }
        _ => {}
    }
    m.insert(
        "visibility".into(),
        json!(t
            .visibility
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()),
    );
    m.insert("tags".into(), json!(t.tags));
    m
}

fn unconfigured_target(t: &Target) -> Json {
    let mut attrs = fixed(t);
    match &t.rule {
        Rule::Package { attrs: a } => {
            for (k, v) in a {
                attrs.insert(k.clone(), attr(v));
            }
        }
        Rule::Alias { actual } => {
            attrs.insert("actual".into(), attr(actual));
        }
        _ => {}
    }
    let deps: Vec<Json> = t
        .all_deps()
        .into_iter()
        .map(|(l, keys)| {
            json!({
                "label": l.to_string(),
                "conditional": !keys.is_empty(),
                "keys": keys.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "label": t.label.to_string(),
        "kind": t.rule.kind(),
        "attributes": attrs,
        "deps": deps,
    })
}

fn configured_target(t: &Target, c: &ConfiguredTarget) -> Json {
    let mut attrs = fixed(t);
    for (k, v) in &c.attrs {
        attrs.insert(k.clone(), value(v));
    }
    let selected: Map<String, Json> = c
        .chosen
        .iter()
        .map(|(k, keys)| {
            (
                k.clone(),
                json!(keys.iter().map(SelectKey::to_string).collect::<Vec<_>>()),
            )
        })
        .collect();
    json!({
        "label": c.label.to_string(),
        "kind": c.kind,
        "attributes": attrs,
        "selected": selected,
        "deps": c.deps.iter().map(|d| json!({"label": d.to_string()})).collect::<Vec<_>>(),
    })
}

/// The whole document for a query or cquery result.
pub fn result(graph: &TargetGraph, result: &QueryResult, command: &str, query: &str) -> Json {
    let targets: Vec<Json> = if result.configuration.is_some() {
        result
            .configured
            .iter()
            .filter_map(|c| graph.target(&c.label).ok().map(|t| configured_target(t, c)))
            .collect()
    } else {
        result
            .targets
            .iter()
            .filter_map(|l| graph.target(l).ok().map(unconfigured_target))
            .collect()
    };
    let mut doc = Map::new();
    doc.insert("schema".into(), json!(SCHEMA));
    doc.insert("command".into(), json!(command));
    doc.insert("query".into(), json!(query));
    if let Some(config) = &result.configuration {
        let values: Map<String, Json> = config
            .values
            .iter()
            .map(|(l, (v, origin))| {
                let (source, detail) = match origin {
                    Origin::CommandLine => ("command_line", None),
                    Origin::Config(n) => ("config", Some(n.clone())),
                    Origin::Platform(p) => ("platform", Some(p.to_string())),
                    Origin::Default => ("default", None),
                };
                let mut o = json!({"value": v, "source": source});
                if let Some(d) = detail {
                    o[source] = json!(d);
                }
                (l.to_string(), o)
            })
            .collect();
        doc.insert("configuration".into(), Json::Object(values));
    }
    doc.insert("targets".into(), Json::Array(targets));
    doc.insert("errors".into(), json!([]));
    Json::Object(doc)
}
