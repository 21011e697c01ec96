//! `--output=build`: each target as the BUILD text that declares it.
//!
//! In `query` the selects are kept as written, `+` concatenations included,
//! so the text re-evaluates to the same targets: written back as BUILD files
//! (one per package) it gives the same query answers. Labels are written in
//! their canonical absolute form (`//pkg:name`), which means the same thing in
//! every package, and select keys likewise. Macros are expanded: the text holds
//! the targets they declared, so no `load()` is needed. A comment before each
//! target says where it is declared (`# spam/BUILD:3:1`).
//!
//! In `cquery` the attributes hold their resolved values, and a comment
//! before a resolved attribute names the select keys that were chosen.
//!
//! The layout follows buildifier's: one attribute a line, lists of more than
//! one element one element a line, select branches one a line.

use std::fmt::Write;

use super::options::Options;
use super::order::ordered;
use super::targets::{configured, Positions};
use crate::configuration::ConfiguredTarget;
use crate::label::Label;
use crate::query::result::QueryResult;
use crate::target_graph::FlagValue;
use crate::target_graph::{
    elements, quote, Attr, GroupMode, Rule, Select, SelectorType, Target, TargetGraph, Value,
};

const INDENT: &str = "    ";

/// The result as BUILD text, targets separated by a blank line.
pub fn render(graph: &TargetGraph, result: &QueryResult, options: &Options) -> String {
    let mut out = String::new();
    let mut positions = Positions;
    for label in ordered(graph, result, options.order) {
        let Ok(t) = graph.target(&label) else {
            continue;
        };
        if !out.is_empty() {
            out.push('\n');
        }
        match t.location.as_ref().and_then(|l| positions.of(l)) {
            Some((file, Some((line, col)))) => {
                let _ = writeln!(out, "# {file}:{line}:{col}");
            }
            Some((file, None)) => {
                let _ = writeln!(out, "# {file}");
            }
            None => {}
        }
        match configured(result, &label) {
            Some(c) if result.configuration.is_some() => out.push_str(&configured_target(t, c)),
            _ => out.push_str(&target(t)),
        }
    }
    out
}

/// One target as written, selects kept.
pub fn target(t: &Target) -> String {
    let mut attrs: Vec<(String, String)> = Vec::new();
    match &t.rule {
        Rule::Package { attrs: a } => {
            for (name, attr) in a {
                attrs.push((name.to_string(), attr_text(attr, 1)));
            }
        }
        Rule::Alias { actual } => attrs.push(("actual".into(), attr_text(actual, 1))),
        _ => attrs.extend(fixed_attrs(t)),
    }
    call(t, attrs.into_iter().map(|(n, v)| (n, v, None)).collect())
}

/// One target with its selects resolved; comments name the chosen keys.
pub fn configured_target(t: &Target, c: &ConfiguredTarget) -> String {
    let mut attrs: Vec<(String, String, Option<String>)> = Vec::new();
    match &t.rule {
        Rule::Package { .. } | Rule::Alias { .. } => {
            for (name, v) in &c.attrs {
                let note = c.chosen.get(name).map(|keys| {
                    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                    let what = if keys.len() == 1 {
                        "select chose"
                    } else {
                        "selects chose"
                    };
                    format!("{name}: {what} {}", keys.join(", "))
                });
                attrs.push((name.clone(), value_text(v, 1), note));
            }
        }
        _ => attrs.extend(fixed_attrs(t).into_iter().map(|(n, v)| (n, v, None))),
    }
    call(t, attrs)
}

/// `flag_values = {...}`, unless empty.
fn flag_values_attr(flag_values: &[FlagValue], attrs: &mut Vec<(String, String)>) {
    if !flag_values.is_empty() {
        let dict = Value::Dict(
            flag_values
                .iter()
                .map(|f| {
                    (
                        Value::Label(f.selector.clone()),
                        Value::Str(f.text().into()),
                    )
                })
                .collect(),
        );
        attrs.push(("flag_values".into(), value_text(&dict, 1)));
    }
}

/// `name = [labels]`, unless empty.
fn labels_attr(name: &str, labels: &[Label], attrs: &mut Vec<(String, String)>) {
    if !labels.is_empty() {
        let list = Value::List(labels.iter().cloned().map(Value::Label).collect());
        attrs.push((name.into(), value_text(&list, 1)));
    }
}

/// The attributes of the kinds that cannot hold selects.
fn fixed_attrs(t: &Target) -> Vec<(String, String)> {
    let strings =
        |v: &[String]| Value::List(v.iter().map(|s| Value::Str(s.as_str().into())).collect());
    let mut attrs = Vec::new();
    match &t.rule {
        Rule::Selector(s) if s.value_type != SelectorType::String => {
            // skylib's spelling, which reads back the same.
            let ints = |v: &[String]| {
                Value::List(
                    v.iter()
                        .map(|i| Value::Int(i.parse().unwrap_or_default()))
                        .collect(),
                )
            };
            let default = match s.value_type {
                SelectorType::Bool => {
                    if s.default == "true" { "True" } else { "False" }.to_string()
                }
                SelectorType::Int => s.default.clone(),
                _ => {
                    let held: Vec<String> = elements(&s.default).map(str::to_string).collect();
                    value_text(&strings(&held), 1)
                }
            };
            match s.value_type {
                SelectorType::Int => attrs.push(("values".into(), value_text(&ints(&s.values), 1))),
                SelectorType::StringList => {
                    attrs.push(("values".into(), value_text(&strings(&s.values), 1)))
                }
                _ => {}
            }
            attrs.push(("build_setting_default".into(), default));
            if !s.doc.is_empty() {
                attrs.push(("doc".into(), quote(&s.doc)));
            }
        }
        Rule::Selector(s) => {
            attrs.push(("values".into(), value_text(&strings(&s.values), 1)));
            attrs.push(("default".into(), quote(&s.default)));
            if !s.doc.is_empty() {
                attrs.push(("doc".into(), quote(&s.doc)));
            }
            if s.ordered {
                attrs.push(("ordered".into(), "True".into()));
            }
        }
        Rule::ConfigSetting {
            flag_values,
            constraint_values,
        } => {
            flag_values_attr(flag_values, &mut attrs);
            labels_attr("constraint_values", constraint_values, &mut attrs);
        }
        Rule::Platform(p) => {
            flag_values_attr(&p.flag_values, &mut attrs);
            labels_attr("constraint_values", &p.constraint_values, &mut attrs);
            labels_attr("parents", p.parent.as_slice(), &mut attrs);
        }
        Rule::ConstraintSetting { default } => {
            if let Some(d) = default {
                attrs.push(("default_constraint_value".into(), quote(d.as_str())));
            }
        }
        Rule::ConstraintValue { setting } => {
            attrs.push(("constraint_setting".into(), quote(setting.as_str())));
        }
        Rule::ConfigSettingGroup { mode, conditions } => {
            let name = match mode {
                GroupMode::Any => "match_any",
                GroupMode::All => "match_all",
            };
            let list = Value::List(conditions.iter().cloned().map(Value::Label).collect());
            attrs.push((name.into(), value_text(&list, 1)));
        }
        Rule::Capability(c) => {
            let flag = if c.exclusive { "True" } else { "False" };
            attrs.push(("exclusive".into(), flag.into()));
            if !c.doc.is_empty() {
                attrs.push(("doc".into(), quote(&c.doc)));
            }
            if !c.providers.is_empty() {
                let list = Value::List(c.providers.iter().cloned().map(Value::Label).collect());
                attrs.push(("providers".into(), value_text(&list, 1)));
            }
        }
        Rule::Package { .. } | Rule::Alias { .. } => {}
    }
    attrs
}

/// `kind(name = ..., attrs..., visibility, tags)`.
fn call(t: &Target, attrs: Vec<(String, String, Option<String>)>) -> String {
    let func = match &t.rule {
        Rule::Selector(s) => s.value_type.rule(),
        rule => rule.kind(),
    };
    let mut out = format!("{func}(\n");
    let _ = writeln!(out, "{INDENT}name = {},", quote(t.label.name()));
    for (name, value, note) in attrs {
        if let Some(note) = note {
            let _ = writeln!(out, "{INDENT}# {note}");
        }
        let _ = writeln!(out, "{INDENT}{name} = {value},");
    }
    let public = t.visibility().len() == 1 && t.visibility()[0].as_str() == "//visibility:public";
    if !public {
        let v = Value::List(t.visibility().iter().cloned().map(Value::Label).collect());
        let _ = writeln!(out, "{INDENT}visibility = {},", value_text(&v, 1));
    }
    if !t.tags().is_empty() {
        let v = Value::List(
            t.tags()
                .iter()
                .map(|s| Value::Str(s.as_str().into()))
                .collect(),
        );
        let _ = writeln!(out, "{INDENT}tags = {},", value_text(&v, 1));
    }
    out.push_str(")\n");
    out
}

/// An attribute as Starlark text, continuation lines indented `depth` levels.
pub fn attr_text(attr: &Attr, depth: usize) -> String {
    match attr {
        Attr::Plain(v) => value_text(v, depth),
        Attr::Select(s) => select_text(s, depth),
        Attr::Concat(parts) => parts
            .iter()
            .map(|p| attr_text(p, depth))
            .collect::<Vec<_>>()
            .join(" + "),
    }
}

fn select_text(s: &Select, depth: usize) -> String {
    let inner = INDENT.repeat(depth + 1);
    let mut out = String::from("select({\n");
    for (key, value) in &s.branches {
        let _ = writeln!(
            out,
            "{inner}{}: {},",
            quote(&key.to_string()),
            value_text(value, depth + 1)
        );
    }
    let _ = write!(out, "{}}}", INDENT.repeat(depth));
    if !s.no_match_error.is_empty() {
        let _ = write!(out, ", no_match_error = {}", quote(&s.no_match_error));
    }
    out.push(')');
    out
}

/// A plain value as Starlark text: short lists inline, longer ones one item a line.
pub fn value_text(v: &Value, depth: usize) -> String {
    let inner = INDENT.repeat(depth + 1);
    let close = INDENT.repeat(depth);
    match v {
        Value::List(items) if items.len() > 1 || items.iter().any(is_nested) => {
            let mut out = String::from("[\n");
            for item in items {
                let _ = writeln!(out, "{inner}{},", value_text(item, depth + 1));
            }
            let _ = write!(out, "{close}]");
            out
        }
        Value::Dict(items) if !items.is_empty() => {
            let mut out = String::from("{\n");
            for (k, v) in items {
                let _ = writeln!(
                    out,
                    "{inner}{}: {},",
                    value_text(k, depth + 1),
                    value_text(v, depth + 1)
                );
            }
            let _ = write!(out, "{close}}}");
            out
        }
        other => other.to_string(),
    }
}

fn is_nested(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::Dict(_))
}
