//! The two single-configuration environments: the unconfigured graph (`query`,
//! every select branch is an edge) and one configuration (`cquery`).

use std::collections::HashMap;

use regex::Regex;

use super::eval::QueryEnv;
use crate::configuration::Configurer;
use crate::error::{Error, ErrorKind, Result};
use crate::label::{Label, TargetPattern};
use crate::target_graph::{Rule, Target, TargetGraph, Value};

/// A value as the text `attr()` matches: strings as they are, lists as `[a, b]`.
pub fn attr_text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Label(l) => l.to_string(),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(attr_text).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// The non-configurable attributes of a target, as values (`name`, `tags`, ...).
pub fn fixed_attr(t: &Target, name: &str) -> Option<Value> {
    let strs = |v: &[String]| Value::List(v.iter().cloned().map(Value::Str).collect());
    Some(match (name, &t.rule) {
        ("name", _) => Value::Str(t.label.name().to_string()),
        ("tags", _) => strs(&t.tags),
        ("visibility", _) => Value::List(t.visibility.iter().cloned().map(Value::Label).collect()),
        ("values", Rule::Selector { values, .. }) => strs(values),
        ("default", Rule::Selector { default, .. }) => Value::Str(default.clone()),
        ("doc", Rule::Selector { doc, .. }) => Value::Str(doc.clone()),
        ("flag_values", Rule::ConfigSetting { flag_values } | Rule::Platform { flag_values }) => {
            Value::Dict(
                flag_values
                    .iter()
                    .map(|f| (Value::Label(f.selector.clone()), Value::Str(f.text())))
                    .collect(),
            )
        }
        ("match_any" | "match_all", Rule::ConfigSettingGroup { conditions, .. }) => {
            Value::List(conditions.iter().cloned().map(Value::Label).collect())
        }
        _ => return None,
    })
}

fn missing_dep(graph: &TargetGraph, from: &Target, to: &Label) -> Option<Error> {
    graph.target(to).err().map(|e| {
        let message = format!("`{}` depends on `{to}`: {}", from.label, e.message);
        e.with_message(message).at(from.location.clone())
    })
}

/// `query`: the unconfigured graph, where every branch of every select is an edge.
pub struct UnconfiguredEnv<'g> {
    graph: &'g TargetGraph,
    relative: String,
}

impl<'g> UnconfiguredEnv<'g> {
    /// An environment over `graph`; relative patterns resolve in `relative`.
    pub fn new(graph: &'g TargetGraph, relative: &str) -> Self {
        UnconfiguredEnv {
            graph,
            relative: relative.to_string(),
        }
    }
}

impl QueryEnv for UnconfiguredEnv<'_> {
    type Cond = bool;

    fn always(&self) -> bool {
        true
    }
    fn and(&self, a: bool, b: bool) -> bool {
        a && b
    }
    fn or(&self, a: bool, b: bool) -> bool {
        a || b
    }
    fn and_not(&self, a: bool, b: bool) -> bool {
        a && !b
    }
    fn is_never(&self, c: bool) -> bool {
        !c
    }

    fn pattern(&mut self, pattern: &TargetPattern) -> Result<Vec<(Label, bool)>> {
        Ok(self
            .graph
            .expand(pattern)?
            .into_iter()
            .map(|l| (l, true))
            .collect())
    }

    fn deps(&mut self, label: &Label) -> Result<Vec<(Label, bool)>> {
        let t = self.graph.target(label)?;
        let deps = t.all_deps();
        for (d, _) in &deps {
            if let Some(e) = missing_dep(self.graph, t, d) {
                return Err(e);
            }
        }
        Ok(deps.into_iter().map(|(l, _)| (l, true)).collect())
    }

    fn kind(&mut self, label: &Label) -> Result<&'static str> {
        Ok(self.graph.target(label)?.rule.kind())
    }

    fn attr_labels(&mut self, label: &Label, attr: &str) -> Result<Vec<(Label, bool)>> {
        let t = self.graph.target(label)?;
        let mut out: Vec<(Label, bool)> = match t.rule.attr(attr) {
            Some(a) => a.all_labels().into_iter().map(|(l, _)| (l, true)).collect(),
            None => fixed_attr(t, attr)
                .map(|v| v.labels().into_iter().map(|l| (l.clone(), true)).collect())
                .unwrap_or_default(),
        };
        out.dedup();
        Ok(out)
    }

    fn attr_matches(&mut self, label: &Label, attr: &str, regex: &Regex) -> Result<bool> {
        let t = self.graph.target(label)?;
        Ok(match t.rule.attr(attr) {
            Some(a) => a
                .all_values()
                .into_iter()
                .any(|v| regex.is_match(&attr_text(v))),
            None => fixed_attr(t, attr).is_some_and(|v| regex.is_match(&attr_text(&v))),
        })
    }

    fn relative_package(&self) -> &str {
        &self.relative
    }
}

/// Whether a target exists in the configuration.
#[derive(Clone, Debug)]
enum Compat {
    Yes,
    /// No: the chain from this target down to the one whose conditions fail, and those conditions.
    No(Vec<Label>, Vec<Label>),
}

/// `cquery`: the graph configured by one configuration.
pub struct ConfiguredEnv<'c, 'g> {
    cfg: &'c Configurer<'g>,
    relative: String,
    compat: rustc_hash::FxHashMap<Label, Compat>,
}

impl<'c, 'g> ConfiguredEnv<'c, 'g> {
    /// An environment over `cfg`'s graph and configuration.
    pub fn new(cfg: &'c Configurer<'g>, relative: &str) -> Self {
        ConfiguredEnv {
            cfg,
            relative: relative.to_string(),
            compat: Default::default(),
        }
    }

    /// The configured, checked dependencies of a target: existing, visible.
    fn checked_deps(&self, label: &Label) -> Result<Vec<Label>> {
        let graph = self.cfg.graph();
        let t = graph.target(label)?;
        let c = self.cfg.edges(label)?;
        for d in &c.deps {
            if let Some(e) = missing_dep(graph, t, d) {
                return Err(e);
            }
            let dt = graph.target(d)?;
            if !dt.visible_to(label.package()) {
                return Err(Error::new(
                    ErrorKind::Visibility,
                    format!(
                        "`{label}` depends on `{d}`, which is not visible to package `//{}`",
                        label.package()
                    ),
                )
                .at(t.location.clone())
                .with_note(format!(
                    "`{d}` has visibility [{}]",
                    dt.visibility
                        .iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .with_help(format!(
                    "add \"//{}:__pkg__\" to the visibility of `{d}`, or make it public",
                    label.package()
                )));
            }
        }
        Ok(c.deps.clone())
    }

    /// The conditions of `target_compatible_with` that fail in the configuration.
    fn failing_conditions(&self, label: &Label) -> Result<Vec<Label>> {
        let c = self.cfg.edges(label)?;
        let mut failing = Vec::new();
        for cond in &c.compatible_with {
            if !self.cfg.matches(cond)? {
                failing.push(cond.clone());
            }
        }
        Ok(failing)
    }

    /// Computes compatibility for `root`'s whole closure, iteratively (graphs can be
    /// deep), reporting a dependency cycle with the cycle.
    fn compat(&mut self, root: &Label) -> Result<Compat> {
        if let Some(c) = self.compat.get(root) {
            return Ok(c.clone());
        }
        // Depth-first with an explicit stack: (target, its deps, next dep index).
        let mut stack: Vec<(Label, Vec<Label>, usize)> = Vec::new();
        let mut on_stack: HashMap<Label, usize> = HashMap::new();
        on_stack.insert(root.clone(), 0);
        stack.push((root.clone(), self.checked_deps(root)?, 0));
        while let Some((label, deps, next)) = stack.last_mut() {
            if *next < deps.len() {
                let d = deps[*next].clone();
                *next += 1;
                if self.compat.contains_key(&d) {
                    continue;
                }
                if let Some(&i) = on_stack.get(&d) {
                    let mut cycle: Vec<String> =
                        stack[i..].iter().map(|(l, _, _)| l.to_string()).collect();
                    cycle.push(d.to_string());
                    let at = self.cfg.graph().target(&d)?.location.clone();
                    return Err(Error::new(
                        ErrorKind::Cycle,
                        format!("dependency cycle: {}", cycle.join(" -> ")),
                    )
                    .at(at)
                    .with_note(format!(
                        "configuration: {}",
                        self.cfg.configuration().describe(None)
                    )));
                }
                let dd = self.checked_deps(&d)?;
                on_stack.insert(d.clone(), stack.len());
                stack.push((d, dd, 0));
                continue;
            }
            let label = label.clone();
            let failing = self.failing_conditions(&label)?;
            let result = if !failing.is_empty() {
                Compat::No(vec![label.clone()], failing)
            } else {
                let mut r = Compat::Yes;
                for d in deps.iter() {
                    if let Some(Compat::No(chain, failing)) = self.compat.get(d) {
                        let mut chain2 = vec![label.clone()];
                        chain2.extend(chain.iter().cloned());
                        r = Compat::No(chain2, failing.clone());
                        break;
                    }
                }
                r
            };
            self.compat.insert(label.clone(), result);
            on_stack.remove(&label);
            stack.pop();
        }
        Ok(self.compat[root].clone())
    }

    fn incompatible_error(&self, label: &Label, chain: &[Label], failing: &[Label]) -> Error {
        let last = chain.last().unwrap_or(label);
        let path = chain
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(" -> ");
        let conds = failing
            .iter()
            .map(|l| format!("`{l}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let location = self
            .cfg
            .graph()
            .target(last)
            .ok()
            .and_then(|t| t.location.clone());
        let mut sels = Vec::new();
        for f in failing {
            if let Ok(t) = self.cfg.graph().target(f) {
                if let Rule::ConfigSetting { flag_values } = &t.rule {
                    sels.extend(flag_values.iter().map(|fv| fv.selector.clone()));
                }
            }
        }
        let only = if sels.is_empty() {
            None
        } else {
            Some(sels.as_slice())
        };
        Error::new(
            ErrorKind::Incompatible,
            format!("`{label}` is incompatible with this configuration: target_compatible_with of `{last}` requires {conds}"),
        )
        .at(location)
        .with_note(format!("dependency chain: {path}"))
        .with_note(format!("configuration: {}", self.cfg.configuration().describe(only)))
    }
}

impl QueryEnv for ConfiguredEnv<'_, '_> {
    type Cond = bool;

    fn always(&self) -> bool {
        true
    }
    fn and(&self, a: bool, b: bool) -> bool {
        a && b
    }
    fn or(&self, a: bool, b: bool) -> bool {
        a || b
    }
    fn and_not(&self, a: bool, b: bool) -> bool {
        a && !b
    }
    fn is_never(&self, c: bool) -> bool {
        !c
    }

    fn pattern(&mut self, pattern: &TargetPattern) -> Result<Vec<(Label, bool)>> {
        let labels = self.cfg.graph().expand(pattern)?;
        let mut out = Vec::new();
        for l in labels {
            match self.compat(&l)? {
                Compat::Yes => out.push((l, true)),
                Compat::No(chain, failing) if pattern.is_single() => {
                    return Err(self.incompatible_error(&l, &chain, &failing))
                }
                // Wildcards skip incompatible targets silently, as Bazel does.
                Compat::No(..) => {}
            }
        }
        Ok(out)
    }

    fn deps(&mut self, label: &Label) -> Result<Vec<(Label, bool)>> {
        if let Compat::No(chain, failing) = self.compat(label)? {
            return Err(self.incompatible_error(label, &chain, &failing));
        }
        Ok(self
            .checked_deps(label)?
            .into_iter()
            .map(|l| (l, true))
            .collect())
    }

    fn kind(&mut self, label: &Label) -> Result<&'static str> {
        Ok(self.cfg.graph().target(label)?.rule.kind())
    }

    fn attr_labels(&mut self, label: &Label, attr: &str) -> Result<Vec<(Label, bool)>> {
        let c = self.cfg.configure(label)?;
        let t = self.cfg.graph().target(label)?;
        let v = c.attrs.get(attr).cloned().or_else(|| fixed_attr(t, attr));
        Ok(
            v.map(|v| v.labels().into_iter().map(|l| (l.clone(), true)).collect())
                .unwrap_or_default(),
        )
    }

    fn attr_matches(&mut self, label: &Label, attr: &str, regex: &Regex) -> Result<bool> {
        let c = self.cfg.configure(label)?;
        let t = self.cfg.graph().target(label)?;
        let v = c.attrs.get(attr).cloned().or_else(|| fixed_attr(t, attr));
        Ok(v.is_some_and(|v| regex.is_match(&attr_text(&v))))
    }

    fn relative_package(&self) -> &str {
        &self.relative
    }
}
