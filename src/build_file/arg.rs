//! What the built-ins take their arguments as ([`Arg`]): below both
//! readings of a BUILD file, the interpreter's values (`value.rs`) and the
//! literals `fast.rs` reads, so that either can implement it.

use crate::target_graph::{Attr, Value};

/// An argument of a built-in, as the built-ins see it: a Starlark value, or a
/// literal of a BUILD file read without the interpreter (`fast.rs`). Both
/// kinds go through the same checks, so both give the same targets.
pub(crate) trait Arg<'a>: Copy + 'a {
    /// Starlark's `None`.
    fn is_none(self) -> bool;
    /// The string, if it is one.
    fn str(self) -> Option<&'a str>;
    /// The bool, if it is one.
    fn bool(self) -> Option<bool>;
    /// Whether it is an integer.
    fn is_int(self) -> bool;
    /// Its type's name, for messages.
    fn type_name(self) -> String;
    /// The items of a list or tuple.
    fn items(self) -> Option<Vec<Self>>;
    /// The entries of a dict, in order.
    fn entries(self) -> Option<Vec<(Self, Self)>>;
    /// As a plain value; a select inside is an error.
    fn plain(self) -> Result<Value, String>;
    /// As an attribute: a select stays a select.
    fn attr(self) -> Result<Attr, String>;
}
