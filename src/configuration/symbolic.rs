//! Select resolution for every configuration at once.
//!
//! Instead of a value, each select resolves to its *outcomes*: the values it
//! can take, each with the condition under which it is taken, plus the
//! conditions under which it fails (no match, ambiguity). The conditions follow
//! the resolution rules of SPEC exactly, so that evaluating them at one
//! configuration gives what [`super::Configurer`] answers there:
//!
//! - key `i` wins where it matches and every other matching key is one it is
//!   strictly more specific than: `c_i ∧ ⋀_{j: ¬spec(i,j)} ¬c_j`;
//! - where keys match but none wins, a value `v` is taken when every most
//!   specific matching key (one no other matching key is more specific than)
//!   has value `v` (the equal-value tie, as Bazel 6.2+); what remains is
//!   ambiguous;
//! - where no key matches, the default, else a no-match error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::Conditions;
use crate::condition::{Algebra, Cond};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::label::Label;
use crate::target_graph::{Attr, Rule, Select, SelectKey, TargetGraph, Value};

/// Where a select or target fails, and why.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The target whose evaluation fails.
    pub target: Label,
    /// No match, ambiguity, invisible or missing dependency, ...
    pub kind: ErrorKind,
    /// For people.
    pub message: String,
    /// Where it fails.
    pub when: Cond,
    /// The select or target at fault.
    pub location: Option<Location>,
}

/// Where each branch of a select is taken, and where the select fails.
#[derive(Clone, Debug)]
pub struct Regions {
    /// Each key with where its branch is taken: conditions in written order, the default last.
    pub taken: Vec<(SelectKey, Cond)>,
    /// Where several keys match, none wins and their values differ.
    pub ambiguous: Cond,
    /// Where no key matches and there is no default.
    pub no_match: Cond,
}

/// What an attribute can be: each possible `T` with its condition, and the failures.
pub type Outcomes<T> = (Vec<(T, Cond)>, Vec<Failure>);

/// Every value an attribute can take, each with where.
pub type Values = Rc<Vec<(Value, Cond)>>;

/// A target resolved symbolically: its possible edges with conditions.
///
/// Whole attribute values are not part of it: an attribute that concatenates `K`
/// selects has up to `2^K` of them, while its edges and failures are linear in `K`.
/// [`SymbolicConfigurer::attr_values`] computes them for the attribute that needs them.
#[derive(Clone, Debug)]
pub struct SymbolicTarget {
    /// Dependency edges, each with the condition under which it exists (never `never`).
    pub deps: Vec<(Label, Cond)>,
    /// Where `target_compatible_with` holds.
    pub compatible_self: Cond,
    /// Where resolving this target fails.
    pub failures: Vec<Failure>,
}

/// Resolves selects of one graph for all configurations, with caches.
pub struct SymbolicConfigurer<'g> {
    graph: &'g TargetGraph,
    conditions: Conditions<'g>,
    targets: RefCell<HashMap<Label, Rc<SymbolicTarget>>>,
    values: RefCell<HashMap<(Label, String), Values>>,
    /// The configurations asked about (the selectors fixed by `--select`): whole
    /// values are combined only within it.
    universe: std::cell::Cell<Cond>,
}

/// The most distinct values [`SymbolicConfigurer::attr_values`] enumerates for one
/// attribute; a concatenation of selects with more is refused rather than enumerated.
pub const MAX_ATTR_VALUES: usize = 4096;

impl<'g> SymbolicConfigurer<'g> {
    /// A resolver over every selector of `graph`.
    pub fn new(graph: &'g TargetGraph) -> Self {
        SymbolicConfigurer {
            graph,
            conditions: Conditions::new(graph),
            targets: RefCell::new(HashMap::new()),
            values: RefCell::new(HashMap::new()),
            universe: std::cell::Cell::new(Cond::ALWAYS),
        }
    }

    /// Restricts the combination of whole values ([`Self::attr_values`]) to the
    /// configurations where `universe` holds: with selectors fixed, a concatenation
    /// of selects has only the values of the free ones.
    pub fn restrict_to(&self, universe: Cond) {
        self.universe.set(universe);
        self.values.borrow_mut().clear();
    }

    /// The graph.
    pub fn graph(&self) -> &'g TargetGraph {
        self.graph
    }

    /// The algebra conditions live in.
    pub fn algebra(&self) -> &Algebra {
        self.conditions.algebra()
    }

    /// The condition targets.
    pub fn conditions(&self) -> &Conditions<'g> {
        &self.conditions
    }

    /// Gives up the resolver, keeping the algebra.
    pub fn into_algebra(self) -> Algebra {
        self.conditions.into_algebra()
    }

    /// Where each branch of a select is taken (keys in written order, the
    /// default last), and where the select is ambiguous or matches nothing.
    pub fn regions(&self, select: &Select) -> Result<Regions> {
        let alg = self.algebra();
        let mut keys: Vec<(Cond, &Value, &SelectKey)> = Vec::new();
        let mut default: Option<&SelectKey> = None;
        for (k, v) in &select.branches {
            match k {
                SelectKey::Default => default = Some(k),
                SelectKey::Condition(c) => keys.push((self.conditions.of(c)?, v, k)),
            }
        }
        let mut taken: Vec<(SelectKey, Cond)> = Vec::new();
        let mut wins = alg.never();
        for (i, (ci, _, key)) in keys.iter().enumerate() {
            let mut win = *ci;
            for (j, (cj, _, _)) in keys.iter().enumerate() {
                let more_specific = alg.implies(*ci, *cj) && !alg.implies(*cj, *ci);
                if i != j && !more_specific {
                    win = alg.and_not(win, *cj);
                }
            }
            wins = alg.or(wins, win);
            taken.push(((*key).clone(), win));
        }
        let any = alg.or_all(keys.iter().map(|k| k.0));
        let undecided = alg.and_not(any, wins);
        let mut tied = alg.never();
        if !alg.is_never(undecided) {
            // Where every most specific matching key (no more specific key
            // matches) has the same value, that value is taken.
            let most_specific: Vec<Cond> = keys
                .iter()
                .enumerate()
                .map(|(i, (ci, _, _))| {
                    let mut m = *ci;
                    for (j, (cj, _, _)) in keys.iter().enumerate() {
                        if i != j && alg.implies(*cj, *ci) && !alg.implies(*ci, *cj) {
                            m = alg.and_not(m, *cj);
                        }
                    }
                    m
                })
                .collect();
            let mut values: Vec<&Value> = Vec::new();
            for (_, v, _) in &keys {
                if !values.contains(v) {
                    values.push(v);
                }
            }
            for v in values {
                let mut inside = alg.never();
                let mut outside = alg.always();
                for (n, (_, kv, _)) in keys.iter().enumerate() {
                    if *kv == v {
                        inside = alg.or(inside, most_specific[n]);
                    } else {
                        outside = alg.and_not(outside, most_specific[n]);
                    }
                }
                let tie = alg.and(undecided, alg.and(inside, outside));
                tied = alg.or(tied, tie);
                for (n, (_, kv, _)) in keys.iter().enumerate() {
                    if *kv == v {
                        taken[n].1 = alg.or(taken[n].1, alg.and(tie, most_specific[n]));
                    }
                }
            }
        }
        let none = alg.not(any);
        if let Some(d) = default {
            taken.push((d.clone(), none));
        }
        Ok(Regions {
            taken,
            ambiguous: alg.and_not(undecided, tied),
            no_match: if default.is_some() { alg.never() } else { none },
        })
    }

    /// The outcomes of one select: `(value, when)` pairs and failures.
    pub fn select(&self, target: &Label, attr: &str, select: &Select) -> Result<Outcomes<Value>> {
        let alg = self.algebra();
        let regions = self.regions(select)?;
        let mut outcomes: Vec<(Value, Cond)> = Vec::new();
        // Where a mandatory attribute's `None` branch is taken (the loader
        // left `None` nowhere else): a failure, as `Configurer::choose`'s.
        let mut none_taken = alg.never();
        for (key, c) in &regions.taken {
            let (_, v) = select
                .branches
                .iter()
                .find(|(k, _)| k == key)
                .expect("regions come from the select's own keys");
            if alg.is_never(*c) {
                continue;
            }
            if *v == Value::None {
                none_taken = alg.or(none_taken, *c);
                continue;
            }
            match outcomes.iter_mut().find(|(x, _)| x == v) {
                Some((_, old)) => *old = alg.or(*old, *c),
                None => outcomes.push((v.clone(), *c)),
            }
        }
        let mut failures = Vec::new();
        if !alg.is_never(regions.ambiguous) {
            failures.push(Failure {
                target: target.clone(),
                kind: ErrorKind::Ambiguous,
                message: format!(
                    "configurable attribute `{attr}` of `{target}` is ambiguous: several keys match, none is more specific, and their values differ"
                ),
                when: regions.ambiguous,
                location: select.location.clone(),
            });
        }
        if !alg.is_never(none_taken) {
            failures.push(Failure {
                target: target.clone(),
                kind: ErrorKind::Attribute,
                message: super::none_taken_message(target, attr),
                when: none_taken,
                location: select.location.clone(),
            });
        }
        if !alg.is_never(regions.no_match) {
            let why = if select.no_match_error.is_empty() {
                "no key matches and there is no //conditions:default".to_string()
            } else {
                select.no_match_error.to_string()
            };
            failures.push(Failure {
                target: target.clone(),
                kind: ErrorKind::NoMatch,
                message: format!(
                    "configurable attribute `{attr}` of `{target}` doesn't match: {why}"
                ),
                when: regions.no_match,
                location: select.location.clone(),
            });
        }
        Ok((outcomes, failures))
    }

    /// The outcomes of an attribute; concatenations combine their parts' outcomes, so
    /// their number is the product of the parts' (at most [`MAX_ATTR_VALUES`], else an
    /// error). Edges and failures do not need them: see [`Self::attr_labels`].
    pub fn attr(&self, target: &Label, name: &str, attr: &Attr) -> Result<Outcomes<Value>> {
        let alg = self.algebra();
        match attr {
            Attr::Plain(v) => Ok((vec![(v.clone(), alg.always())], Vec::new())),
            Attr::Select(s) => self.select(target, name, s),
            Attr::Concat(parts) => {
                let mut acc: Vec<(Value, Cond)> = Vec::new();
                let mut failures = Vec::new();
                for (n, p) in parts.iter().enumerate() {
                    let (outs, fails) = self.attr(target, name, p)?;
                    failures.extend(fails);
                    if n == 0 {
                        acc = outs;
                        continue;
                    }
                    let mut next: Vec<(Value, Cond)> = Vec::new();
                    for (av, ac) in &acc {
                        for (pv, pc) in &outs {
                            let c = alg.and(alg.and(*ac, *pc), self.universe.get());
                            if alg.is_never(c) {
                                continue;
                            }
                            // typed() made every part of one attribute the same type.
                            let v = av.clone().concat(pv.clone()).unwrap_or_else(|_| av.clone());
                            match next.iter_mut().find(|(x, _)| *x == v) {
                                Some((_, old)) => *old = alg.or(*old, c),
                                None => next.push((v, c)),
                            }
                        }
                        if next.len() > MAX_ATTR_VALUES {
                            return Err(Error::new(
                                ErrorKind::Query,
                                format!(
                                    "attribute `{name}` of `{target}` takes more than {MAX_ATTR_VALUES} distinct values across configurations (it concatenates {} selects), too many to list one by one",
                                    parts.len()
                                ),
                            )
                            .with_help("fix some of its selectors with --select, or ask for its labels (`labels()`), which are computed part by part"));
                        }
                    }
                    acc = next;
                }
                Ok((acc, failures))
            }
        }
    }

    /// Every value attribute `name` of `label` can take, with where (cached); an
    /// empty list for an attribute the target does not set.
    pub fn attr_values(&self, label: &Label, name: &str) -> Result<Values> {
        let key = (label.clone(), name.to_string());
        if let Some(values) = self.values.borrow().get(&key) {
            return Ok(values.clone());
        }
        let target = self.graph.target(label)?;
        let values = match target.rule.attr(name) {
            Some(attr) => self.attr(label, name, attr)?.0,
            None => Vec::new(),
        };
        let values = Rc::new(values);
        self.values.borrow_mut().insert(key, values.clone());
        Ok(values)
    }

    /// The labels an attribute can hold, each with its condition, and its failures;
    /// linear in the number of selects (no product of concatenated selects).
    pub fn attr_labels(&self, target: &Label, name: &str, attr: &Attr) -> Result<Outcomes<Label>> {
        let alg = self.algebra();
        let mut out: Vec<(Label, Cond)> = Vec::new();
        let mut failures = Vec::new();
        let mut add = |l: &Label, c: Cond| match out.iter_mut().find(|(x, _)| x == l) {
            Some((_, old)) => *old = alg.or(*old, c),
            None => out.push((l.clone(), c)),
        };
        let parts: Vec<&Attr> = match attr {
            Attr::Concat(parts) => parts.iter().collect(),
            other => vec![other],
        };
        for p in parts {
            let (outs, fails) = self.attr(target, name, p)?;
            failures.extend(fails);
            for (v, c) in outs {
                for l in v.labels() {
                    add(l, c);
                }
            }
        }
        Ok((out, failures))
    }

    /// The target resolved for all configurations (cached).
    pub fn target(&self, label: &Label) -> Result<Rc<SymbolicTarget>> {
        if let Some(t) = self.targets.borrow().get(label) {
            return Ok(t.clone());
        }
        let alg = self.algebra();
        let target = self.graph.target(label)?;
        let mut failures = Vec::new();
        let mut deps: Vec<(Label, Cond)> = Vec::new();
        let mut compatible_self = alg.always();
        let configurable: Vec<(&str, &Attr)> = match &target.rule {
            Rule::Package { attrs } => attrs.iter().collect(),
            Rule::Alias { actual } => vec![("actual", actual)],
            _ => Vec::new(),
        };
        for (name, attr) in configurable {
            // Part by part: the failures of each select, and the labels each can bring.
            let (labels, fails) = self.attr_labels(label, name, attr)?;
            failures.extend(fails);
            let is_dep = target.rule.dep_attrs().contains(&name);
            if !is_dep && name != "target_compatible_with" {
                continue;
            }
            for (l, c) in labels {
                if is_dep {
                    match deps.iter_mut().find(|(x, _)| *x == l) {
                        Some((_, old)) => *old = alg.or(*old, c),
                        None => deps.push((l, c)),
                    }
                } else {
                    // Where the entry is listed, its condition must hold.
                    let holds = self.conditions.of(&l)?;
                    compatible_self = alg.and(compatible_self, alg.or(alg.not(c), holds));
                }
            }
        }
        deps.retain(|(_, c)| !alg.is_never(*c));
        let t = Rc::new(SymbolicTarget {
            deps,
            compatible_self,
            failures,
        });
        self.targets.borrow_mut().insert(label.clone(), t.clone());
        Ok(t)
    }
}
