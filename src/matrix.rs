//! `sel matrix`: the distinct configured results of a query.
//!
//! The configuration space is partitioned into classes that give the same
//! result (or the same failure), by refining with each distinct condition of
//! an `--all-configs` result. The cost is the number of distinct conditions
//! times the number of classes, never the size of the space.

use crate::condition::Cond;
use crate::configuration::symbolic::Failure;
use crate::label::Label;
use crate::AllConfigsResult;

/// One class: the configurations where the result is the same.
#[derive(Clone, Debug)]
pub struct Class {
    /// Where this class holds.
    pub when: Cond,
    /// The result there, sorted (empty when the class fails).
    pub targets: Vec<Label>,
    /// The failures there (evaluation fails in the whole class when non-empty).
    pub failures: Vec<Failure>,
}

/// Partitions the space of `result` into classes; disjoint, covering every
/// configuration, ordered by a representative configuration.
pub fn classes(result: &AllConfigsResult) -> Vec<Class> {
    let alg = &result.algebra;
    let mut conds: Vec<Cond> = result
        .failures
        .iter()
        .map(|f| f.when)
        .chain(result.targets.iter().map(|(_, c)| *c))
        .collect();
    conds.sort();
    conds.dedup();
    let mut classes: Vec<Cond> = vec![alg.always()];
    for c in conds {
        if alg.is_always(c) || alg.is_never(c) {
            continue;
        }
        let mut next = Vec::with_capacity(classes.len() * 2);
        for k in classes {
            for part in [alg.and(k, c), alg.and_not(k, c)] {
                if !alg.is_never(part) {
                    next.push(part);
                }
            }
        }
        classes = next;
    }
    let mut out: Vec<(Vec<usize>, Class)> = classes
        .into_iter()
        .map(|k| {
            let failures: Vec<Failure> = result
                .failures
                .iter()
                .filter(|f| !alg.disjoint(k, f.when))
                .cloned()
                .collect();
            let targets = if failures.is_empty() {
                result
                    .targets
                    .iter()
                    .filter(|(_, c)| alg.implies(k, *c))
                    .map(|(l, _)| l.clone())
                    .collect()
            } else {
                Vec::new()
            };
            let example = alg.example(k, &|_| 0).unwrap_or_default();
            (
                example,
                Class {
                    when: k,
                    targets,
                    failures,
                },
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, c)| c).collect()
}
