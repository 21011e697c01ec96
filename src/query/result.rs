//! What queries answer: a [`QueryResult`] (`query`, `cquery`), an
//! [`AllConfigsResult`] or [`CoversResult`] (`cquery --all-configs`), and an
//! [`AllConfigsRun`], an all-configurations evaluation with its resolver
//! still at hand (for `why`, `check`, `licenses`, `sbom`). Below the
//! outputs that render them and the session that computes them.

use crate::condition::{Algebra, Cond};
use crate::configuration::symbolic::{Failure, SymbolicConfigurer};
use crate::configuration::Configuration;
use crate::label::Label;

/// The answer to a `query` or `cquery`: targets, sorted by label.
#[derive(Clone, Debug)]
pub struct QueryResult {
    /// The targets of the result.
    pub targets: Vec<Label>,
    /// The configuration, for `cquery`.
    pub configuration: Option<Configuration>,
    /// For `cquery`, each target of the result with its selects resolved, in label order.
    pub configured: Vec<crate::configuration::ConfiguredTarget>,
}

impl QueryResult {
    /// The labels as strings, sorted.
    pub fn labels(&self) -> Vec<String> {
        self.targets.iter().map(|l| l.to_string()).collect()
    }
}

/// The answer to `cquery 'deps(...)' --all-configs` computed with sums of
/// products ([`crate::Session::cquery_all_covers`]): each target with the cover of the
/// condition under which it is in the result, and the regions where evaluation fails.
pub struct CoversResult {
    /// The algebra of the run: its space names the selectors and values.
    pub algebra: Algebra,
    /// Selectors fixed by `--select`/`--platform`/`--config`, with their values;
    /// the covers do not mention them.
    pub fixed: Vec<(Label, String)>,
    /// Targets with where they are in the result, sorted by label; none empty.
    pub targets: Vec<(Label, Vec<crate::condition::Cube>)>,
    /// Where evaluation fails, and why.
    pub failures: Vec<super::all_configs::CoveredFailure>,
}

/// The answer to `cquery --all-configs`: each target with the condition under
/// which it is in the result, and the regions where evaluation fails.
pub struct AllConfigsResult {
    /// The algebra the conditions live in.
    pub algebra: Algebra,
    /// Selectors fixed by `--select`/`--platform`/`--config`, with their values;
    /// conditions do not mention them.
    pub fixed: Vec<(Label, String)>,
    /// Targets with their conditions, sorted by label; none is `never`.
    pub targets: Vec<(Label, Cond)>,
    /// Where evaluation fails, and why.
    pub failures: Vec<Failure>,
}

/// The condition of `label` in targets sorted by label (a binary search: `why`
/// asks for every edge of a result).
fn when_in(targets: &[(Label, Cond)], label: &Label) -> Option<Cond> {
    debug_assert!(
        targets.windows(2).all(|w| w[0].0 < w[1].0),
        "sorted by label"
    );
    targets
        .binary_search_by(|(l, _)| l.cmp(label))
        .ok()
        .map(|i| targets[i].1)
}

impl AllConfigsResult {
    /// The condition under which `label` is in the result (`never` if it is not).
    pub fn when(&self, label: &Label) -> Cond {
        when_in(&self.targets, label).unwrap_or(self.algebra.never())
    }

    /// Where evaluation fails at all.
    pub fn failing(&self) -> Cond {
        self.algebra.or_all(self.failures.iter().map(|f| f.when))
    }
}

/// An `--all-configs` evaluation with its symbolic resolver still at hand.
pub struct AllConfigsRun<'g> {
    /// The resolver (and the algebra inside it).
    pub sym: SymbolicConfigurer<'g>,
    /// Selectors fixed by the request, with their values.
    pub fixed: Vec<(Label, String)>,
    pub(crate) fixed_idx: Vec<(usize, usize)>,
    /// Where each visited target exists (over all selectors).
    pub(crate) compat: std::collections::HashMap<Label, Cond>,
    /// Targets with their conditions (over the free selectors), sorted by label.
    pub targets: Vec<(Label, Cond)>,
    /// Where evaluation fails (over the free selectors).
    pub failures: Vec<Failure>,
}

impl AllConfigsRun<'_> {
    /// Where a target the evaluation visited exists (its and its dependencies'
    /// `target_compatible_with` hold), over all selectors; `None` if not visited.
    pub fn compatibility(&self, label: &Label) -> Option<Cond> {
        self.compat.get(label).copied()
    }

    /// The algebra.
    pub fn algebra(&self) -> &Algebra {
        self.sym.algebra()
    }

    /// A condition with the fixed selectors set to their values (so it no longer mentions them).
    pub fn free(&self, c: Cond) -> Cond {
        let alg = self.sym.algebra();
        self.fixed_idx
            .iter()
            .fold(c, |c, (s, i)| alg.restrict(c, *s, *i))
    }

    /// The condition under which `label` is in the result (`never` if it is not).
    pub fn when(&self, label: &Label) -> Cond {
        when_in(&self.targets, label).unwrap_or(self.algebra().never())
    }

    /// The plain result, giving up the resolver.
    pub fn into_result(self) -> AllConfigsResult {
        AllConfigsResult {
            algebra: self.sym.into_algebra(),
            fixed: self.fixed,
            targets: self.targets,
            failures: self.failures,
        }
    }
}
