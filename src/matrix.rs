//! `sel matrix`: the distinct configured results of a query.
//!
//! The configuration space is partitioned into classes that give the same result (or the
//! same failure). Classes are found one at a time, each whole when found, so text output
//! can print them as they come: take the least configuration not yet in a class (in the
//! selectors' order, least values first), evaluate every distinct condition of the
//! `--all-configs` result there (a walk down each diagram), and intersect the conditions
//! that hold with the complements of those that do not: that is the class of that
//! configuration. Remove it and repeat. Classes therefore come in the order of their least
//! configuration, and each costs one operation per distinct condition, never a walk over
//! the space.
//!
//! A query whose selects use many selectors can have astronomically many classes (a root
//! whose closure uses 30 selectors independently has more classes than there are
//! atoms). Finding them is bounded by `max_classes`: past it, [`each_class`] stops with
//! a `sel::too_many_classes` error that says how many were found and which selectors
//! the result depends on, instead of running for ever.

use crate::condition::Cond;
use crate::configuration::symbolic::Failure;
use crate::error::{Error, ErrorKind, Result};
use crate::label::Label;
use crate::query::result::AllConfigsResult;

/// The default bound on the number of classes `sel matrix` finds.
pub const DEFAULT_MAX_CLASSES: usize = 4096;

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

/// Partitions the space of `result` into classes: disjoint, covering every configuration,
/// ordered by their least configuration. At most `max_classes` of them, else a
/// `sel::too_many_classes` error.
pub fn classes(result: &AllConfigsResult, max_classes: usize) -> Result<Vec<Class>> {
    let mut out = Vec::new();
    each_class(result, max_classes, &mut |class| {
        out.push(class);
        true
    })?;
    Ok(out)
}

/// Finds the classes of [`classes`] one by one and hands each to `found` as soon as it
/// is complete; `found` returns `false` to stop early (a reader went away). Returns how
/// many classes were found.
pub fn each_class(
    result: &AllConfigsResult,
    max_classes: usize,
    found: &mut dyn FnMut(Class) -> bool,
) -> Result<usize> {
    let alg = &result.algebra;
    let mut conds: Vec<Cond> = result
        .failures
        .iter()
        .map(|f| f.when)
        .chain(result.targets.iter().map(|(_, c)| *c))
        .filter(|&c| !alg.is_always(c) && !alg.is_never(c))
        .collect();
    conds.sort();
    conds.dedup();
    let mut remaining = alg.always();
    let mut count = 0;
    while let Some(least) = alg.example(remaining, &|_| 0) {
        if count == max_classes {
            return Err(too_many(result, &conds, count));
        }
        let mut when = remaining;
        for &c in &conds {
            when = if alg.eval(c, &least) {
                alg.and(when, c)
            } else {
                alg.and_not(when, c)
            };
        }
        remaining = alg.and_not(remaining, when);
        let failures: Vec<Failure> = result
            .failures
            .iter()
            .filter(|f| alg.eval(f.when, &least))
            .cloned()
            .collect();
        let targets = if failures.is_empty() {
            result
                .targets
                .iter()
                .filter(|(_, c)| alg.eval(*c, &least))
                .map(|(l, _)| l.clone())
                .collect()
        } else {
            Vec::new()
        };
        count += 1;
        if !found(Class {
            when,
            targets,
            failures,
        }) {
            break;
        }
    }
    Ok(count)
}

/// The error for a partition with more than `found` classes.
fn too_many(result: &AllConfigsResult, conds: &[Cond], found: usize) -> Error {
    let alg = &result.algebra;
    let mut selectors: Vec<usize> = conds.iter().flat_map(|&c| alg.support(c)).collect();
    selectors.sort_unstable();
    selectors.dedup();
    let space = alg.space();
    let names: Vec<&str> = selectors.iter().map(|&s| space.display_name(s)).collect();
    Error::new(
        ErrorKind::TooManyClasses,
        format!(
            "the result has more than {found} classes of configurations: it depends on {} selector{} ({}), and {} distinct conditions",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", "),
            conds.len(),
        ),
    )
    .with_help(
        "fix some of these selectors with --select, raise the bound with --max-classes, or use `sel cquery EXPR --all-configs`, which gives each target's condition without listing classes",
    )
}
