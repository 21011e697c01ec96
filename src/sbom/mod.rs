//! `sel sbom`: the packages of a configured result as a software bill of
//! materials, CycloneDX 1.6 JSON ([`cyclonedx`]) or SPDX 2.3 JSON ([`spdx`]).
//!
//! The components are exactly the `package` targets of the `cquery` result
//! (aliases are followed, not listed: a dependency on an alias is a dependency
//! on what it stands for), with their version, license, purl ([`crate::purl`]) and
//! description; the dependency graph is the configured edges among them; the
//! configuration is recorded in the document. With `--all-configs` one
//! document covers every configuration: a component present only under some
//! condition carries the condition, and the edges are those of any
//! configuration. A package whose version, license or purl differs between
//! configurations is one component per distinct set of values.
//!
//! Documents are deterministic: the same workspace and command give the same
//! bytes. The serial number / namespace is derived from the document's
//! content, and the creation time is `SOURCE_DATE_EPOCH` when set (see
//! docs/sbom.md).

pub mod cyclonedx;
pub mod spdx;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::condition::{Algebra, Cond};
use crate::configuration::symbolic::Failure;
use crate::configuration::Configuration;
use crate::configuration::Request;
use crate::error::Result;
use crate::label::Label;
use crate::target_graph::Rule;
use crate::Session;

/// One component of the document: a package (one variant of it, with `--all-configs`).
#[derive(Clone, Debug)]
pub struct Component {
    /// The package.
    pub label: Label,
    /// Unique in the document: the label, or `LABEL#N` for the variants of a
    /// package whose attributes differ between configurations.
    pub bom_ref: String,
    /// The target's name.
    pub name: String,
    /// Its version (`""` when not given).
    pub version: String,
    /// Its SPDX expression in canonical form (`""`: unknown).
    pub license: String,
    /// Its purl, written or derived.
    pub purl: Option<String>,
    /// Its description.
    pub description: String,
    /// With `--all-configs`: where it is present (with these values).
    pub when: Option<Cond>,
}

/// A configured result as an SBOM, ready to be written in either format.
pub struct Sbom {
    /// The query expression.
    pub query: String,
    /// With `--all-configs`: the algebra of the conditions.
    pub algebra: Option<Algebra>,
    /// For one configuration: the configuration.
    pub configuration: Option<Configuration>,
    /// With `--all-configs`: the selectors fixed by the request.
    pub fixed: Vec<(Label, String)>,
    /// The components, by label.
    pub components: Vec<Component>,
    /// Dependency edges between components (by index), with `--all-configs`
    /// where each exists; sorted.
    pub edges: Vec<(usize, usize, Option<Cond>)>,
    /// With `--all-configs`: where evaluation fails.
    pub failures: Vec<Failure>,
}

impl Sbom {
    /// The components no other component depends on (every component when
    /// there are none, as in a cycle): what the document describes.
    pub fn roots(&self) -> Vec<usize> {
        let depended: BTreeSet<usize> = self
            .edges
            .iter()
            .filter(|(a, b, _)| a != b)
            .map(|(_, b, _)| *b)
            .collect();
        let roots: Vec<usize> = (0..self.components.len())
            .filter(|i| !depended.contains(i))
            .collect();
        if roots.is_empty() {
            (0..self.components.len()).collect()
        } else {
            roots
        }
    }

    /// Whether a component is present only in some configurations.
    pub fn is_conditional(&self, c: &Component) -> bool {
        match (&self.algebra, c.when) {
            (Some(alg), Some(w)) => !alg.is_always(w),
            _ => false,
        }
    }
}

fn component(
    label: &Label,
    attrs: &indexmap::IndexMap<String, crate::target_graph::Value>,
    when: Option<Cond>,
) -> Component {
    let text = |k: &str| crate::license::expression::text_of(attrs.get(k));
    Component {
        label: label.clone(),
        bom_ref: label.to_string(),
        name: label.name().to_string(),
        version: text("version"),
        license: crate::license::expression::canonical(&text("license")),
        purl: crate::purl::of(label, attrs),
        description: text("description"),
        when,
    }
}

impl Session {
    /// `sel sbom EXPR`: the configured result as an SBOM.
    pub fn sbom(&self, expr: &str, request: &Request) -> Result<Sbom> {
        let result = self.cquery(expr, request)?;
        let mut components = Vec::new();
        let mut index: BTreeMap<Label, usize> = BTreeMap::new();
        for c in &result.configured {
            if c.kind == "package" {
                index.insert(c.label.clone(), components.len());
                components.push(component(&c.label, &c.attrs, None));
            }
        }
        let mut edges = BTreeSet::new();
        for (label, &from) in &index {
            // Follow aliases to the packages they stand for.
            let mut stack: Vec<&Label> = vec![label];
            let mut seen: BTreeSet<&Label> = BTreeSet::new();
            while let Some(l) = stack.pop() {
                let Some(c) = crate::output::configured(&result, l) else {
                    continue;
                };
                for d in &c.deps {
                    if let Some(&to) = index.get(d) {
                        edges.insert((from, to));
                    } else if crate::output::configured(&result, d)
                        .is_some_and(|t| t.kind == "alias")
                        && seen.insert(d)
                    {
                        stack.push(d);
                    }
                }
            }
        }
        Ok(Sbom {
            query: expr.to_string(),
            algebra: None,
            configuration: result.configuration,
            fixed: Vec::new(),
            components,
            edges: edges.into_iter().map(|(a, b)| (a, b, None)).collect(),
            failures: Vec::new(),
        })
    }

    /// `sel sbom EXPR --all-configs`: one document for every configuration.
    pub fn sbom_all(&self, expr: &str, request: &Request) -> Result<Sbom> {
        let run = self.all_configs(expr, request)?;
        let alg = run.algebra();
        let mut components: Vec<Component> = Vec::new();
        let mut of_label: BTreeMap<Label, Vec<usize>> = BTreeMap::new();
        for (label, when) in &run.targets {
            if !matches!(self.graph.target(label)?.rule, Rule::Package { .. }) {
                continue;
            }
            let names = ["version", "license", "purl", "metadata", "description"];
            let variants = crate::license::report::variants(&run, label, *when, &names)?;
            // One component per distinct (version, license, purl): a
            // description that differs between configurations is left out
            // rather than splitting a package into several components.
            let mut mine: Vec<usize> = Vec::new();
            for (attrs, c) in variants {
                let new = component(label, &attrs, Some(c));
                let same = mine.iter().copied().find(|&i| {
                    let o = &components[i];
                    (&o.version, &o.license, &o.purl) == (&new.version, &new.license, &new.purl)
                });
                match same {
                    Some(i) => {
                        let o = &mut components[i];
                        o.when = Some(alg.or(o.when.expect("set"), c));
                        if o.description != new.description {
                            o.description.clear();
                        }
                    }
                    None => {
                        mine.push(components.len());
                        components.push(new);
                    }
                }
            }
            if mine.len() > 1 {
                for (n, &i) in mine.iter().enumerate() {
                    components[i].bom_ref = format!("{label}#{}", n + 1);
                }
            }
            of_label.insert(label.clone(), mine);
        }
        // Edges between packages, through aliases, each with where it exists.
        let present: HashMap<&Label, Cond> = run.targets.iter().map(|(l, c)| (l, *c)).collect();
        let when = |l: &Label| present.get(l).copied().unwrap_or(alg.never());
        let mut edges: BTreeMap<(usize, usize), Cond> = BTreeMap::new();
        for (label, from) in &of_label {
            let mut stack: Vec<(Label, Cond)> = vec![(label.clone(), when(label))];
            let mut seen: BTreeMap<Label, Cond> = BTreeMap::new();
            while let Some((l, c)) = stack.pop() {
                for (d, e) in &run.sym.target(&l)?.deps {
                    let dc = alg.and(alg.and(c, run.free(*e)), when(d));
                    if alg.is_never(dc) {
                        continue;
                    }
                    if let Some(to) = of_label.get(d) {
                        for &a in from {
                            for &b in to {
                                let w = alg.and(
                                    dc,
                                    alg.and(
                                        components[a].when.expect("set"),
                                        components[b].when.expect("set"),
                                    ),
                                );
                                if !alg.is_never(w) {
                                    let slot = edges.entry((a, b)).or_insert(alg.never());
                                    *slot = alg.or(*slot, w);
                                }
                            }
                        }
                    } else if matches!(self.graph.target(d)?.rule, Rule::Alias { .. }) {
                        let old = seen.get(d).copied().unwrap_or(alg.never());
                        if !alg.implies(dc, old) {
                            seen.insert(d.clone(), alg.or(old, dc));
                            stack.push((d.clone(), dc));
                        }
                    }
                }
            }
        }
        let fixed = run.fixed.clone();
        let result = run.into_result();
        Ok(Sbom {
            query: expr.to_string(),
            algebra: Some(result.algebra),
            configuration: None,
            fixed,
            components,
            edges: edges
                .into_iter()
                .map(|((a, b), c)| (a, b, Some(c)))
                .collect(),
            failures: result.failures,
        })
    }
}

/// A name-based UUID (RFC 9562 version 8) from the FNV-1a 128-bit hash of
/// `content`: the same content, the same UUID, with no random source.
pub fn content_uuid(content: &[u8]) -> String {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in content {
        h ^= u128::from(*b);
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    let mut bytes = h.to_be_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Seconds since 1970 as an RFC 3339 UTC time, `1970-01-01T00:00:00Z`.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// How to write a document.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The creation time, seconds since 1970 (`SOURCE_DATE_EPOCH`); CycloneDX
    /// leaves it out when `None`, SPDX (where it is required) writes 1970-01-01.
    pub created: Option<i64>,
}

/// The tool that made the document, as both formats name it.
pub const TOOL: &str = env!("CARGO_PKG_VERSION");

/// The configuration as `(selector, value)` pairs for the document: every
/// selector's value for one configuration; the fixed ones for `--all-configs`.
pub fn selector_values(sbom: &Sbom) -> Vec<(String, String)> {
    match &sbom.configuration {
        Some(c) => c
            .values
            .iter()
            .map(|(l, (v, _))| (l.to_string(), v.clone()))
            .collect(),
        None => sbom
            .fixed
            .iter()
            .map(|(l, v)| (l.to_string(), v.clone()))
            .collect(),
    }
}

/// With `--all-configs`: the selectors that range over their values, with them.
pub fn free_selectors(sbom: &Sbom) -> Vec<(String, Vec<String>)> {
    let Some(alg) = &sbom.algebra else {
        return Vec::new();
    };
    let space = alg.space();
    space
        .space_selectors()
        .iter()
        .filter(|s| !sbom.fixed.iter().any(|(l, _)| l.as_str() == s.label))
        .map(|s| {
            // A multi-valued selector's elements (its value is a set of them).
            let values = match s.multi_valued {
                true => space.selectors()[s.dims.clone()]
                    .iter()
                    .filter_map(|d| d.element.clone())
                    .collect(),
                false => space.selectors()[s.dims.start].values.clone(),
            };
            (s.label.clone(), values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_uuids() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        let u = content_uuid(b"sel");
        assert_eq!(u, content_uuid(b"sel"));
        assert_ne!(u, content_uuid(b"sel "));
        assert_eq!(&u[14..15], "8");
    }
}
