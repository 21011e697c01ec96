//! Conditions as sums of products, for the conditions that have no small diagram.
//!
//! A decision diagram is canonical, which is what most of sel leans on, but an OR of
//! a few hundred products over selectors unrelated to each other has no small
//! diagram in any selector order, while the products themselves are few: the
//! reachability conditions of a deep graph whose selects test many selectors are
//! like that (docs/benchmarks.md). [`Sop`] keeps such a condition as its cubes, in
//! Espresso's positional notation (one bit per value of each selector), so that
//! `and`, `or` and containment cost what the cubes cost, and [`Sops::minimize`]
//! makes any such list an irredundant cover of prime cubes: the same kind of cover
//! [`super::Algebra::cover`] computes from a diagram.

use std::collections::BTreeMap;

use super::{Cube, Space};

/// A cube: for each selector, the set of values it allows, as bits.
pub type Bits = Box<[u64]>;

/// A sum of products: the union of its cubes (none empty). The empty list is *never*.
pub type Sop = Vec<Bits>;

/// The layout of cubes over one space, and the operations on them.
#[derive(Clone, Debug)]
pub struct Sops {
    /// The first bit of each selector, and its number of values.
    fields: Vec<(usize, usize)>,
    /// The bits of each selector, as (word, mask) pairs.
    masks: Vec<Vec<(usize, u64)>>,
    words: usize,
    /// Every value of every selector: the cube of *always*.
    full: Bits,
}

impl Sops {
    /// The layout for `space`.
    pub fn new(space: &Space) -> Sops {
        let mut fields = Vec::new();
        let mut at = 0;
        for dim in space.selectors() {
            fields.push((at, dim.values.len()));
            at += dim.values.len();
        }
        let words = at.div_ceil(64).max(1);
        let masks = fields
            .iter()
            .map(|&(start, len)| {
                let mut words: Vec<(usize, u64)> = Vec::new();
                for bit in start..start + len {
                    match words.last_mut() {
                        Some((w, m)) if *w == bit / 64 => *m |= 1 << (bit % 64),
                        _ => words.push((bit / 64, 1 << (bit % 64))),
                    }
                }
                words
            })
            .collect();
        let mut full = vec![0u64; words].into_boxed_slice();
        for bit in 0..at {
            full[bit / 64] |= 1 << (bit % 64);
        }
        Sops {
            fields,
            masks,
            words,
            full,
        }
    }

    /// *Always*.
    pub fn always(&self) -> Sop {
        vec![self.full.clone()]
    }

    /// The condition of `cubes` (selector index -> allowed values).
    pub fn from_cubes(&self, cubes: &[Cube]) -> Sop {
        let sop = cubes
            .iter()
            .map(|cube| {
                let mut bits = self.full.clone();
                for (&sel, values) in &cube.0 {
                    let (start, len) = self.fields[sel];
                    for v in 0..len {
                        clear(&mut bits, start + v);
                    }
                    for &v in values {
                        set(&mut bits, start + v);
                    }
                }
                bits
            })
            .filter(|bits| !self.is_empty(bits))
            .collect();
        self.absorb(sop)
    }

    /// The cubes of `sop`, selectors with every value left out.
    pub fn to_cubes(&self, sop: &Sop) -> Vec<Cube> {
        let mut out: Vec<Cube> = sop
            .iter()
            .map(|bits| {
                let mut cube = BTreeMap::new();
                for (sel, &(start, len)) in self.fields.iter().enumerate() {
                    let values: Vec<usize> = (0..len).filter(|&v| get(bits, start + v)).collect();
                    if values.len() < len {
                        cube.insert(sel, values);
                    }
                }
                Cube(cube)
            })
            .collect();
        out.sort_by(|a, b| (a.0.len(), a).cmp(&(b.0.len(), b)));
        out
    }

    /// Whether some selector allows no value.
    fn is_empty(&self, bits: &[u64]) -> bool {
        self.masks
            .iter()
            .any(|field| field.iter().all(|&(w, m)| bits[w] & m == 0))
    }

    /// Whether the cube allows only some values of selector `sel`.
    fn restricts(&self, bits: &[u64], sel: usize) -> bool {
        self.masks[sel].iter().any(|&(w, m)| bits[w] & m != m)
    }

    /// The intersection of two cubes, if not empty.
    fn meet(&self, a: &[u64], b: &[u64]) -> Option<Bits> {
        let bits: Bits = a.iter().zip(b).map(|(x, y)| x & y).collect();
        (!self.is_empty(&bits)).then_some(bits)
    }

    /// Drops every cube inside another (keeping one of equal cubes).
    pub fn absorb(&self, mut sop: Sop) -> Sop {
        sop.sort_by_key(|bits| std::cmp::Reverse(popcount(bits)));
        let mut kept: Sop = Vec::with_capacity(sop.len());
        for bits in sop {
            if !kept.iter().any(|k| inside(&bits, k)) {
                kept.push(bits);
            }
        }
        kept
    }

    /// Both.
    pub fn and(&self, a: &Sop, b: &Sop) -> Sop {
        if b.len() == 1 && b[0] == self.full {
            return a.clone();
        }
        if a.len() == 1 && a[0] == self.full {
            return b.clone();
        }
        let mut out = Vec::new();
        for x in a {
            for y in b {
                if let Some(m) = self.meet(x, y) {
                    out.push(m);
                }
            }
        }
        self.absorb(out)
    }

    /// Either.
    pub fn or(&self, a: &Sop, b: &Sop) -> Sop {
        if a.contains(&self.full) || b.is_empty() {
            return self.absorb(a.clone());
        }
        if b.contains(&self.full) || a.is_empty() {
            return self.absorb(b.clone());
        }
        self.absorb(a.iter().chain(b).cloned().collect())
    }

    /// Whether every configuration of `cube` lies in `sop`.
    pub fn covers(&self, sop: &[Bits], cube: &[u64]) -> bool {
        // The quick answers first: a cube of `sop` that holds all of `cube`, or
        // a corner of `cube` (its first or last value of each selector) that
        // no cube of `sop` holds.
        if sop.iter().any(|bits| inside(cube, bits)) {
            return true;
        }
        for last in [false, true] {
            let corner: Vec<usize> = self
                .fields
                .iter()
                .map(|&(start, len)| {
                    let mut values = (0..len).filter(|&v| get(cube, start + v));
                    let first = values.next().unwrap_or(0);
                    if last {
                        values.next_back().unwrap_or(first)
                    } else {
                        first
                    }
                })
                .collect();
            if !self.eval(sop, &corner) {
                return false;
            }
        }
        // The cofactor of `sop` by `cube`: the cubes that meet it, widened by
        // everything outside it; `cube` is inside `sop` when that is a tautology.
        let outside: Vec<u64> = cube.iter().zip(&*self.full).map(|(c, f)| !c & f).collect();
        let mut cofactor: Sop = Vec::new();
        for bits in sop {
            if self.meet(bits, cube).is_some() {
                cofactor.push(bits.iter().zip(&outside).map(|(b, o)| b | o).collect());
            }
        }
        self.tautology(cofactor)
    }

    /// Whether `sop` holds everywhere: split on the selector most cubes restrict,
    /// and every value's cofactor must hold everywhere.
    fn tautology(&self, sop: Sop) -> bool {
        if sop.is_empty() {
            return false;
        }
        if sop.contains(&self.full) {
            return true;
        }
        // A value no cube allows: not a tautology.
        let mut union = vec![0u64; self.words];
        for bits in &sop {
            for (u, b) in union.iter_mut().zip(bits.iter()) {
                *u |= b;
            }
        }
        if union[..] != self.full[..] {
            return false;
        }
        // Which selectors each cube restricts.
        let restricts: Vec<Vec<usize>> = sop
            .iter()
            .map(|bits| {
                (0..self.fields.len())
                    .filter(|&sel| self.restricts(bits, sel))
                    .collect()
            })
            .collect();
        // Cubes that share no selector, directly or through others, are
        // independent: the cover holds everywhere when one such group does.
        let groups = components(&restricts, self.fields.len());
        if groups.len() > 1 {
            return groups
                .into_iter()
                .any(|group| self.tautology(group.into_iter().map(|i| sop[i].clone()).collect()));
        }
        let mut counts = vec![0usize; self.fields.len()];
        for sels in &restricts {
            for &sel in sels {
                counts[sel] += 1;
            }
        }
        let best = (0..counts.len())
            .max_by_key(|&sel| (counts[sel], std::cmp::Reverse(sel)))
            .expect("a selector");
        // Values that the same cubes allow have the same cofactor: each is
        // checked once.
        let (start, len) = self.fields[best];
        let mut seen: Vec<Vec<usize>> = Vec::new();
        (0..len).all(|v| {
            let members = allowing(&sop, start + v);
            if seen.contains(&members) {
                return true;
            }
            let cofactor = self.widened(&sop, &members, best);
            seen.push(members);
            self.tautology(cofactor)
        })
    }

    /// The cubes `members` of `sop`, widened to every value of selector `sel`:
    /// the cofactor of `sop` by a value those cubes allow.
    fn widened(&self, sop: &[Bits], members: &[usize], sel: usize) -> Sop {
        let (start, len) = self.fields[sel];
        members
            .iter()
            .map(|&i| {
                let mut widened = sop[i].clone();
                for w in 0..len {
                    set(&mut widened, start + w);
                }
                widened
            })
            .collect()
    }

    /// The complement of `sop`: the space with every cube taken away.
    pub fn not(&self, sop: &Sop) -> Sop {
        self.and_not(&self.always(), sop, usize::MAX)
            .expect("no bound on the cubes")
    }

    /// `a` and not `b`, by taking each cube of `b` away from every cube of `a`
    /// (Espresso's sharp); `None` once the result would hold more than `limit`
    /// cubes.
    pub fn and_not(&self, a: &Sop, b: &Sop, limit: usize) -> Option<Sop> {
        let mut result = a.clone();
        for f in b {
            let mut next: Sop = Vec::with_capacity(result.len());
            for r in &result {
                if self.meet(r, f).is_none() {
                    next.push(r.clone());
                    continue;
                }
                // The parts of `r` outside `f`: one per selector `f` restricts.
                for &(start, len) in &self.fields {
                    if (0..len).all(|v| get(f, start + v)) {
                        continue;
                    }
                    let mut part = r.clone();
                    for v in 0..len {
                        if get(f, start + v) {
                            clear(&mut part, start + v);
                        }
                    }
                    if !self.is_empty(&part) {
                        next.push(part);
                    }
                }
            }
            result = self.absorb(next);
            if result.len() > limit {
                return None;
            }
        }
        Some(result)
    }

    /// Restricts `sop` to selector `sel` having `value`, which then no longer matters.
    pub fn restrict(&self, sop: &Sop, sel: usize, value: usize) -> Sop {
        let (start, _) = self.fields[sel];
        self.absorb(self.widened(sop, &allowing(sop, start + value), sel))
    }

    /// An irredundant cover of prime cubes of the condition `sop` denotes: each cube
    /// widened as far as it stays inside (Espresso's EXPAND), then each cube that the
    /// others cover dropped (IRREDUNDANT). The union never changes.
    pub fn minimize(&self, sop: &Sop) -> Sop {
        if sop.contains(&self.full) {
            return self.always();
        }
        let mut cubes = self.absorb(sop.clone());
        if cubes.len() == 1 {
            // One cube is its own prime, irredundant cover.
            return cubes;
        }
        for i in 0..cubes.len() {
            let mut cube = cubes[i].clone();
            for &(start, len) in &self.fields {
                let missing: Vec<usize> = (0..len).filter(|&v| !get(&cube, start + v)).collect();
                if missing.is_empty() {
                    continue;
                }
                // The whole selector at once first: the common case.
                let mut wide = cube.clone();
                for &v in &missing {
                    set(&mut wide, start + v);
                }
                if self.covers(&cubes, &wide) {
                    cube = wide;
                    continue;
                }
                for v in missing {
                    let mut wider = cube.clone();
                    set(&mut wider, start + v);
                    if self.covers(&cubes, &wider) {
                        cube = wider;
                    }
                }
            }
            cubes[i] = cube;
        }
        let mut cubes = self.absorb(cubes);
        // Smallest first: they are the likeliest to be covered by the others.
        cubes.sort_by_key(popcount);
        let mut i = 0;
        while i < cubes.len() {
            let cube = cubes.remove(i);
            if !self.covers(&cubes, &cube) {
                cubes.insert(i, cube);
                i += 1;
            }
        }
        cubes
    }

    /// Whether configuration `config` (one value index per selector) is in `sop`.
    pub fn eval(&self, sop: &[Bits], config: &[usize]) -> bool {
        sop.iter().any(|bits| {
            self.fields
                .iter()
                .zip(config)
                .all(|(&(start, _), &v)| get(bits, start + v))
        })
    }
}

/// The groups of cubes (by index) that restrict common selectors, directly or
/// through other cubes of the group.
fn components(restricts: &[Vec<usize>], selectors: usize) -> Vec<Vec<usize>> {
    // Union-find over cubes, joined through the first cube seen per selector.
    let mut parent: Vec<usize> = (0..restricts.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first = vec![usize::MAX; selectors];
    for (i, sels) in restricts.iter().enumerate() {
        for &sel in sels {
            if first[sel] == usize::MAX {
                first[sel] = i;
            } else {
                let (a, b) = (find(&mut parent, i), find(&mut parent, first[sel]));
                parent[a] = b;
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: Vec<usize> = vec![usize::MAX; restricts.len()];
    for i in 0..restricts.len() {
        let root = find(&mut parent, i);
        if group_of[root] == usize::MAX {
            group_of[root] = groups.len();
            groups.push(Vec::new());
        }
        groups[group_of[root]].push(i);
    }
    groups
}

/// The cubes of `sop` (by index) that allow the value at `bit`.
fn allowing(sop: &[Bits], bit: usize) -> Vec<usize> {
    (0..sop.len()).filter(|&i| get(&sop[i], bit)).collect()
}

fn get(bits: &[u64], i: usize) -> bool {
    bits[i / 64] >> (i % 64) & 1 == 1
}

fn set(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

fn clear(bits: &mut [u64], i: usize) {
    bits[i / 64] &= !(1 << (i % 64));
}

fn popcount(bits: &Bits) -> u32 {
    bits.iter().map(|w| w.count_ones()).sum()
}

/// Whether cube `a` lies inside cube `b`.
fn inside(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}
