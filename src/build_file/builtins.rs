//! The built-ins of BUILD and .bzl files: `selector`, `config_setting`,
//! `config_setting_group`, `platform`, `package`, `alias`, `select`, and
//! skylib's `selects` namespace.
//!
//! Each built-in checks its arguments, converts them to plain data
//! ([`Attr`]/[`Value`]) and records a [`Target`] in the [`BuildContext`] of the
//! BUILD file being evaluated. Label strings are resolved against the package
//! of that BUILD file, also when the call comes from a macro in a .bzl file,
//! as Bazel does.

use std::cell::RefCell;
use std::path::PathBuf;

use indexmap::IndexMap;
use starlark::collections::SmallMap;
use starlark::environment::GlobalsBuilder;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::dict::{AllocDict, DictRef};
use starlark::values::list::ListRef;
use starlark::values::none::NoneType;
use starlark::values::tuple::TupleRef;
use starlark::values::{ProvidesStaticType, Value as SValue};

use super::value::{to_attr, to_plain, Configurable};
use crate::error::{did_you_mean, Error, ErrorKind, Location, Source};
use crate::label::{check_name, Label};
use crate::target_graph::{
    Attr, AttrType, FlagValue, GroupMode, Rule, Select, SelectKey, Target, Value, PACKAGE_ATTRS,
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
    /// The targets declared so far, in order.
    pub targets: RefCell<IndexMap<String, Target>>,
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
    let span = in_build
        .cloned()
        .or_else(|| eval.call_stack_top_location())?;
    Some(location_of(&ctx.root, &span))
}

/// A Starlark file span as a sel [`Location`].
pub(crate) fn location_of(root: &std::path::Path, span: &starlark::codemap::FileSpan) -> Location {
    let shown = span.filename().to_string();
    let r = span.span;
    Location {
        source: Source::File {
            path: root.join(&shown),
            shown,
        },
        span: r.begin().get() as usize..r.end().get() as usize,
    }
}

/// The package calls are resolved in, or an error outside BUILD evaluation.
fn current_package(eval: &Evaluator, what: &str) -> anyhow::Result<String> {
    context(eval).package.clone().ok_or_else(|| {
        sel_err(
            ErrorKind::Eval,
            format!("{what}() cannot be called at the top level of a .bzl file; call it from a BUILD file or a macro"),
        )
    })
}

/// Keyword arguments being consumed by a built-in.
struct Kwargs<'v> {
    func: &'static str,
    map: SmallMap<String, SValue<'v>>,
}

impl<'v> Kwargs<'v> {
    fn take(&mut self, name: &str) -> Option<SValue<'v>> {
        self.map.shift_remove(name).filter(|v| !v.is_none())
    }

    fn required(&mut self, name: &str) -> anyhow::Result<SValue<'v>> {
        self.take(name)
            .ok_or_else(|| attr_err(format!("{}() needs `{name} = ...`", self.func)))
    }

    fn string(&mut self, name: &str) -> anyhow::Result<Option<String>> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => v.unpack_str().map(|s| Some(s.to_string())).ok_or_else(|| {
                attr_err(format!(
                    "{}(): `{name}` must be a string, not {}",
                    self.func,
                    v.get_type()
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
        if let Some((extra, _)) = self.map.iter().next() {
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

fn string_list(v: SValue) -> Option<Vec<String>> {
    let items: Vec<SValue> = if let Some(l) = ListRef::from_value(v) {
        l.iter().collect()
    } else if let Some(t) = TupleRef::from_value(v) {
        t.iter().collect()
    } else {
        return None;
    };
    items
        .into_iter()
        .map(|i| i.unpack_str().map(str::to_string))
        .collect()
}

fn label_in(text: &str, package: &str) -> anyhow::Result<Label> {
    Label::parse_relative(text, Some(package)).map_err(|e| sel_err(ErrorKind::BadLabel, e.0))
}

fn labels_in(texts: Vec<String>, package: &str) -> anyhow::Result<Vec<Label>> {
    texts.iter().map(|t| label_in(t, package)).collect()
}

/// `{selector_label: value}` as plain flag values.
fn flag_values(func: &str, v: SValue, package: &str) -> anyhow::Result<Vec<FlagValue>> {
    let dict = DictRef::from_value(v).ok_or_else(|| {
        attr_err(format!(
            "{func}(): `flag_values` must be a dict of selector label to value"
        ))
    })?;
    let mut out = Vec::new();
    for (k, val) in dict.iter() {
        let k = k.unpack_str().ok_or_else(|| {
            attr_err(format!(
                "{func}(): `flag_values` keys must be selector labels (strings)"
            ))
        })?;
        let value = match val.unpack_str() {
            Some(s) => s.to_string(),
            None if val.unpack_bool().is_some() || val.unpack_i32().is_some() => {
                to_plain(val).map(|p| p.to_string()).unwrap_or_default()
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
                for i in items {
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
                Ok(Value::List(labels))
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
    fn map(attr: Attr, f: &dyn Fn(Value) -> anyhow::Result<Value>) -> anyhow::Result<Attr> {
        Ok(match attr {
            Attr::Plain(v) => Attr::Plain(f(v)?),
            Attr::Select(mut s) => {
                s.branches = s
                    .branches
                    .into_iter()
                    .map(|(k, v)| Ok((k, f(v)?)))
                    .collect::<anyhow::Result<_>>()?;
                Attr::Select(s)
            }
            Attr::Concat(parts) => Attr::Concat(
                parts
                    .into_iter()
                    .map(|p| map(p, f))
                    .collect::<anyhow::Result<_>>()?,
            ),
        })
    }
    if matches!(ty, AttrType::Label) && matches!(attr, Attr::Concat(_)) {
        return Err(attr_err(format!(
            "`{name}` is a single label and cannot be concatenated"
        )));
    }
    map(attr, &convert)
}

fn common(kw: &mut Kwargs, package: &str) -> anyhow::Result<(Vec<Label>, Vec<String>)> {
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
    eval: &Evaluator,
    name: String,
    rule: Rule,
    visibility: Vec<Label>,
    tags: Vec<String>,
) -> anyhow::Result<NoneType> {
    let ctx = context(eval);
    let package = ctx.package.clone().unwrap_or_default();
    let location = call_location(eval);
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
        Target {
            label: Label::new(&package, &name),
            rule,
            visibility,
            tags,
            location,
        },
    );
    Ok(NoneType)
}

fn select_from_dict(
    dict: SValue,
    no_match_error: &str,
    eval: &Evaluator,
    with_or: bool,
) -> anyhow::Result<Attr> {
    // At the top level of a .bzl file (`DEPS = select({...})`, as Bazel allows)
    // there is no package yet, so keys must be absolute labels.
    let package = context(eval).package.clone();
    let d = DictRef::from_value(dict)
        .ok_or_else(|| attr_err(format!("select() takes a dict, not {}", dict.get_type())))?;
    let mut branches: Vec<(SelectKey, Value)> = Vec::new();
    for (k, v) in d.iter() {
        let keys: Vec<String> = match (k.unpack_str(), with_or) {
            (Some(s), _) => vec![s.to_string()],
            (None, true) => string_list(k).ok_or_else(|| {
                attr_err("selects.with_or() keys must be labels or tuples of labels")
            })?,
            (None, false) => {
                return Err(attr_err(format!(
                    "select() keys must be condition labels (strings), not {}",
                    k.get_type()
                )))
            }
        };
        let value = to_plain(v).map_err(attr_err)?;
        for key in keys {
            let key = if key == "//conditions:default" {
                SelectKey::Default
            } else {
                match &package {
                    Some(package) => SelectKey::Condition(label_in(&key, package)?),
                    None if key.starts_with("//") => SelectKey::Condition(
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
    Ok(Attr::Select(Select {
        branches,
        no_match_error: no_match_error.to_string(),
        location: call_location(eval),
    }))
}

fn group(eval: &Evaluator, mut kw: Kwargs) -> anyhow::Result<NoneType> {
    let package = current_package(eval, kw.func)?;
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
    let conditions = labels_in(conditions, &package)?;
    let (visibility, tags) = common(&mut kw, &package)?;
    kw.finish(&["name", "match_any", "match_all", "visibility", "tags"])?;
    declare(
        eval,
        name,
        Rule::ConfigSettingGroup { mode, conditions },
        visibility,
        tags,
    )
}

#[starlark_module]
pub(crate) fn build_globals(builder: &mut GlobalsBuilder) {
    /// Declares a selector: a dimension of the configuration.
    fn selector<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let mut kw = Kwargs {
            func: "selector",
            map: kwargs,
        };
        let package = current_package(eval, kw.func)?;
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
                .unpack_bool()
                .ok_or_else(|| attr_err("selector(): `ordered` must be True or False"))?,
        };
        let (visibility, tags) = common(&mut kw, &package)?;
        kw.finish(&[
            "name",
            "values",
            "default",
            "doc",
            "ordered",
            "visibility",
            "tags",
        ])?;
        declare(
            eval,
            name,
            Rule::Selector {
                values,
                default,
                doc,
                ordered,
            },
            visibility,
            tags,
        )
    }

    /// Declares a condition: every listed selector has its value.
    fn config_setting<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let mut kw = Kwargs {
            func: "config_setting",
            map: kwargs,
        };
        let package = current_package(eval, kw.func)?;
        let name = kw.name()?;
        for unsupported in ["values", "define_values", "constraint_values"] {
            if kw.take(unsupported).is_some() {
                return Err(anyhow::Error::new(
                    Error::new(ErrorKind::Attribute, format!("config_setting(): `{unsupported}` is not supported by sel"))
                        .with_help("conditions are over selectors: declare a selector() and use `flag_values = {\":selector\": \"value\"}`"),
                ));
            }
        }
        let fv = kw.required("flag_values")?;
        let flag_values = flag_values(kw.func, fv, &package)?;
        if flag_values.is_empty() {
            return Err(attr_err("config_setting(): `flag_values` is empty"));
        }
        let (visibility, tags) = common(&mut kw, &package)?;
        kw.finish(&["name", "flag_values", "visibility", "tags"])?;
        declare(
            eval,
            name,
            Rule::ConfigSetting { flag_values },
            visibility,
            tags,
        )
    }

    /// Declares a condition that matches when any / all of its conditions match.
    fn config_setting_group<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        group(
            eval,
            Kwargs {
                func: "config_setting_group",
                map: kwargs,
            },
        )
    }

    /// Declares a named set of selector values, usable as `--platform`.
    fn platform<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let mut kw = Kwargs {
            func: "platform",
            map: kwargs,
        };
        let package = current_package(eval, kw.func)?;
        let name = kw.name()?;
        let flag_values = match kw.take("flag_values") {
            Some(fv) => flag_values(kw.func, fv, &package)?,
            None => Vec::new(),
        };
        let (visibility, tags) = common(&mut kw, &package)?;
        kw.finish(&["name", "flag_values", "visibility", "tags"])?;
        declare(eval, name, Rule::Platform { flag_values }, visibility, tags)
    }

    /// Declares a software package: a node of the dependency graph.
    fn package<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let mut kw = Kwargs {
            func: "package",
            map: kwargs,
        };
        let package = current_package(eval, kw.func)?;
        let name = kw.name()?;
        let mut attrs = IndexMap::new();
        for (attr, ty) in PACKAGE_ATTRS {
            if let Some(v) = kw.take(attr) {
                let a = to_attr(v).map_err(|e| attr_err(format!("package(): `{attr}`: {e}")))?;
                let a = typed(a, *ty, attr, &package)?;
                attrs.insert(attr.to_string(), a);
            }
        }
        let (visibility, tags) = common(&mut kw, &package)?;
        let known: Vec<&str> = PACKAGE_ATTRS
            .iter()
            .map(|(n, _)| *n)
            .chain(COMMON.iter().copied())
            .collect();
        kw.finish(&known)?;
        declare(eval, name, Rule::Package { attrs }, visibility, tags)
    }

    /// Declares another name for a target; `actual` may be a select.
    fn alias<'v>(
        #[starlark(kwargs)] kwargs: SmallMap<String, SValue<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<NoneType> {
        let mut kw = Kwargs {
            func: "alias",
            map: kwargs,
        };
        let package = current_package(eval, kw.func)?;
        let name = kw.name()?;
        let actual = kw.required("actual")?;
        let actual = to_attr(actual).map_err(|e| attr_err(format!("alias(): `actual`: {e}")))?;
        let actual = typed(actual, AttrType::Label, "actual", &package)?;
        let (visibility, tags) = common(&mut kw, &package)?;
        kw.finish(&["name", "actual", "visibility", "tags"])?;
        declare(eval, name, Rule::Alias { actual }, visibility, tags)
    }

    /// A configurable value: the branch whose condition matches the configuration.
    fn select<'v>(
        #[starlark(require = pos)] x: SValue<'v>,
        #[starlark(require = named, default = "")] no_match_error: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> anyhow::Result<SValue<'v>> {
        let attr = select_from_dict(x, no_match_error, eval, false)?;
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
        let attr = select_from_dict(input_dict, no_match_error, eval, true)?;
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
        group(
            eval,
            Kwargs {
                func: "selects.config_setting_group",
                map: kwargs,
            },
        )
    }
}
