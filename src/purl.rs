//! Package URLs (purl, <https://github.com/package-url/purl-spec>): how
//! scanners match a package to advisories.
//!
//! A package's purl is its `purl` attribute when that is not empty. Otherwise
//! it is derived from `metadata` when the metadata names an ecosystem:
//!
//! | metadata key | purl part |
//! |---|---|
//! | `purl_type`, else `ecosystem` | the type (`pypi`, `npm`, `cargo`, `maven`, `golang`, `gem`, `nuget`, `deb`, `conda`, `github`, `generic`, ...; `crates.io` is `cargo`, `go` is `golang`, `rubygems` is `gem`, `debian` is `deb`) |
//! | `namespace` (also `group` for maven, `scope` for npm, `owner` for github) | the namespace |
//! | `name`, else `dist`, else the target's name | the name (for `pypi`: lowercased, `_` as `-`) |
//! | the `version` attribute | the version (left out when empty) |
//!
//! Without a `purl` and without an ecosystem in `metadata`, a package has no
//! purl: a made-up `pkg:generic/...` would let a scanner match the wrong thing.

use indexmap::IndexMap;

use crate::label::Label;
use crate::target_graph::Value;

/// The purl of a package with these resolved attributes, if it has one.
pub fn of(label: &Label, attrs: &IndexMap<String, Value>) -> Option<String> {
    let written = attrs
        .get("purl")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim();
    if !written.is_empty() {
        return Some(written.to_string());
    }
    let meta = |key: &str| -> Option<String> {
        let Some(Value::Dict(items)) = attrs.get("metadata") else {
            return None;
        };
        items.iter().find_map(|(k, v)| match (k, v) {
            (Value::Str(k), Value::Str(v)) if **k == *key && !v.trim().is_empty() => {
                Some(v.trim().to_string())
            }
            _ => None,
        })
    };
    let ecosystem = meta("purl_type")
        .or_else(|| meta("ecosystem"))?
        .to_ascii_lowercase();
    let ty = match ecosystem.as_str() {
        "crates.io" | "crates" | "rust" => "cargo".to_string(),
        "go" => "golang".to_string(),
        "rubygems" | "ruby" => "gem".to_string(),
        "debian" => "deb".to_string(),
        "python" => "pypi".to_string(),
        other => other.to_string(),
    };
    let valid_type = ty.starts_with(|c: char| c.is_ascii_lowercase())
        && ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+-".contains(c));
    if !valid_type {
        return None;
    }
    let namespace = meta("namespace").or_else(|| match ty.as_str() {
        "maven" => meta("group"),
        "npm" => meta("scope"),
        "github" => meta("owner"),
        _ => None,
    });
    let mut name = meta("name")
        .or_else(|| meta("dist"))
        .unwrap_or_else(|| label.name().to_string());
    if ty == "pypi" {
        name = name.to_ascii_lowercase().replace('_', "-");
    }
    let mut out = format!("pkg:{ty}/");
    if let Some(ns) = namespace {
        let segments: Vec<String> = ns
            .split('/')
            .filter(|s| !s.is_empty())
            .map(encode)
            .collect();
        if !segments.is_empty() {
            out.push_str(&segments.join("/"));
            out.push('/');
        }
    }
    out.push_str(&encode(&name));
    let version = attrs
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim();
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(version));
    }
    Some(out)
}

/// Percent-encodes everything but the characters purl leaves as they are.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, Value)]) -> IndexMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    fn meta(pairs: &[(&str, &str)]) -> Value {
        Value::Dict(pairs.iter().map(|(k, v)| (s(k), s(v))).collect())
    }

    #[test]
    fn written_purl_wins() {
        let l = Label::new("a", "b");
        let a = attrs(&[
            ("purl", s("pkg:github/x/y@1")),
            ("metadata", meta(&[("ecosystem", "npm")])),
        ]);
        assert_eq!(of(&l, &a).as_deref(), Some("pkg:github/x/y@1"));
    }

    #[test]
    fn derived_from_metadata() {
        let l = Label::new("third_party/yaml", "yaml");
        let a = attrs(&[
            ("version", s("6.0.1")),
            (
                "metadata",
                meta(&[("ecosystem", "pypi"), ("dist", "PyYAML_x")]),
            ),
        ]);
        assert_eq!(of(&l, &a).as_deref(), Some("pkg:pypi/pyyaml-x@6.0.1"));
        let a = attrs(&[
            ("version", s("1.0")),
            (
                "metadata",
                meta(&[("ecosystem", "npm"), ("scope", "@types"), ("name", "node")]),
            ),
        ]);
        assert_eq!(of(&l, &a).as_deref(), Some("pkg:npm/%40types/node@1.0"));
        let a = attrs(&[("metadata", meta(&[("ecosystem", "crates.io")]))]);
        assert_eq!(of(&l, &a).as_deref(), Some("pkg:cargo/yaml"));
    }

    #[test]
    fn none_without_an_ecosystem() {
        let l = Label::new("a", "b");
        assert_eq!(of(&l, &attrs(&[("version", s("1"))])), None);
        assert_eq!(
            of(
                &l,
                &attrs(&[("metadata", meta(&[("ecosystem", "Not a type!")]))])
            ),
            None
        );
    }
}
