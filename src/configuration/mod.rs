//! Configurations (one value per selector), condition matching and select
//! resolution: from the unconfigured [`TargetGraph`] to [`ConfiguredTarget`]s.
//!
//! Resolution follows SPEC: the matching keys are the conditions true in the
//! configuration; a key more specific than every other matching key wins,
//! where *more specific* is strict implication between conditions (decided with
//! the condition algebra, so it holds for groups too); several most specific
//! matching keys (none of which another matching key is more specific than)
//! are fine when their values are equal, as in Bazel 6.2+; otherwise the
//! select is ambiguous. No match
//! takes the default or fails with `no_match_error`.
//!
//! A [`ConfiguredTarget`] holds only plain [`Value`]s: the type has no place for
//! a select, so a configured graph cannot hold one.

mod conditions;
pub mod symbolic;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::rc::Rc;

use indexmap::IndexMap;

pub(crate) use crate::target_graph::{each_label, each_value};
pub use conditions::Conditions;

use crate::error::{did_you_mean, Error, ErrorKind, Result};
use crate::label::Label;
use crate::target_graph::{
    Attr, BadValue, Compare, GroupMode, Rule, Select, SelectKey, Selector, SelectorType, Target,
    TargetGraph, Value,
};
use crate::workspace::NamedConfig;

/// Where a selector's value in a configuration comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--select NAME=VALUE`.
    CommandLine,
    /// A named configuration of `sel.toml` (`--config NAME`).
    Config(String),
    /// `--platform LABEL`.
    Platform(Label),
    /// The selector's default.
    Default,
    /// `--host` or `--host-from`: the probe the selector is bound to.
    Host(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::CommandLine => f.write_str("command line"),
            Origin::Config(n) => write!(f, "config {n}"),
            Origin::Platform(p) => write!(f, "platform {p}"),
            Origin::Default => f.write_str("default"),
            Origin::Host(probe) => write!(f, "host {probe}"),
        }
    }
}

/// A configuration: every selector of the workspace with one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Configuration {
    /// Selector label -> (value, where it came from), sorted by label.
    pub values: BTreeMap<Label, (String, Origin)>,
}

/// What the command line asks for: `--select`s, `--platform`, `--config`.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// `NAME=VALUE` pairs, NAME a selector label or unique short name.
    pub selects: Vec<String>,
    /// A platform label.
    pub platform: Option<String>,
    /// A named configuration of `sel.toml`, with its name.
    pub config: Option<(String, NamedConfig)>,
    /// The machine's facts (`--host`, `--host-from`): every selector bound to
    /// a probe takes the value they give it, over the platform and the named
    /// configuration; `--select` still wins.
    pub host: Option<std::sync::Arc<crate::detect::host::Host>>,
}

impl Configuration {
    /// The configuration where every selector has its default.
    pub fn defaults(graph: &TargetGraph) -> Configuration {
        let values = graph
            .selectors()
            .into_iter()
            .map(|t| {
                let s = graph.selector_of(t).expect("selectors() returns selectors");
                (t.label.clone(), (s.default.clone(), Origin::Default))
            })
            .collect();
        Configuration { values }
    }

    /// The configuration a command line asks for: defaults, then the platform,
    /// then the named config, then `--select` (later wins).
    pub fn from_request(graph: &TargetGraph, request: &Request) -> Result<Configuration> {
        let mut config = Configuration::defaults(graph);
        let mut platform = request.platform.clone();
        if let Some((_, named)) = &request.config {
            if platform.is_none() {
                platform = named.platform.clone();
            }
        }
        if let Some(p) = platform {
            // Say where the platform was asked for: the command line (a usage
            // error) or sel.toml (an error in the workspace).
            let (from, kind) = match (&request.platform, &request.config) {
                (None, Some((name, _))) => (
                    format!("`platform` of [config.{name}] in sel.toml"),
                    ErrorKind::Workspace,
                ),
                _ => ("--platform".to_string(), ErrorKind::Usage),
            };
            let label =
                Label::parse(&p).map_err(|e| Error::new(kind, format!("{from}: {}", e.0)))?;
            let target = graph.target(&label).map_err(|e| {
                let message = format!("{from}: {}", e.message);
                e.with_kind(kind).with_message(message)
            })?;
            if !matches!(target.rule, Rule::Platform(_)) {
                return Err(Error::new(
                    kind,
                    format!(
                        "{from}: `{label}` is a {}, not a platform",
                        target.rule.kind()
                    ),
                ));
            }
            for (selector, value) in platform_values(graph, &label)? {
                config
                    .values
                    .insert(selector, (value, Origin::Platform(label.clone())));
            }
        }
        if let Some((name, named)) = &request.config {
            for (k, v) in &named.select {
                let what = format!("[config.{name}] in sel.toml");
                let in_workspace = |e: Error| e.with_kind(ErrorKind::Workspace);
                let sel = find_selector(graph, k, &what).map_err(in_workspace)?;
                let v = check_value(graph, &sel, v, &what).map_err(in_workspace)?;
                config.values.insert(sel, (v, Origin::Config(name.clone())));
            }
        }
        let mut selects = Vec::new();
        for arg in &request.selects {
            let Some((name, value)) = arg.split_once('=') else {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!("--select `{arg}`: expected NAME=VALUE, e.g. `--select cuda=12`"),
                ));
            };
            let sel = find_selector(graph, name.trim(), "--select")?;
            let value = check_value(graph, &sel, value.trim(), &format!("--select {arg}"))?;
            selects.push((sel, value));
        }
        if let Some(host) = &request.host {
            for t in graph.selectors() {
                // Constraint settings are bound to no probe.
                let Rule::Selector(s) = &t.rule else {
                    continue;
                };
                // A selector set on the command line needs no probe's value.
                let (Some(d), false) = (&s.detect, selects.iter().any(|(l, _)| *l == t.label))
                else {
                    continue;
                };
                if let Some(value) = crate::detect::bind::bind(host.fact(&d.probe), &t.label, s)
                    .map_err(|e| e.at(t.location.clone()))?
                {
                    config
                        .values
                        .insert(t.label.clone(), (value, Origin::Host(d.probe.clone())));
                }
            }
        }
        for (sel, value) in selects {
            config.values.insert(sel, (value, Origin::CommandLine));
        }
        Ok(config)
    }

    /// The value of a selector.
    pub fn value(&self, selector: &Label) -> Option<&str> {
        self.values.get(selector).map(|(v, _)| v.as_str())
    }

    /// `//flags:cuda=12 (command line), ...` for error messages, limited to `selectors` if given.
    pub fn describe(&self, only: Option<&[Label]>) -> String {
        self.values
            .iter()
            .filter(|(l, _)| only.is_none_or(|o| o.contains(l)))
            .map(|(l, (v, o))| format!("{l}={v} ({o})"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The selector values a platform sets, its parent's first (so that its
/// own win, setting by setting, as in Bazel): each `flag_values` entry, and
/// each constraint value as its setting's value. `validate` checked them.
fn platform_values(graph: &TargetGraph, label: &Label) -> Result<Vec<(Label, String)>> {
    let mut chain: Vec<&Target> = Vec::new();
    let mut next = Some(label.clone());
    while let Some(l) = next.take() {
        let t = graph.follow_aliases(&l)?;
        let Rule::Platform(p) = &t.rule else {
            unreachable!("validate() checked that parents are platforms")
        };
        if chain.iter().any(|c| c.label == t.label) {
            unreachable!("validate() checked that parents have no cycle")
        }
        chain.push(t);
        next = p.parent.clone();
    }
    let mut values = Vec::new();
    for t in chain.iter().rev() {
        let Rule::Platform(p) = &t.rule else {
            unreachable!("a chain of platforms")
        };
        for fv in p.flag_values.iter() {
            // validate() checked that it is a selector, or an alias of one,
            // and the value; a value is kept in its one spelling.
            let selector = graph.follow_aliases(&fv.selector)?;
            let value = match graph.selector_of(selector).map(|s| s.value(&fv.value)) {
                Some(Ok(v)) => v,
                _ => fv.value.clone(),
            };
            values.push((selector.label.clone(), value));
        }
        for cv in p.constraint_values.iter() {
            values.push(graph.constraint(cv)?);
        }
    }
    Ok(values)
}

/// A selector by label or unique short name; unknown names get a suggestion.
pub fn find_selector(graph: &TargetGraph, name: &str, what: &str) -> Result<Label> {
    let selectors = graph.selectors();
    if name.starts_with("//") || name.starts_with('@') {
        let label = Label::parse(name)
            .map_err(|e| Error::new(ErrorKind::Usage, format!("{what}: {}", e.0)))?;
        if selectors.iter().any(|t| t.label == label) {
            return Ok(label);
        }
        let all: Vec<String> = selectors.iter().map(|t| t.label.to_string()).collect();
        return Err(Error::new(
            ErrorKind::Usage,
            format!("{what}: `{label}` is not a selector"),
        )
        .with_help(
            // Compare names only: the shared `//flags:` prefix says nothing.
            did_you_mean(label.name(), selectors.iter().map(|t| t.label.name()))
                .and_then(|_| {
                    let closest = selectors.iter().max_by(|a, b| {
                        let score =
                            |t: &&Target| crate::error::similarity(label.name(), t.label.name());
                        score(a).total_cmp(&score(b))
                    })?;
                    Some(format!("did you mean `{}`?", closest.label))
                })
                .unwrap_or_else(|| format!("the selectors are: {}", all.join(", "))),
        ));
    }
    let mut matching: Vec<&Target> = selectors
        .iter()
        .copied()
        .filter(|t| t.label.name() == name)
        .collect();
    // The workspace's own selector before a setting of the built-in
    // repository of the same name (`os`, beside `@platforms//os:os`).
    if matching.iter().filter(|t| !t.label.is_external()).count() == 1 {
        matching.retain(|t| !t.label.is_external());
    }
    match matching.as_slice() {
        [one] => Ok(one.label.clone()),
        [] => {
            let names: Vec<&str> = selectors.iter().map(|t| t.label.name()).collect();
            let help = did_you_mean(name, names.iter().copied()).unwrap_or_else(|| {
                if names.is_empty() {
                    "the workspace declares no selectors".to_string()
                } else {
                    format!("the selectors are: {}", names.join(", "))
                }
            });
            Err(Error::new(
                ErrorKind::Usage,
                format!("{what}: no selector named `{name}`"),
            )
            .with_help(help))
        }
        many => Err(Error::new(
            ErrorKind::Usage,
            format!("{what}: the name `{name}` is ambiguous; it names several selectors"),
        )
        .with_help(format!(
            "use a full label: {}",
            many.iter()
                .map(|t| t.label.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The value `value` names for `selector`, in its one spelling (see
/// [`Selector::value`]): one of its values or, for a constraint setting, a
/// constraint value's label (`@platforms//os:linux`, aliases followed) or
/// its name when no other of the setting's values has it (`linux`); or a
/// usage error saying why it is not one.
fn check_value(graph: &TargetGraph, selector: &Label, value: &str, what: &str) -> Result<String> {
    let target = graph.target(selector)?;
    let Some(s) = graph.selector_of(target) else {
        unreachable!("find_selector returns selectors")
    };
    if matches!(target.rule, Rule::ConstraintSetting { .. }) && !s.values.iter().any(|v| v == value)
    {
        let values = &s.values;
        let by_label = Label::parse(value)
            .ok()
            .and_then(|l| graph.constraint(&l).ok())
            .filter(|(setting, _)| setting == selector)
            .map(|(_, v)| v);
        let by_name = || {
            let mut named = values
                .iter()
                .filter(|v| Label::parse(v).is_ok_and(|l| l.name() == value));
            named.next().filter(|_| named.next().is_none()).cloned()
        };
        if let Some(v) = by_label.or_else(by_name) {
            return Ok(v);
        }
    }
    s.value(value)
        .map_err(|bad| bad_value(ErrorKind::Usage, what, selector, s, value, &bad))
}

/// The error for `text`, which is not a value of `selector` (or, in a
/// `flag_values` entry, not what a condition on it can compare with), in
/// `what`.
fn bad_value(
    kind: ErrorKind,
    what: &str,
    label: &Label,
    selector: &Selector,
    text: &str,
    bad: &BadValue,
) -> Error {
    let values = selector.values.join(", ");
    let allowed = |wrong: &str, noun: &str| {
        did_you_mean(wrong, selector.values.iter().map(|s| s.as_str()))
            .map(|h| format!("{h} allowed {noun}: {values}"))
            .unwrap_or_else(|| format!("allowed {noun}: {values}"))
    };
    let (message, help) = match bad {
        BadValue::NotAllowed(element) if selector.is_multi_valued() => (
            format!("{what}: `{element}` is not an element of selector `{label}`"),
            format!(
                "{}; a value is its elements joined with commas (`a,b`), or nothing for none",
                allowed(element, "elements")
            ),
        ),
        BadValue::NotAllowed(value) => (
            format!("{what}: `{value}` is not a value of selector `{label}`"),
            allowed(value, "values"),
        ),
        BadValue::NotABool => (
            format!("{what}: `{text}` is not a value of selector `{label}`, a bool_flag"),
            "write true or false (as Bazel: also True, 1, yes, ... and False, 0, no, ...)".into(),
        ),
        BadValue::NotAnInt => (
            format!("{what}: `{text}` is not an integer, so not a value of selector `{label}`, an int_flag"),
            format!("allowed values: {values}"),
        ),
        BadValue::NotOneElement => (
            format!("{what}: `{text}` is not one element of selector `{label}`, a string_list_flag"),
            "a condition on a string_list_flag names one element, and holds when the value has it (Bazel rejects other entries too); for several elements at once, use a config_setting_group with match_all".into(),
        ),
    };
    Error::new(kind, message).with_help(help)
}

/// Checks what SPEC says is an error when files load: conditions naming unknown
/// selectors or values, select keys and `target_compatible_with` entries that
/// are not conditions, cycles among condition groups.
pub fn validate(graph: &TargetGraph) -> Result<()> {
    graph.check_each_target(|t| check_target(graph, t))?;
    // Groups must not contain themselves.
    let mut state: HashMap<&Label, bool> = HashMap::new();
    for t in graph.targets() {
        if let Rule::ConfigSettingGroup { .. } = t.rule {
            group_cycles(graph, &t.label, &mut state, &mut Vec::new())?;
        }
    }
    Ok(())
}

/// The checks of [`validate`] that concern one target, on `targets` only:
/// those of a package changed since the rest of `graph` was validated,
/// when that package declares no selector or condition (so no other
/// target's checks depend on it).
pub(crate) fn check_targets<'t>(
    graph: &TargetGraph,
    mut targets: impl Iterator<Item = &'t Target>,
) -> Result<()> {
    targets.try_for_each(|t| check_target(graph, t))
}

/// The checks of [`validate`] that concern one target.
fn check_target(graph: &TargetGraph, t: &Target) -> Result<()> {
    let at = || t.location.clone();
    match &t.rule {
        Rule::ConfigSetting {
            flag_values,
            constraint_values,
        } => {
            let seen = check_flag_values(graph, t, flag_values, false)?;
            check_constraint_values(graph, t, constraint_values, seen)?;
        }
        Rule::Platform(p) => {
            let seen = check_flag_values(graph, t, &p.flag_values, true)?;
            check_constraint_values(graph, t, &p.constraint_values, seen)?;
            check_parents(graph, t)?;
        }
        Rule::ConstraintSetting { default: Some(d) } => {
            let wrong = |why: String| {
                Error::new(
                    ErrorKind::Selector,
                    format!("the default_constraint_value `{d}` of `{}` {why}", t.label),
                )
                .at(at())
            };
            let (setting, _) = graph.constraint(d).map_err(|e| wrong(e.message.clone()))?;
            if setting != t.label {
                return Err(wrong(format!("is a value of `{setting}`")));
            }
            // Bazel: "The default constraint value must be defined in the
            // same package as the constraint setting itself."
            if d.package() != t.label.package() {
                return Err(wrong(
                    "is in another package: it must be in the setting's own, as in Bazel".into(),
                ));
            }
        }
        Rule::ConstraintSetting { default: None } => {}
        Rule::ConstraintValue { .. } => {
            graph.constraint(&t.label).map_err(|e| e.at(at()))?;
        }
        Rule::ConfigSettingGroup { conditions, .. } => {
            // `//conditions:default` (skylib's always-true group) is no target.
            for c in conditions.iter().filter(|c| !c.is_conditions_default()) {
                check_condition(graph, c, &t.label, &"the members", t.location.as_ref())?;
            }
        }
        Rule::Package { attrs } => {
            // One pass over the attributes, rather than a lookup by name
            // too: this runs for every target of every load.
            let mut tcw = None;
            for (name, attr) in attrs {
                check_selects(graph, t, name, attr)?;
                if name == "target_compatible_with" {
                    tcw = Some(attr);
                }
            }
            for v in tcw.iter().flat_map(|tcw| tcw.all_values()) {
                for c in v.labels() {
                    check_condition(
                        graph,
                        c,
                        &t.label,
                        &"`target_compatible_with`",
                        t.location.as_ref(),
                    )?;
                }
            }
            if let Some(provides) = attrs.get("provides") {
                for v in provides.all_values() {
                    for c in v.labels() {
                        check_capability(graph, c, t)?;
                    }
                }
            }
            if let Some(conflicts) = attrs.get("conflicts") {
                for v in conflicts.all_values() {
                    for p in v.labels() {
                        check_package(graph, p, t, "`conflicts`")?;
                    }
                }
            }
        }
        Rule::Alias { actual } => check_selects(graph, t, "actual", actual)?,
        Rule::Capability(c) => {
            for p in c.providers.iter() {
                check_package(graph, p, t, "`providers`")?;
            }
        }
        Rule::Selector(s) => {
            crate::detect::bind::check_binding(&t.label, s).map_err(|e| e.at(at()))?;
        }
    }
    Ok(())
}

/// Checks `flag_values` of a config_setting or platform (`platform`: each
/// must give one value): every key a selector (or an alias of one) set
/// once, to one of its values, compared only as it allows. Returns the
/// selectors set.
fn check_flag_values<'g>(
    graph: &'g TargetGraph,
    t: &Target,
    flag_values: &'g [crate::target_graph::FlagValue],
    is_platform: bool,
) -> Result<Vec<(&'g Label, &'g Label)>> {
    let at = || t.location.clone();
    // The selectors the keys stand for (aliases followed), to catch
    // one selector set twice under two names.
    let mut seen: Vec<(&Label, &Label)> = Vec::new();
    for fv in flag_values {
        // As Bazel, a key may be an alias of the selector.
        let sel = graph.follow_aliases(&fv.selector).map_err(|e| {
            e.with_kind(ErrorKind::Selector)
                .at(at())
                .with_note(format!("in `flag_values` of `{}`", t.label))
        })?;
        let Some(selector) = graph.selector_of(sel) else {
            let via = if sel.label == fv.selector {
                String::new()
            } else {
                format!(" (an alias of `{}`)", sel.label)
            };
            return Err(Error::new(
                ErrorKind::Selector,
                format!(
                    "`{}`{via} in `flag_values` of `{}` is a {}, not a selector",
                    fv.selector,
                    t.label,
                    sel.rule.kind()
                ),
            )
            .at(at()));
        };
        if let Some((other, _)) = seen.iter().find(|(_, s)| **s == sel.label) {
            return Err(Error::new(
                ErrorKind::Selector,
                format!(
                    "`flag_values` of `{}` sets selector `{}` twice: as `{other}` and as `{}`",
                    t.label, sel.label, fv.selector
                ),
            )
            .at(at())
            .with_help("an alias of a selector is that selector: keep one of the two keys"));
        }
        seen.push((&fv.selector, &sel.label));
        // A platform gives the selector a value; a condition names what it
        // compares with (for a list, one element).
        let checked = if is_platform {
            selector.value(&fv.value)
        } else {
            selector.expected(&fv.value)
        };
        match checked {
            Ok(_) => {}
            Err(BadValue::NotAllowed(v)) if v == fv.value && !selector.is_multi_valued() => {
                let values = &selector.values;
                return Err(Error::new(
                    ErrorKind::Selector,
                    format!(
                        "`{}` sets selector `{}` to `{}`, which is not one of its values",
                        t.label, fv.selector, fv.value
                    ),
                )
                .at(at())
                .with_help(
                    match did_you_mean(&fv.value, values.iter().map(|s| s.as_str())) {
                        Some(h) => format!("{h} allowed values: {}", values.join(", ")),
                        None => format!("allowed values: {}", values.join(", ")),
                    },
                ));
            }
            Err(bad) => {
                let what = format!("`flag_values` of `{}`", t.label);
                return Err(bad_value(
                    ErrorKind::Selector,
                    &what,
                    &fv.selector,
                    selector,
                    &fv.value,
                    &bad,
                )
                .at(at()));
            }
        }

        if is_platform && fv.op != Compare::Eq {
            return Err(Error::new(
                ErrorKind::Selector,
                format!(
                    "platform `{}` must give `{}` one value, not `{}`",
                    t.label,
                    fv.selector,
                    fv.text()
                ),
            )
            .at(at()));
        }
        if fv.op.needs_order() && !selector.ordered {
            return Err(Error::new(
                ErrorKind::Selector,
                format!(
                    "`{}` compares selector `{}` with `{}`, but its values are not ordered",
                    t.label,
                    fv.selector,
                    fv.text()
                ),
            )
            .at(at())
            .with_help(match selector.value_type {
                SelectorType::String => "declare the selector with `ordered = True` to allow <, <=, > and >= conditions",
                _ => "<, <=, > and >= compare the values of an int_flag, or of a selector() declared with `ordered = True`",
            }));
        }
    }
    Ok(seen)
}

/// Checks the `constraint_values` of a config_setting or platform: each a
/// constraint value (or an alias of one), and no two of one setting, nor
/// of a selector `flag_values` sets (`seen`) (Bazel: "Duplicate constraint
/// values detected").
fn check_constraint_values(
    graph: &TargetGraph,
    t: &Target,
    constraint_values: &[Label],
    seen: Vec<(&Label, &Label)>,
) -> Result<()> {
    let mut settings: Vec<(Label, Label)> = seen
        .into_iter()
        .map(|(key, sel)| (key.clone(), sel.clone()))
        .collect();
    for cv in constraint_values {
        let (setting, _) = graph.constraint(cv).map_err(|e| {
            e.with_kind(ErrorKind::Selector)
                .at(t.location.clone())
                .with_note(format!("in `constraint_values` of `{}`", t.label))
        })?;
        if let Some((other, _)) = settings.iter().find(|(_, s)| *s == setting) {
            return Err(Error::new(
                ErrorKind::Selector,
                format!(
                    "`{}` sets constraint setting `{setting}` twice: as `{other}` and as `{cv}`",
                    t.label
                ),
            )
            .at(t.location.clone())
            .with_help("a setting has one value at a time: keep one of the two"));
        }
        settings.push((cv.clone(), setting));
    }
    Ok(())
}

/// Checks a platform's parent: a platform (or an alias of one), and no
/// platform its own ancestor.
fn check_parents(graph: &TargetGraph, t: &Target) -> Result<()> {
    let mut chain: Vec<&Label> = vec![&t.label];
    let mut current = t;
    while let Rule::Platform(p) = &current.rule {
        let Some(parent) = &p.parent else {
            return Ok(());
        };
        let next = graph.follow_aliases(parent).map_err(|e| {
            e.at(t.location.clone())
                .with_note(format!("in `parents` of `{}`", current.label))
        })?;
        if !matches!(next.rule, Rule::Platform(_)) {
            return Err(Error::new(
                ErrorKind::WrongKind,
                format!(
                    "`{parent}` in `parents` of `{}` is a {}, not a platform",
                    current.label,
                    next.rule.kind()
                ),
            )
            .at(current.location.clone()));
        }
        if chain.contains(&&next.label) {
            let mut names: Vec<String> = chain.iter().map(|l| l.to_string()).collect();
            names.push(next.label.to_string());
            return Err(Error::new(
                ErrorKind::Cycle,
                format!("platform parents cycle: {}", names.join(" -> ")),
            )
            .at(t.location.clone()));
        }
        chain.push(&next.label);
        current = next;
    }
    Ok(())
}

fn group_cycles<'g>(
    graph: &'g TargetGraph,
    label: &'g Label,
    state: &mut HashMap<&'g Label, bool>,
    stack: &mut Vec<(&'g Label, &'g Label)>,
) -> Result<()> {
    // A member may be an alias of a group: the state is the group's, the
    // stack says how each was written (check_condition made sure every
    // chain of aliases ends at a condition).
    let t = graph.follow_aliases(label)?;
    let group = &t.label;
    match state.get(group) {
        Some(true) => return Ok(()),
        Some(false) => {
            let start = stack.iter().position(|(_, g)| *g == group).unwrap_or(0);
            let mut cycle: Vec<String> =
                stack[start..].iter().map(|(l, _)| l.to_string()).collect();
            cycle.push(label.to_string());
            let aliases: Vec<String> = stack[start..]
                .iter()
                .copied()
                .chain(std::iter::once((label, group)))
                .filter(|(l, g)| l != g)
                .map(|(l, g)| format!("`{l}` is an alias of `{g}`"))
                .collect();
            let mut e = Error::new(
                ErrorKind::Cycle,
                format!("config_setting_group cycle: {}", cycle.join(" -> ")),
            )
            .at(t.location.clone());
            if !aliases.is_empty() {
                e = e.with_note(aliases.join(", "));
            }
            return Err(e);
        }
        None => {}
    }
    if let Rule::ConfigSettingGroup { conditions, .. } = &t.rule {
        state.insert(group, false);
        stack.push((label, group));
        for c in conditions.iter().filter(|c| !c.is_conditions_default()) {
            group_cycles(graph, c, state, stack)?;
        }
        stack.pop();
    }
    state.insert(group, true);
    Ok(())
}

/// Checks that `c`, in the `provides` of package `user`, is a capability; an
/// unknown one is an error that suggests the closest capability.
fn check_capability(graph: &TargetGraph, c: &Label, user: &Target) -> Result<()> {
    let at = || user.location.clone();
    let target = match graph.target(c) {
        Ok(t) => t,
        Err(e) => {
            let known: Vec<&str> = graph
                .targets()
                .filter(|t| matches!(t.rule, Rule::Capability(_)))
                .map(|t| t.label.as_str())
                .collect();
            let help = did_you_mean(c.as_str(), known.iter().copied()).or_else(|| {
                (!known.is_empty()).then(|| format!("capabilities: {}", known.join(", ")))
            });
            return Err(Error::new(
                ErrorKind::UnknownTarget,
                format!(
                    "`{c}` in `provides` of `{}` is no capability: {}",
                    user.label, e.message
                ),
            )
            .at(at())
            .with_help_opt(help.or(e.help.clone())));
        }
    };
    if !matches!(target.rule, Rule::Capability(_)) {
        return Err(Error::new(
            ErrorKind::WrongKind,
            format!(
                "`{c}` in `provides` of `{}` is a {}, not a capability",
                user.label,
                target.rule.kind()
            ),
        )
        .at(at())
        .with_help("declare it with capability(name = ..., exclusive = True or False)"));
    }
    Ok(())
}

/// Checks that `p`, in `what` of `user`, is a package other than `user`.
fn check_package(graph: &TargetGraph, p: &Label, user: &Target, what: &str) -> Result<()> {
    let at = || user.location.clone();
    let target = graph.target(p).map_err(|e| {
        e.at(at())
            .with_note(format!("in {what} of `{}`", user.label))
    })?;
    if !matches!(target.rule, Rule::Package { .. }) {
        return Err(Error::new(
            ErrorKind::WrongKind,
            format!(
                "`{p}` in {what} of `{}` is a {}, not a package",
                user.label,
                target.rule.kind()
            ),
        )
        .at(at()));
    }
    if *p == user.label {
        return Err(Error::new(
            ErrorKind::Attribute,
            format!("`{}` lists itself in {what}", user.label),
        )
        .at(at()));
    }
    Ok(())
}

/// Checks that `c`, used by `user` (in `what`, written at `at`), is a condition.
/// `what` and `at` are only read for an error: this runs for every select key.
fn check_condition(
    graph: &TargetGraph,
    c: &Label,
    user: &Label,
    what: &dyn std::fmt::Display,
    at: Option<&crate::error::Location>,
) -> Result<()> {
    // As Bazel, an alias of a condition is that condition.
    let target = graph.follow_aliases(c).map_err(|e| {
        e.at(at.cloned())
            .with_note(format!("in {what} of `{user}`"))
    })?;
    if let Rule::Alias { .. } = target.rule {
        // follow_aliases stops only at an alias whose `actual` is a select.
        let via = if target.label == *c {
            String::new()
        } else {
            format!(" (through alias `{}`)", target.label)
        };
        return Err(Error::new(
            ErrorKind::WrongKind,
            format!(
                "`{c}` in {what} of `{user}` is an alias whose `actual` is a select{via}: sel cannot use it as a condition"
            ),
        )
        .at(at.cloned())
        .with_help("make the alias's `actual` one label, or use a config_setting_group"));
    }
    if !target.rule.is_condition() {
        let via = if target.label == *c {
            String::new()
        } else {
            format!(" (an alias of `{}`)", target.label)
        };
        return Err(Error::new(
            ErrorKind::WrongKind,
            format!(
                "`{c}`{via} in {what} of `{user}` is a {}, not a condition (config_setting, config_setting_group or constraint_value)",
                target.rule.kind()
            ),
        )
        .at(at.cloned()));
    }
    Ok(())
}

fn check_selects(graph: &TargetGraph, t: &Target, attr_name: &str, attr: &Attr) -> Result<()> {
    for s in attr.selects() {
        for (key, _) in &s.branches {
            if let SelectKey::Condition(c) = key {
                check_condition(
                    graph,
                    c,
                    &t.label,
                    &format_args!("the select of `{attr_name}`"),
                    s.location.as_ref().or(t.location.as_ref()),
                )?;
            }
        }
    }
    Ok(())
}

/// A rule's configurable attributes with their names, in written order: a
/// package's attributes, or an alias's `actual`.
pub(crate) fn configurable_attrs(rule: &Rule) -> impl Iterator<Item = (&'static str, &Attr)> + '_ {
    let (package_attrs, actual) = match rule {
        Rule::Package { attrs } => (Some(attrs), None),
        Rule::Alias { actual } => (None, Some(actual)),
        _ => (None, None),
    };
    package_attrs
        .into_iter()
        .flat_map(|attrs| attrs.iter())
        .chain(actual.map(|a| ("actual", a)))
}

/// The message of a mandatory attribute that a select makes `None` (Bazel's
/// words, with the target), for one configuration and for all at once.
pub(crate) fn none_taken_message(target: &Label, attr: &str) -> String {
    format!(
        "mandatory attribute `{attr}` of `{target}` resolved to `None` after evaluating its select"
    )
}

/// A target with every select resolved for one configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfiguredTarget {
    /// Its label.
    pub label: Label,
    /// Its rule class.
    pub kind: &'static str,
    /// Resolved configurable attributes (`deps`, `version`, `actual`, ...), plain values only.
    pub attrs: IndexMap<String, Value>,
    /// For each attribute holding selects, the key each select took, in order.
    pub chosen: IndexMap<String, Vec<SelectKey>>,
    /// Its direct dependencies in this configuration, deduplicated, in written order.
    pub deps: Vec<Label>,
}

/// Resolves selects of one graph in one configuration, with caches.
pub struct Configurer<'g> {
    graph: &'g TargetGraph,
    config: Configuration,
    conditions: Conditions<'g>,
    matches: RefCell<rustc_hash::FxHashMap<Label, bool>>,
    configured: RefCell<rustc_hash::FxHashMap<Label, Rc<ConfiguredTarget>>>,
}

/// A target's configured dependencies and compatibility conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edges {
    /// Direct dependencies (`deps`, `actual`), deduplicated, in written order.
    pub deps: Vec<Label>,
    /// The conditions of `target_compatible_with`.
    pub compatible_with: Vec<Label>,
}

impl<'g> Configurer<'g> {
    /// A resolver for `config`.
    pub fn new(graph: &'g TargetGraph, config: Configuration) -> Self {
        Configurer {
            graph,
            config,
            conditions: Conditions::new(graph),
            matches: RefCell::default(),
            configured: RefCell::default(),
        }
    }

    /// The graph.
    pub fn graph(&self) -> &'g TargetGraph {
        self.graph
    }

    /// The configuration.
    pub fn configuration(&self) -> &Configuration {
        &self.config
    }

    /// Whether a condition (config_setting or group) holds in the configuration.
    pub fn matches(&self, condition: &Label) -> Result<bool> {
        if let Some(m) = self.matches.borrow().get(condition) {
            return Ok(*m);
        }
        // An alias of a condition is that condition; a key of `flag_values`
        // may be an alias of a selector.
        let target = self.graph.follow_aliases(condition)?;
        let m = match &target.rule {
            Rule::ConfigSetting {
                flag_values,
                constraint_values,
            } => {
                let mut all = true;
                for fv in flag_values {
                    let selector = self.graph.follow_aliases(&fv.selector)?;
                    let Some(s) = self.graph.selector_of(selector) else {
                        unreachable!("validate() checked flag_values name selectors")
                    };
                    let actual = self.config.value(&selector.label).unwrap_or_default();
                    all &= s.holds(fv, actual);
                }
                for cv in constraint_values.iter() {
                    all &= self.holds(cv)?;
                }
                all
            }
            Rule::ConstraintValue { .. } => self.holds(&target.label)?,
            Rule::ConfigSettingGroup { mode, conditions } => {
                let mut any = false;
                let mut all = true;
                for c in conditions {
                    // skylib's `//conditions:default` member: always true.
                    let m = c.is_conditions_default() || self.matches(c)?;
                    any |= m;
                    all &= m;
                }
                match mode {
                    GroupMode::Any => any,
                    GroupMode::All => all,
                }
            }
            other => {
                return Err(Error::new(
                    ErrorKind::WrongKind,
                    format!("`{condition}` is a {}, not a condition", other.kind()),
                ))
            }
        };
        self.matches.borrow_mut().insert(condition.clone(), m);
        Ok(m)
    }

    /// Whether a constraint value holds: its setting has it.
    fn holds(&self, constraint_value: &Label) -> Result<bool> {
        let (setting, value) = self.graph.constraint(constraint_value)?;
        Ok(self.config.value(&setting) == Some(value.as_str()))
    }

    /// Resolves one select: the value and the key that was taken.
    pub fn resolve_select(
        &self,
        target: &Label,
        attr: &str,
        select: &Select,
    ) -> Result<(Value, SelectKey)> {
        let i = self.choose(target, attr, select)?;
        Ok((select.branches[i].1.clone(), select.branches[i].0.clone()))
    }

    /// The index of the branch a select takes, or why it takes none.
    ///
    /// A branch whose value is `None` means "as if the attribute were not
    /// set"; the loader turned it into the attribute's default except where
    /// the attribute is mandatory (`alias.actual`), so a `None` here is this
    /// configuration's error, as in Bazel.
    pub fn choose(&self, target: &Label, attr: &str, select: &Select) -> Result<usize> {
        let i = self.choose_key(target, attr, select)?;
        if select.branches[i].1 == Value::None {
            let key = &select.branches[i].0;
            let sels = self.selectors_of(select);
            return Err(Error::new(
                ErrorKind::Attribute,
                format!("{} (key `{key}`)", none_taken_message(target, attr)),
            )
            .at(select.location.clone())
            .with_label("`None` taken here")
            .with_note(format!("configuration: {}", self.config.describe(Some(&sels))))
            .with_help(format!("`{attr}` is mandatory: give this branch a value, or make sure the configuration does not take it")));
        }
        Ok(i)
    }

    fn choose_key(&self, target: &Label, attr: &str, select: &Select) -> Result<usize> {
        // Usually one key matches: count first, and list them only if several do.
        let mut first = None;
        let mut count = 0;
        for (i, (key, _)) in select.branches.iter().enumerate() {
            if let SelectKey::Condition(c) = key {
                if self.matches(c)? {
                    first = first.or(Some(i));
                    count += 1;
                }
            }
        }
        let mut several: Vec<usize> = Vec::new();
        if count > 1 {
            for (i, (key, _)) in select.branches.iter().enumerate() {
                if let SelectKey::Condition(c) = key {
                    if self.matches(c)? {
                        several.push(i);
                    }
                }
            }
        }
        let matching = if count > 1 {
            several.as_slice()
        } else {
            first.as_slice()
        };
        let branch = |i: usize| i;
        match matching {
            [] => {
                if let Some(i) = select
                    .branches
                    .iter()
                    .position(|(k, _)| *k == SelectKey::Default)
                {
                    return Ok(branch(i));
                }
                Err(self.no_match(target, attr, select))
            }
            [one] => Ok(branch(*one)),
            many => {
                let keys: Vec<&Label> = many
                    .iter()
                    .map(|i| match &select.branches[*i].0 {
                        SelectKey::Condition(c) => c,
                        SelectKey::Default => unreachable!("only conditions match"),
                    })
                    .collect();
                // The most specific matching keys: those no other matching key
                // is more specific than. One of them wins; several are a tie,
                // fine when their values are equal (Bazel 6.2+ compares only
                // these, so a less specific key's value does not matter).
                let mut most_specific: Vec<usize> = Vec::new();
                for (n, k) in keys.iter().enumerate() {
                    let mut beaten = false;
                    for (m, other) in keys.iter().enumerate() {
                        if n != m && self.conditions.more_specific(other, k)? {
                            beaten = true;
                            break;
                        }
                    }
                    if !beaten {
                        most_specific.push(n);
                    }
                }
                let first = &select.branches[many[most_specific[0]]].1;
                if most_specific
                    .iter()
                    .all(|n| select.branches[many[*n]].1 == *first)
                {
                    return Ok(branch(many[most_specific[0]]));
                }
                let keys: Vec<&Label> = most_specific.iter().map(|n| keys[*n]).collect();
                Err(self.ambiguous(target, attr, select, &keys))
            }
        }
    }

    fn selectors_of(&self, select: &Select) -> Vec<Label> {
        let mut out = Vec::new();
        for (k, _) in &select.branches {
            if let SelectKey::Condition(c) = k {
                self.conditions.selectors_of(c, &mut out);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn no_match(&self, target: &Label, attr: &str, select: &Select) -> Error {
        let keys: Vec<String> = select.branches.iter().map(|(k, _)| k.to_string()).collect();
        let sels = self.selectors_of(select);
        let config = self.config.describe(Some(&sels));
        let message = if select.no_match_error.is_empty() {
            format!(
                "configurable attribute `{attr}` of `{target}` doesn't match this configuration: no key matches and there is no //conditions:default"
            )
        } else {
            format!(
                "configurable attribute `{attr}` of `{target}` doesn't match this configuration: {}",
                select.no_match_error
            )
        };
        Error::new(ErrorKind::NoMatch, message)
            .at(select.location.clone())
            .with_label("no key matches")
            .with_note(format!("keys: {}", keys.join(", ")))
            .with_note(format!("configuration: {config}"))
    }

    fn ambiguous(&self, target: &Label, attr: &str, select: &Select, keys: &[&Label]) -> Error {
        let names: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
        let sels = self.selectors_of(select);
        Error::new(
            ErrorKind::Ambiguous,
            format!(
                "configurable attribute `{attr}` of `{target}` is ambiguous: keys {} all match, none is more specific than the others, and their values differ",
                names.join(", ")
            ),
        )
        .at(select.location.clone())
        .with_label("ambiguous match")
        .with_note(format!("configuration: {}", self.config.describe(Some(&sels))))
        .with_help("make one condition more specific (a superset of the other's flag_values), or give the keys equal values")
    }

    /// Resolves an attribute: the value, and the keys taken by its selects.
    pub fn resolve_attr(
        &self,
        target: &Label,
        name: &str,
        attr: &Attr,
    ) -> Result<(Value, Vec<SelectKey>)> {
        match attr {
            Attr::Plain(v) => Ok((v.clone(), Vec::new())),
            Attr::Select(s) => {
                let (v, k) = self.resolve_select(target, name, s)?;
                Ok((v, vec![k]))
            }
            Attr::Concat(parts) => {
                let mut value: Option<Value> = None;
                let mut keys = Vec::new();
                for p in parts {
                    let (v, k) = self.resolve_attr(target, name, p)?;
                    keys.extend(k);
                    value = Some(match value {
                        None => v,
                        Some(acc) => acc.concat(v).map_err(|e| {
                            Error::new(
                                ErrorKind::Type,
                                format!("attribute `{name}` of `{target}`: {e}"),
                            )
                            .at(p.selects().first().and_then(|s| s.location.clone()))
                        })?,
                    });
                }
                Ok((value.unwrap_or(Value::List(Box::default())), keys))
            }
        }
    }

    /// What a configured query needs of a target: its dependencies and its
    /// `target_compatible_with` conditions. Every other attribute's selects
    /// are resolved too (a no-match anywhere fails, as in `configure`), but
    /// their values are not copied. Not cached: the configured query asks once
    /// per target and keeps the answer. Written into `edges` (cleared first),
    /// so one buffer serves every target.
    pub fn edges(&self, target: &Target, edges: &mut Edges) -> Result<()> {
        let label = &target.label;
        edges.deps.clear();
        edges.compatible_with.clear();
        for (name, attr) in configurable_attrs(&target.rule) {
            let into = if target.rule.dep_attrs().contains(&name) {
                &mut edges.deps
            } else if name == "target_compatible_with" {
                &mut edges.compatible_with
            } else {
                for s in attr.selects() {
                    self.choose(label, name, s)?;
                }
                continue;
            };
            self.labels_of(label, name, attr, into)?;
        }
        Ok(())
    }

    fn labels_of(
        &self,
        target: &Label,
        name: &str,
        attr: &Attr,
        into: &mut Vec<Label>,
    ) -> Result<()> {
        let mut push = |l: &Label| {
            // Lists are short: a scan beats a set.
            if !into.contains(l) {
                into.push(l.clone());
            }
        };
        match attr {
            Attr::Plain(v) => each_label(v, &mut push),
            Attr::Select(s) => each_label(&s.branches[self.choose(target, name, s)?].1, &mut push),
            Attr::Concat(parts) => {
                for p in parts {
                    self.labels_of(target, name, p, into)?;
                }
            }
        }
        Ok(())
    }

    /// The target with its selects resolved (cached).
    pub fn configure(&self, label: &Label) -> Result<Rc<ConfiguredTarget>> {
        if let Some(c) = self.configured.borrow().get(label) {
            return Ok(c.clone());
        }
        let c = Rc::new(self.resolve_target(label)?);
        self.configured
            .borrow_mut()
            .insert(label.clone(), c.clone());
        Ok(c)
    }

    /// The target with its selects resolved, not cached: for a caller that
    /// keeps it, and would otherwise copy the cached one.
    pub fn resolve_target(&self, label: &Label) -> Result<ConfiguredTarget> {
        let target = self.graph.target(label)?;
        let mut attrs = IndexMap::new();
        let mut chosen = IndexMap::new();
        match &target.rule {
            Rule::Package { attrs: a } => {
                for (name, attr) in a {
                    let (v, keys) = self.resolve_attr(label, name, attr)?;
                    if attr.is_configurable() {
                        chosen.insert(name.to_string(), keys);
                    }
                    attrs.insert(name.to_string(), v);
                }
            }
            Rule::Alias { actual } => {
                let (v, keys) = self.resolve_attr(label, "actual", actual)?;
                if actual.is_configurable() {
                    chosen.insert("actual".to_string(), keys);
                }
                attrs.insert("actual".to_string(), v);
            }
            _ => {}
        }
        let mut deps: Vec<Label> = Vec::new();
        for name in target.rule.dep_attrs() {
            if let Some(v) = attrs.get(*name) {
                for l in v.labels() {
                    if !deps.contains(l) {
                        deps.push(l.clone());
                    }
                }
            }
        }
        Ok(ConfiguredTarget {
            label: label.clone(),
            kind: target.rule.kind(),
            attrs,
            chosen,
            deps,
        })
    }
}
