//! Covers: a condition as an irredundant sum of prime cubes, computed from its diagram.
//!
//! This is Minato and Morreale's ISOP generalised to multi-valued selectors, where the
//! "literals" of a cube are the value sets of one selector. `isop(L, U)` returns cubes whose
//! union `I` lies between `L` and `U`; a condition's cover is `isop(c, c)`. At a node
//! testing selector `x`, with cofactors `L_v` and `U_v` for each value `v`:
//!
//! - A configuration `m` of the selectors below `x` can be covered, together with value
//!   `v`, only by cubes whose value set for `x` lies inside `T(m) = {v : m ∈ U_v}`: its
//!   *signature*. The configurations below `x` fall into regions of equal signature,
//!   found by splitting on each distinct upper cofactor (values with the same `U_v`
//!   belong together), so there are as many regions as the diagram distinguishes, never
//!   one per value combination.
//! - Regions are taken by increasing size of their signature `S`. The configurations of
//!   region `S` still uncovered, `⋁_{v∈S} (L_v ∧ ¬C_v) ∧ R_S`, are covered by
//!   `isop(·, ⋀_{v∈S} U_v)`, each resulting cube taking the value set `S` for `x` (no
//!   term at all when `S` is every value). `C_v` accumulates what the cubes taken so far
//!   cover at value `v`.
//!
//! Each cube covers a configuration of its region that no other cube covers (cubes of a
//! region can reach only regions whose signature contains theirs, which come later, and
//! only the uncovered part of a region is passed down), so the cover is *irredundant*;
//! its value set for `x` is the whole signature of such a configuration, so it cannot be
//! widened, and by induction neither can its other terms: every cube is *prime*. With
//! `L = U = c` the union is exactly `c`.
//!
//! The work is a handful of diagram operations per node and region, plus copying each
//! cube once per selector it mentions: it follows the diagram and the cover, not the
//! number of paths through the diagram (which is what made the disjoint-cube expansion
//! this replaces exponential on an OR of a few dozen terms).

use std::rc::Rc;

use super::{Cube, FxMap, Store, ALWAYS, NEVER};

/// A cover and the condition it denotes.
type Covered = (Rc<Vec<Cube>>, u32);

impl Store {
    /// An irredundant cover of prime cubes of `c`, with `isop` memoized for this call.
    pub(super) fn cover(&mut self, c: u32) -> Vec<Cube> {
        let mut memo = FxMap::default();
        let (cubes, union) = self.isop(c, c, &mut memo);
        debug_assert_eq!(union, c, "a cover denotes its condition");
        Rc::try_unwrap(cubes).unwrap_or_else(|shared| (*shared).clone())
    }

    /// Cubes whose union lies between `lower` and `upper` (`lower` implies `upper`).
    fn isop(&mut self, lower: u32, upper: u32, memo: &mut FxMap<(u32, u32), Covered>) -> Covered {
        if lower == NEVER {
            return (Rc::new(Vec::new()), NEVER);
        }
        if upper == ALWAYS {
            return (Rc::new(vec![Cube::default()]), ALWAYS);
        }
        if let Some(known) = memo.get(&(lower, upper)) {
            return known.clone();
        }
        let (var, vl, vu) = self.top(lower, upper);
        let n = self.domain[var as usize] as usize;
        let cofactor = |store: &Store, node: u32, at: u32, value: usize| {
            if at == var {
                store.child(node, value)
            } else {
                node
            }
        };
        let lows: Vec<u32> = (0..n).map(|v| cofactor(self, lower, vl, v)).collect();
        let ups: Vec<u32> = (0..n).map(|v| cofactor(self, upper, vu, v)).collect();

        // Values grouped by their upper cofactor, in order of first value.
        let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
        for (v, &u) in ups.iter().enumerate() {
            match groups.iter_mut().find(|(g, _)| *g == u) {
                Some((_, values)) => values.push(v),
                None => groups.push((u, vec![v])),
            }
        }
        // The regions of equal signature (a set of groups) where something is to be
        // covered. A region outside every upper cofactor holds nothing of `lower`.
        let mut need = NEVER;
        for &l in &lows {
            need = self.or(need, l);
        }
        let mut regions: Vec<(u32, Vec<bool>)> = vec![(need, Vec::with_capacity(groups.len()))];
        for (u, _) in &groups {
            let mut next = Vec::with_capacity(regions.len() * 2);
            for (region, signature) in regions {
                let inside = self.and(region, *u);
                let not_u = self.not(*u);
                let outside = self.and(region, not_u);
                if inside != NEVER {
                    let mut s = signature.clone();
                    s.push(true);
                    next.push((inside, s));
                }
                if outside != NEVER {
                    let mut s = signature;
                    s.push(false);
                    next.push((outside, s));
                }
            }
            regions = next;
        }
        let size = |signature: &[bool]| -> usize {
            signature
                .iter()
                .zip(&groups)
                .filter(|(&member, _)| member)
                .map(|(_, (_, values))| values.len())
                .sum()
        };
        // Smaller signatures first; equal sizes keep their order (they cannot interact).
        regions.sort_by_key(|(_, signature)| size(signature));

        let mut covered = vec![NEVER; n];
        let mut cubes: Vec<Cube> = Vec::new();
        for (region, signature) in regions {
            let mut values: Vec<usize> = Vec::new();
            let mut upper_s = ALWAYS;
            for (member, (u, group)) in signature.iter().zip(&groups) {
                if *member {
                    values.extend_from_slice(group);
                    upper_s = self.and(upper_s, *u);
                }
            }
            if values.is_empty() {
                continue;
            }
            values.sort_unstable();
            let mut lower_s = NEVER;
            for &v in &values {
                let not_covered = self.not(covered[v]);
                let uncovered = self.and(lows[v], not_covered);
                lower_s = self.or(lower_s, uncovered);
            }
            lower_s = self.and(lower_s, region);
            if lower_s == NEVER {
                continue;
            }
            let (sub, union) = self.isop(lower_s, upper_s, memo);
            for &v in &values {
                covered[v] = self.or(covered[v], union);
            }
            let every_value = values.len() == n;
            for cube in sub.iter() {
                let mut cube = cube.clone();
                if !every_value {
                    cube.0.insert(var as usize, values.clone());
                }
                cubes.push(cube);
            }
        }
        let base = self.scratch.len();
        self.scratch.push(var);
        self.scratch.extend_from_slice(&covered);
        let union = self.mk(base);
        let result = (Rc::new(cubes), union);
        memo.insert((lower, upper), result.clone());
        result
    }
}
