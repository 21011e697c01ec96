//! Typed selectors: skylib's build settings (`string_flag`, `bool_flag`,
//! `int_flag`, `string_list_flag`) as sel's selectors.
//!
//! A configuration gives every selector a string, in one canonical spelling,
//! so that configurations compare as strings: `true` and `false` for a bool,
//! the decimal for an int, and for a `string_list_flag` the elements its
//! value holds, in declared order, joined with commas (`avx2,fma`, and the
//! empty string for none), which is how `--select` and Bazel's command line
//! write a list. What a `flag_values` entry says is read as Bazel reads it
//! (its converters: `True`, `1` and `yes` are true, `0xc` is 12), when it is
//! compared, so the file keeps what was written.
//!
//! A `string_list_flag` is *multi-valued*: its value is a set of its
//! elements, and a `config_setting` on it holds when the set has the element
//! it names (Bazel's rule for list-valued flags: `List.contains`). The
//! condition algebra sees it as one boolean dimension per element
//! (`configuration::Conditions`).

use crate::label::Label;

/// What a selector's values are.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum SelectorType {
    /// `selector()`, skylib's `string_flag`: one of the listed strings.
    #[default]
    String,
    /// `bool_flag`: `false` or `true`.
    Bool,
    /// `int_flag`: one of the listed integers, ordered numerically.
    Int,
    /// `string_list_flag`: a set of the listed elements.
    StringList,
}

impl SelectorType {
    /// Its name in JSON and messages: `string`, `bool`, `int`, `string_list`.
    pub fn name(self) -> &'static str {
        match self {
            SelectorType::String => "string",
            SelectorType::Bool => "bool",
            SelectorType::Int => "int",
            SelectorType::StringList => "string_list",
        }
    }

    /// The built-in that declares it as `--output=build` writes it:
    /// `selector` for strings, skylib's rule for the others.
    pub fn rule(self) -> &'static str {
        match self {
            SelectorType::String => "selector",
            SelectorType::Bool => "bool_flag",
            SelectorType::Int => "int_flag",
            SelectorType::StringList => "string_list_flag",
        }
    }
}

/// Why a text is not a value of a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadValue {
    /// Not one of the allowed values; for a `string_list_flag`, this element
    /// is not one of the allowed elements.
    NotAllowed(String),
    /// Not a spelling of a boolean.
    NotABool,
    /// Not an integer.
    NotAnInt,
    /// A `flag_values` entry of a `string_list_flag` that names no element,
    /// or several (`"avx2,fma"`): Bazel rejects both.
    NotOneElement,
}

impl Selector {
    /// Whether the value is a set of elements (a `string_list_flag`).
    pub fn is_multi_valued(&self) -> bool {
        self.value_type == SelectorType::StringList
    }

    /// A value as a configuration sets it (`--select`, a platform, sel.toml),
    /// in its canonical spelling, or why it is not one.
    pub fn value(&self, text: &str) -> Result<String, BadValue> {
        match self.value_type {
            SelectorType::String => self.allowed(text.to_string()),
            SelectorType::Bool => parse_bool(text)
                .map(|b| b.to_string())
                .ok_or(BadValue::NotABool),
            SelectorType::Int => {
                self.allowed(parse_int(text).ok_or(BadValue::NotAnInt)?.to_string())
            }
            SelectorType::StringList => {
                let mut has = vec![false; self.values.len()];
                // Empty is the empty set; otherwise every piece must be an element.
                if !text.is_empty() {
                    for element in text.split(',') {
                        let i = self
                            .values
                            .iter()
                            .position(|v| v == element)
                            .ok_or_else(|| BadValue::NotAllowed(element.to_string()))?;
                        has[i] = true;
                    }
                }
                Ok(self
                    .values
                    .iter()
                    .zip(has)
                    .filter(|(_, has)| *has)
                    .map(|(v, _)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(","))
            }
        }
    }

    /// What a `flag_values` entry compares the selector's value with, in its
    /// canonical spelling: a value, or for a `string_list_flag` one element.
    pub fn expected(&self, text: &str) -> Result<String, BadValue> {
        match self.value_type {
            SelectorType::StringList if text.is_empty() || text.contains(',') => {
                Err(BadValue::NotOneElement)
            }
            SelectorType::StringList => self.allowed(text.to_string()),
            _ => self.value(text),
        }
    }

    /// Whether the selector, at the value `actual` (canonical), satisfies
    /// `fv`: equal (or not), compared by the order of its values, or for a
    /// `string_list_flag`, holding the element (or not).
    pub fn holds(&self, fv: &FlagValue, actual: &str) -> bool {
        let Ok(expected) = self.expected(&fv.value) else {
            return false;
        };
        if self.is_multi_valued() {
            let has = elements(actual).any(|e| e == expected);
            return match fv.op {
                Compare::Eq => has,
                Compare::Ne => !has,
                _ => false,
            };
        }
        let pos = |v: &str| self.values.iter().position(|x| x == v);
        match fv.op {
            Compare::Eq => actual == expected,
            Compare::Ne => actual != expected,
            op => match (pos(actual), pos(&expected)) {
                (Some(a), Some(b)) => op.holds(a.cmp(&b)),
                _ => false,
            },
        }
    }

    fn allowed(&self, value: String) -> Result<String, BadValue> {
        if self.values.contains(&value) {
            Ok(value)
        } else {
            Err(BadValue::NotAllowed(value))
        }
    }
}

/// The elements of a `string_list_flag`'s value (canonical: `a,b`, or empty).
pub fn elements(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').filter(|e| !e.is_empty())
}

/// A boolean as Bazel's converter reads it, whatever the case: `true`, `1`,
/// `yes`, `t`, `y`, and `false`, `0`, `no`, `f`, `n`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// An integer as Bazel reads an `int_flag`'s value (a Starlark integer
/// literal with an optional sign): `12`, `-3`, `+12`, `0xc`, `0o14`,
/// `0b1100`; no spaces, no leading zeros, no `_`.
pub fn parse_int(text: &str) -> Option<i64> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'+' => (false, &text[1..]),
        b'-' => (true, &text[1..]),
        _ => (false, text),
    };
    let prefixed = |lower: &str, upper: &str| rest.strip_prefix(lower).or(rest.strip_prefix(upper));
    let (radix, digits) = if let Some(d) = prefixed("0x", "0X") {
        (16, d)
    } else if let Some(d) = prefixed("0o", "0O") {
        (8, d)
    } else if let Some(d) = prefixed("0b", "0B") {
        (2, d)
    } else if rest.len() > 1 && rest.starts_with('0') {
        return None;
    } else {
        (10, rest)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i64::from_str_radix(digits, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// What `selector()` declares (or one of skylib's build settings:
/// `string_flag`, `bool_flag`, `int_flag`, `string_list_flag`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Selector {
    /// The allowed values, in declared order (see [`SelectorType`] for the
    /// typed ones; for a `string_list_flag`, the allowed elements).
    pub values: Vec<String>,
    /// The value when nothing sets it, as [`Selector::value`] writes it.
    pub default: String,
    /// What the selector is for.
    pub doc: String,
    /// Whether the values are ordered as listed (`ordered = True`), so that
    /// conditions may compare (`>=12`).
    pub ordered: bool,
    /// What its values are: strings, booleans, integers, or sets of strings.
    pub value_type: SelectorType,
    /// The host probe the selector is bound to (`detect = "cuda.driver"`),
    /// for `--host` (docs/detect.md).
    pub detect: Option<Box<Detect>>,
}

/// How a selector takes its value from a host probe: `selector(...,
/// detect = PROBE, detect_values = {...}, detect_default = True)`. The rule
/// that turns a probe's result into a value is `detect::bind`'s.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Detect {
    /// The probe's name, e.g. `cuda.driver`.
    pub probe: String,
    /// The values whose probe form is not their own name (`detect_values`),
    /// in written order.
    pub forms: Vec<(String, ProbeForm)>,
    /// Take the default when the probe gives no allowed value, rather than
    /// failing (`detect_default = True`).
    pub or_default: bool,
}

/// What result of a probe a selector value stands for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProbeForm {
    /// The probe found nothing (`None` in `detect_values`).
    Absent,
    /// Any result no other value stands for (`"*"`).
    Other,
    /// This result (a version probe: this version or a later one).
    Is(String),
}

impl Detect {
    /// The probe form of `value`: its `detect_values` entry, else its name.
    pub fn form_of(&self, value: &str) -> ProbeForm {
        self.forms
            .iter()
            .find(|(v, _)| v == value)
            .map_or_else(|| ProbeForm::Is(value.to_string()), |(_, f)| f.clone())
    }
}

/// How a config_setting constrains one selector: `{":cuda": "12"}`, or for an
/// ordered selector a comparison, `{":cuda": ">=12"}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlagValue {
    /// The selector.
    pub selector: Label,
    /// How the selector's value compares with `value`.
    pub op: Compare,
    /// The value compared with.
    pub value: String,
}

impl FlagValue {
    /// Parses the text of a `flag_values` entry: `12`, `!=none`, `>=12`, `<13`, ...
    pub fn parse(selector: Label, text: &str) -> FlagValue {
        for (prefix, op) in [
            (">=", Compare::Ge),
            ("<=", Compare::Le),
            ("!=", Compare::Ne),
            ("==", Compare::Eq),
            (">", Compare::Gt),
            ("<", Compare::Lt),
        ] {
            if let Some(rest) = text.strip_prefix(prefix) {
                return FlagValue {
                    selector,
                    op,
                    value: rest.trim().to_string(),
                };
            }
        }
        FlagValue {
            selector,
            op: Compare::Eq,
            value: text.to_string(),
        }
    }

    /// The text as written in `flag_values`.
    pub fn text(&self) -> String {
        format!("{}{}", self.op.prefix(), self.value)
    }
}

/// A comparison in a `flag_values` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Compare {
    /// `value` (or `==value`).
    Eq,
    /// `!=value`.
    Ne,
    /// `<value` (ordered selectors).
    Lt,
    /// `<=value` (ordered selectors).
    Le,
    /// `>value` (ordered selectors).
    Gt,
    /// `>=value` (ordered selectors).
    Ge,
}

impl Compare {
    /// The prefix written before the value (`""` for equality).
    pub fn prefix(self) -> &'static str {
        match self {
            Compare::Eq => "",
            Compare::Ne => "!=",
            Compare::Lt => "<",
            Compare::Le => "<=",
            Compare::Gt => ">",
            Compare::Ge => ">=",
        }
    }

    /// Whether this comparison needs a selector with ordered values.
    pub fn needs_order(self) -> bool {
        !matches!(self, Compare::Eq | Compare::Ne)
    }

    /// Whether `actual.cmp(wanted)` satisfies the comparison.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Compare::Eq => ordering == Equal,
            Compare::Ne => ordering != Equal,
            Compare::Lt => ordering == Less,
            Compare::Le => ordering != Greater,
            Compare::Gt => ordering == Greater,
            Compare::Ge => ordering != Less,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(value_type: SelectorType, values: &[&str]) -> Selector {
        Selector {
            values: values.iter().map(|v| v.to_string()).collect(),
            default: String::new(),
            doc: String::new(),
            ordered: value_type == SelectorType::Int,
            value_type,
            detect: None,
        }
    }

    fn fv(text: &str) -> FlagValue {
        FlagValue::parse(Label::new("flags", "s"), text)
    }

    #[test]
    fn integers_as_bazel_reads_them() {
        for (text, n) in [
            ("12", 12),
            ("+12", 12),
            ("-3", -3),
            ("-0", 0),
            ("0", 0),
            ("0xc", 12),
            ("0XC", 12),
            ("0o14", 12),
            ("0b1100", 12),
        ] {
            assert_eq!(parse_int(text), Some(n), "{text}");
        }
        // Each of these is an error to Bazel 4.2.3 too.
        for text in ["012", " 12", "12 ", "1_2", "", "+", "0x", "twelve"] {
            assert_eq!(parse_int(text), None, "{text:?}");
        }
    }

    #[test]
    fn booleans_as_bazel_reads_them() {
        for t in ["true", "True", "TRUE", "1", "yes", "t", "Y"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["false", "False", "0", "no", "f", "N"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn values_in_their_canonical_spelling() {
        let b = selector(SelectorType::Bool, &["false", "true"]);
        assert_eq!(b.value("True"), Ok("true".into()));
        assert_eq!(b.value("0"), Ok("false".into()));
        assert_eq!(b.value("on"), Err(BadValue::NotABool));
        let i = selector(SelectorType::Int, &["1", "12"]);
        assert_eq!(i.value("0xc"), Ok("12".into()));
        assert_eq!(i.value("13"), Err(BadValue::NotAllowed("13".into())));
        assert_eq!(i.value("x"), Err(BadValue::NotAnInt));
        let l = selector(SelectorType::StringList, &["avx2", "fma", "sse4"]);
        assert_eq!(l.value("sse4,avx2,sse4"), Ok("avx2,sse4".into()));
        assert_eq!(l.value(""), Ok("".into()));
        assert_eq!(l.value("avx2,,fma"), Err(BadValue::NotAllowed("".into())));
        assert_eq!(l.value("neon"), Err(BadValue::NotAllowed("neon".into())));
        assert_eq!(l.expected("fma"), Ok("fma".into()));
        assert_eq!(l.expected("avx2,fma"), Err(BadValue::NotOneElement));
        assert_eq!(l.expected(""), Err(BadValue::NotOneElement));
    }

    #[test]
    fn a_list_holds_an_element() {
        let l = selector(SelectorType::StringList, &["avx2", "fma", "sse4"]);
        assert!(l.holds(&fv("fma"), "avx2,fma"));
        assert!(!l.holds(&fv("sse4"), "avx2,fma"));
        assert!(l.holds(&fv("!=sse4"), "avx2,fma"));
        assert!(!l.holds(&fv("avx2"), ""));
        let i = selector(SelectorType::Int, &["1", "8", "12"]);
        assert!(i.holds(&fv(">=8"), "12"));
        assert!(!i.holds(&fv(">=0xc"), "8"));
        let b = selector(SelectorType::Bool, &["false", "true"]);
        assert!(b.holds(&fv("True"), "true"));
        assert!(b.holds(&fv("!=yes"), "false"));
    }
}
