//! Targets as BUILD files declare them, selects unresolved: the unconfigured graph.
//!
//! Everything here is plain Rust data: Starlark values never get this far
//! (see `build_file`). An attribute is an [`Attr`]: a plain [`Value`], a
//! [`Select`], or a `+` concatenation of those. Label-typed attributes
//! (`deps`, `actual`, `target_compatible_with`) already hold [`Value::Label`]s,
//! in every select branch too, so a bad label is reported where it is written.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::error::{did_you_mean, Error, ErrorKind, Location, Result};
use crate::label::{package_in_subtree, package_text, Label, TargetPattern};

mod selector;
pub use selector::{
    elements, parse_bool, parse_int, BadValue, Compare, Detect, FlagValue, ProbeForm, Selector,
    SelectorType,
};

/// A plain attribute value: what a select resolves to.
///
/// Strings and lists are boxed slices, not `String`s and `Vec`s: a loaded
/// graph holds millions of values and never grows them, so they keep no spare
/// capacity and no capacity field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// Starlark's `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(Box<str>),
    /// A label, in a label-typed attribute.
    Label(Label),
    /// A list (or tuple).
    List(Box<[Value]>),
    /// A dict, in insertion order.
    Dict(Box<[(Value, Value)]>),
}

impl Value {
    /// The labels in this value (a label, or the labels of a list).
    pub fn labels(&self) -> Vec<&Label> {
        match self {
            Value::Label(l) => vec![l],
            Value::List(items) => items.iter().flat_map(|v| v.labels()).collect(),
            _ => Vec::new(),
        }
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The type's name for error messages, as Starlark calls it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Str(_) => "string",
            Value::Label(_) => "label",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
        }
    }

    /// `a + b` for resolved concatenations: lists append, strings join.
    pub fn concat(self, other: Value) -> std::result::Result<Value, String> {
        match (self, other) {
            (Value::List(a), Value::List(b)) => {
                let mut a = a.into_vec();
                a.extend(b.into_vec());
                Ok(Value::List(a.into()))
            }
            (Value::Str(a), Value::Str(b)) => Ok(Value::Str((a.into_string() + &b).into())),
            (Value::Dict(a), Value::Dict(b)) => {
                let mut a = a.into_vec();
                for (k, v) in b.into_vec() {
                    a.retain(|(ka, _)| *ka != k);
                    a.push((k, v));
                }
                Ok(Value::Dict(a.into()))
            }
            (a, b) => Err(format!(
                "cannot concatenate {} and {}",
                a.type_name(),
                b.type_name()
            )),
        }
    }
}

impl fmt::Display for Value {
    /// Starlark syntax, as `--output=build` writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{}", quote(s)),
            Value::Label(l) => write!(f, "{}", quote(l.as_str())),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Dict(items) => {
                f.write_str("{")?;
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A string as a Starlark string literal.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// The key of one select branch.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum SelectKey {
    /// `//conditions:default`.
    Default,
    /// A condition: a config_setting or config_setting_group.
    Condition(Label),
}

impl fmt::Display for SelectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectKey::Default => f.write_str("//conditions:default"),
            SelectKey::Condition(l) => write!(f, "{l}"),
        }
    }
}

/// `select({key: value, ...}, no_match_error = "...")`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Select {
    /// The branches in the order written.
    pub branches: Box<[(SelectKey, Value)]>,
    /// The message for a configuration no key matches.
    pub no_match_error: Box<str>,
    /// Where `select(` is written.
    pub location: Option<Location>,
}

/// A configurable attribute: plain, a select, or a `+` of those.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Attr {
    /// A value that is the same in every configuration.
    Plain(Value),
    /// A select (boxed: most attributes are plain, and a select is large).
    Select(Box<Select>),
    /// `a + b + ...`, each part plain or a select.
    Concat(Box<[Attr]>),
}

impl Attr {
    /// Every value any configuration could give, flattened (for `query`).
    pub fn all_values(&self) -> Vec<&Value> {
        match self {
            Attr::Plain(v) => vec![v],
            Attr::Select(s) => s.branches.iter().map(|(_, v)| v).collect(),
            Attr::Concat(parts) => parts.iter().flat_map(|p| p.all_values()).collect(),
        }
    }

    /// Every label any configuration could give, each with the select keys it depends on
    /// (empty when the label is there in every configuration). Sorted, deduplicated.
    pub fn all_labels(&self) -> Vec<(Label, Vec<SelectKey>)> {
        let mut out: BTreeMap<Label, Option<Vec<SelectKey>>> = BTreeMap::new();
        self.collect_labels(&mut out);
        out.into_iter()
            .map(|(l, keys)| (l, keys.unwrap_or_default()))
            .collect()
    }

    fn collect_labels(&self, out: &mut BTreeMap<Label, Option<Vec<SelectKey>>>) {
        match self {
            Attr::Plain(v) => {
                for l in v.labels() {
                    out.insert(l.clone(), None);
                }
            }
            Attr::Select(s) => {
                for (key, v) in &s.branches {
                    for l in v.labels() {
                        let entry = out.entry(l.clone()).or_insert_with(|| Some(Vec::new()));
                        if let Some(keys) = entry {
                            if !keys.contains(key) {
                                keys.push(key.clone());
                            }
                        }
                    }
                }
            }
            Attr::Concat(parts) => parts.iter().for_each(|p| p.collect_labels(out)),
        }
    }

    /// Whether the attribute holds a select anywhere.
    pub fn is_configurable(&self) -> bool {
        match self {
            Attr::Plain(_) => false,
            Attr::Select(_) => true,
            Attr::Concat(parts) => parts.iter().any(Attr::is_configurable),
        }
    }

    /// The selects in this attribute, in order.
    pub fn selects(&self) -> Vec<&Select> {
        match self {
            Attr::Plain(_) => Vec::new(),
            Attr::Select(s) => vec![s],
            Attr::Concat(parts) => parts.iter().flat_map(|p| p.selects()).collect(),
        }
    }
}

/// `config_setting_group`'s mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GroupMode {
    /// `match_any`: any listed condition.
    Any,
    /// `match_all`: every listed condition.
    All,
}

/// What a target is, with its kind-specific attributes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Rule {
    /// `selector(name, values, default, doc)`: a dimension of the configuration.
    /// Boxed: selectors are few, and unboxed they would make every rule large.
    Selector(Box<Selector>),
    /// `config_setting(name, flag_values, constraint_values)`: every listed
    /// selector has its value, and every listed constraint value holds.
    ConfigSetting {
        /// The constraints, AND-ed.
        flag_values: Box<[FlagValue]>,
        /// The constraint values, AND-ed with `flag_values`.
        constraint_values: Labels,
    },
    /// `config_setting_group(name, match_any | match_all)`.
    ConfigSettingGroup {
        /// Any or all.
        mode: GroupMode,
        /// The member conditions.
        conditions: Box<[Label]>,
    },
    /// `platform(name, flag_values, constraint_values, parents)`: a named
    /// set of selector values. Boxed: platforms are few.
    Platform(Box<Platform>),
    /// `constraint_setting(name, default_constraint_value)`: a selector
    /// whose values are the `constraint_value`s declared for it (see
    /// [`TargetGraph::selector_of`]).
    ConstraintSetting {
        /// The value when a platform gives none; without one, the setting
        /// has no value there ([`UNSET`]).
        default: Option<Label>,
    },
    /// `constraint_value(name, constraint_setting)`: a value of a
    /// constraint setting, and the condition that the setting has it.
    ConstraintValue {
        /// Its constraint setting (as written: it may be an alias of one).
        setting: Label,
    },
    /// `package(...)`: a software package, a node of the dependency graph.
    Package {
        /// `deps`, `version`, `license`, ... in a fixed order; absent ones left out.
        attrs: Attrs,
    },
    /// `alias(name, actual)`.
    Alias {
        /// The target this one stands for (may be a select).
        actual: Attr,
    },
    /// `capability(name, exclusive, doc, providers)`: something packages
    /// provide (`provides = [...]`), of which one environment may hold one
    /// provider (exclusive) or several. Boxed, as [`Rule::Selector`].
    Capability(Box<Capability>),
}

/// What `capability()` declares.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Capability {
    /// Whether two providers clash in one environment (a CUDA runtime) or may
    /// coexist (CPU-level builds, one active by priority).
    pub exclusive: bool,
    /// Packages that provide it without saying so themselves (for packages
    /// written by a generator, such as `sel import`), in written order.
    pub providers: Box<[Label]>,
    /// What it is, for people.
    pub doc: String,
}

/// What `platform()` declares.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Platform {
    /// The selector values it sets.
    pub flag_values: Box<[FlagValue]>,
    /// The constraint values it sets (each its setting's value).
    pub constraint_values: Box<[Label]>,
    /// The platform it inherits values from (Bazel's `parents`, which
    /// takes at most one): its own values win, setting by setting.
    pub parent: Option<Label>,
}

/// The value of a constraint setting that a configuration leaves without
/// one (Bazel: a platform with no value for a setting that has no
/// `default_constraint_value`). No constraint value matches there. A label
/// never spells it, so it is never one of the declared values.
pub const UNSET: &str = "unset";

/// A short list of labels that costs a pointer, and no allocation when
/// empty: `config_setting`'s `constraint_values`, which most leave out
/// (it keeps [`Rule`] at 32 bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
// The box is the point: a thin pointer where a `Vec` would take 24 bytes.
#[allow(clippy::box_collection)]
pub struct Labels(Option<Box<Vec<Label>>>);

impl Labels {
    /// The labels of `list`.
    pub fn new(list: Vec<Label>) -> Labels {
        Labels((!list.is_empty()).then(|| Box::new(list)))
    }
}

impl std::ops::Deref for Labels {
    type Target = [Label];
    fn deref(&self) -> &[Label] {
        self.0.as_deref().map_or(&[], |v| v.as_slice())
    }
}

/// The attributes of a `package()`, in [`PACKAGE_ATTRS`] order, absent ones
/// left out. Not a map: a package has a handful, and a workspace has many
/// packages, so the names are one bit each and the values a boxed slice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Bit `i` is set when `PACKAGE_ATTRS[i]` is present.
    present: u16,
    /// The present attributes, in [`PACKAGE_ATTRS`] order.
    values: Box<[Attr]>,
}

// One bit per attribute of `package()`.
const _: () = assert!(PACKAGE_ATTRS.len() <= u16::BITS as usize);

impl Attrs {
    /// Where attribute `name` is (or would go) in `values`, and its bit, if
    /// `package()` has such an attribute.
    fn slot(&self, name: &str) -> Option<(usize, u16)> {
        let i = PACKAGE_ATTRS.iter().position(|(n, _)| *n == name)?;
        let bit = 1u16 << i;
        Some(((self.present & (bit - 1)).count_ones() as usize, bit))
    }

    /// The attribute `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Attr> {
        let (at, bit) = self.slot(name)?;
        (self.present & bit != 0).then(|| &self.values[at])
    }

    /// Sets attribute `name`, one of [`PACKAGE_ATTRS`], keeping their order.
    ///
    /// # Panics
    /// If `package()` has no attribute `name`: callers name them from [`PACKAGE_ATTRS`].
    pub fn insert(&mut self, name: &'static str, attr: Attr) {
        let (at, bit) = self.slot(name).expect("a package() attribute");
        if self.present & bit != 0 {
            self.values[at] = attr;
        } else {
            let mut values = std::mem::take(&mut self.values).into_vec();
            values.insert(at, attr);
            self.values = values.into_boxed_slice();
            self.present |= bit;
        }
    }

    /// The attributes, in order.
    pub fn iter(&self) -> AttrsIter<'_> {
        AttrsIter {
            present: self.present,
            values: self.values.iter(),
        }
    }

    /// How many attributes are set.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no attribute is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The attributes of an [`Attrs`] with their names, in order.
pub struct AttrsIter<'a> {
    /// The bits of the attributes not yet returned.
    present: u16,
    values: std::slice::Iter<'a, Attr>,
}

impl<'a> Iterator for AttrsIter<'a> {
    type Item = (&'static str, &'a Attr);

    fn next(&mut self) -> Option<Self::Item> {
        let value = self.values.next()?;
        let i = self.present.trailing_zeros() as usize;
        self.present &= self.present - 1;
        Some((PACKAGE_ATTRS[i].0, value))
    }
}

impl<'a> IntoIterator for &'a Attrs {
    type Item = (&'static str, &'a Attr);
    type IntoIter = AttrsIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl serde::Serialize for Attrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.len()))?;
        for (n, a) in self {
            map.serialize_entry(n, a)?;
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for Attrs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = <Vec<(String, Attr)>>::deserialize(d)?;
        let mut attrs = Attrs::default();
        for (name, attr) in map {
            let Some((known, _)) = PACKAGE_ATTRS.iter().find(|(n, _)| *n == name) else {
                return Err(serde::de::Error::custom(format!(
                    "unknown package attribute `{name}`"
                )));
            };
            attrs.insert(known, attr);
        }
        Ok(attrs)
    }
}

/// The attributes of `package()` with their types, in the order they are written out.
pub const PACKAGE_ATTRS: &[(&str, AttrType)] = &[
    ("deps", AttrType::LabelList),
    ("version", AttrType::String),
    ("license", AttrType::String),
    ("purl", AttrType::String),
    ("description", AttrType::String),
    ("target_compatible_with", AttrType::LabelList),
    ("metadata", AttrType::Dict),
    ("provides", AttrType::LabelList),
    ("conflicts", AttrType::LabelList),
];

/// The type of a configurable attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    /// A string.
    String,
    /// A single label.
    Label,
    /// A list of labels.
    LabelList,
    /// A dict of plain values.
    Dict,
}

impl Rule {
    /// The rule class name, as `kind()` and `--output=label_kind` show it.
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Selector(_) => "selector",
            Rule::ConfigSetting { .. } => "config_setting",
            Rule::ConfigSettingGroup { .. } => "config_setting_group",
            Rule::Platform { .. } => "platform",
            Rule::ConstraintSetting { .. } => "constraint_setting",
            Rule::ConstraintValue { .. } => "constraint_value",
            Rule::Package { .. } => "package",
            Rule::Alias { .. } => "alias",
            Rule::Capability(_) => "capability",
        }
    }

    /// What a `selector()` declares, if this is one. (A constraint
    /// setting's values are known only with the whole graph:
    /// [`TargetGraph::selector_of`] covers both.)
    pub fn selector(&self) -> Option<&Selector> {
        match self {
            Rule::Selector(s) => Some(s),
            _ => None,
        }
    }

    /// Whether targets of this kind are conditions usable as select keys.
    pub fn is_condition(&self) -> bool {
        matches!(
            self,
            Rule::ConfigSetting { .. }
                | Rule::ConfigSettingGroup { .. }
                | Rule::ConstraintValue { .. }
        )
    }

    /// Whether targets of this kind are selectors: dimensions of the
    /// configuration (`selector`, `constraint_setting`).
    pub fn is_selector(&self) -> bool {
        matches!(self, Rule::Selector(_) | Rule::ConstraintSetting { .. })
    }

    /// The configurable attribute `name`, if this rule has it.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        match self {
            Rule::Package { attrs } => attrs.get(name),
            Rule::Alias { actual } if name == "actual" => Some(actual),
            _ => None,
        }
    }

    /// The names of the attributes that are dependency edges.
    pub fn dep_attrs(&self) -> &'static [&'static str] {
        match self {
            Rule::Package { .. } => &["deps"],
            Rule::Alias { .. } => &["actual"],
            _ => &[],
        }
    }
}

/// One target of a package.
///
/// A workspace holds one per target, so the fields are kept small: a boxed
/// selector (see [`Rule`]), a sixteen-byte location, and visibility and tags
/// boxed together, only when they are not the default (public, no tags), as
/// for most targets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// Its label.
    pub label: Label,
    /// Its kind and attributes.
    pub rule: Rule,
    /// Its visibility and tags; `None` for the default: `//visibility:public`
    /// and no tags.
    declared: Option<Box<VisibilityAndTags>>,
    /// Where the target is declared (the call in the BUILD file).
    pub location: Option<Location>,
}

/// `[//visibility:public]`, the visibility of targets that do not set one.
fn public() -> &'static [Label] {
    static PUBLIC: std::sync::OnceLock<[Label; 1]> = std::sync::OnceLock::new();
    PUBLIC.get_or_init(|| [Label::new("visibility", "public")])
}

/// The `visibility` and `tags` of a [`Target`], when they are not the default.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct VisibilityAndTags {
    visibility: Box<[Label]>,
    tags: Box<[String]>,
}

impl Target {
    /// A target as a BUILD file declares it.
    pub fn new(
        label: Label,
        rule: Rule,
        visibility: Vec<Label>,
        tags: Vec<String>,
        location: Option<Location>,
    ) -> Target {
        let default = tags.is_empty() && visibility.as_slice() == public();
        let declared = (!default).then(|| {
            Box::new(VisibilityAndTags {
                visibility: visibility.into(),
                tags: tags.into(),
            })
        });
        Target {
            label,
            rule,
            declared,
            location,
        }
    }

    /// Who may depend on it: `//visibility:public`, `//pkg:__pkg__`, ...
    /// (empty: only its own package).
    pub fn visibility(&self) -> &[Label] {
        self.declared.as_ref().map_or(public(), |d| &d.visibility)
    }

    /// Its free-form tags.
    pub fn tags(&self) -> &[String] {
        self.declared.as_ref().map_or(&[], |d| &d.tags)
    }

    /// Every possible dependency (all select branches), with the keys each depends on.
    pub fn all_deps(&self) -> Vec<(Label, Vec<SelectKey>)> {
        let mut out: Vec<(Label, Vec<SelectKey>)> = Vec::new();
        for attr in self.rule.dep_attrs() {
            if let Some(a) = self.rule.attr(attr) {
                for (l, keys) in a.all_labels() {
                    match out.iter_mut().find(|(x, _)| *x == l) {
                        // Unconditional in one attribute wins.
                        Some((_, existing)) if keys.is_empty() => existing.clear(),
                        Some((_, existing)) if !existing.is_empty() => {
                            for k in keys {
                                if !existing.contains(&k) {
                                    existing.push(k);
                                }
                            }
                        }
                        Some(_) => {}
                        None => out.push((l, keys)),
                    }
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Whether a target in package `from` may depend on this one.
    pub fn visible_to(&self, from: &str) -> bool {
        if self.label.package() == from {
            return true;
        }
        self.visibility()
            .iter()
            .any(|v| match (v.package(), v.name()) {
                ("visibility", "public") => true,
                ("visibility", "private") => false,
                (pkg, "__pkg__") => pkg == from,
                (pkg, "__subpackages__") => package_in_subtree(from, pkg),
                _ => false,
            })
    }
}

/// One package: a directory with a BUILD file, and its targets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Package {
    /// The package path, `""` for the root.
    pub name: String,
    /// The BUILD file, as shown to users (relative to the root).
    pub build_file: String,
    /// The targets, in declaration order (the graph indexes them by label).
    pub targets: Vec<Target>,
}

/// The unconfigured graph: every package of the workspace and its targets.
#[derive(Clone, Debug, Default)]
pub struct TargetGraph {
    /// Sorted by path.
    packages: Vec<Package>,
    by_name: HashMap<String, usize>,
    /// Label -> id: lookups are the queries' hot path.
    index: rustc_hash::FxHashMap<Label, TargetId>,
    /// Id -> (package, index in it).
    places: Vec<(u32, u32)>,
    /// Id -> whether the target is visible to every package (the usual case,
    /// checked on every edge a configured query follows).
    public: Vec<bool>,
    selectors: Vec<Label>,
    /// Each constraint setting as a selector: its values are the labels of
    /// the constraint values declared for it, in label order, then [`UNSET`]
    /// when it has no default.
    constraint_settings: rustc_hash::FxHashMap<Label, Selector>,
}

/// A target's number in its [`TargetGraph`]: dense (`0..graph.len()`) and in
/// label order, so queries keep per-target state in vectors and list a
/// result in label order by sorting numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetId(u32);

impl TargetId {
    /// The id as an index into a vector of `graph.len()` entries.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl TargetGraph {
    /// Runs `check` on every target, in parallel (a large workspace has a
    /// hundred thousand); the error is the first in target order, the one a
    /// check of one target at a time would meet. The load-time checks of
    /// `configuration` and `license` share it.
    pub fn check_each_target(&self, check: impl Fn(&Target) -> Result<()> + Sync) -> Result<()> {
        use rayon::prelude::*;
        let packages: Vec<&Package> = self.packages().collect();
        let checked: Vec<Result<()>> = packages
            .par_iter()
            .map(|p| p.targets.iter().try_for_each(&check))
            .collect();
        checked.into_iter().collect()
    }

    /// A graph of these packages.
    pub fn new(packages: impl IntoIterator<Item = Package>) -> Self {
        let mut packages: Vec<Package> = packages.into_iter().collect();
        packages.sort_by(|a, b| crate::label::compare_packages(&a.name, &b.name));
        let by_name = packages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        // Ids in label order: packages are sorted by path, which is how labels
        // order first; within a package, by name.
        let len = packages.iter().map(|p| p.targets.len()).sum();
        let mut places: Vec<(u32, u32)> = Vec::with_capacity(len);
        for (n, p) in packages.iter().enumerate() {
            let first = places.len();
            places.extend((0..p.targets.len()).map(|i| (n as u32, i as u32)));
            places[first..].sort_by(|a, b| {
                p.targets[a.1 as usize]
                    .label
                    .cmp(&p.targets[b.1 as usize].label)
            });
        }
        let mut index = rustc_hash::FxHashMap::default();
        index.reserve(len);
        let mut public = Vec::with_capacity(len);
        let mut selectors = Vec::new();
        for (id, (n, i)) in places.iter().enumerate() {
            let t = &packages[*n as usize].targets[*i as usize];
            index.insert(t.label.clone(), TargetId(id as u32));
            public.push(
                t.visibility()
                    .iter()
                    .any(|v| v.package() == "visibility" && v.name() == "public"),
            );
            if t.rule.is_selector() {
                selectors.push(t.label.clone());
            }
        }
        selectors.sort();
        let mut graph = TargetGraph {
            packages,
            by_name,
            index,
            places,
            public,
            selectors,
            constraint_settings: Default::default(),
        };
        graph.constraint_settings = graph.link_constraint_values();
        graph
    }

    /// Each constraint setting with the constraint values declared for it
    /// (anywhere: a workspace may add values to `@platforms//os:os`). A
    /// value whose setting is missing or not a setting is left out here
    /// and reported by `configuration::validate`.
    fn link_constraint_values(&self) -> rustc_hash::FxHashMap<Label, Selector> {
        let mut values: BTreeMap<Label, Vec<Label>> = BTreeMap::new();
        for t in self.targets() {
            match &t.rule {
                Rule::ConstraintSetting { .. } => {
                    values.entry(t.label.clone()).or_default();
                }
                Rule::ConstraintValue { setting } => {
                    if let Ok(s) = self.follow_aliases(setting) {
                        if matches!(s.rule, Rule::ConstraintSetting { .. }) {
                            values
                                .entry(s.label.clone())
                                .or_default()
                                .push(t.label.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        values
            .into_iter()
            .map(|(setting, mut labels)| {
                labels.sort();
                // The default as a value (an alias of one followed); one
                // that is none is `validate`'s error, and `unset` here.
                let default = match &self.target(&setting).map(|t| &t.rule) {
                    Ok(Rule::ConstraintSetting {
                        default: Some(d), ..
                    }) => self
                        .constraint(d)
                        .ok()
                        .filter(|(s, _)| *s == setting)
                        .map_or_else(|| UNSET.to_string(), |(_, v)| v),
                    _ => UNSET.to_string(),
                };
                let mut values: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
                if default == UNSET {
                    values.push(UNSET.to_string());
                }
                let selector = Selector {
                    values,
                    default,
                    doc: String::new(),
                    ordered: false,
                    value_type: SelectorType::String,
                    // A constraint setting is bound to no probe.
                    detect: None,
                };
                (setting, selector)
            })
            .collect()
    }

    /// The constraint value `label` stands for (aliases followed), as the
    /// selector it sets and the value it gives it: `@platforms//os:macos`
    /// is (`@platforms//os:os`, `@platforms//os:osx`). An error if it is no
    /// constraint value, or its setting no constraint setting.
    pub fn constraint(&self, label: &Label) -> Result<(Label, String)> {
        let value = self.follow_aliases(label)?;
        let Rule::ConstraintValue { setting } = &value.rule else {
            let via = if value.label == *label {
                String::new()
            } else {
                format!(" (an alias of `{}`)", value.label)
            };
            return Err(Error::new(
                ErrorKind::WrongKind,
                format!(
                    "`{label}`{via} is a {}, not a constraint_value",
                    value.rule.kind()
                ),
            ));
        };
        let s = self.follow_aliases(setting).map_err(|e| {
            let message = format!(
                "the constraint_setting of `{}` does not exist: {}",
                value.label, e.message
            );
            e.with_kind(ErrorKind::Selector).with_message(message)
        })?;
        if !matches!(s.rule, Rule::ConstraintSetting { .. }) {
            return Err(Error::new(
                ErrorKind::Selector,
                format!(
                    "`{setting}`, the constraint_setting of `{}`, is a {}, not a constraint_setting",
                    value.label,
                    s.rule.kind()
                ),
            )
            .at(value.location.clone()));
        }
        Ok((s.label.clone(), value.label.to_string()))
    }

    /// What a selector target declares: a `selector()`'s values and
    /// default, or a constraint setting's (its constraint values, then
    /// [`UNSET`] when it has no default). `None` for any other target.
    pub fn selector_of<'a>(&'a self, t: &'a Target) -> Option<&'a Selector> {
        match &t.rule {
            Rule::Selector(s) => Some(s),
            Rule::ConstraintSetting { .. } => self.constraint_settings.get(&t.label),
            _ => None,
        }
    }

    /// The packages, sorted by path, taking the graph apart.
    pub fn into_packages(self) -> Vec<Package> {
        self.packages
    }

    /// The packages, sorted by path.
    pub fn packages(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter()
    }

    /// One package by path.
    pub fn package(&self, name: &str) -> Option<&Package> {
        self.by_name.get(name).map(|i| &self.packages[*i])
    }

    /// Every target, in package order then declaration order.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        self.packages.iter().flat_map(|p| p.targets.iter())
    }

    /// A target by label, or an error naming what is missing, with a suggestion.
    pub fn target(&self, label: &Label) -> Result<&Target> {
        self.id(label).map(|id| self.target_by_id(id))
    }

    /// The target `label` stands for where a condition or a selector is
    /// expected (a select key, a group member, a `target_compatible_with`
    /// entry, a `flag_values` key): the target itself or, for an alias whose
    /// `actual` is one plain label, the target at the end of the chain of
    /// such aliases, as Bazel follows them. An alias whose `actual` is a
    /// select ends the chain: it is returned itself, and the caller says why
    /// it cannot serve. A missing target or a cycle of aliases is an error.
    pub fn follow_aliases(&self, label: &Label) -> Result<&Target> {
        let mut target = self.target(label)?;
        let mut chain: Vec<&Label> = Vec::new();
        while let Rule::Alias {
            actual: Attr::Plain(Value::Label(next)),
        } = &target.rule
        {
            if chain.contains(&&target.label) {
                let mut names: Vec<String> = chain.iter().map(|l| l.to_string()).collect();
                names.push(target.label.to_string());
                return Err(Error::new(
                    ErrorKind::Cycle,
                    format!("alias cycle: {}", names.join(" -> ")),
                )
                .at(target.location.clone()));
            }
            chain.push(&target.label);
            let from = &target.label;
            target = self.target(next).map_err(|e| {
                let message = format!("alias `{from}` stands for `{next}`: {}", e.message);
                e.with_message(message)
            })?;
        }
        Ok(target)
    }

    /// The target with this id.
    pub fn target_by_id(&self, id: TargetId) -> &Target {
        let (pkg, i) = self.places[id.index()];
        &self.packages[pkg as usize].targets[i as usize]
    }

    /// Whether the target with this id is visible to every package.
    pub fn is_public(&self, id: TargetId) -> bool {
        self.public[id.index()]
    }

    /// A target's id, if it exists.
    pub fn find(&self, label: &Label) -> Option<TargetId> {
        self.index.get(label).copied()
    }

    /// A target's id, or the error of [`TargetGraph::target`] if there is none.
    pub fn id(&self, label: &Label) -> Result<TargetId> {
        if let Some(id) = self.index.get(label) {
            return Ok(*id);
        }
        let Some(pkg) = self.package(label.package()) else {
            let names: Vec<String> = self
                .packages
                .iter()
                .map(|p| package_text(&p.name))
                .collect();
            let wanted = package_text(label.package());
            let mut help = did_you_mean(&wanted, names.iter().map(|s| s.as_str()));
            let why = if label.is_external() {
                help = Some(format!("the built-in `@{}` repository is part of a workspace whose BUILD files name one of its labels", crate::label::PLATFORMS));
                "the built-in repository has no such package, or the workspace does not use it"
            } else {
                "no BUILD or BUILD.sel file there"
            };
            return Err(Error::new(
                ErrorKind::UnknownPackage,
                format!("no such package `{wanted}` (needed for `{label}`): {why}"),
            )
            .with_help_opt(help));
        };
        // Every target of the package is indexed: this one does not exist.
        let help = did_you_mean(label.name(), pkg.targets.iter().map(|t| t.label.name()))
            .map(|h| format!("{h} (in {})", pkg.build_file));
        Err(Error::new(
            ErrorKind::UnknownTarget,
            format!(
                "no such target `{label}`: package `{}` has no target named `{}`",
                package_text(label.package()),
                label.name()
            ),
        )
        .with_help_opt(help))
    }

    /// The targets a pattern names, sorted. A single label must exist.
    pub fn expand(&self, pattern: &TargetPattern) -> Result<Vec<Label>> {
        match pattern {
            TargetPattern::Target(l) => self.target(l).map(|t| vec![t.label.clone()]),
            TargetPattern::Package(p) => {
                let pkg = self.package(p).ok_or_else(|| {
                    Error::new(
                        ErrorKind::UnknownPackage,
                        format!(
                            "no such package `{}`: no BUILD or BUILD.sel file there",
                            package_text(p)
                        ),
                    )
                })?;
                let mut v: Vec<Label> = pkg.targets.iter().map(|t| t.label.clone()).collect();
                v.sort();
                Ok(v)
            }
            TargetPattern::Subtree(root) => {
                let mut v: Vec<Label> = self
                    .packages
                    .iter()
                    .filter(|p| package_in_subtree(&p.name, root))
                    .flat_map(|p| p.targets.iter().map(|t| t.label.clone()))
                    .collect();
                if v.is_empty() && !root.is_empty() {
                    return Err(Error::new(
                        ErrorKind::UnknownPackage,
                        format!("no packages match `{pattern}`"),
                    ));
                }
                v.sort();
                Ok(v)
            }
        }
    }

    /// Every selector of the workspace, sorted by label.
    pub fn selectors(&self) -> Vec<&Target> {
        self.selectors
            .iter()
            .map(|l| self.target(l).expect("indexed selectors exist"))
            .collect()
    }

    /// The number of targets.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Whether the workspace has no targets.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// A loaded workspace holds about ten values and labels per target, so these
// sizes are most of its memory: keep them from growing unnoticed. A value is
// a tag and a label, a boxed slice or a boxed str; an attribute fits in a
// value's spare tags; a rule in an attribute's.
const _: () = assert!(std::mem::size_of::<Value>() == 24);
const _: () = assert!(std::mem::size_of::<Attr>() == 24);
const _: () = assert!(std::mem::size_of::<SelectKey>() == 16);
const _: () = assert!(std::mem::size_of::<Rule>() <= 32);
const _: () = assert!(std::mem::size_of::<Target>() <= 72);

/// Calls `f` with each label of a value, in the order of [`Value::labels`],
/// without collecting them into vectors: queries do this for every edge.
pub(crate) fn each_label<'v>(value: &'v Value, f: &mut impl FnMut(&'v Label)) {
    match value {
        Value::Label(l) => f(l),
        Value::List(items) => items.iter().for_each(|v| each_label(v, f)),
        _ => {}
    }
}

/// Calls `f` with every value any configuration could give an attribute (the
/// values of [`Attr::all_values`]), without collecting them into a vector.
pub(crate) fn each_value<'a>(attr: &'a Attr, f: &mut impl FnMut(&'a Value)) {
    match attr {
        Attr::Plain(v) => f(v),
        Attr::Select(s) => s.branches.iter().for_each(|(_, v)| f(v)),
        Attr::Concat(parts) => parts.iter().for_each(|p| each_value(p, f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(package: &str, name: &str, visibility: Label) -> Target {
        Target::new(
            Label::new(package, name),
            Rule::Package {
                attrs: Attrs::default(),
            },
            vec![visibility],
            Vec::new(),
            None,
        )
    }

    #[test]
    fn ids_are_dense_and_in_label_order() {
        let package = |name: &str, targets: Vec<Target>| Package {
            name: name.to_string(),
            build_file: format!("{name}/BUILD"),
            targets,
        };
        // Declared out of order, packages too: `a/b` sorts after `a`'s targets.
        let public = Label::new("visibility", "public");
        let private = Label::new("a", "__pkg__");
        let graph = TargetGraph::new([
            package("a/b", vec![target("a/b", "z", public)]),
            package(
                "a",
                vec![target("a", "y", private.clone()), target("a", "x", private)],
            ),
        ]);
        let labels: Vec<String> = (0..graph.len() as u32)
            .map(|i| graph.target_by_id(TargetId(i)).label.to_string())
            .collect();
        assert_eq!(labels, ["//a:x", "//a:y", "//a/b:z"]);
        for (i, l) in labels.iter().enumerate() {
            let (pkg, name) = l[2..].split_once(':').unwrap();
            assert_eq!(
                graph.id(&Label::new(pkg, name)).unwrap(),
                TargetId(i as u32)
            );
        }
        assert!(!graph.is_public(TargetId(0)));
        assert!(graph.is_public(TargetId(2)));
        assert!(graph.id(&Label::new("a", "w")).is_err());
    }
}
