//! The license policy of sel.toml's `[licenses]` table, as cargo-deny has it:
//!
//! ```toml
//! [licenses]
//! allow = ["MIT", "Apache-2.0", "BSD-3-Clause"]
//! deny = ["GPL-3.0-only"]
//! unknown = "deny"      # packages with an empty license: "deny" (default) or "allow"
//! unlisted = "deny"     # licenses neither allowed nor denied: "deny" (default) or "allow"
//! exceptions = [
//!     { package = "//third_party/fftw", allow = ["GPL-2.0-or-later"] },
//! ]
//! ```
//!
//! A package's expression is evaluated as SPDX means it: `A OR B` is fine
//! when either side is accepted (the licensee may choose), `A AND B` needs
//! both. Each license requirement (`ID`, `ID+`, `ID WITH EXCEPTION`) is
//! accepted when an exception entry of the package matches it; else when the
//! best matching `allow` entry is more specific than every matching `deny`
//! entry (an entry with `WITH` is more specific than one without; on a tie deny
//! wins); else as `unlisted` says. An entry matches a requirement when it
//! names the same license (for `ID+`, also a later version of it) and, if the
//! entry has `WITH`, the same exception; an entry without `WITH` matches the
//! license with any exception, since an exception only adds permissions.

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, ErrorKind, Location, Result, Source};
use crate::label::{package_in_subtree, Label, TargetPattern};
use crate::target_graph::TargetGraph;
use crate::workspace::{Workspace, MARKER};

/// What to do with a license that no entry decides, or with an unknown license.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A violation.
    #[default]
    Deny,
    /// Fine.
    Allow,
}

/// `[licenses]` as written in sel.toml.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Licenses accepted everywhere: `ID` or `ID WITH EXCEPTION`.
    #[serde(default)]
    pub allow: Vec<Spanned<String>>,
    /// Licenses rejected everywhere (unless an exception or a more specific
    /// `allow` entry accepts them).
    #[serde(default)]
    pub deny: Vec<Spanned<String>>,
    /// Packages with an empty `license`.
    #[serde(default)]
    pub unknown: Verdict,
    /// Licenses no entry matches.
    #[serde(default)]
    pub unlisted: Verdict,
    /// Per-package additions to `allow`.
    #[serde(default)]
    pub exceptions: Vec<ExceptionConfig>,
}

/// One entry of `exceptions`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionConfig {
    /// A label or pattern: `//third_party/fftw`, `//third_party/gnu/...`.
    pub package: Spanned<String>,
    /// Licenses accepted for these packages, whatever `deny` says.
    #[serde(default)]
    pub allow: Vec<Spanned<String>>,
    /// What to do when these packages' license is unknown (default: the global `unknown`).
    #[serde(default)]
    pub unknown: Option<Verdict>,
}

/// One `allow`/`deny` entry, parsed.
#[derive(Clone, Debug)]
struct Entry {
    text: String,
    licensee: spdx::Licensee,
    with: bool,
}

impl Entry {
    fn matches(&self, req: &spdx::LicenseReq) -> bool {
        if self.with {
            self.licensee.satisfies(req)
        } else {
            self.licensee.satisfies(&spdx::LicenseReq {
                license: req.license.clone(),
                addition: None,
            })
        }
    }
}

#[derive(Clone, Debug)]
struct Exception {
    pattern: TargetPattern,
    allow: Vec<Entry>,
    unknown: Option<Verdict>,
}

impl Exception {
    fn covers(&self, label: &Label) -> bool {
        match &self.pattern {
            TargetPattern::Target(l) => l == label,
            TargetPattern::Package(p) => label.package() == p,
            TargetPattern::Subtree(root) => package_in_subtree(label.package(), root),
        }
    }
}

/// A checked policy, ready to judge packages.
#[derive(Clone, Debug)]
pub struct Policy {
    allow: Vec<Entry>,
    deny: Vec<Entry>,
    unknown: Verdict,
    unlisted: Verdict,
    exceptions: Vec<Exception>,
}

/// Why a package's license breaks the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The license is empty, and `unknown = "deny"`.
    Unknown,
    /// The expression cannot be satisfied: the requirements that no choice
    /// avoids are listed, those a `deny` entry rejects first.
    Rejected {
        /// Requirements rejected by a `deny` entry.
        denied: Vec<String>,
        /// Requirements no entry accepts (and `unlisted = "deny"`).
        not_allowed: Vec<String>,
    },
}

impl Problem {
    /// `unknown`, `denied` or `not_allowed`, as JSON writes it.
    pub fn reason(&self) -> &'static str {
        match self {
            Problem::Unknown => "unknown",
            Problem::Rejected { denied, .. } if !denied.is_empty() => "denied",
            Problem::Rejected { .. } => "not_allowed",
        }
    }

    /// For people: `GPL-2.0-or-later is not allowed`.
    pub fn describe(&self) -> String {
        match self {
            Problem::Unknown => {
                "its `license` is empty, and the policy denies unknown licenses".to_string()
            }
            Problem::Rejected {
                denied,
                not_allowed,
            } => {
                let mut parts = Vec::new();
                if !denied.is_empty() {
                    parts.push(format!(
                        "{} {} denied",
                        denied.join(", "),
                        is_are(denied.len())
                    ));
                }
                if !not_allowed.is_empty() {
                    parts.push(format!(
                        "{} {} not allowed",
                        not_allowed.join(", "),
                        is_are(not_allowed.len())
                    ));
                }
                parts.join("; ")
            }
        }
    }
}

fn is_are(n: usize) -> &'static str {
    if n == 1 {
        "is"
    } else {
        "are"
    }
}

fn toml_error(ws: &Workspace, span: std::ops::Range<usize>, message: String) -> Error {
    let path = ws.root.join(MARKER);
    Error::new(ErrorKind::License, message)
        .at(Some(Location::new(Source::file(MARKER, path), span)))
}

fn entries(ws: &Workspace, list: &[Spanned<String>], key: &str) -> Result<Vec<Entry>> {
    list.iter()
        .map(|s| {
            let text = s.get_ref().trim();
            match spdx::Licensee::parse(text) {
                Ok(licensee) => {
                    let with = licensee.clone().into_req().addition.is_some();
                    Ok(Entry {
                        text: text.to_string(),
                        licensee,
                        with,
                    })
                }
                Err(e) => {
                    let expression = spdx::Expression::parse(text).is_ok();
                    let (why, help) = if expression {
                        (
                            "is an expression, not one license".to_string(),
                            "an entry names one license, optionally `WITH` an exception; list the licenses of an expression separately",
                        )
                    } else {
                        (
                            format!("is not a license: {}", e.reason),
                            "entries are SPDX license ids (https://spdx.org/licenses/), `LicenseRef-...`, or `ID WITH EXCEPTION`",
                        )
                    };
                    // Point into the TOML string when it is written plainly.
                    let span = s.span();
                    let inner = span.start + 1 + e.span.start;
                    let precise = if !expression && text == s.get_ref().as_str() {
                        inner..(span.start + 1 + e.span.end).max(inner + 1)
                    } else {
                        span
                    };
                    Err(toml_error(
                        ws,
                        precise,
                        format!("`{key}` in [licenses] of {MARKER}: `{text}` {why}"),
                    )
                    .with_label(if expression { "one license per entry".to_string() } else { e.reason.to_string() })
                    .with_help(help))
                }
            }
        })
        .collect()
}

impl Policy {
    /// The workspace's `[licenses]` policy, checked against the SPDX license
    /// list and the graph (an exception must name existing targets).
    pub fn of(ws: &Workspace, graph: &TargetGraph) -> Result<Policy> {
        /// The one table of sel.toml this module reads.
        #[derive(Deserialize)]
        struct Table {
            #[serde(default)]
            licenses: Option<PolicyConfig>,
        }
        let table: Table = toml::from_str(&ws.settings.text)
            .map_err(|e| crate::workspace::Settings::error(&e, &ws.root.join(MARKER)))?;
        let Some(config) = &table.licenses else {
            return Err(Error::new(
                ErrorKind::License,
                format!("{MARKER} has no [licenses] policy to check against"),
            )
            .with_help(format!(
                "add one to {MARKER}, e.g.\n[licenses]\nallow = [\"MIT\", \"Apache-2.0\", \"BSD-3-Clause\"]\n(docs/licenses.md)"
            )));
        };
        Policy::from_config(ws, graph, config)
    }

    /// A policy from its configuration.
    pub fn from_config(
        ws: &Workspace,
        graph: &TargetGraph,
        config: &PolicyConfig,
    ) -> Result<Policy> {
        let mut exceptions = Vec::new();
        for e in &config.exceptions {
            let text = e.package.get_ref();
            let pattern = TargetPattern::parse(text, "").map_err(|err| {
                toml_error(
                    ws,
                    e.package.span(),
                    format!(
                        "`package` of an exception in [licenses] of {MARKER}: {}",
                        err.0
                    ),
                )
            })?;
            graph.expand(&pattern).map_err(|err| {
                toml_error(
                    ws,
                    e.package.span(),
                    format!(
                        "`package` of an exception in [licenses] of {MARKER} names nothing: {}",
                        err.message
                    ),
                )
                .with_help_opt(err.help.clone())
            })?;
            exceptions.push(Exception {
                pattern,
                allow: entries(ws, &e.allow, "exceptions.allow")?,
                unknown: e.unknown,
            });
        }
        Ok(Policy {
            allow: entries(ws, &config.allow, "allow")?,
            deny: entries(ws, &config.deny, "deny")?,
            unknown: config.unknown,
            unlisted: config.unlisted,
            exceptions,
        })
    }

    /// Whether one requirement is accepted for `label`: `Ok(())`, or
    /// `Err(true)` when a `deny` entry rejects it, `Err(false)` when nothing accepts it.
    fn accepts(&self, label: &Label, req: &spdx::LicenseReq) -> std::result::Result<(), bool> {
        let excepted = self
            .exceptions
            .iter()
            .filter(|e| e.covers(label))
            .any(|e| e.allow.iter().any(|a| a.matches(req)));
        if excepted {
            return Ok(());
        }
        let best = |list: &[Entry]| list.iter().filter(|e| e.matches(req)).map(|e| e.with).max();
        match (best(&self.allow), best(&self.deny)) {
            // An allow entry with `WITH` beats a deny entry without.
            (Some(true), Some(false)) => Ok(()),
            (_, Some(_)) => Err(true),
            (Some(_), None) => Ok(()),
            (None, None) if self.unlisted == Verdict::Allow => Ok(()),
            (None, None) => Err(false),
        }
    }

    /// Judges one package's license (its text as resolved; `""` is unknown).
    /// A text that is not an SPDX expression is an error.
    pub fn check(
        &self,
        label: &Label,
        license: &str,
    ) -> std::result::Result<Option<Problem>, spdx::ParseError> {
        let Some(expr) = super::expression::parse(license)? else {
            let unknown = self
                .exceptions
                .iter()
                .filter(|e| e.covers(label))
                .find_map(|e| e.unknown)
                .unwrap_or(self.unknown);
            return Ok((unknown == Verdict::Deny).then_some(Problem::Unknown));
        };
        let failed = match expr.evaluate_with_failures(|req| self.accepts(label, req).is_ok()) {
            Ok(()) => return Ok(None),
            Err(failed) => failed,
        };
        let mut denied: Vec<String> = Vec::new();
        let mut not_allowed: Vec<String> = Vec::new();
        for r in failed {
            let text = r.req.to_string();
            let list = match self.accepts(label, &r.req) {
                Err(true) => &mut denied,
                _ => &mut not_allowed,
            };
            if !list.contains(&text) {
                list.push(text);
            }
        }
        Ok(Some(Problem::Rejected {
            denied,
            not_allowed,
        }))
    }

    /// The `allow` entries, as written (for reports).
    pub fn allowed(&self) -> Vec<&str> {
        self.allow.iter().map(|e| e.text.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> Entry {
        let licensee = spdx::Licensee::parse(text).unwrap();
        let with = licensee.clone().into_req().addition.is_some();
        Entry {
            text: text.into(),
            licensee,
            with,
        }
    }

    fn policy(allow: &[&str], deny: &[&str]) -> Policy {
        Policy {
            allow: allow.iter().map(|t| entry(t)).collect(),
            deny: deny.iter().map(|t| entry(t)).collect(),
            unknown: Verdict::Deny,
            unlisted: Verdict::Deny,
            exceptions: vec![Exception {
                pattern: TargetPattern::Target(Label::new("fftw", "fftw")),
                allow: vec![entry("GPL-2.0-or-later")],
                unknown: Some(Verdict::Allow),
            }],
        }
    }

    fn check(p: &Policy, pkg: &str, license: &str) -> Option<Problem> {
        p.check(&Label::new(pkg, pkg), license).unwrap()
    }

    #[test]
    fn or_needs_one_side_and_needs_both() {
        let p = policy(&["MIT", "Apache-2.0"], &["GPL-3.0-only"]);
        assert_eq!(check(&p, "a", "MIT"), None);
        assert_eq!(check(&p, "a", "MIT OR GPL-3.0-only"), None);
        assert_eq!(check(&p, "a", "GPL-3.0-only OR Apache-2.0"), None);
        assert_eq!(
            check(&p, "a", "MIT AND GPL-3.0-only"),
            Some(Problem::Rejected {
                denied: vec!["GPL-3.0-only".into()],
                not_allowed: vec![]
            })
        );
        assert_eq!(
            check(&p, "a", "MIT AND (BSD-3-Clause OR GPL-3.0-only)"),
            Some(Problem::Rejected {
                denied: vec!["GPL-3.0-only".into()],
                not_allowed: vec!["BSD-3-Clause".into()]
            })
        );
        assert_eq!(
            check(&p, "a", "BSD-3-Clause").unwrap().reason(),
            "not_allowed"
        );
    }

    #[test]
    fn with_exceptions() {
        let p = policy(
            &["GPL-3.0-only WITH Classpath-exception-2.0"],
            &["GPL-3.0-only"],
        );
        // The more specific allow entry wins over the plain deny entry.
        assert_eq!(
            check(&p, "a", "GPL-3.0-only WITH Classpath-exception-2.0"),
            None
        );
        assert_eq!(check(&p, "a", "GPL-3.0-only").unwrap().reason(), "denied");
        // A plain allow entry accepts the license with any exception.
        let p = policy(&["Apache-2.0"], &[]);
        assert_eq!(check(&p, "a", "Apache-2.0 WITH LLVM-exception"), None);
        // An entry with WITH accepts only that exception.
        let p = policy(&["GPL-2.0-only WITH Classpath-exception-2.0"], &[]);
        assert!(check(&p, "a", "GPL-2.0-only").is_some());
        assert!(check(&p, "a", "GPL-2.0-only WITH Linux-syscall-note").is_some());
    }

    #[test]
    fn or_later_and_exceptions_per_package() {
        let p = policy(&["Apache-2.0"], &[]);
        assert_eq!(check(&p, "a", "Apache-2.0+"), None);
        assert!(check(&p, "a", "GPL-2.0-or-later").is_some());
        assert_eq!(check(&p, "fftw", "GPL-2.0-or-later"), None);
        assert_eq!(check(&p, "a", ""), Some(Problem::Unknown));
        assert_eq!(check(&p, "fftw", ""), None);
    }

    #[test]
    fn unlisted_allow_makes_a_deny_list() {
        let mut p = policy(&[], &["GPL-3.0-only"]);
        p.unlisted = Verdict::Allow;
        assert_eq!(check(&p, "a", "BSD-3-Clause"), None);
        assert_eq!(check(&p, "a", "GPL-3.0-only").unwrap().reason(), "denied");
        assert_eq!(check(&p, "a", "LicenseRef-Vendor"), None);
    }
}
