//! `sel check`: a static check of every configuration at once.
//!
//! Errors are what would make some `cquery` fail: no-match and ambiguous
//! regions, missing or invisible dependencies, cycles. Warnings are what is
//! legal but almost certainly a mistake: select branches that can never be
//! taken, conditions that can never match, dependencies that make a target
//! incompatible somewhere. Clashes are errors too: a target of the result
//! whose closure holds two providers of an exclusive capability, or two
//! conflicting packages (see [`crate::capability`]), with a path to each.
//! Each finding has the condition under which it happens, an example
//! configuration, and the file and line.

use crate::condition::{Algebra, Cond};
use crate::configuration::Request;
use crate::error::{Location, Result};
use crate::label::{Label, TargetPattern};
use crate::target_graph::{Rule, SelectKey};
use crate::Session;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Some configuration fails to evaluate.
    Error,
    /// Legal, but likely a mistake.
    Warning,
}

/// One finding of `sel check`.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code: an error kind's (`sel::no_match`) or a check's (`sel::never_taken`).
    pub code: &'static str,
    /// The target concerned.
    pub target: Label,
    /// For people.
    pub message: String,
    /// Where it happens.
    pub when: Cond,
    /// One configuration where it happens: the selectors that matter, with values.
    pub example: Vec<(String, String)>,
    /// The file and line.
    pub location: Option<Location>,
    /// For a clash: a path at the example configuration from a target of
    /// the result to each of the two packages; empty otherwise.
    pub paths: Vec<Vec<Label>>,
}

/// The answer of `sel check`.
pub struct Report {
    /// The algebra the conditions live in.
    pub algebra: Algebra,
    /// Findings, errors first, then by target.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

impl Session {
    /// `sel check PATTERN`: every configuration of the targets the pattern
    /// names; `PATTERN` may also be a query expression (`deps(//spam)`), whose
    /// result in any configuration is checked.
    pub fn check(&self, pattern: &str, request: &Request) -> Result<Report> {
        let run = self.all_configs(pattern, request)?;
        let sym = &run.sym;
        let alg = sym.algebra();
        let labels = match TargetPattern::parse(pattern, &self.workspace.cwd_package) {
            Ok(p) => self.graph.expand(&p)?,
            Err(_) => run.targets.iter().map(|(l, _)| l.clone()).collect(),
        };
        let space = alg.space();
        let mut defaults: Vec<usize> = vec![0; space.selectors().len()];
        for s in space.space_selectors() {
            let t = self
                .graph
                .target(&Label::parse(&s.label).expect("selector labels parse"));
            if let Some(default) = t.ok().and_then(|t| self.graph.selector_of(t)) {
                for (d, v) in space.assign(&s.label, &default.default).unwrap_or_default() {
                    defaults[d] = v;
                }
            }
        }
        let example = |c: Cond| -> Vec<(String, String)> {
            let Some(point) = alg.example(c, &|s| defaults[s]) else {
                return Vec::new();
            };
            // A selector's whole value, also where the condition is about
            // some elements of a multi-valued one.
            let mut selectors: Vec<usize> = alg
                .support(c)
                .into_iter()
                .map(|d| space.selector_of(d))
                .collect();
            selectors.dedup();
            selectors
                .into_iter()
                .map(|s| {
                    (
                        space.space_selectors()[s].label.clone(),
                        space.value_at(s, &point),
                    )
                })
                .collect()
        };
        let mut findings = Vec::new();
        for f in &run.failures {
            findings.push(Finding {
                severity: Severity::Error,
                code: f.kind.code(),
                target: f.target.clone(),
                message: f.message.clone(),
                when: f.when,
                example: example(f.when),
                location: f.location.clone(),
                paths: Vec::new(),
            });
        }
        for found in crate::condition::guard(|| crate::capability::findings(&run))? {
            let pair = &found.region.pair;
            let root = found.paths.first().and_then(|p| p.first());
            let message = match root {
                Some(root) => format!("the closure of `{root}` holds a clash: {}", pair.describe()),
                None => format!("a closure holds a clash: {}", pair.describe()),
            };
            findings.push(Finding {
                severity: Severity::Error,
                code: crate::ErrorKind::Clash.code(),
                target: pair.a.clone(),
                message,
                when: found.region.when,
                example: found.example,
                location: self.graph.target(&pair.a)?.location.clone(),
                paths: found.paths,
            });
        }
        for label in &labels {
            let t = self.graph.target(label)?;
            if t.rule.is_condition() {
                let c = sym.conditions().of(label)?;
                if alg.is_never(c) {
                    findings.push(Finding {
                        severity: Severity::Warning,
                        code: "sel::never_matches",
                        target: label.clone(),
                        message: format!("condition `{label}` can never match"),
                        when: alg.always(),
                        example: Vec::new(),
                        location: t.location.clone(),
                        paths: Vec::new(),
                    });
                }
            }
            let attrs: Vec<(&str, &crate::target_graph::Attr)> = match &t.rule {
                Rule::Package { attrs } => attrs.iter().collect(),
                Rule::Alias { actual } => vec![("actual", actual)],
                _ => Vec::new(),
            };
            for (name, attr) in attrs {
                for select in attr.selects() {
                    let regions = sym.regions(select)?;
                    for (key, taken) in &regions.taken {
                        if !alg.is_never(*taken) {
                            continue;
                        }
                        let why = match key {
                            SelectKey::Condition(c) => {
                                // Beaten by more specific keys, or lost in
                                // ambiguity (a condition and its alias, say).
                                let cond = sym.conditions().of(c)?;
                                if alg.is_never(cond) {
                                    "its condition can never match"
                                } else if alg.implies(cond, regions.ambiguous) {
                                    "wherever it matches, the select is ambiguous"
                                } else if alg.is_never(alg.and(cond, regions.ambiguous)) {
                                    "where it matches, a more specific key always matches too"
                                } else {
                                    "where it matches, a more specific key matches too or the select is ambiguous"
                                }
                            }
                            SelectKey::Default => "some key matches in every configuration",
                        };
                        findings.push(Finding {
                            severity: Severity::Warning,
                            code: "sel::never_taken",
                            target: label.clone(),
                            message: format!(
                                "the branch `{key}` of the select of `{name}` in `{label}` is never taken: {why}"
                            ),
                            when: alg.always(),
                            example: Vec::new(),
                            location: select.location.clone().or(t.location.clone()),
                            paths: Vec::new(),
                        });
                    }
                }
            }
            let st = sym.target(label)?;
            for (d, e) in &st.deps {
                let Some(dc) = run.compatibility(d) else {
                    continue;
                };
                let bad = alg.and(alg.and(*e, st.compatible_self), alg.not(dc));
                if !alg.is_never(bad) {
                    findings.push(Finding {
                        severity: Severity::Warning,
                        code: "sel::incompatible_dep",
                        target: label.clone(),
                        message: format!(
                            "`{label}` depends on `{d}`, which is incompatible there, so `{label}` is incompatible too"
                        ),
                        when: bad,
                        example: example(bad),
                        location: t.location.clone(),
                        paths: Vec::new(),
                    });
                }
            }
        }
        findings
            .sort_by(|a, b| (a.severity, &a.target, a.code).cmp(&(b.severity, &b.target, b.code)));
        Ok(Report {
            algebra: run.into_result().algebra,
            findings,
        })
    }
}
