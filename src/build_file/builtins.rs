//! The built-ins of BUILD and .bzl files: `selector`, `config_setting`,
//! `config_setting_group`, `platform`, `constraint_setting`,
//! `constraint_value`, `package`, `alias`, `capability`, `select`, and
//! skylib's `selects` namespace.
//!
//! Each built-in checks its arguments, converts them to plain data
//! ([`Attr`]/[`Value`]) and records a [`Target`] in the [`BuildContext`] of the
//! BUILD file being evaluated. Label strings are resolved against the package
//! of that BUILD file, also when the call comes from a macro in a .bzl file,
//! as Bazel does.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use starlark::collections::SmallMap;
use starlark::environment::GlobalsBuilder;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::dict::{AllocDict, DictRef};
use starlark::values::none::NoneType;
use starlark::values::tuple::TupleRef;
use starlark::values::{ProvidesStaticType, Value as SValue, ValueLike};

use super::arg::Arg;
use super::value::{Configurable, LabelValue};
use crate::error::{did_you_mean, Error, ErrorKind, Location, Source};
use crate::label::{check_name, Label};
use crate::target_graph::{
    Attr, AttrType, Attrs, Capability, Detect, FlagValue, GroupMode, Labels, Platform, ProbeForm,
    Rule, Select, SelectKey, Selector, SelectorType, Target, Value, PACKAGE_ATTRS,
};

/// The state of one BUILD file's evaluation, reachable from built-ins through `eval.extra`.
#[derive(ProvidesStaticType)]
pub(crate) struct BuildContext {
    /// The package being evaluated; `None` at the top level of a .bzl file.
    pub package: Option<String>,
    /// The workspace root, to turn Starlark file names into paths.
    pub root: PathBuf,
    /// The BUILD file as shown to users.
    pub build_file: String,
    /// The BUILD file as the locations of its targets name it: one shared copy.
    pub source: Arc<Source>,
    /// The targets declared so far, in order.
    pub targets: RefCell<IndexMap<String, Target>>,
    /// The package of each .bzl file loaded, for `Label("...")` (shared by
    /// every file the loader evaluates).
    pub bzl_packages: BzlPackages,
}

/// The package of each .bzl file, by the name Starlark knows it by.
pub(crate) type BzlPackages = Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>;

impl BuildContext {
    /// The context of evaluating `build_file` (as shown) for `package` (`None`
    /// at the top level of a .bzl file).
    pub fn new(package: Option<String>, root: &std::path::Path, build_file: String) -> Self {
        BuildContext {
            package,
            root: root.to_path_buf(),
            source: Source::file(build_file.as_str(), root.join(&build_file)),
            build_file,
            targets: RefCell::new(IndexMap::new()),
            bzl_packages: BzlPackages::default(),
        }
    }

    /// The package a relative label written in `file` (as Starlark names
    /// it) resolves against: the BUILD file's, or a loaded .bzl file's.
    fn package_of_file(&self, file: &str) -> Option<String> {
        if file == self.build_file {
            return self.package.clone();
        }
        self.bzl_packages
            .lock()
            .expect("no panics while locked")
            .get(file)
            .cloned()
    }

    /// A location in the BUILD file.
    pub fn at(&self, span: std::ops::Range<usize>) -> Location {
        Location::new(self.source.clone(), span)
    }
}

fn context<'a>(eval: &'a Evaluator) -> &'a BuildContext {
    eval.extra
        .and_then(|e| e.downcast_ref::<BuildContext>())
        .expect("sel always evaluates with a BuildContext")
}

fn sel_err(kind: ErrorKind, msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Error::new(kind, msg))
}

fn attr_err(msg: impl Into<String>) -> anyhow::Error {
    sel_err(ErrorKind::Attribute, msg)
}

/// Where the current built-in call is written: the outermost frame in the BUILD
/// file (the macro call, for targets made by macros), else the innermost.
fn call_location(eval: &Evaluator) -> Option<Location> {
    let ctx = context(eval);
    let stack = eval.call_stack();
    let in_build = stack
        .frames
        .iter()
        .filter_map(|f| f.location.as_ref())
        .find(|l| l.filename() == ctx.build_file);
    if let Some(span) = in_build {
        return Some(ctx.at(span.span.begin().get() as usize..span.span.end().get() as usize));
    }
    let span = eval.call_stack_top_location()?;
    Some(location_of(&ctx.root, &span))
}

/// A Starlark file span as a sel [`Location`].
pub(crate) fn location_of(root: &std::path::Path, span: &starlark::codemap::FileSpan) -> Location {
    let shown = span.filename().to_string();
    let r = span.span;
    Location::new(
        Source::file(shown.as_str(), root.join(&shown)),
        r.begin().get() as usize..r.end().get() as usize,
    )
}

/// Where a built-in is called: the BUILD file's context and the call's location.
pub(crate) struct Site<'c> {
    pub ctx: &'c BuildContext,
    pub at: Option<Location>,
}

impl Site<'_> {
    /// The package calls are resolved in, or an error outside BUILD evaluation.
    fn package(&self, what: &str) -> anyhow::Result<String> {
        self.ctx.package.clone().ok_or_else(|| {
            sel_err(
                ErrorKind::Eval,
                format!("{what}() cannot be called at the top level of a .bzl file; call it from a BUILD file or a macro"),
            )
        })
    }
}

/// Keyword arguments being consumed by a built-in.
pub(crate) struct Kwargs<'k, V> {
    func: &'static str,
    map: Vec<(&'k str, V)>,
}

impl<'k, 'a, V: Arg<'a>> Kwargs<'k, V> {
    pub fn new(func: &'static str, map: Vec<(&'k str, V)>) -> Self {
        Kwargs { func, map }
    }

    fn take(&mut self, name: &str) -> Option<V> {
        let i = self.map.iter().position(|(k, _)| *k == name)?;
        Some(self.map.remove(i).1).filter(|v| !v.is_none())
    }

    fn required(&mut self, name: &str) -> anyhow::Result<V> {
        self.take(name)
            .ok_or_else(|| attr_err(format!("{}() needs `{name} = ...`", self.func)))
    }

    fn string(&mut self, name: &str) -> anyhow::Result<Option<String>> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.str().map(|s| Some(s.to_string())).ok_or_else(|| {
                attr_err(format!(
                    "{}(): `{name}` must be a string, not {}",
                    self.func,
                    v.type_name()
                ))
            }),
        }
    }

    fn strings(&mut self, name: &str) -> anyhow::Result<Option<Vec<String>>> {
        let func = self.func;
        match self.take(name) {
            None => Ok(None),
            Some(v) => string_list(v)
                .map(Some)
                .ok_or_else(|| attr_err(format!("{func}(): `{name}` must be a list of strings"))),
        }
    }

    fn name(&mut self) -> anyhow::Result<String> {
        let name = self
            .string("name")?
            .ok_or_else(|| attr_err(format!("{}() needs `name = \"...\"`", self.func)))?;
        check_name(&name).map_err(|e| sel_err(ErrorKind::BadLabel, e))?;
        Ok(name)
    }

    /// Errors on arguments nobody took, suggesting the closest known one.
    fn finish(self, known: &[&str]) -> anyhow::Result<()> {
        if let Some((extra, _)) = self.map.first() {
            let mut e = Error::new(
                ErrorKind::Attribute,
                format!("{}() has no attribute `{extra}`", self.func),
            );
            e = e.with_help(
                did_you_mean(extra, known.iter().copied())
                    .unwrap_or_else(|| format!("its attributes are: {}", known.join(", "))),
            );
            return Err(anyhow::Error::new(e));
        }
        Ok(())
    }
}

fn string_list<'a>(v: impl Arg<'a>) -> Option<Vec<String>> {
    v.items()?
        .into_iter()
        .map(|i| i.str().map(str::to_string))
        .collect()
}

fn label_in(text: &str, package: &str) -> anyhow::Result<Label> {
    Label::parse_relative(text, Some(package)).map_err(|e| sel_err(ErrorKind::BadLabel, e.0))
}

fn labels_in(texts: Vec<String>, package: &str) -> anyhow::Result<Vec<Label>> {
    texts.iter().map(|t| label_in(t, package)).collect()
}

/// `{selector_label: value}` as plain flag values.
fn flag_values<'a>(func: &str, v: impl Arg<'a>, package: &str) -> anyhow::Result<Vec<FlagValue>> {
    let entries = v.entries().ok_or_else(|| {
        attr_err(format!(
            "{func}(): `flag_values` must be a dict of selector label to value"
        ))
    })?;
    let mut out = Vec::new();
    for (k, val) in entries {
        let k = k.str().ok_or_else(|| {
            attr_err(format!(
                "{func}(): `flag_values` keys must be selector labels (strings)"
            ))
        })?;
        let value = match val.str() {
            Some(s) => s.to_string(),
            None if val.bool().is_some() || val.is_int() => {
                val.plain().map(|p| p.to_string()).unwrap_or_default()
            }
            None => {
                return Err(attr_err(format!(
                    "{func}(): the value for `{k}` in `flag_values` must be a string"
                )))
            }
        };
        let selector = label_in(k, package)?;
        if out.iter().any(|f: &FlagValue| f.selector == selector) {
            return Err(attr_err(format!(
                "{func}(): `{selector}` is listed twice in `flag_values`"
            )));
        }
        out.push(FlagValue::parse(selector, &value));
    }
    Ok(out)
}

/// Checks an attribute's values against its type, turning label strings into labels.
pub(crate) fn typed(attr: Attr, ty: AttrType, name: &str, package: &str) -> anyhow::Result<Attr> {
    let convert = |v: Value| -> anyhow::Result<Value> {
        match (ty, v) {
            (AttrType::String, Value::Str(s)) => Ok(Value::Str(s)),
            (AttrType::Label, Value::Str(s)) => Ok(Value::Label(label_in(&s, package)?)),
            (AttrType::LabelList, Value::List(items)) => {
                let mut labels: Vec<Value> = Vec::with_capacity(items.len());
                for i in items.into_vec() {
                    let Value::Str(s) = i else {
                        return Err(attr_err(format!(
                            "`{name}` must be a list of labels, but holds a {}",
                            i.type_name()
                        )));
                    };
                    let l = Value::Label(label_in(&s, package)?);
                    // As Bazel: a label twice in one list is a mistake, not a no-op.
                    if labels.contains(&l) {
                        return Err(attr_err(format!("`{name}` lists `{}` twice", s)));
                    }
                    labels.push(l);
                }
                Ok(Value::List(labels.into()))
            }
            (AttrType::Dict, Value::Dict(d)) => Ok(Value::Dict(d)),
            (ty, other) => Err(attr_err(format!(
                "`{name}` must be {}, not {}",
                match ty {
                    AttrType::String => "a string",
                    AttrType::Label => "a label (string)",
                    AttrType::LabelList => "a list of labels",
                    AttrType::Dict => "a dict",
                },
                other.type_name()
            ))),
        }
    };
    // `None` in a select branch means "as if the attribute were not set", as
    // in Bazel: the attribute's default. A mandatory attribute (`actual`) has
    // none: its `None` stays, and is an error where a configuration takes it.
    let unset = match ty {
        AttrType::String => Some(Value::Str("".into())),
        AttrType::LabelList => Some(Value::List(Box::default())),
        AttrType::Dict => Some(Value::Dict(Box::default())),
        AttrType::Label => None,
    };
    let branch = |v: Value| -> anyhow::Result<Value> {
        match (v, &unset) {
            (Value::None, Some(default)) => Ok(default.clone()),
            (Value::None, None) => Ok(Value::None),
            (v, _) => convert(v),
        }
    };
    fn map(
        attr: Attr,
        f: &dyn Fn(Value) -> anyhow::Result<Value>,
        branch: &dyn Fn(Value) -> anyhow::Result<Value>,
    ) -> anyhow::Result<Attr> {
        Ok(match attr {
            Attr::Plain(v) => Attr::Plain(f(v)?),
            Attr::Select(mut s) => {
                s.branches = s
                    .branches
                    .into_vec()
                    .into_iter()
                    .map(|(k, v)| Ok((k, branch(v)?)))
                    .collect::<anyhow::Result<_>>()?;
                Attr::Select(s)
            }
            Attr::Concat(parts) => Attr::Concat(
                parts
                    .into_vec()
                    .into_iter()
                    .map(|p| map(p, f, branch))
                    .collect::<anyhow::Result<_>>()?,
            ),
        })
    }
    if matches!(ty, AttrType::Label) && matches!(attr, Attr::Concat(_)) {
        return Err(attr_err(format!(
            "`{name}` is a single label and cannot be concatenated"
        )));
    }
    map(attr, &convert, &branch)
}

fn common<'a, V: Arg<'a>>(
    kw: &mut Kwargs<'_, V>,
    package: &str,
) -> anyhow::Result<(Vec<Label>, Vec<String>)> {
    let visibility = match kw.strings("visibility")? {
        Some(v) => labels_in(v, package)?,
        None => vec![Label::new("visibility", "public")],
    };
    for v in &visibility {
        let ok = matches!(
            (v.package(), v.name()),
            ("visibility", "public")
                | ("visibility", "private")
                | (_, "__pkg__")
                | (_, "__subpackages__")
        );
        if !ok {
            return Err(attr_err(format!(
                "`{v}` is not a visibility: use //visibility:public, //visibility:private, //pkg:__pkg__ or //pkg:__subpackages__"
            )));
        }
    }
    let tags = kw.strings("tags")?.unwrap_or_default();
    Ok((visibility, tags))
}

const COMMON: &[&str] = &["name", "visibility", "tags"];

fn declare(
    site: Site,
    name: String,
    rule: Rule,
    visibility: Vec<Label>,
    tags: Vec<String>,
) -> anyhow::Result<()> {
    let ctx = site.ctx;
    let package = ctx.package.clone().unwrap_or_default();
    let mut targets = ctx.targets.borrow_mut();
    if let Some(prev) = targets.get(&name) {
        let mut e = Error::new(
            ErrorKind::DuplicateTarget,
            format!("target `{name}` is declared twice in package `//{package}`"),
        );
        if let Some(p) = prev.location.as_ref() {
            e = e.with_note(format!("first declared at {p}"));
        }
        return Err(anyhow::Error::new(e));
    }
    targets.insert(
        name.clone(),
        Target::new(Label::new(&package, &name), rule, visibility, tags, site.at),
    );
    Ok(())
}

/// `select(dict, no_match_error = ...)`, or skylib's `selects.with_or` (`with_or`:
/// keys may be tuples of conditions).
pub(crate) fn select_from_dict<'a>(
    dict: impl Arg<'a>,
    no_match_error: &str,
    site: Site,
    with_or: bool,
) -> anyhow::Result<Attr> {
    // At the top level of a .bzl file (`DEPS = select({...})`, as Bazel allows)
    // there is no package yet, so keys must be absolute labels.
    let package = site.ctx.package.as_deref();
    let entries = dict
        .entries()
        .ok_or_else(|| attr_err(format!("select() takes a dict, not {}", dict.type_name())))?;
    let mut branches: Vec<(SelectKey, Value)> = Vec::new();
    for (k, v) in entries {
        let keys: Vec<String> = match (k.str(), with_or) {
            (Some(s), _) => vec![s.to_string()],
            (None, true) => string_list(k).ok_or_else(|| {
                attr_err("selects.with_or() keys must be labels or tuples of labels")
            })?,
            (None, false) => {
                return Err(attr_err(format!(
                    "select() keys must be condition labels (strings), not {}",
                    k.type_name()
                )))
            }
        };
        let value = v.plain().map_err(attr_err)?;
        for key in keys {
            let key = if key == "//conditions:default" {
                SelectKey::Default
            } else {
                match package {
                    Some(package) => SelectKey::Condition(label_in(&key, package)?),
                    None if key.starts_with("//") || key.starts_with('@') => SelectKey::Condition(
                        Label::parse(&key).map_err(|e| sel_err(ErrorKind::BadLabel, e.0))?,
                    ),
                    None => {
                        return Err(sel_err(
                            ErrorKind::BadLabel,
                            format!("select() at the top level of a .bzl file: the key `{key}` must be an absolute label (`//pkg:name`), as there is no package to resolve it in"),
                        ))
                    }
                }
            };
            if let Some(i) = branches.iter().position(|(x, _)| *x == key) {
                if with_or && branches[i].1 == value {
                    continue;
                }
                return Err(attr_err(format!("select() lists the key `{key}` twice")));
            }
            branches.push((key, value.clone()));
        }
    }
    if branches.is_empty() {
        return Err(attr_err("select() needs at least one key"));
    }
    Ok(Attr::Select(Box::new(Select {
        branches: branches.into(),
        no_match_error: no_match_error.into(),
        location: site.at,
    })))
}

/// Calls the built-in rule `func` (`package`, `selector`, ...); `Ok(false)` if
/// there is no rule of that name.
pub(crate) fn call_rule<'a, V: Arg<'a>>(
    func: &str,
    kwargs: Vec<(&str, V)>,
    site: Site,
) -> anyhow::Result<bool> {
    match func {
        "selector" => selector(Kwargs::new("selector", kwargs), site)?,
        "string_flag" => build_setting(
            Kwargs::new("string_flag", kwargs),
            site,
            SelectorType::String,
        )?,
        "bool_flag" => build_setting(Kwargs::new("bool_flag", kwargs), site, SelectorType::Bool)?,
        "int_flag" => build_setting(Kwargs::new("int_flag", kwargs), site, SelectorType::Int)?,
        "string_list_flag" => build_setting(
            Kwargs::new("string_list_flag", kwargs),
            site,
            SelectorType::StringList,
        )?,
        "config_setting" => config_setting(Kwargs::new("config_setting", kwargs), site)?,
        "config_setting_group" => group(Kwargs::new("config_setting_group", kwargs), site)?,
        "platform" => platform(Kwargs::new("platform", kwargs), site)?,
        "constraint_setting" => {
            constraint_setting(Kwargs::new("constraint_setting", kwargs), site)?
        }
        "constraint_value" => constraint_value(Kwargs::new("constraint_value", kwargs), site)?,
        "package" => package(Kwargs::new("package", kwargs), site)?,
        "alias" => alias(Kwargs::new("alias", kwargs), site)?,
        "capability" => capability(Kwargs::new("capability", kwargs), site)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn group<'a, V: Arg<'a>>(mut kw: Kwargs<'_, V>, site: Site) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let name = kw.name()?;
    let any = kw.strings("match_any")?;
    let all = kw.strings("match_all")?;
    let (mode, conditions) = match (any, all) {
        (Some(a), None) => (GroupMode::Any, a),
        (None, Some(a)) => (GroupMode::All, a),
        _ => {
            return Err(attr_err(format!(
                "{}() needs exactly one of `match_any` and `match_all`",
                kw.func
            )))
        }
    };
    if conditions.is_empty() {
        return Err(attr_err(format!(
            "{}(): the list of conditions is empty",
            kw.func
        )));
    }
    // skylib: a group whose one member is `//conditions:default` is always
    // true. With other members skylib fails (a duplicate key in the dict it
    // builds, or an alias to `//conditions:default`): so does sel, clearly.
    if conditions.len() > 1 && conditions.iter().any(|c| c == "//conditions:default") {
        return Err(anyhow::Error::new(
            Error::new(
                ErrorKind::Attribute,
                format!(
                    "{}(): `//conditions:default` may only be the one member of a group (an always-true condition)",
                    kw.func
                ),
            )
            .with_help("skylib's config_setting_group fails with it among other members; write `[\"//conditions:default\"]` alone for a condition that always holds, or leave it out"),
        ));
    }
    let conditions = labels_in(conditions, &package)?;
    let (visibility, tags) = common(&mut kw, &package)?;
    kw.finish(&["name", "match_any", "match_all", "visibility", "tags"])?;
    declare(
        site,
        name,
        Rule::ConfigSettingGroup {
            mode,
            conditions: conditions.into(),
        },
        visibility,
        tags,
    )
}

/// `selector(...)`: a dimension of the configuration.
fn selector<'a, V: Arg<'a>>(mut kw: Kwargs<'_, V>, site: Site) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let name = kw.name()?;
    let values = kw
        .strings("values")?
        .ok_or_else(|| attr_err("selector() needs `values = [...]`, the allowed values"))?;
    if values.is_empty() {
        return Err(attr_err("selector(): `values` is empty"));
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(attr_err(format!(
                "selector(): the value `{v}` is listed twice"
            )));
        }
    }
    let default = kw
        .string("default")?
        .ok_or_else(|| attr_err("selector() needs `default = \"...\"`, one of its values"))?;
    if !values.contains(&default) {
        return Err(anyhow::Error::new(
            Error::new(
                ErrorKind::Selector,
                format!("selector `{name}`: the default `{default}` is not one of its values"),
            )
            .with_help(format!("allowed values: {}", values.join(", "))),
        ));
    }
    let doc = kw.string("doc")?.unwrap_or_default();
    let ordered = match kw.take("ordered") {
        None => false,
        Some(v) => v
            .bool()
            .ok_or_else(|| attr_err("selector(): `ordered` must be True or False"))?,
    };
    let detect = detect_binding(&mut kw)?;
    let (visibility, tags) = common(&mut kw, &package)?;
    kw.finish(&[
        "name",
        "values",
        "default",
        "doc",
        "ordered",
        "detect",
        "detect_values",
        "detect_default",
        "visibility",
        "tags",
    ])?;
    declare(
        site,
        name,
        Rule::Selector(Box::new(Selector {
            values,
            default,
            doc,
            ordered,
            detect,
            value_type: SelectorType::String,
        })),
        visibility,
        tags,
    )
}

/// `detect`, `detect_values` and `detect_default` of `selector()`, as written;
/// `configuration::validate` checks them against the probes and the values.
fn detect_binding<'a, V: Arg<'a>>(kw: &mut Kwargs<'_, V>) -> anyhow::Result<Option<Box<Detect>>> {
    let probe = kw.string("detect")?;
    let forms = match kw.take("detect_values") {
        None => Vec::new(),
        Some(dict) => {
            let bad = || {
                attr_err("selector(): `detect_values` must be a dict of selector value to probe result (a string, \"*\", or None)")
            };
            let mut forms = Vec::new();
            for (k, v) in dict.entries().ok_or_else(bad)? {
                let value = k.str().ok_or_else(bad)?.to_string();
                let form = match v.str() {
                    _ if v.is_none() => ProbeForm::Absent,
                    Some("*") => ProbeForm::Other,
                    Some(s) => ProbeForm::Is(s.to_string()),
                    None => return Err(bad()),
                };
                forms.push((value, form));
            }
            forms
        }
    };
    let or_default = match kw.take("detect_default") {
        None => false,
        Some(v) => v
            .bool()
            .ok_or_else(|| attr_err("selector(): `detect_default` must be True or False"))?,
    };
    match probe {
        Some(probe) => Ok(Some(Box::new(Detect {
            probe,
            forms,
            or_default,
        }))),
        None if forms.is_empty() && !or_default => Ok(None),
        None => Err(attr_err(
            "selector(): `detect_values` and `detect_default` need `detect = \"PROBE\"`",
        )),
    }
}

/// skylib's build settings as selectors: `string_flag`, `bool_flag`,
/// `int_flag` and `string_list_flag`, with skylib's `build_setting_default`.
/// sel needs every selector's values: `values` is skylib's for `string_flag`,
/// and sel's own for `int_flag` (the integers, ordered numerically) and
/// `string_list_flag` (the elements a value may hold); a `bool_flag`'s are
/// `false` and `true`.
fn build_setting<'a, V: Arg<'a>>(
    mut kw: Kwargs<'_, V>,
    site: Site,
    value_type: SelectorType,
) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let func = kw.func;
    let name = kw.name()?;
    let default = kw.required("build_setting_default")?;
    let need_values = || {
        let (what, skylib) = match value_type {
            SelectorType::Int => (
                "the integers it may be",
                " (skylib's int_flag has none: Bazel does not need them)",
            ),
            SelectorType::StringList => (
                "the elements its value may hold",
                " (skylib's string_list_flag has none: Bazel does not need them)",
            ),
            _ => ("the allowed values", ""),
        };
        anyhow::Error::new(
            Error::new(ErrorKind::Attribute, format!("{func}() needs `values = [...]`, {what}"))
                .with_help(format!("sel needs every selector's values{skylib}; see docs/semantics.md, \"Typed selectors\"")),
        )
    };
    let wrong_default = |what: &str| {
        attr_err(format!(
            "{func}(): `build_setting_default` must be {what}, not {}",
            default.type_name()
        ))
    };
    let (values, default) = match value_type {
        SelectorType::Bool => {
            if kw.take("values").is_some() {
                return Err(attr_err(
                    "bool_flag() has no `values`: they are False and True",
                ));
            }
            let default = default
                .bool()
                .ok_or_else(|| wrong_default("True or False"))?;
            (
                vec!["false".to_string(), "true".to_string()],
                default.to_string(),
            )
        }
        SelectorType::Int => {
            let v = kw.take("values").ok_or_else(need_values)?;
            let items = v.items().ok_or_else(|| {
                attr_err(format!("{func}(): `values` must be a list of integers"))
            })?;
            let mut ints = Vec::new();
            for i in items {
                match i.plain() {
                    Ok(Value::Int(n)) if i.is_int() => ints.push(n),
                    _ => {
                        return Err(attr_err(format!(
                            "{func}(): `values` must be a list of integers, but holds a {}",
                            i.type_name()
                        )))
                    }
                }
            }
            let default = match default.plain() {
                Ok(Value::Int(n)) if default.is_int() => n,
                _ => return Err(wrong_default("an integer")),
            };
            ints.sort_unstable();
            let values: Vec<String> = ints.iter().map(|n| n.to_string()).collect();
            check_values(func, &values)?;
            (values, default.to_string())
        }
        SelectorType::String => {
            let values = kw.strings("values")?.ok_or_else(need_values)?;
            check_values(func, &values)?;
            let default = default.str().ok_or_else(|| wrong_default("a string"))?;
            (values, default.to_string())
        }
        SelectorType::StringList => {
            let values = kw.strings("values")?.ok_or_else(need_values)?;
            check_values(func, &values)?;
            if let Some(bad) = values.iter().find(|v| v.is_empty() || v.contains(',')) {
                return Err(attr_err(format!(
                    "{func}(): the element {bad:?} is empty or has a comma: a value is written as its elements joined with commas (`--select NAME=a,b`)"
                )));
            }
            let default = string_list(default).ok_or_else(|| wrong_default("a list of strings"))?;
            // Each element must be allowed before they are joined.
            let stray = default.iter().find(|d| !values.contains(d));
            (
                values,
                stray.map_or_else(|| default.join(","), |s| s.clone()),
            )
        }
    };
    let doc = kw.string("doc")?.unwrap_or_default();
    let (visibility, tags) = common(&mut kw, &package)?;
    let known: &[&str] = match value_type {
        SelectorType::Bool => &["name", "build_setting_default", "doc", "visibility", "tags"],
        _ => &[
            "name",
            "build_setting_default",
            "values",
            "doc",
            "visibility",
            "tags",
        ],
    };
    kw.finish(known)?;
    let mut selector = Selector {
        values,
        default: String::new(),
        doc,
        ordered: value_type == SelectorType::Int,
        value_type,
        // skylib's flags are bound to no probe.
        detect: None,
    };
    selector.default = selector.value(&default).map_err(|_| {
        anyhow::Error::new(
            Error::new(
                ErrorKind::Selector,
                format!("{func} `{name}`: the default `{default}` is not one of its values"),
            )
            .with_help(format!(
                "allowed {}: {}",
                if value_type == SelectorType::StringList {
                    "elements"
                } else {
                    "values"
                },
                selector.values.join(", ")
            )),
        )
    })?;
    declare(
        site,
        name,
        Rule::Selector(Box::new(selector)),
        visibility,
        tags,
    )
}

/// A selector's values: some, and none twice.
fn check_values(func: &str, values: &[String]) -> anyhow::Result<()> {
    if values.is_empty() {
        return Err(attr_err(format!("{func}(): `values` is empty")));
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(attr_err(format!(
                "{func}(): the value `{v}` is listed twice"
            )));
        }
    }
    Ok(())
}

/// `config_setting(...)`: every listed selector has its value.
fn config_setting<'a, V: Arg<'a>>(mut kw: Kwargs<'_, V>, site: Site) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let name = kw.name()?;
    for unsupported in ["values", "define_values"] {
        if kw.take(unsupported).is_some() {
            return Err(anyhow::Error::new(
                Error::new(ErrorKind::Attribute, format!("config_setting(): `{unsupported}` is not supported by sel"))
                    .with_help("conditions are over selectors: declare a selector() and use `flag_values = {\":selector\": \"value\"}`"),
            ));
        }
    }
    let flag_values = match kw.take("flag_values") {
        Some(fv) => flag_values(kw.func, fv, &package)?,
        None => Vec::new(),
    };
    let constraint_values = label_list(&mut kw, "constraint_values", &package)?;
    if flag_values.is_empty() && constraint_values.is_empty() {
        return Err(attr_err(
            "config_setting() needs `flag_values` or `constraint_values`: both are empty",
        ));
    }
    let (visibility, tags) = common(&mut kw, &package)?;
    kw.finish(&[
        "name",
        "flag_values",
        "constraint_values",
        "visibility",
        "tags",
    ])?;
    declare(
        site,
        name,
        Rule::ConfigSetting {
            flag_values: flag_values.into(),
            constraint_values: Labels::new(constraint_values),
        },
        visibility,
        tags,
    )
}

/// A list of labels (`constraint_values`, `parents`), resolved in `package`;
/// one listed twice is an error, as in Bazel.
fn label_list<'a, V: Arg<'a>>(
    kw: &mut Kwargs<'_, V>,
    name: &str,
    package: &str,
) -> anyhow::Result<Vec<Label>> {
    let func = kw.func;
    let Some(texts) = kw.strings(name)? else {
        return Ok(Vec::new());
    };
    let labels = labels_in(texts, package)?;
    for (i, l) in labels.iter().enumerate() {
        if labels[..i].contains(l) {
            return Err(attr_err(format!("{func}(): `{name}` lists `{l}` twice")));
        }
    }
    Ok(labels)
}

/// `constraint_setting(...)`: a selector whose values are the
/// `constraint_value`s declared for it.
fn constraint_setting<'a, V: Arg<'a>>(mut kw: Kwargs<'_, V>, site: Site) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let name = kw.name()?;
    let default = match kw.string("default_constraint_value")? {
        Some(text) => Some(label_in(&text, &package)?),
        None => None,
    };
    let (visibility, tags) = common(&mut kw, &package)?;
    kw.finish(&["name", "default_constraint_value", "visibility", "tags"])?;
    declare(
        site,
        name,
        Rule::ConstraintSetting { default },
        visibility,
        tags,
    )
}

/// `constraint_value(...)`: a value of a constraint setting.
fn constraint_value<'a, V: Arg<'a>>(mut kw: Kwargs<'_, V>, site: Site) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let name = kw.name()?;
    let setting = kw.string("constraint_setting")?.ok_or_else(|| {
        attr_err(
            "constraint_value() needs `constraint_setting = \"...\"`, the label of its setting",
        )
    })?;
    let setting = label_in(&setting, &package)?;
    let (visibility, tags) = common(&mut kw, &package)?;
    kw.finish(&["name", "constraint_setting", "visibility", "tags"])?;
    declare(
        site,
        name,
        Rule::ConstraintValue { setting },
        visibility,
        tags,
    )
}

/// `platform(...)`: a named set of selector values, usable as `--platform`.
fn platform<'a, V: Arg<'a>>(mut kw: Kwargs<'_, V>, site: Site) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let name = kw.name()?;
    let flag_values = match kw.take("flag_values") {
        Some(fv) => flag_values(kw.func, fv, &package)?,
        None => Vec::new(),
    };
    let constraint_values = label_list(&mut kw, "constraint_values", &package)?;
    let mut parents = label_list(&mut kw, "parents", &package)?;
    if parents.len() > 1 {
        // Bazel: "parents attribute must have a single value".
        return Err(attr_err(
            "platform(): `parents` may name one platform only, as in Bazel",
        ));
    }
    let (visibility, tags) = common(&mut kw, &package)?;
    kw.finish(&[
        "name",
        "flag_values",
        "constraint_values",
        "parents",
        "visibility",
        "tags",
    ])?;
    let platform = Platform {
        flag_values: flag_values.into(),
        constraint_values: constraint_values.into(),
        parent: parents.pop(),
    };
    declare(
        site,
        name,
        Rule::Platform(Box::new(platform)),
        visibility,
        tags,
    )
}

/// `package(...)`: a software package, a node of the dependency graph.
fn package<'a, V: Arg<'a>>(mut kw: Kwargs<'_, V>, site: Site) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let name = kw.name()?;
    let mut attrs = Attrs::default();
    for (attr, ty) in PACKAGE_ATTRS {
        if let Some(v) = kw.take(attr) {
            let a = v
                .attr()
                .map_err(|e| attr_err(format!("package(): `{attr}`: {e}")))?;
            let a = typed(a, *ty, attr, &package)?;
            attrs.insert(attr, a);
        }
    }
    let (visibility, tags) = common(&mut kw, &package)?;
    let known: Vec<&str> = PACKAGE_ATTRS
        .iter()
        .map(|(n, _)| *n)
        .chain(COMMON.iter().copied())
        .collect();
    kw.finish(&known)?;
    declare(site, name, Rule::Package { attrs }, visibility, tags)
}

/// `alias(...)`: another name for a target; `actual` may be a select.
fn alias<'a, V: Arg<'a>>(mut kw: Kwargs<'_, V>, site: Site) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let name = kw.name()?;
    let actual = kw.required("actual")?;
    let actual = actual
        .attr()
        .map_err(|e| attr_err(format!("alias(): `actual`: {e}")))?;
    let actual = typed(actual, AttrType::Label, "actual", &package)?;
    let (visibility, tags) = common(&mut kw, &package)?;
    kw.finish(&["name", "actual", "visibility", "tags"])?;
    declare(site, name, Rule::Alias { actual }, visibility, tags)
}

/// `capability(...)`: what packages provide, exclusive in one environment or not.
fn capability<'a, V: Arg<'a>>(mut kw: Kwargs<'_, V>, site: Site) -> anyhow::Result<()> {
    let package = site.package(kw.func)?;
    let name = kw.name()?;
    let exclusive = match kw.take("exclusive") {
        None => true,
        Some(v) => v
            .bool()
            .ok_or_else(|| attr_err("capability(): `exclusive` must be True or False"))?,
    };
    let doc = kw.string("doc")?.unwrap_or_default();
    let providers = labels_in(kw.strings("providers")?.unwrap_or_default(), &package)?;
    let (visibility, tags) = common(&mut kw, &package)?;
    kw.finish(&[
        "name",
        "exclusive",
        "doc",
        "providers",
        "visibility",
        "tags",
    ])?;
    let rule = Rule::Capability(Box::new(Capability {
        exclusive,
        providers: providers.into(),
        doc,
    }));
    declare(site, name, rule, visibility, tags)
}

/// Where a built-in called from Starlark is called.
fn starlark_site<'a>(eval: &'a Evaluator) -> Site<'a> {
    Site {
        ctx: context(eval),
        at: call_location(eval),
    }
}

/// A Starlark built-in rule's keyword arguments, with the call's site.
fn starlark_call<'v>(
    func: &'static str,
    kwargs: &SmallMap<String, SValue<'v>>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<NoneType> {
    let site = starlark_site(eval);
    let map = kwargs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    call_rule(func, map, site)?;
    Ok(NoneType)
}

#[starlark_module]
pub(crate) fn build_globals(builder: &mut GlobalsBuilder) {
    /// Declares a selector: a dimension of the configuration.
    fn selector<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("selector", &kwargs, eval)
    }

    /// skylib's `string_flag`: a selector whose value is one of `values`.
    fn string_flag<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("string_flag", &kwargs, eval)
    }

    /// skylib's `bool_flag`: a selector whose value is `true` or `false`.
    fn bool_flag<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("bool_flag", &kwargs, eval)
    }

    /// skylib's `int_flag`: a selector whose value is one of the integers
    /// `values` (sel's), ordered numerically.
    fn int_flag<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("int_flag", &kwargs, eval)
    }

    /// skylib's `string_list_flag`: a selector whose value is a set of the
    /// elements `values` (sel's); a condition on it holds when the set has
    /// the element it names.
    fn string_list_flag<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("string_list_flag", &kwargs, eval)
    }

    /// Declares a condition: every listed selector has its value.
    fn config_setting<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("config_setting", &kwargs, eval)
    }

    /// Declares a condition that matches when any / all of its conditions match.
    fn config_setting_group<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("config_setting_group", &kwargs, eval)
    }

    /// Declares a named set of selector values, usable as `--platform`.
    fn platform<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("platform", &kwargs, eval)
    }

    /// Declares a constraint setting: a selector whose values are its
    /// `constraint_value`s.
    fn constraint_setting<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("constraint_setting", &kwargs, eval)
    }

    /// Declares a value of a constraint setting.
    fn constraint_value<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("constraint_value", &kwargs, eval)
    }

    /// Declares a software package: a node of the dependency graph.
    fn package<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("package", &kwargs, eval)
    }

    /// Declares another name for a target; `actual` may be a select.
    fn alias<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("alias", &kwargs, eval)
    }

    /// Declares a capability: what packages provide (`provides = [...]`).
    fn capability<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        starlark_call("capability", &kwargs, eval)
    }

    /// A label, resolved against the package of the file where `Label(` is
    /// written (for a .bzl file, the package of the label that loads it), as
    /// Bazel's `Label()`; `str()` gives its canonical text, and it may stand
    /// wherever a label string may.
    #[allow(non_snake_case)]
    fn Label<'v>(
        #[starlark(require = pos)] text: SValue<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<SValue<'v>> {
        if let Some(l) = text.downcast_ref::<LabelValue>() {
            return Ok(eval.heap().alloc(LabelValue(l.0.clone())));
        }
        let text = text.unpack_str().ok_or_else(|| {
            attr_err(format!(
                "Label() takes a label string, not {}",
                text.get_type()
            ))
        })?;
        let file = eval
            .call_stack_top_location()
            .map(|l| l.filename().to_string());
        let package = file.and_then(|f| context(eval).package_of_file(&f));
        let label = match package {
            Some(package) => label_in(text, &package)?,
            // Not known (not reached through load()): absolute labels only.
            None => Label::parse(text).map_err(|e| sel_err(ErrorKind::BadLabel, e.0))?,
        };
        Ok(eval.heap().alloc(LabelValue(label)))
    }

    /// A configurable value: the branch whose condition matches the configuration.
    fn select<'v>(
        #[starlark(require = pos)] x: SValue<'v>,
        #[starlark(require = named, default = "")] no_match_error: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<SValue<'v>> {
        let site = starlark_site(eval);
        let attr = select_from_dict(x, no_match_error, site, false)?;
        Ok(eval.heap().alloc(Configurable(attr)))
    }
}

#[starlark_module]
pub(crate) fn selects_namespace(builder: &mut GlobalsBuilder) {
    /// skylib's `selects.with_or`: a select whose keys may be tuples of conditions.
    fn with_or<'v>(
        #[starlark(require = pos)] input_dict: SValue<'v>,
        #[starlark(require = named, default = "")] no_match_error: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<SValue<'v>> {
        let site = starlark_site(eval);
        let attr = select_from_dict(input_dict, no_match_error, site, true)?;
        Ok(eval.heap().alloc(Configurable(attr)))
    }

    /// skylib's `selects.with_or_dict`: the dict `with_or` would select over.
    fn with_or_dict<'v>(
        #[starlark(require = pos)] input_dict: SValue<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<SValue<'v>> {
        let d = DictRef::from_value(input_dict)
            .ok_or_else(|| attr_err("selects.with_or_dict() takes a dict"))?;
        let mut out: Vec<(SValue<'v>, SValue<'v>)> = Vec::new();
        for (k, v) in d.iter() {
            if k.unpack_str().is_some() {
                out.push((k, v));
            } else if let Some(t) = TupleRef::from_value(k) {
                out.extend(t.iter().map(|key| (key, v)));
            } else {
                return Err(attr_err(
                    "selects.with_or_dict() keys must be labels or tuples of labels",
                ));
            }
        }
        Ok(eval.heap().alloc(AllocDict(out)))
    }

    /// skylib's `selects.config_setting_group`.
    fn config_setting_group<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let site = starlark_site(eval);
        let map = kwargs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        group(Kwargs::new("selects.config_setting_group", map), site)?;
        Ok(NoneType)
    }
}
