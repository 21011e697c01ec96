//! `sel licenses`: the packages of a configured result with their licenses,
//! and, with `--check`, the violations of the policy, each with one
//! dependency path that brings the package in.
//!
//! For one configuration the result is `cquery`'s. For all configurations it
//! is `cquery --all-configs`'s, and every entry and violation carries the
//! condition under which it holds: the package's condition, narrowed by the
//! condition of its `license` value when `license` is a select. So a package
//! is flagged exactly where some configuration contains it with a license the
//! policy rejects, never where no configuration does.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use indexmap::IndexMap;

use super::policy::{Policy, Problem};
use crate::condition::{Algebra, Cond};
use crate::configuration::symbolic::Failure;
use crate::configuration::Configuration;
use crate::configuration::Request;
use crate::error::{Location, Result};
use crate::label::Label;
use crate::query::result::{AllConfigsRun, QueryResult};
use crate::target_graph::{Rule, Value};
use crate::Session;

/// One package with one of its licenses.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The package.
    pub label: Label,
    /// Its `version` (`""` when not given).
    pub version: String,
    /// Its purl, written or derived (see [`crate::purl`]).
    pub purl: Option<String>,
    /// Its license expression as written, trimmed; `""` when unknown.
    pub license: String,
    /// With `--all-configs`: where the package has this license (and version).
    pub when: Option<Cond>,
}

/// A package whose license the policy rejects.
#[derive(Clone, Debug)]
pub struct Violation {
    /// The package.
    pub label: Label,
    /// Its license expression (`""`: unknown).
    pub license: String,
    /// What the policy says.
    pub problem: Problem,
    /// With `--all-configs`: where the package is present with this license.
    pub when: Option<Cond>,
    /// One dependency path from a root of the result to the package.
    pub path: Vec<Label>,
    /// With `--all-configs`: where that path exists (within `when`).
    pub path_when: Option<Cond>,
    /// The package() call.
    pub location: Option<Location>,
}

/// The answer of `sel licenses`.
pub struct LicenseReport {
    /// The query expression.
    pub query: String,
    /// With `--all-configs`: the algebra of the conditions.
    pub algebra: Option<Algebra>,
    /// For one configuration: the configuration.
    pub configuration: Option<Configuration>,
    /// With `--all-configs`: the selectors fixed by the request.
    pub fixed: Vec<(Label, String)>,
    /// Packages with their licenses, by license (unknown last), then label.
    pub entries: Vec<Entry>,
    /// With `--check`: the violations, by label.
    pub violations: Option<Vec<Violation>>,
    /// With `--all-configs`: where evaluation fails (nothing is known there).
    pub failures: Vec<Failure>,
}

impl LicenseReport {
    /// The distinct packages of the report.
    pub fn package_count(&self) -> usize {
        self.entries
            .iter()
            .map(|e| &e.label)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// The distinct licenses of the report (unknown counts as one).
    pub fn license_count(&self) -> usize {
        self.entries
            .iter()
            .map(|e| &e.license)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// Whether a check found violations or (with `--all-configs`) could not
    /// look at every configuration, as evaluation fails in some.
    pub fn failed(&self) -> bool {
        self.violations
            .as_ref()
            .is_some_and(|v| !v.is_empty() || !self.failures.is_empty())
    }
}

fn sort_entries(entries: &mut [Entry]) {
    entries.sort_by(|a, b| {
        (a.license.is_empty(), &a.license, &a.label, &a.version).cmp(&(
            b.license.is_empty(),
            &b.license,
            &b.label,
            &b.version,
        ))
    });
}

fn bad_license(session: &Session, label: &Label, text: &str, e: &spdx::ParseError) -> crate::Error {
    let at = session
        .graph
        .target(label)
        .ok()
        .and_then(|t| t.location.clone());
    super::expression::error(label.as_str(), text, e, None, at.as_ref())
}

/// Where a package's license is written: its select when `license` is one,
/// else the package() call.
fn license_location(session: &Session, label: &Label) -> Result<Option<Location>> {
    let t = session.graph.target(label)?;
    let select = match t.rule.attr("license") {
        Some(crate::target_graph::Attr::Select(s)) => s.location.clone(),
        _ => None,
    };
    Ok(select.or_else(|| t.location.clone()))
}

impl Session {
    /// `sel licenses EXPR`: the packages of the configured result with their
    /// licenses; with `check`, judged by the workspace's policy.
    pub fn licenses(&self, expr: &str, request: &Request, check: bool) -> Result<LicenseReport> {
        let policy = check
            .then(|| Policy::of(&self.workspace, &self.graph))
            .transpose()?;
        let result = self.cquery(expr, request)?;
        let mut entries = Vec::new();
        let mut violations = Vec::new();
        let paths = ConfiguredPaths::new(&result);
        for c in &result.configured {
            if c.kind != "package" {
                continue;
            }
            let license =
                super::expression::canonical(&super::expression::text_of(c.attrs.get("license")));
            entries.push(Entry {
                label: c.label.clone(),
                version: super::expression::text_of(c.attrs.get("version")),
                purl: crate::purl::of(&c.label, &c.attrs),
                license: license.clone(),
                when: None,
            });
            let Some(policy) = &policy else { continue };
            let problem = policy
                .check(&c.label, &license)
                .map_err(|e| bad_license(self, &c.label, &license, &e))?;
            if let Some(problem) = problem {
                violations.push(Violation {
                    label: c.label.clone(),
                    license,
                    problem,
                    when: None,
                    path: paths.to(&c.label),
                    path_when: None,
                    location: license_location(self, &c.label)?,
                });
            }
        }
        sort_entries(&mut entries);
        Ok(LicenseReport {
            query: expr.to_string(),
            algebra: None,
            configuration: result.configuration,
            fixed: Vec::new(),
            entries,
            violations: policy.map(|_| violations),
            failures: Vec::new(),
        })
    }

    /// `sel licenses EXPR --all-configs`: the same for every configuration at
    /// once, each entry and violation with its condition.
    pub fn licenses_all(
        &self,
        expr: &str,
        request: &Request,
        check: bool,
    ) -> Result<LicenseReport> {
        let policy = check
            .then(|| Policy::of(&self.workspace, &self.graph))
            .transpose()?;
        let run = self.all_configs(expr, request)?;
        let alg = run.algebra();
        let mut entries: Vec<Entry> = Vec::new();
        let mut found: BTreeMap<(Label, String), (Problem, Cond)> = BTreeMap::new();
        for (label, when) in &run.targets {
            if !matches!(self.graph.target(label)?.rule, Rule::Package { .. }) {
                continue;
            }
            // This package's entries start here (targets are distinct).
            let first = entries.len();
            for (attrs, c) in variants(
                &run,
                label,
                *when,
                &["license", "version", "purl", "metadata"],
            )? {
                let license =
                    super::expression::canonical(&super::expression::text_of(attrs.get("license")));
                let entry = Entry {
                    label: label.clone(),
                    version: super::expression::text_of(attrs.get("version")),
                    purl: crate::purl::of(label, &attrs),
                    license: license.clone(),
                    when: Some(c),
                };
                match entries[first..].iter_mut().find(|e| {
                    e.license == entry.license && e.version == entry.version && e.purl == entry.purl
                }) {
                    Some(e) => e.when = Some(alg.or(e.when.expect("set above"), c)),
                    None => entries.push(entry),
                }
                let Some(policy) = &policy else { continue };
                let problem = policy
                    .check(label, &license)
                    .map_err(|e| bad_license(self, label, &license, &e))?;
                if let Some(problem) = problem {
                    let slot = found
                        .entry((label.clone(), license))
                        .or_insert((problem, alg.never()));
                    slot.1 = alg.or(slot.1, c);
                }
            }
        }
        sort_entries(&mut entries);
        let violations = match policy {
            None => None,
            Some(_) => {
                let mut paths = SymbolicPaths::new(&run)?;
                let mut out = Vec::new();
                for ((label, license), (problem, when)) in found {
                    let (path, path_when) = paths.to(&label, when);
                    out.push(Violation {
                        location: license_location(self, &label)?,
                        label,
                        license,
                        problem,
                        when: Some(when),
                        path,
                        path_when: Some(path_when),
                    });
                }
                Some(out)
            }
        };
        let fixed = run.fixed.clone();
        let result = run.into_result();
        Ok(LicenseReport {
            query: expr.to_string(),
            algebra: Some(result.algebra),
            configuration: None,
            fixed,
            entries,
            violations,
            failures: result.failures,
        })
    }
}

/// The joint outcomes of some attributes of a package of an `--all-configs`
/// run, within `when`: each distinct set of values with where it holds.
/// Attributes the package does not set are left out of the maps.
pub(crate) fn variants(
    run: &AllConfigsRun,
    label: &Label,
    when: Cond,
    names: &[&str],
) -> Result<Vec<(IndexMap<String, Value>, Cond)>> {
    let alg = run.algebra();
    let mut acc: Vec<(IndexMap<String, Value>, Cond)> = vec![(IndexMap::new(), when)];
    for name in names {
        let outcomes = run.sym.attr_values(label, name)?;
        if outcomes.is_empty() {
            continue;
        }
        let mut next: Vec<(IndexMap<String, Value>, Cond)> = Vec::new();
        for (attrs, ac) in &acc {
            for (v, c) in outcomes.iter() {
                let nc = alg.and(*ac, run.free(*c));
                if alg.is_never(nc) {
                    continue;
                }
                let mut m = attrs.clone();
                m.insert(name.to_string(), v.clone());
                match next.iter_mut().find(|(x, _)| *x == m) {
                    Some((_, old)) => *old = alg.or(*old, nc),
                    None => next.push((m, nc)),
                }
            }
        }
        acc = next;
    }
    Ok(acc)
}

/// Shortest dependency paths in one configured result, from its roots (the
/// targets no other target of the result depends on), in label order.
struct ConfiguredPaths {
    parent: HashMap<Label, Label>,
}

impl ConfiguredPaths {
    fn new(result: &QueryResult) -> Self {
        let inside: BTreeSet<&Label> = result.targets.iter().collect();
        let deps = |l: &Label| -> Vec<&Label> {
            crate::output::configured(result, l)
                .map(|c| c.deps.iter().filter(|d| inside.contains(d)).collect())
                .unwrap_or_default()
        };
        let mut depended: BTreeSet<&Label> = BTreeSet::new();
        for l in &result.targets {
            depended.extend(deps(l).into_iter().filter(|d| *d != l));
        }
        let mut parent = HashMap::new();
        let mut seen: BTreeSet<&Label> = BTreeSet::new();
        let mut queue: VecDeque<&Label> = VecDeque::new();
        for l in result.targets.iter().filter(|l| !depended.contains(l)) {
            seen.insert(l);
            queue.push_back(l);
        }
        while let Some(l) = queue.pop_front() {
            let mut next = deps(l);
            next.sort();
            for d in next {
                if seen.insert(d) {
                    parent.insert(d.clone(), l.clone());
                    queue.push_back(d);
                }
            }
        }
        ConfiguredPaths { parent }
    }

    fn to(&self, label: &Label) -> Vec<Label> {
        let mut path = vec![label.clone()];
        while let Some(p) = self.parent.get(path.last().expect("never empty")) {
            if path.contains(p) {
                break;
            }
            path.push(p.clone());
        }
        path.reverse();
        path
    }
}

/// Dependency paths of an `--all-configs` result, each with its condition.
struct SymbolicPaths<'r, 'g> {
    run: &'r AllConfigsRun<'g>,
    /// Where each target of the result is in it.
    when: HashMap<&'r Label, Cond>,
    /// Edges between targets of the result, with where both ends are in it.
    edges: BTreeMap<Label, Vec<(Label, Cond)>>,
    roots: Vec<Label>,
    /// One search over every configuration, with the first state of each target.
    tree: Option<(Vec<State>, HashMap<Label, usize>)>,
}

impl<'r, 'g> SymbolicPaths<'r, 'g> {
    fn new(run: &'r AllConfigsRun<'g>) -> Result<Self> {
        let alg = run.algebra();
        let when: HashMap<&Label, Cond> = run.targets.iter().map(|(l, c)| (l, *c)).collect();
        let mut edges: BTreeMap<Label, Vec<(Label, Cond)>> = BTreeMap::new();
        let mut depended: BTreeSet<Label> = BTreeSet::new();
        for (a, ca) in &run.targets {
            let mut out = Vec::new();
            for (b, e) in &run.sym.target(a)?.deps {
                let Some(&cb) = when.get(b) else {
                    continue;
                };
                let c = alg.and(run.free(*e), alg.and(*ca, cb));
                if alg.is_never(c) {
                    continue;
                }
                if b != a {
                    depended.insert(b.clone());
                }
                out.push((b.clone(), c));
            }
            out.sort_by(|x, y| x.0.cmp(&y.0));
            edges.insert(a.clone(), out);
        }
        let roots = run
            .targets
            .iter()
            .map(|(l, _)| l.clone())
            .filter(|l| !depended.contains(l))
            .collect();
        Ok(SymbolicPaths {
            run,
            when,
            edges,
            roots,
            tree: None,
        })
    }

    /// Breadth-first search from the roots within `within`, as states
    /// `(target, where the path to it exists, previous state)`: a target is
    /// visited again only by a path that reaches it somewhere new. Stops at
    /// `to` when given, returning its state.
    fn search(&self, to: Option<&Label>, within: Cond) -> (Vec<State>, Option<usize>) {
        let alg = self.run.algebra();
        let mut reached: HashMap<&Label, Cond> = HashMap::new();
        let mut states: Vec<State> = Vec::new();
        for r in &self.roots {
            let c = alg.and(self.when[r], within);
            if !alg.is_never(c) {
                reached.insert(r, c);
                states.push((r.clone(), c, None));
            }
        }
        let mut next_state = 0;
        while next_state < states.len() {
            let i = next_state;
            next_state += 1;
            if to == Some(&states[i].0) {
                return (states, Some(i));
            }
            let (last, c) = (states[i].0.clone(), states[i].1);
            for (next, e) in self.edges.get(&last).into_iter().flatten() {
                let nc = alg.and(c, *e);
                let old = reached.get(next).copied().unwrap_or(alg.never());
                // Only a path that reaches `next` somewhere new can lead anywhere new.
                if alg.is_never(nc) || alg.implies(nc, old) {
                    continue;
                }
                reached.insert(next, alg.or(old, nc));
                states.push((next.clone(), nc, Some(i)));
            }
        }
        (states, None)
    }

    /// The path to a state, from its root.
    fn path(states: &[State], mut i: usize) -> Vec<Label> {
        let mut path = vec![states[i].0.clone()];
        while let Some(p) = states[i].2 {
            path.push(states[p].0.clone());
            i = p;
        }
        path.reverse();
        path
    }

    /// A shortest path to `to` that exists somewhere in `within`, with where
    /// it exists; `[to]` itself when no root reaches it there. The paths of
    /// one search over every configuration answer most questions; a search
    /// within `within` answers the rest.
    fn to(&mut self, to: &Label, within: Cond) -> (Vec<Label>, Cond) {
        let alg = self.run.algebra();
        if self.tree.is_none() {
            let (states, _) = self.search(None, alg.always());
            let mut first = HashMap::new();
            for (i, (l, _, _)) in states.iter().enumerate() {
                first.entry(l.clone()).or_insert(i);
            }
            self.tree = Some((states, first));
        }
        let (states, first) = self.tree.as_ref().expect("built above");
        if let Some(&i) = first.get(to) {
            let c = alg.and(states[i].1, within);
            if !alg.is_never(c) {
                return (Self::path(states, i), c);
            }
        }
        match self.search(Some(to), within) {
            (states, Some(i)) => (Self::path(&states, i), states[i].1),
            (_, None) => (vec![to.clone()], within),
        }
    }
}

/// A search state: a target, where the path to it exists, the previous state.
type State = (Label, Cond, Option<usize>);
