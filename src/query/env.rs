//! The two single-configuration environments: the unconfigured graph (`query`,
//! every select branch is an edge) and one configuration (`cquery`).

use regex::Regex;
use rustc_hash::FxHashMap;

use super::eval::QueryEnv;
use crate::configuration::{configurable_attrs, each_label, Configurer, Edges};
use crate::error::{Error, ErrorKind, Result};
use crate::label::{Label, TargetPattern};
use crate::target_graph::{Rule, Target, TargetGraph, Value};

/// A value as the text `attr()` matches: strings as they are, lists as `[a, b]`.
pub fn attr_text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
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
    let strs =
        |v: &[String]| Value::List(v.iter().map(|s| Value::Str(s.as_str().into())).collect());
    Some(match (name, &t.rule) {
        ("name", _) => Value::Str(t.label.name().into()),
        ("tags", _) => strs(t.tags()),
        ("visibility", _) => {
            Value::List(t.visibility().iter().cloned().map(Value::Label).collect())
        }
        ("values", Rule::Selector(s)) => strs(&s.values),
        ("default", Rule::Selector(s)) => Value::Str(s.default.as_str().into()),
        ("doc", Rule::Selector(s)) => Value::Str(s.doc.as_str().into()),
        ("flag_values", Rule::ConfigSetting { flag_values } | Rule::Platform { flag_values }) => {
            Value::Dict(
                flag_values
                    .iter()
                    .map(|f| {
                        (
                            Value::Label(f.selector.clone()),
                            Value::Str(f.text().into()),
                        )
                    })
                    .collect(),
            )
        }
        ("match_any" | "match_all", Rule::ConfigSettingGroup { conditions, .. }) => {
            Value::List(conditions.iter().cloned().map(Value::Label).collect())
        }
        _ => return None,
    })
}

/// The target a dependency leads to; if there is none, the error says who depends on it.
fn dep_target<'g>(graph: &'g TargetGraph, from: &Target, to: &Label) -> Result<&'g Target> {
    graph.target(to).map_err(|e| {
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
        // The labels of `Target::all_deps`, in its (label) order, without the
        // select keys it gathers for output. (Scanning the attributes beats
        // looking the dependency attributes up by name: it reads less memory.)
        let mut deps: Vec<(Label, bool)> = Vec::new();
        let dep_attrs = configurable_attrs(&t.rule).filter(|(n, _)| t.rule.dep_attrs().contains(n));
        for (_, attr) in dep_attrs {
            for v in attr.all_values() {
                each_label(v, &mut |l| deps.push((l.clone(), true)));
            }
        }
        deps.sort_unstable();
        deps.dedup();
        for (d, _) in &deps {
            dep_target(self.graph, t, d)?;
        }
        Ok(deps)
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

/// Why a target does not exist in the configuration.
struct Incompatible {
    /// The chain from the target down to the one whose conditions fail.
    chain: Vec<Label>,
    /// Those conditions.
    failing: Vec<Label>,
}

/// `cquery`: the graph configured by one configuration.
pub struct ConfiguredEnv<'c, 'g> {
    cfg: &'c Configurer<'g>,
    relative: String,
    /// The configured dependencies of each target whose whole closure has been
    /// checked: every dependency below it exists and is visible to its
    /// dependent. `deps()` answers from here without checking again.
    checked: FxHashMap<Label, Vec<Label>>,
    /// The checked targets that do not exist in the configuration (usually none).
    incompatible: FxHashMap<Label, Incompatible>,
}

impl<'c, 'g> ConfiguredEnv<'c, 'g> {
    /// An environment over `cfg`'s graph and configuration.
    pub fn new(cfg: &'c Configurer<'g>, relative: &str) -> Self {
        ConfiguredEnv {
            cfg,
            relative: relative.to_string(),
            checked: Default::default(),
            incompatible: Default::default(),
        }
    }

    /// The configured edges of a target, with its dependencies checked: existing, visible.
    fn checked_edges(&self, label: &Label) -> Result<Edges> {
        let graph = self.cfg.graph();
        let t = graph.target(label)?;
        let edges = self.cfg.edges(t)?;
        for d in &edges.deps {
            let dt = dep_target(graph, t, d)?;
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
                    dt.visibility()
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
        Ok(edges)
    }

    /// Checks `root`'s whole closure and computes compatibility for it, unless
    /// done already: afterwards `root` is in `checked`. Iterative (graphs can
    /// be deep); a dependency cycle is reported with the cycle.
    fn visit(&mut self, root: &Label) -> Result<()> {
        if self.checked.contains_key(root) {
            return Ok(());
        }
        // Depth-first with an explicit stack: (target, its edges, next dep index).
        let mut stack: Vec<(Label, Edges, usize)> = Vec::new();
        let mut on_stack: FxHashMap<Label, usize> = FxHashMap::default();
        on_stack.insert(root.clone(), 0);
        stack.push((root.clone(), self.checked_edges(root)?, 0));
        while let Some((_, edges, next)) = stack.last_mut() {
            let Some(d) = edges.deps.get(*next) else {
                let (label, edges, _) = stack.pop().expect("the loop looked at it");
                on_stack.remove(&label);
                self.finish(label, edges)?;
                continue;
            };
            *next += 1;
            if self.checked.contains_key(d) {
                continue;
            }
            let d = d.clone();
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
            let dd = self.checked_edges(&d)?;
            on_stack.insert(d.clone(), stack.len());
            stack.push((d, dd, 0));
        }
        Ok(())
    }

    /// Records a target whose dependencies are all checked: whether it exists
    /// (its `target_compatible_with` holds, and its dependencies exist).
    fn finish(&mut self, label: Label, edges: Edges) -> Result<()> {
        let mut failing = Vec::new();
        for cond in &edges.compatible_with {
            if !self.cfg.matches(cond)? {
                failing.push(cond.clone());
            }
        }
        let incompatible = if !failing.is_empty() {
            Some(Incompatible {
                chain: vec![label.clone()],
                failing,
            })
        } else {
            // The first incompatible dependency, in written order, explains it.
            edges
                .deps
                .iter()
                .find_map(|d| self.incompatible.get(d))
                .map(|below| Incompatible {
                    chain: std::iter::once(label.clone())
                        .chain(below.chain.iter().cloned())
                        .collect(),
                    failing: below.failing.clone(),
                })
        };
        if let Some(incompatible) = incompatible {
            self.incompatible.insert(label.clone(), incompatible);
        }
        self.checked.insert(label, edges.deps);
        Ok(())
    }

    fn incompatible_error(&self, label: &Label, why: &Incompatible) -> Error {
        let Incompatible { chain, failing } = why;
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
            self.visit(&l)?;
            match self.incompatible.get(&l) {
                None => out.push((l, true)),
                Some(why) if pattern.is_single() => return Err(self.incompatible_error(&l, why)),
                // Wildcards skip incompatible targets silently, as Bazel does.
                Some(_) => {}
            }
        }
        Ok(out)
    }

    fn deps(&mut self, label: &Label) -> Result<Vec<(Label, bool)>> {
        self.visit(label)?;
        if let Some(why) = self.incompatible.get(label) {
            return Err(self.incompatible_error(label, why));
        }
        Ok(self.checked[label]
            .iter()
            .map(|l| (l.clone(), true))
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
