//! `cquery --all-configs`: the query evaluated for every configuration at once.
//!
//! Conditions are decision diagrams ([`crate::condition::Cond`]). Whatever a
//! single-configuration `cquery` would visit, this environment visits too,
//! with the condition under which it is visited, so that a failure there (no
//! match, ambiguity, missing or invisible dependency, cycle, incompatible
//! target named directly) is reported with exactly the condition under which
//! `cquery` fails. The invariant, checked by property tests: at every
//! configuration C, a target is in `cquery --select C` exactly when its
//! condition holds at C, and `cquery` fails exactly where a failure's does.

use std::collections::HashMap;

use regex::Regex;

use super::env::{attr_text, fixed_attr};
use super::eval::QueryEnv;
use crate::condition::{Algebra, Cond};
use crate::configuration::symbolic::{Failure, SymbolicConfigurer};
use crate::error::{ErrorKind, Result};
use crate::label::{Label, TargetPattern};
use crate::target_graph::{TargetGraph, TargetId};

/// A closure in depth-first post-order, with each target's followed edges.
pub(crate) type Walk = (Vec<Label>, HashMap<Label, Vec<(Label, Cond)>>);

/// The environment of `cquery --all-configs`.
pub struct AllConfigsEnv<'s, 'g> {
    sym: &'s SymbolicConfigurer<'g>,
    universe: Cond,
    relative: String,
    compat: HashMap<Label, Cond>,
    /// Where each visited target is visited.
    visited: HashMap<Label, Cond>,
    /// Failures of edges found while visiting (missing, invisible, cycles), per target.
    edge_failures: HashMap<Label, Vec<Failure>>,
    /// Failures of patterns naming an incompatible target.
    pattern_failures: Vec<Failure>,
    /// The followed edges of each target, computed once.
    edge_cache: HashMap<Label, Vec<(Label, Cond)>>,
}

impl<'s, 'g> AllConfigsEnv<'s, 'g> {
    /// An environment over the configurations where `universe` holds (the fixed selectors).
    pub fn new(sym: &'s SymbolicConfigurer<'g>, universe: Cond, relative: &str) -> Self {
        AllConfigsEnv {
            sym,
            universe,
            relative: relative.to_string(),
            compat: HashMap::new(),
            visited: HashMap::new(),
            edge_failures: HashMap::new(),
            pattern_failures: Vec::new(),
            edge_cache: HashMap::new(),
        }
    }

    fn alg(&self) -> &'s Algebra {
        self.sym.algebra()
    }

    /// The edges of a target that a configured query follows: the target
    /// exists and is visible; the others are failures, recorded once.
    fn edges(&mut self, label: &Label) -> Result<Vec<(Label, Cond)>> {
        if let Some(e) = self.edge_cache.get(label) {
            return Ok(e.clone());
        }
        let t = self.sym.target(label)?;
        let graph = self.sym.graph();
        let from = graph.target(label)?;
        let mut out = Vec::new();
        let mut failures = Vec::new();
        for (d, e) in &t.deps {
            match graph.target(d) {
                Err(err) => failures.push(Failure {
                    target: label.clone(),
                    kind: err.kind,
                    message: format!("`{label}` depends on `{d}`: {}", err.message),
                    when: *e,
                    location: from.location.clone(),
                }),
                Ok(dt) if !dt.visible_to(label.package()) => failures.push(Failure {
                    target: label.clone(),
                    kind: ErrorKind::Visibility,
                    message: format!(
                        "`{label}` depends on `{d}`, which is not visible to package `//{}`",
                        label.package()
                    ),
                    when: *e,
                    location: from.location.clone(),
                }),
                Ok(_) => out.push((d.clone(), *e)),
            }
        }
        if !failures.is_empty() {
            self.edge_failures.entry(label.clone()).or_insert(failures);
        }
        self.edge_cache.insert(label.clone(), out.clone());
        Ok(out)
    }

    /// The closure of `roots` in depth-first post-order, with each target's
    /// followed edges; records compatibility and the cycles met on the way.
    pub(crate) fn walk(&mut self, roots: &[Label]) -> Result<Walk> {
        let alg = self.alg();
        // Depth-first post-order over the closure, iteratively (graphs are deep).
        let mut order: Vec<Label> = Vec::new();
        let mut edges_of: HashMap<Label, Vec<(Label, Cond)>> = HashMap::new();
        let mut state: HashMap<Label, bool> = HashMap::new(); // false: on the stack
        for root in roots {
            if state.contains_key(root) {
                continue;
            }
            let e = self.edges(root)?;
            let mut stack: Vec<(Label, usize)> = vec![(root.clone(), 0)];
            state.insert(root.clone(), false);
            edges_of.insert(root.clone(), e);
            while let Some((n, i)) = stack.last_mut() {
                let edges = &edges_of[&*n];
                if *i < edges.len() {
                    let (d, _) = edges[*i].clone();
                    *i += 1;
                    match state.get(&d) {
                        Some(true) => {}
                        Some(false) => {
                            // A cycle: it exists where every edge on it exists.
                            let start = stack.iter().position(|(l, _)| *l == d).unwrap_or(0);
                            let mut when = alg.always();
                            let mut names = Vec::new();
                            for (l, next) in &stack[start..] {
                                let (_, e) = &edges_of[l][*next - 1];
                                when = alg.and(when, *e);
                                names.push(l.to_string());
                            }
                            names.push(d.to_string());
                            let location = self.sym.graph().target(&d)?.location.clone();
                            self.edge_failures
                                .entry(d.clone())
                                .or_default()
                                .push(Failure {
                                    target: d.clone(),
                                    kind: ErrorKind::Cycle,
                                    message: format!("dependency cycle: {}", names.join(" -> ")),
                                    when,
                                    location,
                                });
                        }
                        None => {
                            let e = self.edges(&d)?;
                            edges_of.insert(d.clone(), e);
                            state.insert(d.clone(), false);
                            stack.push((d, 0));
                        }
                    }
                    continue;
                }
                let n = n.clone();
                stack.pop();
                state.insert(n.clone(), true);
                if !self.compat.contains_key(&n) {
                    let own = self.sym.target(&n)?.compatible_self;
                    let mut c = own;
                    for (d, e) in &edges_of[&n] {
                        // A dependency on the stack (a cycle) counts as compatible.
                        let dc = self.compat.get(d).copied().unwrap_or(alg.always());
                        c = alg.and(c, alg.or(alg.not(*e), dc));
                    }
                    self.compat.insert(n.clone(), c);
                }
                order.push(n);
            }
        }
        Ok((order, edges_of))
    }

    /// The failure of a pattern naming `label` where it is incompatible (`bad`).
    fn incompatible(&self, label: &Label, bad: Cond) -> Result<Failure> {
        Ok(Failure {
            target: label.clone(),
            kind: ErrorKind::Incompatible,
            message: format!(
                "`{label}` is incompatible: the target_compatible_with of it or of a dependency fails"
            ),
            when: bad,
            location: self.sym.graph().target(label)?.location.clone(),
        })
    }

    /// A visited target's failures, each with the condition of its own (not yet
    /// restricted to where the target is visited).
    pub(crate) fn failures_of(&self, label: &Label) -> Result<Vec<Failure>> {
        let t = self.sym.target(label)?;
        let edge = self.edge_failures.get(label).into_iter().flatten();
        Ok(t.failures.iter().chain(edge).cloned().collect())
    }

    /// Visits the closure of `roots`: compatibility of every target, and the
    /// condition under which each is visited.
    fn visit(&mut self, roots: &[(Label, Cond)]) -> Result<()> {
        let labels: Vec<Label> = roots.iter().map(|(l, _)| l.clone()).collect();
        let (order, edges_of) = self.walk(&labels)?;
        let alg = self.alg();
        // Propagate visit conditions in topological order (reverse post-order);
        // repeat while something changes (only cycles need a second pass).
        let mut reach: HashMap<Label, Cond> = HashMap::new();
        for (r, c) in roots {
            let old = reach.get(r).copied().unwrap_or(alg.never());
            reach.insert(r.clone(), alg.or(old, *c));
        }
        loop {
            let mut changed = false;
            for n in order.iter().rev() {
                let Some(&rn) = reach.get(n) else { continue };
                let Some(edges) = edges_of.get(n) else {
                    continue;
                };
                for (d, e) in edges {
                    let through = alg.and(rn, *e);
                    if alg.is_never(through) {
                        continue;
                    }
                    let old = reach.get(d).copied().unwrap_or(alg.never());
                    let new = alg.or(old, through);
                    if new != old {
                        reach.insert(d.clone(), new);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for (n, c) in reach {
            let old = self.visited.get(&n).copied().unwrap_or(alg.never());
            self.visited.insert(n, alg.or(old, c));
        }
        Ok(())
    }

    /// Where a visited target exists (its and its dependencies'
    /// `target_compatible_with` hold); `None` for a target not visited.
    pub fn compatibility(&self, label: &Label) -> Option<Cond> {
        self.compat.get(label).copied()
    }

    /// Gives up the environment, keeping where each visited target exists.
    pub fn into_compatibility(self) -> HashMap<Label, Cond> {
        self.compat
    }

    /// Every failure of the query, with the condition under which it happens.
    pub fn failures(&self) -> Result<Vec<Failure>> {
        let alg = self.alg();
        let mut labels: Vec<&Label> = self.visited.keys().collect();
        labels.sort();
        let mut out: Vec<Failure> = self.pattern_failures.clone();
        for l in labels {
            let v = self.visited[l];
            let t = self.sym.target(l)?;
            let edge = self.edge_failures.get(l).into_iter().flatten();
            for f in t.failures.iter().chain(edge) {
                let when = alg.and(v, f.when);
                if !alg.is_never(when) {
                    out.push(Failure { when, ..f.clone() });
                }
            }
        }
        Ok(out)
    }
}

impl QueryEnv for AllConfigsEnv<'_, '_> {
    type Cond = Cond;

    fn always(&self) -> Cond {
        self.universe
    }
    fn and(&self, a: Cond, b: Cond) -> Cond {
        self.alg().and(a, b)
    }
    fn or(&self, a: Cond, b: Cond) -> Cond {
        self.alg().or(a, b)
    }
    fn and_not(&self, a: Cond, b: Cond) -> Cond {
        self.alg().and_not(a, b)
    }
    fn is_never(&self, c: Cond) -> bool {
        self.alg().is_never(c)
    }

    fn pattern(&mut self, pattern: &TargetPattern) -> Result<Vec<(Label, Cond)>> {
        let labels = self.sym.graph().expand(pattern)?;
        let roots: Vec<(Label, Cond)> = labels.iter().map(|l| (l.clone(), self.universe)).collect();
        self.visit(&roots)?;
        let alg = self.alg();
        let mut out = Vec::new();
        for l in labels {
            let compat = alg.and(self.universe, self.compat[&l]);
            if pattern.is_single() {
                let bad = alg.and_not(self.universe, compat);
                if !alg.is_never(bad) {
                    let failure = self.incompatible(&l, bad)?;
                    self.pattern_failures.push(failure);
                }
            }
            if !alg.is_never(compat) {
                out.push((l, compat));
            }
        }
        Ok(out)
    }

    fn graph(&self) -> &TargetGraph {
        self.sym.graph()
    }

    fn deps(&mut self, target: TargetId, out: &mut Vec<(TargetId, Cond)>) -> Result<()> {
        let graph = self.sym.graph();
        let label = &graph.target_by_id(target).label;
        for (d, c) in self.edges(label)? {
            // `edges` keeps only the dependencies that exist.
            out.push((graph.id(&d)?, c));
        }
        Ok(())
    }

    fn kind(&mut self, label: &Label) -> Result<&'static str> {
        Ok(self.sym.graph().target(label)?.rule.kind())
    }

    fn attr_labels(&mut self, label: &Label, attr: &str) -> Result<Vec<(Label, Cond)>> {
        let t = self.sym.graph().target(label)?;
        let alg = self.alg();
        if let Some(a) = t.rule.attr(attr) {
            return Ok(self.sym.attr_labels(label, attr, a)?.0);
        }
        Ok(fixed_attr(t, attr)
            .map(|v| {
                v.labels()
                    .into_iter()
                    .map(|l| (l.clone(), alg.always()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn attr_matches(&mut self, label: &Label, attr: &str, regex: &Regex) -> Result<Cond> {
        let t = self.sym.graph().target(label)?;
        let alg = self.alg();
        if t.rule.attr(attr).is_some() {
            let outs = self.sym.attr_values(label, attr)?;
            return Ok(alg.or_all(
                outs.iter()
                    .filter(|(v, _)| regex.is_match(&attr_text(v)))
                    .map(|(_, c)| *c),
            ));
        }
        Ok(
            if fixed_attr(t, attr).is_some_and(|v| regex.is_match(&attr_text(&v))) {
                alg.always()
            } else {
                alg.never()
            },
        )
    }

    fn relative_package(&self) -> &str {
        &self.relative
    }
}

/// Spreads conditions along the edges in topological order (reverse
/// post-order); with a cycle, again while a condition grows (checked exactly,
/// by containment).
fn spread(
    sops: &crate::condition::sop::Sops,
    order: &[Label],
    edges_of: &HashMap<Label, Vec<(Label, Cond)>>,
    edge_sops: &HashMap<(&Label, &Label), crate::condition::sop::Sop>,
    cyclic: bool,
    conds: &mut HashMap<Label, crate::condition::sop::Sop>,
) {
    loop {
        let mut changed = false;
        for n in order.iter().rev() {
            let Some(here) = conds.get(n).cloned() else {
                continue;
            };
            for (d, _) in edges_of.get(n).into_iter().flatten() {
                let through = sops.and(&here, &edge_sops[&(n, d)]);
                if through.is_empty() {
                    continue;
                }
                let old = conds.entry(d.clone()).or_default();
                if cyclic && through.iter().all(|cube| sops.covers(old, cube)) {
                    continue;
                }
                *old = sops.or(old, &through);
                changed = true;
            }
        }
        if !cyclic || !changed {
            break;
        }
    }
}

/// Targets with the covers of their conditions, and failures.
pub(crate) type Covered = (
    Vec<(Label, Vec<crate::condition::Cube>)>,
    Vec<CoveredFailure>,
);

/// The largest sums of products [`deps_as_covers`] makes prime and irredundant.
const MINIMIZED_COVER: usize = 16;
/// The most cubes of the region where evaluation does not fail, as a sum of
/// products.
const MAX_CUBES: usize = 2_000;
/// The most cubes of the region where evaluation fails that are taken away
/// from the space to find where it does not (each can multiply the cubes).
const MAX_FAILING: usize = 256;

/// A failure of an every-configuration run whose condition is a cover.
#[derive(Clone, Debug)]
pub struct CoveredFailure {
    /// The failure; its `when` is the diagram of its own part (the select or
    /// edge at fault), not where it happens.
    pub failure: Failure,
    /// Where it happens: an irredundant cover of prime cubes.
    pub when: Vec<crate::condition::Cube>,
}

/// `deps(PATTERN)` for every configuration with conditions as sums of products
/// ([`crate::condition::sop`]): the same answer as the query through
/// [`AllConfigsEnv`], for graphs whose reachability conditions have no small
/// decision diagram. Only the edges, the failures of single selects and
/// compatibility go through diagrams (they are small); what paths combine never
/// does. Returns the targets and failures with their covers, and the selectors
/// fixed (`fixed`: index and value) are left out of the covers.
pub(crate) fn deps_as_covers(
    env: &mut AllConfigsEnv<'_, '_>,
    pattern: &TargetPattern,
    fixed: &[(usize, usize)],
) -> Result<Covered> {
    use crate::condition::sop::{Sop, Sops};
    let alg = env.alg();
    let sops = Sops::new(alg.space());
    let sop_of = |c: Cond| sops.from_cubes(&alg.cover(c));
    let universe = sop_of(env.universe);
    let labels = env.sym.graph().expand(pattern)?;
    let (order, edges_of) = env.walk(&labels)?;
    // The roots, as `pattern` gives them: where they are compatible.
    let mut in_result: HashMap<Label, Sop> = HashMap::new();
    let mut visited: HashMap<Label, Sop> = HashMap::new();
    let mut failures: Vec<CoveredFailure> = Vec::new();
    for l in &labels {
        let compat = alg.and(env.universe, env.compat[l]);
        if pattern.is_single() {
            let bad = alg.and_not(env.universe, compat);
            if !alg.is_never(bad) {
                failures.push(CoveredFailure {
                    failure: env.incompatible(l, bad)?,
                    when: Vec::new(),
                });
            }
        }
        visited.insert(l.clone(), universe.clone());
        if !alg.is_never(compat) {
            in_result.insert(l.clone(), sop_of(compat));
        }
    }
    let mut edge_sops: HashMap<(&Label, &Label), Sop> = HashMap::new();
    for (n, edges) in &edges_of {
        for (d, e) in edges {
            edge_sops.insert((n, d), sop_of(*e));
        }
    }
    // Without a cycle (every edge goes to a target earlier in post-order), one
    // pass in reverse post-order is the answer; with one, passes repeat while
    // a condition grows (checked exactly, by containment).
    let position: HashMap<&Label, usize> = order.iter().enumerate().map(|(i, l)| (l, i)).collect();
    let cyclic = edges_of
        .iter()
        .any(|(n, edges)| edges.iter().any(|(d, _)| position[d] >= position[n]));
    // Where every root is compatible wherever it is asked about (no
    // `target_compatible_with` in the way), both start alike and spread alike.
    let same_start =
        labels.len() == in_result.len() && labels.iter().all(|l| in_result[l] == visited[l]);
    spread(&sops, &order, &edges_of, &edge_sops, cyclic, &mut visited);
    if same_start {
        in_result = visited.clone();
    } else {
        spread(&sops, &order, &edges_of, &edge_sops, cyclic, &mut in_result);
    }
    crate::timing::phase("sums of products");
    let free = |sop: &Sop| -> Sop {
        match fixed {
            [] => sop.clone(),
            _ => fixed
                .iter()
                .fold(sop.clone(), |acc, &(s, v)| sops.restrict(&acc, s, v)),
        }
    };
    // Made prime and irredundant where that is cheap; a large cover keeps its
    // cubes (exact, none inside another), since proving primality takes
    // tautology checks whose cost grows fast with the cover.
    let minimized: std::cell::RefCell<HashMap<Sop, Sop>> = Default::default();
    let always = sops.always();
    let tidy = |sop: &Sop| -> Sop {
        if sop.len() > MINIMIZED_COVER || sop.len() == 1 || sop.contains(&always[0]) {
            return sops.absorb(sop.clone());
        }
        let mut key = sop.clone();
        key.sort();
        if let Some(known) = minimized.borrow().get(&key) {
            return known.clone();
        }
        let cover = sops.minimize(sop);
        minimized.borrow_mut().insert(key, cover.clone());
        cover
    };
    let mut by_label: Vec<&Label> = visited.keys().collect();
    by_label.sort();
    let mut where_failing: Vec<Sop> = failures.iter().map(|f| sop_of(f.failure.when)).collect();
    for l in by_label {
        for f in env.failures_of(l)? {
            let when = sops.and(&visited[l], &sop_of(f.when));
            if when.is_empty() {
                continue;
            }
            where_failing.push(when);
            failures.push(CoveredFailure {
                failure: f,
                when: Vec::new(),
            });
        }
    }
    // Where evaluation fails is taken away from where each target is; past a
    // few hundred cubes that takes more than it is worth (see `MAX_FAILING`).
    if where_failing.iter().map(Vec::len).sum::<usize>() > MAX_FAILING {
        return Err(crate::condition::TooLarge::Cubes(MAX_FAILING as u64).error());
    }
    let mut failing: Sop = Vec::new();
    for (f, when) in failures.iter_mut().zip(&where_failing) {
        failing.extend(when.iter().cloned());
        f.when = sops.to_cubes(&tidy(&free(when)));
    }
    let failing = sops.absorb(failing);
    // Where evaluation fails, no target is in the result: the targets are kept
    // to where it does not.
    let working = if failing.is_empty() {
        None
    } else {
        Some(
            sops.and_not(&always, &failing, MAX_CUBES)
                .ok_or_else(|| crate::condition::TooLarge::Cubes(MAX_CUBES as u64).error())?,
        )
    };
    let mut targets: Vec<(Label, Vec<crate::condition::Cube>)> = Vec::new();
    for (l, c) in in_result {
        let c = match &working {
            Some(w) => sops.and(&c, w),
            None => c,
        };
        let c = tidy(&free(&c));
        if !c.is_empty() {
            targets.push((l, sops.to_cubes(&c)));
        }
    }
    targets.sort_by(|a, b| a.0.cmp(&b.0));
    crate::timing::phase("covers");
    Ok((targets, failures))
}
