//! Conditions as decision diagrams: the bridge from condition targets
//! (config_setting, config_setting_group, constraint_value) to the
//! [`crate::condition`] algebra. A constraint value is the condition that
//! its setting (a selector) has it as its value.
//!
//! Single-configuration resolution needs this only to decide specialization
//! (strict implication between two matching keys); the multi-dimensional
//! graph builds every select branch's condition from it.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use crate::condition::{Algebra, CompareOp, Cond, SelectorDim, Space};
use crate::error::{Error, ErrorKind, Result};
use crate::label::Label;
use crate::target_graph::{Compare, GroupMode, Rule, TargetGraph};

/// Condition targets of one graph, turned into canonical conditions on demand.
pub struct Conditions<'g> {
    graph: &'g TargetGraph,
    algebra: OnceCell<Algebra>,
    cache: RefCell<HashMap<Label, Cond>>,
}

impl<'g> Conditions<'g> {
    /// Conditions over every selector of `graph`.
    pub fn new(graph: &'g TargetGraph) -> Self {
        Conditions {
            graph,
            algebra: OnceCell::new(),
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// The algebra, over every selector of the graph in label order.
    pub fn algebra(&self) -> &Algebra {
        self.algebra.get_or_init(|| {
            let mut dims = Vec::new();
            for t in self.graph.selectors() {
                let s = self
                    .graph
                    .selector_of(t)
                    .expect("selectors() returns selectors");
                if s.is_multi_valued() {
                    // A set of elements is a boolean dimension per element.
                    dims.extend(
                        s.values
                            .iter()
                            .map(|e| SelectorDim::element(t.label.to_string(), e.clone())),
                    );
                } else {
                    dims.push(SelectorDim {
                        label: t.label.to_string(),
                        values: s.values.clone(),
                        ordered: s.ordered,
                        element: None,
                    });
                }
            }
            Algebra::new(Space::new(dims))
        })
    }

    /// The condition under which a condition target holds.
    pub fn of(&self, label: &Label) -> Result<Cond> {
        if let Some(c) = self.cache.borrow().get(label) {
            return Ok(*c);
        }
        let alg = self.algebra();
        // An alias of a condition is that condition (so the two are equally
        // specific); a `flag_values` key may be an alias of a selector.
        let target = self.graph.follow_aliases(label)?;
        let c = match &target.rule {
            Rule::ConfigSetting {
                flag_values,
                constraint_values,
            } => {
                let mut c = alg.always();
                for cv in constraint_values.iter() {
                    c = alg.and(c, self.constraint(cv)?);
                }
                for fv in flag_values {
                    let target = self.graph.follow_aliases(&fv.selector)?;
                    let not_a_value = || {
                        Error::new(
                            ErrorKind::Selector,
                            format!("`{}` is not a value of `{}`", fv.value, fv.selector),
                        )
                    };
                    let Some(selector) = self.graph.selector_of(target) else {
                        return Err(Error::new(
                            ErrorKind::Selector,
                            format!("`{}` is not a selector", fv.selector),
                        ));
                    };
                    // As written (`True`, `0xc`), read as Bazel reads it.
                    let expected = selector.expected(&fv.value).map_err(|_| not_a_value())?;
                    let space = alg.space();
                    let label = target.label.as_str();
                    let term = if selector.is_multi_valued() {
                        // `"avx2"`: the set has it; `"!=avx2"`: it does not.
                        let dim = space
                            .element_index(label, &expected)
                            .ok_or_else(not_a_value)?;
                        let has = match fv.op {
                            Compare::Eq => 1,
                            Compare::Ne => 0,
                            _ => return Err(not_a_value()),
                        };
                        alg.equals(dim, has)
                    } else {
                        let sel = space.index_of(label).ok_or_else(not_a_value)?;
                        let value = space.value_index(sel, &expected).ok_or_else(not_a_value)?;
                        alg.compare(sel, compare_op(fv.op), value)
                    };
                    c = alg.and(c, term);
                }
                c
            }
            Rule::ConfigSettingGroup { mode, conditions } => {
                // skylib's `//conditions:default` member is always true.
                let parts = conditions
                    .iter()
                    .map(|c| {
                        if c.is_conditions_default() {
                            Ok(alg.always())
                        } else {
                            self.of(c)
                        }
                    })
                    .collect::<Result<Vec<_>>>()?;
                match mode {
                    GroupMode::Any => alg.or_all(parts),
                    GroupMode::All => alg.and_all(parts),
                }
            }
            Rule::ConstraintValue { .. } => self.constraint(&target.label)?,
            other => {
                return Err(Error::new(
                    ErrorKind::WrongKind,
                    format!("`{label}` is a {}, not a condition", other.kind()),
                ))
            }
        };
        self.cache.borrow_mut().insert(label.clone(), c);
        Ok(c)
    }

    /// The condition that a constraint value holds: its setting has it.
    fn constraint(&self, value: &Label) -> Result<Cond> {
        let alg = self.algebra();
        let (setting, value) = self.graph.constraint(value)?;
        let sel = alg.space().index_of(setting.as_str()).ok_or_else(|| {
            Error::new(
                ErrorKind::Selector,
                format!("`{setting}` is not a constraint setting"),
            )
        })?;
        let value = alg.space().value_index(sel, &value).ok_or_else(|| {
            Error::new(
                ErrorKind::Selector,
                format!("`{value}` is not a value of `{setting}`"),
            )
        })?;
        Ok(alg.compare(sel, CompareOp::Eq, value))
    }

    /// Gives up the conditions, keeping the algebra their handles live in.
    pub fn into_algebra(self) -> Algebra {
        self.algebra();
        self.algebra.into_inner().expect("initialised just above")
    }

    /// Whether `a` is strictly more specific than `b`: `a` implies `b`, not the reverse.
    pub fn more_specific(&self, a: &Label, b: &Label) -> Result<bool> {
        let (ca, cb) = (self.of(a)?, self.of(b)?);
        let alg = self.algebra();
        Ok(alg.implies(ca, cb) && !alg.implies(cb, ca))
    }

    /// Adds the selectors a condition target mentions to `out`.
    pub fn selectors_of(&self, label: &Label, out: &mut Vec<Label>) {
        let Ok(target) = self.graph.follow_aliases(label) else {
            return;
        };
        match &target.rule {
            Rule::ConfigSetting {
                flag_values,
                constraint_values,
            } => {
                out.extend(flag_values.iter().map(|f| {
                    self.graph
                        .follow_aliases(&f.selector)
                        .map_or_else(|_| f.selector.clone(), |s| s.label.clone())
                }));
                let settings = constraint_values.iter();
                out.extend(settings.filter_map(|cv| Some(self.graph.constraint(cv).ok()?.0)));
            }
            Rule::ConstraintValue { .. } => out.extend(self.graph.constraint(label).map(|c| c.0)),
            Rule::ConfigSettingGroup { conditions, .. } => {
                for c in conditions {
                    self.selectors_of(c, out);
                }
            }
            _ => {}
        }
    }
}

fn compare_op(op: Compare) -> CompareOp {
    match op {
        Compare::Eq => CompareOp::Eq,
        Compare::Ne => CompareOp::Ne,
        Compare::Lt => CompareOp::Lt,
        Compare::Le => CompareOp::Le,
        Compare::Gt => CompareOp::Gt,
        Compare::Ge => CompareOp::Ge,
    }
}
