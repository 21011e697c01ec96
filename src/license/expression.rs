//! The SPDX expressions of `package(license = ...)`: parsed, checked when
//! the workspace loads ([`validate`]), and in their canonical form.

use crate::error::{Error, ErrorKind, Location, Result, Source};
use crate::target_graph::{Attr, Rule, Target, TargetGraph, Value};

/// The most combinations of a `license` written as a `+` of selects that are
/// checked when files load; beyond that, each value is checked where it is used.
const MAX_COMBINATIONS: usize = 256;

/// A parsed `license`: `None` for an empty (unknown) license.
pub fn parse(text: &str) -> std::result::Result<Option<spdx::Expression>, spdx::ParseError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    spdx::Expression::parse(text).map(Some)
}

/// Checks the `license` of every package of the workspace: each plain value,
/// each branch of a select, and each value a concatenation can produce.
pub fn validate(graph: &TargetGraph) -> Result<()> {
    graph.check_each_target(check_target)
}

/// Checks the `license` of one target.
fn check_target(t: &Target) -> Result<()> {
    let Rule::Package { attrs } = &t.rule else {
        return Ok(());
    };
    // A scan of a target's few attributes, not a hashed lookup by name:
    // this runs for every target of every load.
    let Some((_, attr)) = attrs.iter().find(|(name, _)| *name == "license") else {
        return Ok(());
    };
    match attr {
        Attr::Plain(v) => check_value(t, v, t.location.as_ref())?,
        Attr::Select(s) => {
            for (_, v) in &s.branches {
                check_value(t, v, s.location.as_ref().or(t.location.as_ref()))?;
            }
        }
        Attr::Concat(parts) => {
            for text in combinations(parts) {
                check_text(t, &text, None, t.location.as_ref())?;
            }
        }
    }
    Ok(())
}

fn check_value(t: &Target, v: &Value, at: Option<&Location>) -> Result<()> {
    match v {
        Value::Str(s) => check_text(t, s, Some(s), at),
        _ => Ok(()),
    }
}

/// Every string a `+` of plain strings and selects can give, or nothing when
/// there are more than [`MAX_COMBINATIONS`].
fn combinations(parts: &[Attr]) -> Vec<String> {
    let mut acc = vec![String::new()];
    for p in parts {
        let values: Vec<&str> = p
            .all_values()
            .into_iter()
            .filter_map(Value::as_str)
            .collect();
        if values.is_empty() || acc.len() * values.len() > MAX_COMBINATIONS {
            return Vec::new();
        }
        acc = acc
            .iter()
            .flat_map(|a| values.iter().map(move |v| format!("{a}{v}")))
            .collect();
    }
    acc
}

/// Checks one expression of target `t`. `literal` is the string as written
/// (so that the caret can point into it); `at` the call or select that holds it.
fn check_text(t: &Target, text: &str, literal: Option<&str>, at: Option<&Location>) -> Result<()> {
    let Err(e) = parse(text) else {
        return Ok(());
    };
    Err(error(&t.label.to_string(), text, &e, literal, at))
}

/// The `sel::license` error for a bad expression, with a caret on the bad
/// part of the string when the string can be found as written inside `at`.
pub(crate) fn error(
    what: &str,
    text: &str,
    e: &spdx::ParseError,
    literal: Option<&str>,
    at: Option<&Location>,
) -> Error {
    let mut err = Error::new(
        ErrorKind::License,
        format!(
            "`license` of `{what}` is not a valid SPDX license expression: `{text}`: {}",
            e.reason
        ),
    )
    .with_label(e.reason.to_string())
    .with_help(help(text, e));
    let precise = literal
        .zip(at)
        .and_then(|(lit, at)| find_literal(at, lit))
        .map(|start| {
            let s = start + e.span.start.min(text.len());
            let end = (start + e.span.end.min(text.len())).max(s + 1);
            at.expect("found in it").with_span(s..end)
        });
    err = err.at(precise.or_else(|| at.cloned()));
    err
}

/// Advice for a bad expression: the closest SPDX id, or what SPDX expects.
fn help(text: &str, e: &spdx::ParseError) -> String {
    use spdx::error::Reason;
    let term = text.get(e.span.clone()).unwrap_or_default();
    match &e.reason {
        Reason::DeprecatedLicenseId => {
            let base = term.trim_end_matches('+');
            let gnu = |suffix: &str| spdx::license_id(&format!("{base}-{suffix}")).is_some();
            if term.ends_with('+') && gnu("or-later") {
                format!("`{term}` is deprecated in the SPDX license list: write `{base}-or-later`")
            } else if gnu("only") && gnu("or-later") {
                format!("`{term}` is deprecated in the SPDX license list: write `{base}-only` or `{base}-or-later`")
            } else {
                format!("`{term}` is deprecated in the SPDX license list (https://spdx.org/licenses/)")
            }
        }
        Reason::UnknownTerm | Reason::UnknownLicense => {
            let names = spdx::identifiers::LICENSES.iter().filter(|l| l.flags & spdx::flags::IS_DEPRECATED == 0).map(|l| l.name);
            match crate::error::did_you_mean(term, names) {
                Some(h) => h,
                None if spdx::imprecise_license_id(term).is_some() => format!(
                    "did you mean `{}`?",
                    spdx::imprecise_license_id(term).map(|(id, _)| id.name).unwrap_or_default()
                ),
                None => format!(
                    "`{term}` is not on the SPDX license list (https://spdx.org/licenses/); name other licenses `LicenseRef-...`"
                ),
            }
        }
        _ => "an SPDX expression is license ids joined by AND, OR and WITH, e.g. `MIT OR Apache-2.0`; leave `license` empty when it is unknown".to_string(),
    }
}

/// The byte offset, in the file of `at`, of the first character of the string
/// literal `text` written inside `at`'s span (`"text"` or `'text'`).
fn find_literal(at: &Location, text: &str) -> Option<usize> {
    let Source::File(source) = at.source() else {
        return None;
    };
    let file = std::fs::read_to_string(&source.path).ok()?;
    let region = file.get(at.span())?;
    for quote in ['"', '\''] {
        let needle = format!("{quote}{text}{quote}");
        if let Some(i) = region.find(&needle) {
            return Some(at.span().start + i + 1);
        }
    }
    None
}

/// An SPDX expression in canonical form: operators upper-case, only the
/// parentheses precedence needs (`AND` binds tighter than `OR`).
pub fn canonical(text: &str) -> String {
    let Ok(Some(expr)) = parse(text) else {
        return text.trim().to_string();
    };
    use ::spdx::expression::{ExprNode, Operator};
    // (text, precedence): 2 a requirement, 1 an AND, 0 an OR.
    let mut stack: Vec<(String, u8)> = Vec::new();
    for node in expr.iter() {
        match node {
            ExprNode::Req(r) => stack.push((r.req.to_string(), 2)),
            ExprNode::Op(op) => {
                let (b, pb) = stack.pop().expect("postfix operands");
                let (a, pa) = stack.pop().expect("postfix operands");
                let (word, prec) = match op {
                    Operator::And => ("AND", 1),
                    Operator::Or => ("OR", 0),
                };
                let wrap = |s: String, p: u8| if p < prec { format!("({s})") } else { s };
                stack.push((format!("{} {word} {}", wrap(a, pa), wrap(b, pb)), prec));
            }
        }
    }
    stack.pop().map(|(s, _)| s).unwrap_or_default()
}

/// The license of a resolved `license` value, trimmed; `""` when unknown.
pub fn text_of(v: Option<&Value>) -> String {
    v.and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical("MIT or Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(canonical("(MIT OR Apache-2.0)"), "MIT OR Apache-2.0");
        assert_eq!(
            canonical("MIT AND (Apache-2.0 OR BSD-3-Clause)"),
            "MIT AND (Apache-2.0 OR BSD-3-Clause)"
        );
        assert_eq!(
            canonical("MIT AND Apache-2.0 OR BSD-3-Clause"),
            "MIT AND Apache-2.0 OR BSD-3-Clause"
        );
        assert_eq!(
            canonical("GPL-2.0-or-later WITH Classpath-exception-2.0"),
            "GPL-2.0-or-later WITH Classpath-exception-2.0"
        );
        assert_eq!(canonical(""), "");
    }

    #[test]
    fn empty_is_unknown() {
        assert!(parse("").unwrap().is_none());
        assert!(parse("  ").unwrap().is_none());
        assert!(parse("MIT OR Apache-2.0").unwrap().is_some());
        assert!(parse("GPL-3.0-only WITH Classpath-exception-2.0")
            .unwrap()
            .is_some());
        assert!(parse("LicenseRef-Vendor").unwrap().is_some());
        assert!(parse("MIT OR").is_err());
        assert!(parse("GPL-2.0").is_err());
    }

    #[test]
    fn combinations_are_bounded() {
        let s = |t: &str| Attr::Plain(Value::Str(t.into()));
        assert_eq!(
            combinations(&[s("MIT"), s(" OR Apache-2.0")]),
            ["MIT OR Apache-2.0"]
        );
    }
}
