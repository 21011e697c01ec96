//! `--output=json`: one versioned schema for `query` and `cquery`, documented
//! in docs/json.md and checked by schema/query-v1.schema.json.
//!
//! Every attribute is an object, so a plain dict value can never be mistaken
//! for a select: `{"value": V}` for a plain value, `{"select": [{"key", "value"}],
//! "no_match_error"}` and `{"concat": [...]}` for unresolved ones (`query`),
//! and `{"value": V, "selected": [keys]}` for a resolved one (`cquery`). Each
//! target lists its direct dependency edges with the select keys they come
//! through, so a tool can rebuild the graph from the document alone.

use std::cell::RefCell;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{json, Map, Value as Json};

use super::{configured, direct_deps, ordered, Command, Options, Order, Positions};
use crate::configuration::{ConfiguredTarget, Origin};
use crate::target_graph::{Attr, GroupMode, Rule, Selector, Target, TargetGraph, Value};
use crate::QueryResult;

/// The schema identifier written in every document's `"schema"` field.
pub const SCHEMA: &str = "sel.query/v1";

/// A plain value as JSON: strings and labels as strings, lists as arrays,
/// dicts as objects (a key that is not a string is written as its Starlark text).
pub fn value(v: &Value) -> Json {
    match v {
        Value::None => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => json!(i),
        Value::Str(s) => Json::String(s.to_string()),
        Value::Label(l) => Json::String(l.to_string()),
        Value::List(items) => Json::Array(items.iter().map(value).collect()),
        Value::Dict(items) => {
            let mut m = Map::new();
            for (k, v) in items {
                let key = match k {
                    Value::Str(s) => s.to_string(),
                    Value::Label(l) => l.to_string(),
                    other => other.to_string(),
                };
                m.insert(key, value(v));
            }
            Json::Object(m)
        }
    }
}

/// An unconfigured attribute: `{"value"}`, `{"select", "no_match_error"}` or `{"concat"}`.
pub fn attr(a: &Attr) -> Json {
    match a {
        Attr::Plain(v) => json!({ "value": value(v) }),
        Attr::Select(s) => json!({
            "select": s
                .branches
                .iter()
                .map(|(k, v)| json!({"key": k.to_string(), "value": value(v)}))
                .collect::<Vec<_>>(),
            "no_match_error": s.no_match_error,
        }),
        Attr::Concat(parts) => json!({ "concat": parts.iter().map(attr).collect::<Vec<_>>() }),
    }
}

/// The attributes every target has, and those of the kinds that cannot hold selects.
fn fixed(t: &Target) -> Map<String, Json> {
    let mut m = Map::new();
    let mut put = |name: &str, v: Json| {
        m.insert(name.to_string(), json!({ "value": v }));
    };
    match &t.rule {
        Rule::Selector(s) => {
            let Selector {
                values,
                default,
                doc,
                ordered,
            } = &**s;
            put("values", json!(values));
            put("default", json!(default));
            put("doc", json!(doc));
            put("ordered", json!(ordered));
        }
        Rule::ConfigSetting { flag_values } | Rule::Platform { flag_values } => {
            let fv: Map<String, Json> = flag_values
                .iter()
                .map(|f| (f.selector.to_string(), json!(f.text())))
                .collect();
            put("flag_values", Json::Object(fv));
        }
        Rule::ConfigSettingGroup { mode, conditions } => {
            let key = match mode {
                GroupMode::Any => "match_any",
                GroupMode::All => "match_all",
            };
            put(
                key,
                json!(conditions.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
            );
        }
        Rule::Package { .. } | Rule::Alias { .. } => {}
    }
    put(
        "visibility",
        json!(t
            .visibility()
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()),
    );
    put("tags", json!(t.tags()));
    m
}

fn location(t: &Target, positions: &mut Positions) -> Json {
    match t.location.as_ref().and_then(|l| positions.of(l)) {
        Some((file, Some((line, column)))) => {
            json!({"file": file, "line": line, "column": column})
        }
        Some((file, None)) => json!({ "file": file }),
        None => Json::Null,
    }
}

fn target(t: &Target, c: Option<&ConfiguredTarget>, positions: &mut Positions) -> Json {
    let mut attrs = Map::new();
    match c {
        None => {
            if let Rule::Package { attrs: a } = &t.rule {
                for (k, v) in a {
                    attrs.insert(k.to_string(), attr(v));
                }
            }
            if let Rule::Alias { actual } = &t.rule {
                attrs.insert("actual".into(), attr(actual));
            }
        }
        Some(c) => {
            for (k, v) in &c.attrs {
                let mut a = json!({ "value": value(v) });
                if let Some(keys) = c.chosen.get(k) {
                    a["selected"] = json!(keys.iter().map(|k| k.to_string()).collect::<Vec<_>>());
                }
                attrs.insert(k.clone(), a);
            }
        }
    }
    attrs.extend(fixed(t));
    let deps: Vec<Json> = direct_deps(t, c)
        .into_iter()
        .map(|d| {
            json!({
                "label": d.label.to_string(),
                "conditional": d.is_conditional(),
                "keys": d.keys.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut o = json!({
        "label": t.label.to_string(),
        "kind": t.rule.kind(),
        "package": super::package_label(t.label.package()),
        "location": location(t, positions),
        "attributes": attrs,
        "deps": deps,
    });
    if let Some(p) = purl(t, c) {
        o["purl"] = p;
    }
    o
}

/// A package's purl, so scanners can match advisories (docs/sbom.md): the
/// `purl` attribute, else derived from `metadata`. In `query`, only when the
/// attributes it comes from hold no select; `null` when there is none.
fn purl(t: &Target, c: Option<&ConfiguredTarget>) -> Option<Json> {
    let Rule::Package { attrs } = &t.rule else {
        return None;
    };
    let purl = match c {
        Some(c) => crate::sbom::purl::of(&t.label, &c.attrs),
        None => {
            let mut plain = indexmap::IndexMap::new();
            for (k, a) in attrs {
                match a {
                    Attr::Plain(v) => {
                        plain.insert(k.to_string(), v.clone());
                    }
                    _ if ["purl", "version", "metadata"].contains(&k) => return Some(Json::Null),
                    _ => {}
                }
            }
            crate::sbom::purl::of(&t.label, &plain)
        }
    };
    Some(json!(purl))
}

fn origin(o: &Origin) -> (&'static str, Option<String>) {
    match o {
        Origin::CommandLine => ("command_line", None),
        Origin::Config(n) => ("config", Some(n.clone())),
        Origin::Platform(p) => ("platform", Some(p.to_string())),
        Origin::Default => ("default", None),
    }
}

/// The whole document for a query or cquery result, as a JSON value.
pub fn result(graph: &TargetGraph, result: &QueryResult, options: &Options) -> Json {
    serde_json::to_value(Document::new(graph, result, options)).expect("JSON values serialise")
}

/// The document, pretty-printed, ending with a newline.
///
/// Each target is built and written in turn rather than all at once as one
/// `serde_json::Value`: a tree of small maps for a large result costs many
/// times the size of the text (450 MB for the 20 MB of 20,000 targets).
pub fn text(graph: &TargetGraph, result: &QueryResult, options: &Options) -> String {
    let mut out = serde_json::to_string_pretty(&Document::new(graph, result, options))
        .expect("JSON values serialise");
    out.push('\n');
    out
}

/// The document, serialised field by field; keys in alphabetical order, as
/// a `serde_json::Map` would write them.
struct Document<'a> {
    graph: &'a TargetGraph,
    result: &'a QueryResult,
    options: &'a Options,
    positions: RefCell<Positions>,
}

impl<'a> Document<'a> {
    fn new(graph: &'a TargetGraph, result: &'a QueryResult, options: &'a Options) -> Self {
        Document {
            graph,
            result,
            options,
            positions: RefCell::new(Positions::default()),
        }
    }

    fn configuration(&self) -> Option<Json> {
        self.result.configuration.as_ref().map(|config| {
            let selectors: Map<String, Json> = config
                .values
                .iter()
                .map(|(l, (v, o))| {
                    let (source, detail) = origin(o);
                    let mut s = json!({"value": v, "source": source});
                    if let Some(d) = detail {
                        s[source] = json!(d);
                    }
                    (l.to_string(), s)
                })
                .collect();
            json!({ "selectors": selectors })
        })
    }
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let order = match self.options.order {
            Order::Sorted => "sorted",
            Order::Deps => "deps",
        };
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("command", self.options.command.name())?;
        m.serialize_entry("configuration", &self.configuration())?;
        m.serialize_entry("errors", &[] as &[Json])?;
        m.serialize_entry("order", order)?;
        m.serialize_entry("query", &self.options.query)?;
        m.serialize_entry("schema", SCHEMA)?;
        m.serialize_entry("targets", &Targets(self))?;
        m.end()
    }
}

/// The `targets` array, each target built just before it is written.
struct Targets<'d, 'a>(&'d Document<'a>);

impl Serialize for Targets<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let doc = self.0;
        let labels = ordered(doc.graph, doc.result, doc.options.order);
        let mut seq = s.serialize_seq(Some(labels.len()))?;
        for l in &labels {
            let Ok(t) = doc.graph.target(l) else {
                continue;
            };
            let c = match doc.options.command {
                Command::Query => None,
                Command::Cquery => match configured(doc.result, l) {
                    Some(c) => Some(c),
                    None => continue,
                },
            };
            seq.serialize_element(&target(t, c, &mut doc.positions.borrow_mut()))?;
        }
        seq.end()
    }
}
