//! `--output=json`: one versioned schema for `query` and `cquery`, documented
//! in docs/json.md and checked by schema/query-v1.schema.json.
//!
//! Every attribute is an object, so a plain dict value can never be mistaken
//! for a select: `{"value": V}` for a plain value, `{"select": [{"key", "value"}],
//! "no_match_error"}` and `{"concat": [...]}` for unresolved ones (`query`),
//! and `{"value": V, "selected": [keys]}` for a resolved one (`cquery`). Each
//! target lists its direct dependency edges with the select keys they come
//! through, so a tool can rebuild the graph from the document alone.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{json, Map, Value as Json};

use super::options::{Command, Options, Order};
use super::order::ordered;
use super::targets::{configured, direct_deps, package_label, Dep, Itemized, Positions};
use crate::configuration::{ConfiguredTarget, Origin};
use crate::label::Label;
use crate::query::result::QueryResult;
use crate::target_graph::{Attr, GroupMode, Rule, SelectKey, Target, TargetGraph, Value};

/// The schema identifier written in every document's `"schema"` field.
pub const SCHEMA: &str = "sel.query/v1";

/// A plain value, written as JSON: strings and labels as strings, lists as
/// arrays, dicts as objects (a key that is not a string is written as its
/// Starlark text). Written straight to the output, with no JSON tree between.
pub struct JsonValue<'a>(pub &'a Value);

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::None => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Str(text) => s.serialize_str(text),
            Value::Label(l) => s.serialize_str(l.as_str()),
            Value::List(items) => s.collect_seq(items.iter().map(JsonValue)),
            Value::Dict(items) => {
                // Keys in order, the last of equal keys winning, as a JSON
                // object of serde_json's (a sorted map) holds them.
                let mut m: BTreeMap<Cow<str>, JsonValue> = BTreeMap::new();
                for (k, v) in items {
                    let key = match k {
                        Value::Str(text) => Cow::Borrowed(&**text),
                        Value::Label(l) => Cow::Borrowed(l.as_str()),
                        other => Cow::Owned(other.to_string()),
                    };
                    m.insert(key, JsonValue(v));
                }
                s.collect_map(m)
            }
        }
    }
}

/// Something written as the JSON string of its `Display` text.
struct Shown<T>(T);

impl<T: std::fmt::Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// One attribute of a target, as the object the schema gives it. Every
/// object's keys are written in alphabetical order, as the documents have
/// always had them.
enum AttrDoc<'a> {
    /// An unconfigured attribute (`query`): `{"value"}`,
    /// `{"no_match_error", "select"}` or `{"concat"}`.
    Unconfigured(&'a Attr),
    /// A resolved attribute (`cquery`): `{"selected"?, "value"}`.
    Configured(&'a Value, Option<&'a [SelectKey]>),
    /// `{"value": [labels]}`.
    Labels(&'a [Label]),
    /// `{"value": [strings]}`.
    Strings(&'a [String]),
    /// `{"value": V}` for the attributes of the rare kinds that cannot hold selects.
    Fixed(Json),
}

impl Serialize for AttrDoc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            AttrDoc::Unconfigured(Attr::Plain(v)) => m.serialize_entry("value", &JsonValue(v))?,
            AttrDoc::Unconfigured(Attr::Select(sel)) => {
                m.serialize_entry("no_match_error", &sel.no_match_error)?;
                let branches = sel.branches.iter().map(|(k, v)| Branch(k, v));
                m.serialize_entry("select", &Seq(branches))?;
            }
            AttrDoc::Unconfigured(Attr::Concat(parts)) => {
                m.serialize_entry("concat", &Seq(parts.iter().map(AttrDoc::Unconfigured)))?
            }
            AttrDoc::Configured(v, selected) => {
                if let Some(keys) = selected {
                    m.serialize_entry("selected", &Seq(keys.iter().map(Shown)))?;
                }
                m.serialize_entry("value", &JsonValue(v))?;
            }
            AttrDoc::Labels(labels) => {
                m.serialize_entry("value", &Seq(labels.iter().map(Label::as_str)))?
            }
            AttrDoc::Strings(strings) => m.serialize_entry("value", strings)?,
            AttrDoc::Fixed(v) => m.serialize_entry("value", v)?,
        }
        m.end()
    }
}

/// A select branch: `{"key", "value"}`.
struct Branch<'a>(&'a SelectKey, &'a Value);

impl Serialize for Branch<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("key", &Shown(self.0))?;
        m.serialize_entry("value", &JsonValue(self.1))?;
        m.end()
    }
}

/// The items of an iterator, written as a JSON array.
struct Seq<I>(I);

impl<I, T> Serialize for Seq<I>
where
    I: Iterator<Item = T> + Clone,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
}

/// The attributes every target has, and those of the kinds that cannot hold
/// selects, added to `attrs` (over any of the same name).
fn flag_values_json(flag_values: &[crate::target_graph::FlagValue]) -> Json {
    let fv: Map<String, Json> = flag_values
        .iter()
        .map(|f| (f.selector.to_string(), json!(f.text())))
        .collect();
    Json::Object(fv)
}

/// The attributes of the kinds that cannot hold selects, added to `attrs`.
fn fixed<'a>(t: &'a Target, attrs: &mut BTreeMap<&'a str, AttrDoc<'a>>) {
    let mut put = |name: &'a str, v: Json| {
        attrs.insert(name, AttrDoc::Fixed(v));
    };
    match &t.rule {
        Rule::Selector(s) => {
            put("values", json!(s.values));
            put("default", json!(s.default));
            put("doc", json!(s.doc));
            put("ordered", json!(s.ordered));
            put("type", json!(s.value_type.name()));
        }
        Rule::ConfigSetting {
            flag_values,
            constraint_values,
        } => {
            put("flag_values", flag_values_json(flag_values));
            attrs.insert("constraint_values", AttrDoc::Labels(constraint_values));
        }
        Rule::Platform(p) => {
            put("flag_values", flag_values_json(&p.flag_values));
            attrs.insert("constraint_values", AttrDoc::Labels(&p.constraint_values));
            attrs.insert("parents", AttrDoc::Labels(p.parent.as_slice()));
        }
        Rule::ConstraintSetting { default } => {
            put("default_constraint_value", json!(default));
        }
        Rule::ConstraintValue { setting } => put("constraint_setting", json!(setting)),
        Rule::ConfigSettingGroup { mode, conditions } => {
            let key = match mode {
                GroupMode::Any => "match_any",
                GroupMode::All => "match_all",
            };
            attrs.insert(key, AttrDoc::Labels(conditions));
        }
        Rule::Capability(c) => {
            put("exclusive", json!(c.exclusive));
            put("doc", json!(c.doc));
            attrs.insert("providers", AttrDoc::Labels(&c.providers));
        }
        Rule::Package { .. } | Rule::Alias { .. } => {}
    }
    attrs.insert("visibility", AttrDoc::Labels(t.visibility()));
    attrs.insert("tags", AttrDoc::Strings(t.tags()));
}

/// Where a target is declared: `{"column", "file", "line"}`, `{"file"}` when
/// the file cannot be read again, `null` when unknown.
fn location(t: &Target, positions: &mut Positions) -> Json {
    match t.location.as_ref().and_then(|l| positions.of(l)) {
        Some((file, Some((line, column)))) => {
            json!({"file": file, "line": line, "column": column})
        }
        Some((file, None)) => json!({ "file": file }),
        None => Json::Null,
    }
}

/// A target of the document.
struct TargetDoc<'a> {
    target: &'a Target,
    configured: Option<&'a ConfiguredTarget>,
    location: Json,
}

impl Serialize for TargetDoc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (t, c) = (self.target, self.configured);
        let mut attrs: BTreeMap<&str, AttrDoc> = BTreeMap::new();
        match c {
            None => {
                if let Rule::Package { attrs: a } = &t.rule {
                    for (k, v) in a {
                        attrs.insert(k, AttrDoc::Unconfigured(v));
                    }
                }
                if let Rule::Alias { actual } = &t.rule {
                    attrs.insert("actual", AttrDoc::Unconfigured(actual));
                }
            }
            Some(c) => {
                for (k, v) in &c.attrs {
                    let selected = c.chosen.get(k).map(Vec::as_slice);
                    attrs.insert(k, AttrDoc::Configured(v, selected));
                }
            }
        }
        fixed(t, &mut attrs);
        let deps = direct_deps(t, c);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("attributes", &attrs)?;
        m.serialize_entry("deps", &Seq(deps.iter().map(DepDoc)))?;
        m.serialize_entry("kind", t.rule.kind())?;
        m.serialize_entry("label", t.label.as_str())?;
        m.serialize_entry("location", &self.location)?;
        m.serialize_entry("package", &package_label(t.label.package()))?;
        if let Some(p) = purl(t, c) {
            m.serialize_entry("purl", &p)?;
        }
        m.end()
    }
}

/// A target as [`write`] writes it in the `targets` array of a document
/// (from its opening brace, its other lines indented by four spaces): a
/// kept document's element written anew ([`crate::cache::recompute`]).
pub(crate) fn target_item(
    target: &Target,
    configured: Option<&ConfiguredTarget>,
    positions: &mut Positions,
) -> String {
    let doc = TargetDoc {
        target,
        configured,
        location: location(target, positions),
    };
    let text = serde_json::to_string_pretty(&doc).expect("targets serialise");
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\n    ");
        }
        out.push_str(line);
    }
    out
}

/// A dependency edge: `{"conditional", "keys", "label"}`.
struct DepDoc<'a>(&'a Dep);

impl Serialize for DepDoc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("conditional", &d.is_conditional())?;
        m.serialize_entry("keys", &Seq(d.keys.iter().map(Shown)))?;
        m.serialize_entry("label", d.label.as_str())?;
        m.end()
    }
}

/// A package's purl, so scanners can match advisories (docs/sbom.md): the
/// `purl` attribute, else derived from `metadata`. In `query`, only when the
/// attributes it comes from hold no select; `null` when there is none.
fn purl(t: &Target, c: Option<&ConfiguredTarget>) -> Option<Json> {
    let Rule::Package { attrs } = &t.rule else {
        return None;
    };
    let purl = match c {
        Some(c) => crate::purl::of(&t.label, &c.attrs),
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
            crate::purl::of(&t.label, &plain)
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
        Origin::Host(probe) => ("host", Some(probe.clone())),
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
    let mut out = Vec::new();
    write(graph, result, options, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Writes the document, pretty-printed and ending with a newline, to `out`
/// as it is produced.
pub fn write(
    graph: &TargetGraph,
    result: &QueryResult,
    options: &Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Document::new(graph, result, options))?;
    out.write_all(b"\n")
}

/// Writes the document as [`write()`] does, and says where each element of
/// its `targets` is ([`Itemized`]). The formatter that places them
/// says so as it writes them: nothing is read back.
pub fn write_itemized(
    graph: &TargetGraph,
    result: &QueryResult,
    options: &Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Option<Itemized>> {
    use std::io::Write as _;
    let doc = Document::new(graph, result, options);
    let written = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let mut counted = Counted {
        out,
        written: written.clone(),
    };
    let spans = std::rc::Rc::new(RefCell::new(Vec::new()));
    let formatter = Placing {
        pretty: serde_json::ser::PrettyFormatter::new(),
        depth: 0,
        written,
        spans: spans.clone(),
    };
    let mut ser = serde_json::Serializer::with_formatter(&mut counted, formatter);
    doc.serialize(&mut ser)?;
    let spans = spans.take();
    counted.write_all(b"\n")?;
    let labels = doc.written.into_inner();
    if labels.len() != spans.len() {
        return Ok(None);
    }
    // PrettyFormatter's separator, with the indentation of an element.
    let mut items = Itemized::new(",\n    ");
    for (label, span) in labels.iter().zip(spans) {
        if items.push(label, span).is_none() {
            return Ok(None);
        }
    }
    Ok(Some(items))
}

/// A writer that counts what it writes, for [`Placing`].
struct Counted<'w> {
    out: &'w mut dyn std::io::Write,
    written: std::rc::Rc<std::cell::Cell<usize>>,
}

impl std::io::Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.written.set(self.written.get() + n);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// serde_json's pretty printer, noting where each element of the
/// document's `targets` (the only array of the top object that has
/// elements at depth 2) starts and ends.
struct Placing {
    pretty: serde_json::ser::PrettyFormatter<'static>,
    /// How many arrays and objects are open.
    depth: usize,
    written: std::rc::Rc<std::cell::Cell<usize>>,
    spans: std::rc::Rc<RefCell<Vec<(usize, usize)>>>,
}

impl serde_json::ser::Formatter for Placing {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.pretty.begin_array(w)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        self.pretty.end_array(w)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        // An element starts after the separator and its indentation.
        self.pretty.begin_array_value(w, first)?;
        if self.depth == 2 {
            self.spans.borrow_mut().push((self.written.get(), 0));
        }
        Ok(())
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.depth == 2 {
            if let Some(span) = self.spans.borrow_mut().last_mut() {
                span.1 = self.written.get();
            }
        }
        self.pretty.end_array_value(w)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.pretty.begin_object(w)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        self.pretty.end_object(w)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.pretty.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_object_value(w)
    }
}

/// The document, serialised field by field; keys in alphabetical order, as
/// a `serde_json::Map` would write them.
struct Document<'a> {
    graph: &'a TargetGraph,
    result: &'a QueryResult,
    options: &'a Options,
    positions: RefCell<Positions>,
    /// The targets written so far, in order.
    written: RefCell<Vec<Label>>,
}

impl<'a> Document<'a> {
    fn new(graph: &'a TargetGraph, result: &'a QueryResult, options: &'a Options) -> Self {
        Document {
            graph,
            result,
            options,
            positions: RefCell::new(Positions),
            written: RefCell::default(),
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
            let location = location(t, &mut doc.positions.borrow_mut());
            seq.serialize_element(&TargetDoc {
                target: t,
                configured: c,
                location,
            })?;
            doc.written.borrow_mut().push(l.clone());
        }
        seq.end()
    }
}
