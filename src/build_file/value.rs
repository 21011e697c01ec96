//! The Starlark value types sel adds: a configurable value (`select()` and
//! `+` concatenations with it) and a label (`Label("...")`), and the
//! conversion of Starlark values to plain data.

use std::fmt;

use allocative::Allocative;
use starlark::starlark_simple_value;
use starlark::values::dict::DictRef;
use starlark::values::list::ListRef;
use starlark::values::tuple::TupleRef;
use starlark::values::{
    Heap, NoSerialize, ProvidesStaticType, StarlarkValue, Value as SValue, ValueLike,
};
use starlark_derive::starlark_value;

use crate::label::Label;
use crate::target_graph::{Attr, Value};

/// `Label("...")`: a label resolved where it is written. As plain data it
/// is its canonical text, so it stands wherever a label string may.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative)]
pub struct LabelValue(#[allocative(skip)] pub Label);

starlark_simple_value!(LabelValue);

impl fmt::Display for LabelValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[starlark_value(type = "Label")]
impl<'v> StarlarkValue<'v> for LabelValue {
    fn equals(&self, other: SValue<'v>) -> starlark::Result<bool> {
        Ok(other
            .downcast_ref::<LabelValue>()
            .is_some_and(|o| o.0 == self.0))
    }

    fn write_hash(
        &self,
        hasher: &mut starlark::collections::StarlarkHasher,
    ) -> starlark::Result<()> {
        use std::hash::Hash;
        self.0.as_str().hash(hasher);
        Ok(())
    }

    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<SValue<'v>> {
        match attribute {
            "name" => Some(heap.alloc(self.0.name())),
            "package" => Some(heap.alloc(self.0.package())),
            // sel has one repository, the main one.
            "workspace_name" | "repo_name" | "workspace_root" => Some(heap.alloc("")),
            _ => None,
        }
    }

    fn dir_attr(&self) -> Vec<String> {
        [
            "name",
            "package",
            "repo_name",
            "workspace_name",
            "workspace_root",
        ]
        .map(String::from)
        .to_vec()
    }
}

/// A `select()` or a concatenation holding one, carried through Starlark as plain data.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative)]
pub struct Configurable(#[allocative(skip)] pub Attr);

starlark_simple_value!(Configurable);

impl fmt::Display for Configurable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("select(...)")
    }
}

/// `a + b` where either side holds a select: one flat concatenation.
pub(crate) fn concat(a: Attr, b: Attr) -> Attr {
    let mut parts = Vec::new();
    for x in [a, b] {
        match x {
            Attr::Concat(p) => parts.extend(p),
            other => parts.push(other),
        }
    }
    Attr::Concat(parts.into())
}

fn operand(v: SValue) -> Option<Attr> {
    if let Some(c) = v.downcast_ref::<Configurable>() {
        return Some(c.0.clone());
    }
    // Only lists, strings and dicts combine with a select, as in Bazel.
    if v.unpack_str().is_some()
        || ListRef::from_value(v).is_some()
        || DictRef::from_value(v).is_some()
    {
        return to_plain(v).ok().map(Attr::Plain);
    }
    None
}

#[starlark_value(type = "select")]
impl<'v> StarlarkValue<'v> for Configurable {
    fn add(&self, rhs: SValue<'v>, heap: Heap<'v>) -> Option<starlark::Result<SValue<'v>>> {
        let rhs = operand(rhs)?;
        Some(Ok(heap.alloc(Configurable(concat(self.0.clone(), rhs)))))
    }

    fn radd(&self, lhs: SValue<'v>, heap: Heap<'v>) -> Option<starlark::Result<SValue<'v>>> {
        let lhs = operand(lhs)?;
        Some(Ok(heap.alloc(Configurable(concat(lhs, self.0.clone())))))
    }

    fn bit_or(&self, other: SValue<'v>, heap: Heap<'v>) -> starlark::Result<SValue<'v>> {
        match operand(other) {
            Some(rhs) => Ok(heap.alloc(Configurable(concat(self.0.clone(), rhs)))),
            None => Err(starlark::Error::new_other(anyhow::anyhow!(
                "unsupported operand for `|` with select: {}",
                other.get_type()
            ))),
        }
    }
}

/// How deeply an attribute value may nest lists, tuples and dicts
/// (docs/semantics.md, "Limits"): sel's own code walks values recursively.
pub const MAX_VALUE_DEPTH: usize = 1_000;

/// How many elements (every list item, dict key and value, at any depth)
/// one attribute value may hold: a list that holds itself twice, doubled
/// 40 times, is small in Starlark's heap but not once copied out.
pub const MAX_VALUE_ELEMENTS: usize = 10_000_000;

/// A Starlark value as plain data; a select inside a list or dict is an error.
pub fn to_plain(v: SValue) -> Result<Value, String> {
    let mut budget = MAX_VALUE_ELEMENTS;
    plain_within(v, 0, &mut budget)
}

fn plain_within(v: SValue, depth: usize, budget: &mut usize) -> Result<Value, String> {
    if v.is_none() {
        return Ok(Value::None);
    }
    if let Some(b) = v.unpack_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(s) = v.unpack_str() {
        return Ok(Value::Str(s.into()));
    }
    if let Some(l) = v.downcast_ref::<LabelValue>() {
        return Ok(Value::Str(l.0.as_str().into()));
    }
    if let Some(i) = v.unpack_i32() {
        return Ok(Value::Int(i64::from(i)));
    }
    let list = ListRef::from_value(v).map(|l| l.content().to_vec());
    let items = list.or_else(|| TupleRef::from_value(v).map(|t| t.content().to_vec()));
    let entries = DictRef::from_value(v).map(|d| d.iter().collect::<Vec<_>>());
    if items.is_none() && entries.is_none() {
        if v.downcast_ref::<Configurable>().is_some() {
            return Err("select() may only be an attribute's value or part of a `+` concatenation, not nested inside a list or dict".into());
        }
        return Err(format!(
            "a value of type `{}` cannot be an attribute value",
            v.get_type()
        ));
    }
    if depth >= MAX_VALUE_DEPTH {
        return Err(format!(
            "an attribute value nests lists, tuples or dicts more than {MAX_VALUE_DEPTH} levels deep"
        ));
    }
    let count = items.as_ref().map_or(0, Vec::len) + 2 * entries.as_ref().map_or(0, Vec::len);
    if count > *budget {
        return Err(format!(
            "an attribute value holds more than {MAX_VALUE_ELEMENTS} elements"
        ));
    }
    *budget -= count;
    if let Some(items) = items {
        return items
            .into_iter()
            .map(|x| plain_within(x, depth + 1, budget))
            .collect::<Result<_, _>>()
            .map(Value::List);
    }
    entries
        .unwrap_or_default()
        .into_iter()
        .map(|(k, x)| {
            Ok((
                plain_within(k, depth + 1, budget)?,
                plain_within(x, depth + 1, budget)?,
            ))
        })
        .collect::<Result<_, String>>()
        .map(Value::Dict)
}

/// A Starlark value as an attribute: a select stays a select.
pub fn to_attr(v: SValue) -> Result<Attr, String> {
    if let Some(c) = v.downcast_ref::<Configurable>() {
        return Ok(c.0.clone());
    }
    to_plain(v).map(Attr::Plain)
}

impl<'v> super::arg::Arg<'v> for SValue<'v> {
    fn is_none(self) -> bool {
        SValue::is_none(self)
    }
    fn str(self) -> Option<&'v str> {
        self.unpack_str().or_else(|| {
            self.downcast_ref::<LabelValue>()
                .map(|l| -> &'v str { l.0.as_str() })
        })
    }
    fn bool(self) -> Option<bool> {
        self.unpack_bool()
    }
    fn is_int(self) -> bool {
        self.unpack_i32().is_some()
    }
    fn type_name(self) -> String {
        self.get_type().to_string()
    }
    fn items(self) -> Option<Vec<Self>> {
        if let Some(l) = ListRef::from_value(self) {
            Some(l.iter().collect())
        } else {
            TupleRef::from_value(self).map(|t| t.iter().collect())
        }
    }
    fn entries(self) -> Option<Vec<(Self, Self)>> {
        DictRef::from_value(self).map(|d| d.iter().collect())
    }
    fn plain(self) -> Result<Value, String> {
        to_plain(self)
    }
    fn attr(self) -> Result<Attr, String> {
        to_attr(self)
    }
}
