//! The two single-configuration environments: the unconfigured graph (`query`,
//! every select branch is an edge) and one configuration (`cquery`).

use regex::Regex;
use rustc_hash::FxHashMap;

use super::eval::QueryEnv;
use crate::configuration::{configurable_attrs, each_label, each_value, Configurer, Edges};
use crate::error::{Error, ErrorKind, Result};
use crate::label::{Label, TargetPattern};
use crate::target_graph::{Rule, Target, TargetGraph, TargetId, Value};

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

/// `flag_values` as a dict value.
fn flag_values_value(flag_values: &[crate::target_graph::FlagValue]) -> Value {
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
        ("type", Rule::Selector(s)) => Value::Str(s.value_type.name().into()),
        ("flag_values", Rule::ConfigSetting { flag_values, .. }) => flag_values_value(flag_values),
        ("flag_values", Rule::Platform(p)) => flag_values_value(&p.flag_values),
        (
            "constraint_values",
            Rule::ConfigSetting {
                constraint_values, ..
            },
        ) => Value::List(
            constraint_values
                .iter()
                .cloned()
                .map(Value::Label)
                .collect(),
        ),
        ("constraint_values", Rule::Platform(p)) => Value::List(
            p.constraint_values
                .iter()
                .cloned()
                .map(Value::Label)
                .collect(),
        ),
        ("parents", Rule::Platform(p)) => {
            Value::List(p.parent.iter().cloned().map(Value::Label).collect())
        }
        ("default_constraint_value", Rule::ConstraintSetting { default: Some(d) }) => {
            Value::Label(d.clone())
        }
        ("constraint_setting", Rule::ConstraintValue { setting }) => Value::Label(setting.clone()),
        ("match_any" | "match_all", Rule::ConfigSettingGroup { conditions, .. }) => {
            Value::List(conditions.iter().cloned().map(Value::Label).collect())
        }
        ("exclusive", Rule::Capability(c)) => Value::Bool(c.exclusive),
        ("doc", Rule::Capability(c)) => Value::Str(c.doc.as_str().into()),
        ("providers", Rule::Capability(c)) => {
            Value::List(c.providers.iter().cloned().map(Value::Label).collect())
        }
        _ => return None,
    })
}

/// The target a dependency leads to; if there is none, the error says who depends on it.
fn dep_id(graph: &TargetGraph, from: &Target, to: &Label) -> Result<TargetId> {
    graph.id(to).map_err(|e| {
        let message = format!("`{}` depends on `{to}`: {}", from.label, e.message);
        e.with_message(message).at(from.location.clone())
    })
}

/// `query`: the unconfigured graph, where every branch of every select is an edge.
pub struct UnconfiguredEnv<'g> {
    graph: &'g TargetGraph,
    relative: String,
    /// The ids of one target's dependencies (and their labels, when one is
    /// missing), reused from target to target.
    labels: Vec<Label>,
    ids: Vec<TargetId>,
}

impl<'g> UnconfiguredEnv<'g> {
    /// An environment over `graph`; relative patterns resolve in `relative`.
    pub fn new(graph: &'g TargetGraph, relative: &str) -> Self {
        UnconfiguredEnv {
            graph,
            relative: relative.to_string(),
            labels: Vec::new(),
            ids: Vec::new(),
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
    fn is_boolean(&self) -> bool {
        true
    }

    fn pattern(&mut self, pattern: &TargetPattern) -> Result<Vec<(Label, bool)>> {
        Ok(self
            .graph
            .expand(pattern)?
            .into_iter()
            .map(|l| (l, true))
            .collect())
    }

    fn graph(&self) -> &TargetGraph {
        self.graph
    }

    fn deps(&mut self, target: TargetId, out: &mut Vec<(TargetId, bool)>) -> Result<()> {
        let t = self.graph.target_by_id(target);
        // The targets of `Target::all_deps`, in its (label) order, without
        // the select keys it gathers for output. (Scanning the attributes
        // beats looking the dependency attributes up by name: it reads less
        // memory.) Ids sort as labels do, and faster.
        let graph = self.graph;
        let ids = &mut self.ids;
        ids.clear();
        let mut missing = false;
        let dep_attrs =
            || configurable_attrs(&t.rule).filter(|(n, _)| t.rule.dep_attrs().contains(n));
        for (_, attr) in dep_attrs() {
            each_value(attr, &mut |v| {
                each_label(v, &mut |l| match graph.find(l) {
                    Some(id) => ids.push(id),
                    None => missing = true,
                })
            });
        }
        if missing {
            // The error names the first missing dependency in label order.
            let labels = &mut self.labels;
            labels.clear();
            for (_, attr) in dep_attrs() {
                each_value(attr, &mut |v| {
                    each_label(v, &mut |l| labels.push(l.clone()))
                });
            }
            labels.sort_unstable();
            for d in labels.iter() {
                dep_id(graph, t, d)?;
            }
        }
        ids.sort_unstable();
        ids.dedup();
        out.extend(ids.iter().map(|id| (*id, true)));
        Ok(())
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
    /// For each target (by id) whose whole closure has been checked, the
    /// range of its configured dependencies in `deps`; `UNCHECKED` before.
    /// Checked means every dependency below it exists and is visible to its
    /// dependent: `deps()` answers from here without checking again.
    checked: Vec<(u32, u32)>,
    /// The configured dependencies of the checked targets, in written order.
    deps: Vec<TargetId>,
    /// The checked targets that do not exist in the configuration (usually none).
    incompatible: FxHashMap<TargetId, Incompatible>,
    /// For each target, its place on `visit`'s stack, or `u32::MAX`.
    on_stack: Vec<u32>,
    /// One target's edges, reused from target to target.
    edges: Edges,
}

/// A target's range in `ConfiguredEnv::checked` before it is checked.
const UNCHECKED: (u32, u32) = (u32::MAX, u32::MAX);

/// A target on `ConfiguredEnv::visit`'s stack.
struct Frame {
    target: TargetId,
    /// Its dependencies in the pending vector: `deps..end`; `next` is the
    /// next one to look at.
    deps: u32,
    end: u32,
    next: u32,
    /// Where its `target_compatible_with` conditions start in theirs.
    compatible_with: u32,
}

impl<'c, 'g> ConfiguredEnv<'c, 'g> {
    /// An environment over `cfg`'s graph and configuration.
    pub fn new(cfg: &'c Configurer<'g>, relative: &str) -> Self {
        let len = cfg.graph().len();
        ConfiguredEnv {
            cfg,
            relative: relative.to_string(),
            checked: vec![UNCHECKED; len],
            deps: Vec::new(),
            incompatible: Default::default(),
            on_stack: vec![u32::MAX; len],
            edges: Edges::default(),
        }
    }

    fn is_checked(&self, target: TargetId) -> bool {
        self.checked[target.index()] != UNCHECKED
    }

    /// Every checked target (by index, in id order: label order) with its
    /// configured dependencies, in written order: the configured graph the
    /// queries so far have walked.
    pub fn checked_edges(&self) -> impl Iterator<Item = (usize, &[TargetId])> + '_ {
        self.checked
            .iter()
            .enumerate()
            .filter(|(_, range)| **range != UNCHECKED)
            .map(|(i, &(from, to))| (i, &self.deps[from as usize..to as usize]))
    }

    /// Pushes a target on `visit`'s stack with its configured edges, its
    /// dependencies checked: existing, visible.
    fn push(
        &mut self,
        target: TargetId,
        stack: &mut Vec<Frame>,
        pending: &mut Vec<TargetId>,
        compatible_with: &mut Vec<Label>,
    ) -> Result<()> {
        let graph = self.cfg.graph();
        let t = graph.target_by_id(target);
        let label = &t.label;
        self.cfg.edges(t, &mut self.edges)?;
        let deps = pending.len() as u32;
        for d in &self.edges.deps {
            let id = dep_id(graph, t, d)?;
            if !graph.is_public(id) && !graph.target_by_id(id).visible_to(label.package()) {
                let dt = graph.target_by_id(id);
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
            pending.push(id);
        }
        self.on_stack[target.index()] = stack.len() as u32;
        stack.push(Frame {
            target,
            deps,
            end: pending.len() as u32,
            next: deps,
            compatible_with: compatible_with.len() as u32,
        });
        compatible_with.extend_from_slice(&self.edges.compatible_with);
        Ok(())
    }

    /// Checks `root`'s whole closure and computes compatibility for it, unless
    /// done already: afterwards `root` is checked. Iterative (graphs can be
    /// deep); a dependency cycle is reported with the cycle.
    fn visit(&mut self, root: TargetId) -> Result<()> {
        if self.is_checked(root) {
            return Ok(());
        }
        let mut stack: Vec<Frame> = Vec::new();
        let visited = self.visit_from(root, &mut stack);
        if visited.is_err() {
            for f in &stack {
                self.on_stack[f.target.index()] = u32::MAX;
            }
        }
        visited
    }

    /// `visit`'s depth-first search, with an explicit stack. Each target on
    /// the stack keeps its dependencies, and its conditions, on the top of
    /// the two pending vectors until it is finished.
    fn visit_from(&mut self, root: TargetId, stack: &mut Vec<Frame>) -> Result<()> {
        let mut pending: Vec<TargetId> = Vec::new();
        let mut compatible_with: Vec<Label> = Vec::new();
        self.push(root, stack, &mut pending, &mut compatible_with)?;
        while let Some(top) = stack.last_mut() {
            if top.next == top.end {
                let f = stack.pop().expect("the loop looked at it");
                self.on_stack[f.target.index()] = u32::MAX;
                self.finish(
                    f.target,
                    &pending[f.deps as usize..],
                    &compatible_with[f.compatible_with as usize..],
                )?;
                pending.truncate(f.deps as usize);
                compatible_with.truncate(f.compatible_with as usize);
                continue;
            }
            let d = pending[top.next as usize];
            top.next += 1;
            if self.is_checked(d) {
                continue;
            }
            let at = self.on_stack[d.index()];
            if at != u32::MAX {
                let graph = self.cfg.graph();
                let mut cycle: Vec<String> = stack[at as usize..]
                    .iter()
                    .map(|f| graph.target_by_id(f.target).label.to_string())
                    .collect();
                let dt = graph.target_by_id(d);
                cycle.push(dt.label.to_string());
                return Err(Error::new(
                    ErrorKind::Cycle,
                    format!("dependency cycle: {}", cycle.join(" -> ")),
                )
                .at(dt.location.clone())
                .with_note(format!(
                    "configuration: {}",
                    self.cfg.configuration().describe(None)
                )));
            }
            self.push(d, stack, &mut pending, &mut compatible_with)?;
        }
        Ok(())
    }

    /// Records a target whose dependencies are all checked: whether it exists
    /// (its `target_compatible_with` holds, and its dependencies exist).
    fn finish(
        &mut self,
        target: TargetId,
        deps: &[TargetId],
        compatible_with: &[Label],
    ) -> Result<()> {
        let mut failing = Vec::new();
        for cond in compatible_with {
            if !self.cfg.matches(cond)? {
                failing.push(cond.clone());
            }
        }
        let label = || self.cfg.graph().target_by_id(target).label.clone();
        let incompatible = if !failing.is_empty() {
            Some(Incompatible {
                chain: vec![label()],
                failing,
            })
        } else if self.incompatible.is_empty() {
            None
        } else {
            // The first incompatible dependency, in written order, explains it.
            deps.iter()
                .find_map(|d| self.incompatible.get(d))
                .map(|below| Incompatible {
                    chain: std::iter::once(label())
                        .chain(below.chain.iter().cloned())
                        .collect(),
                    failing: below.failing.clone(),
                })
        };
        if let Some(incompatible) = incompatible {
            self.incompatible.insert(target, incompatible);
        }
        let start = self.deps.len() as u32;
        self.deps.extend_from_slice(deps);
        self.checked[target.index()] = (start, self.deps.len() as u32);
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
            let graph = self.cfg.graph();
            if let Ok(t) = graph.follow_aliases(f) {
                if let Rule::ConfigSetting {
                    flag_values,
                    constraint_values,
                } = &t.rule
                {
                    sels.extend(flag_values.iter().map(|fv| {
                        graph
                            .follow_aliases(&fv.selector)
                            .map_or_else(|_| fv.selector.clone(), |s| s.label.clone())
                    }));
                    let settings = constraint_values.iter();
                    sels.extend(settings.filter_map(|cv| Some(graph.constraint(cv).ok()?.0)));
                }
                if let Rule::ConstraintValue { .. } = &t.rule {
                    sels.extend(graph.constraint(&t.label).map(|c| c.0));
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
    fn is_boolean(&self) -> bool {
        true
    }

    fn pattern(&mut self, pattern: &TargetPattern) -> Result<Vec<(Label, bool)>> {
        let graph = self.cfg.graph();
        let labels = graph.expand(pattern)?;
        let mut out = Vec::new();
        for l in labels {
            let id = graph.id(&l)?;
            self.visit(id)?;
            match self.incompatible.get(&id) {
                None => out.push((l, true)),
                Some(why) if pattern.is_single() => return Err(self.incompatible_error(&l, why)),
                // Wildcards skip incompatible targets silently, as Bazel does.
                Some(_) => {}
            }
        }
        Ok(out)
    }

    fn graph(&self) -> &TargetGraph {
        self.cfg.graph()
    }

    fn deps(&mut self, target: TargetId, out: &mut Vec<(TargetId, bool)>) -> Result<()> {
        self.visit(target)?;
        if let Some(why) = self.incompatible.get(&target) {
            let label = &self.cfg.graph().target_by_id(target).label;
            return Err(self.incompatible_error(label, why));
        }
        let (from, to) = self.checked[target.index()];
        out.extend(
            self.deps[from as usize..to as usize]
                .iter()
                .map(|d| (*d, true)),
        );
        Ok(())
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
