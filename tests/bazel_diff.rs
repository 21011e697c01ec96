//! Differential testing of sel against Bazel.
//!
//! Random workspaces in the dialect sel and Bazel share (selector -> skylib
//! `string_flag`, config_setting, config_setting_group -> skylib's
//! `selects.config_setting_group`, package -> `filegroup` with `srcs = deps`,
//! alias -> alias; the packages' translation is
//! `../shared/tools/sel2bazel.py`, and `flags/BUILD` is written here in both
//! dialects, since its selectors are typed: skylib's `bool_flag`, `int_flag`
//! and `string_list_flag` too, see below) are asked
//! `deps(//x)` (and now and then `deps(//x, n)`, `rdeps`, `allpaths`, `-`,
//! `kind`, `//pkg/...`: see [`Form`]) by `sel query` / `sel cquery --select`
//! and by `bazel query` / `bazel cquery --//flags:NAME=VALUE`. The package
//! sets must be equal, and sel must fail (no match / ambiguous) exactly where
//! Bazel fails.
//!
//! Many independent random graphs live in one Bazel workspace (graph `k` is
//! the packages `//gk` and `//gk/sub`, its selectors and conditions are
//! `//flags:gk_*`), so one Bazel server answers everything, and one Bazel
//! call answers a question to every graph at once (`--keep_going` keeps one
//! graph's failure from hiding the others' answers). A server is much faster
//! than `--batch` here (0.2 s a question against 4 s). sel gets each graph as
//! a workspace of its own, with the same labels: it starts once per question,
//! and a small workspace loads faster.
//!
//! Some differences are by design (see sel2bazel.py's docstring). The test
//! does not avoid them by luck: it carries a small model of both semantics
//! (SPEC's and Bazel's, see [`Semantics`]) and compares sel with Bazel
//! wherever the two models agree. Where they differ, it checks each tool
//! against its own model instead, so a by-design difference that is not
//! exactly the documented one still fails the test. The differences:
//!
//! - *Equal-value ties.* Several most specific matching keys with equal values:
//!   sel (SPEC, like Bazel 6.2+) takes the value; older Bazel, such as
//!   Debian's 4.2, rejects the select as ambiguous. The test probes which rule
//!   the Bazel at hand follows.
//! - *Group specialization.* skylib's `config_setting_group` is a chain of
//!   aliases that resolves, in each configuration, to one member
//!   config_setting, and Bazel compares that member's `flag_values` for
//!   specialization. sel compares the groups' conditions (implication).
//! - *Conditions in `deps()`.* Bazel's `deps()` also returns config_settings,
//!   the group aliases and the flags; only package and alias labels are
//!   compared. sel's output is taken whole: SPEC says `deps()` has no
//!   conditions in it.
//! - *Duplicate labels.* Bazel rejects a label listed twice in one attribute
//!   (sel deduplicates); the generator never lists one twice, even across the
//!   parts of a `+`.
//! - *Aliased flags.* A `flag_values` key may name a selector through an
//!   alias (`gK_sN_alias`). sel reads the selector's value, as later Bazel
//!   does; Bazel 4.2 reads the flag's default through the alias (but counts
//!   it as the flag for specialization). The test probes which the Bazel at
//!   hand does.
//!
//! The workspaces also hold what issue #17 added, where both tools agree:
//! aliases of conditions (to Bazel, the config_setting they resolve to),
//! skylib's always-true groups (to Bazel, a config_setting on `--stamp`;
//! their specialization is a group's), and `None` select values (`[]` in
//! `deps`; a failure where an alias's `actual` takes it). sel2bazel.py
//! writes `None` as `null`, which the test respells, and Bazel 4.2 cannot
//! `+` a select whose first value is `None`, which the generator avoids.
//!
//! Constraints and platforms (issue #17) have a comparison of their own,
//! `constraints_agree_with_bazel_on_random_workspaces`: sel2bazel.py writes
//! no `platform()`, so those workspaces are written for both tools by the
//! test, and asked `cquery 'deps(...)'` at every platform (`--platform` /
//! `--platforms`), with the same two-model method (Bazel 4.2.3 ignores
//! constraint values when it compares keys for specialization).
//!
//! Typed selectors (issue #17): a graph's selectors are strings, bools,
//! ints or lists (`string_list_flag`, a set of elements, whose settings hold
//! where the set has their element; the model's value of a list is a set as
//! bits). `flag_values` are now and then written as Bazel reads them (`True`,
//! `1`, `yes`; `0xc`, `+12`), `--select` gives a list's elements in reverse
//! order, sel's flags file loads skylib now and then, and Bazel's has no
//! `values` for ints and lists. One more by-design difference follows:
//!
//! - *Values written two ways.* `{":b": "1", ":os": "linux"}` is more
//!   specific than `{":b": "True"}` to sel (implication); Bazel compares the
//!   entries as written, so neither refines the other. The model of Bazel
//!   compares them as written too (`by_text`).
//!
//! Without `bazel` on PATH the Bazel test skips; the model test and the
//! regression cases below run anyway. `SEL_BAZEL_DIFF_SEED` and
//! `SEL_BAZEL_DIFF_GRAPHS` explore other random workspaces.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

const SEL: &str = env!("CARGO_BIN_EXE_sel");

// ---------------------------------------------------------------------------
// A small deterministic PRNG (SplitMix64): reproducible workspaces, no crate.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// lo..=hi.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// `k` distinct numbers of 0..n, in random order.
    fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        self.shuffle(&mut all);
        all.truncate(k);
        all
    }
}

// ---------------------------------------------------------------------------
// The random workspace: one graph, as data, and as BUILD text.

const VALUE_POOLS: &[&[&str]] = &[
    &["a", "b", "c", "d"],
    &["11", "12", "cpu", "rocm"],
    &["linux", "macos", "windows"],
    &["x86-64", "x86-64-v3", "arm64", "riscv64"],
    &["gpl", "mit", "apache-2.0"],
];

/// Integers of `int_flag`s.
const INT_POOL: &[i64] = &[-1, 0, 1, 2, 4, 8, 11, 12, 16, 64];
/// Elements of `string_list_flag`s.
const ELEMENT_POOL: &[&str] = &["avx2", "avx512", "fma", "neon", "sse4"];

/// What a selector is declared as (issue #17): to Bazel, skylib's build
/// setting of that type; to sel, the same rule (or `selector()` for a string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Str,
    Bool,
    Int,
    /// A `string_list_flag`: a value is a set of its elements.
    List,
}

struct Selector {
    ty: Ty,
    /// The values in their canonical spelling (`false`, `true`; an int's
    /// decimal, in numeric order); for a list, its elements.
    values: Vec<String>,
    /// A value's index; for a list, a set of its elements (bit `e`: element `e`).
    default: usize,
    /// A string selector written `string_flag(...)` for sel too (else `selector(...)`).
    skylib_spelling: bool,
    /// An `int_flag`'s values in the order sel's BUILD file lists them.
    written: Vec<usize>,
}

impl Selector {
    /// How many values a configuration may give it: for a list, every set of
    /// its elements.
    fn n_values(&self) -> usize {
        match self.ty {
            Ty::List => 1 << self.values.len(),
            _ => self.values.len(),
        }
    }

    /// Value `v` as a command line sets it; a list's elements joined with
    /// commas, in declared order or (`reversed`) the other way round.
    fn setting(&self, v: usize, reversed: bool) -> String {
        if self.ty != Ty::List {
            return self.values[v].clone();
        }
        let mut held: Vec<&str> = (0..self.values.len())
            .filter(|e| v & (1 << e) != 0)
            .map(|e| self.values[e].as_str())
            .collect();
        if reversed {
            held.reverse();
        }
        held.join(",")
    }

    /// Whether the selector at value `value` satisfies a `flag_values` entry
    /// on `v`: equal, or for a list, holding element `v`.
    fn holds(&self, v: usize, value: usize) -> bool {
        match self.ty {
            Ty::List => value & (1 << v) != 0,
            _ => value == v,
        }
    }

    /// How a `flag_values` entry writes `v` (a value, or a list's element):
    /// the canonical spelling mostly, now and then another Bazel reads the
    /// same way (`True`, `1`, `yes`; `0xc`, `+12`).
    fn spell(&self, v: usize, rng: &mut Rng) -> String {
        match self.ty {
            Ty::Str | Ty::List => self.values[v].clone(),
            Ty::Bool if rng.chance(0.5) => {
                let other: [&[&str]; 2] = [&["False", "0", "no"], &["True", "1", "yes"]];
                rng.pick(other[v]).to_string()
            }
            Ty::Int if rng.chance(0.3) => {
                let n: i64 = self.values[v].parse().unwrap();
                match (n >= 0, rng.chance(0.5)) {
                    (true, true) => format!("{n:#x}"),
                    (true, false) => format!("+{n}"),
                    _ => n.to_string(),
                }
            }
            _ => self.values[v].clone(),
        }
    }

    /// This selector's declaration, for sel and for Bazel.
    fn declare(&self, name: &str) -> (String, String) {
        let quoted = |v: &[&str]| {
            v.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let values: Vec<&str> = self.values.iter().map(String::as_str).collect();
        let public = "visibility = [\"//visibility:public\"]";
        match self.ty {
            Ty::Str => {
                let default = &self.values[self.default];
                let bazel = format!(
                    "string_flag(name = \"{name}\", values = [{}], build_setting_default = \"{default}\", {public})",
                    quoted(&values)
                );
                let sel = if self.skylib_spelling {
                    format!(
                        "string_flag(name = \"{name}\", values = [{}], build_setting_default = \"{default}\")",
                        quoted(&values)
                    )
                } else {
                    format!(
                        "selector(name = \"{name}\", values = [{}], default = \"{default}\")",
                        quoted(&values)
                    )
                };
                (sel, bazel)
            }
            Ty::Bool => {
                let default = if self.default == 1 { "True" } else { "False" };
                (
                    format!("bool_flag(name = \"{name}\", build_setting_default = {default})"),
                    format!(
                        "bool_flag(name = \"{name}\", build_setting_default = {default}, {public})"
                    ),
                )
            }
            Ty::Int => {
                let default = &self.values[self.default];
                let written: Vec<&str> = self.written.iter().map(|&i| values[i]).collect();
                (
                    format!(
                        "int_flag(name = \"{name}\", values = [{}], build_setting_default = {default})",
                        written.join(", ")
                    ),
                    // skylib's int_flag has no `values`.
                    format!("int_flag(name = \"{name}\", build_setting_default = {default}, {public})"),
                )
            }
            Ty::List => {
                let held: Vec<&str> = (0..values.len())
                    .filter(|e| self.default & (1 << e) != 0)
                    .map(|e| values[e])
                    .collect();
                (
                    format!(
                        "string_list_flag(name = \"{name}\", values = [{}], build_setting_default = [{}])",
                        quoted(&values),
                        quoted(&held)
                    ),
                    // skylib's string_list_flag has no `values`.
                    format!(
                        "string_list_flag(name = \"{name}\", build_setting_default = [{}], {public})",
                        quoted(&held)
                    ),
                )
            }
        }
    }
}

enum Cond {
    /// A config_setting: (selector, value, how the value is written) for
    /// one value per selector, sorted. For a list, the value is an element:
    /// the setting holds where the set has it.
    Setting(Vec<(usize, usize, String)>),
    /// A config_setting_group over earlier conditions (so no cycles).
    Group { any: bool, members: Vec<usize> },
    /// `alias(actual = <an earlier condition>)`: that condition, under
    /// another name (Bazel follows the alias).
    Alias(usize),
    /// skylib's always-true group: `match_all` (or `match_any`) =
    /// `["//conditions:default"]`.
    Always { any: bool },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Cond(usize),
    Default,
}

struct Select {
    branches: Vec<(Key, Vec<usize>)>,
    /// The keys whose value is written `None` (their value above is empty):
    /// `deps` as if unset, `[]`; for an alias's mandatory `actual`, an error
    /// where the branch is taken.
    nones: Vec<Key>,
    no_match_error: String,
}

enum Part {
    Plain(Vec<usize>),
    Select(Select),
}

enum Kind {
    /// `deps`: a `+` of parts (none: no deps).
    Package(Vec<Part>),
    /// `actual`: a plain label or a select of single labels.
    Alias(Part),
}

struct Target {
    name: String,
    /// In `//gk/sub` rather than `//gk`.
    sub: bool,
    kind: Kind,
}

struct Graph {
    id: usize,
    selectors: Vec<Selector>,
    conds: Vec<Cond>,
    /// For each condition, the selectors its `flag_values` name through
    /// their alias (`gK_sN_alias`) rather than by their own label.
    aliased_flags: Vec<Vec<usize>>,
    /// Target `i` depends only on targets after it: no cycles.
    targets: Vec<Target>,
    /// For each condition, whether it holds in each configuration (by index).
    truth: Vec<Vec<bool>>,
}

impl Graph {
    fn generate(id: usize, rng: &mut Rng) -> Graph {
        let n_sel = rng.range(2, 4);
        let selectors: Vec<Selector> = (0..n_sel)
            .map(|_| {
                let ty = match rng.below(20) {
                    0..=9 => Ty::Str,
                    10..=12 => Ty::Bool,
                    13..=15 => Ty::Int,
                    _ => Ty::List,
                };
                let (values, written) = match ty {
                    Ty::Str => {
                        let pool = *rng.pick(VALUE_POOLS);
                        let k = rng.range(2, pool.len().min(4));
                        let values = rng
                            .sample(pool.len(), k)
                            .into_iter()
                            .map(|i| pool[i].to_string())
                            .collect();
                        (values, Vec::new())
                    }
                    Ty::Bool => (vec!["false".to_string(), "true".to_string()], Vec::new()),
                    Ty::Int => {
                        let k = rng.range(2, 4);
                        let mut ints: Vec<i64> = rng
                            .sample(INT_POOL.len(), k)
                            .into_iter()
                            .map(|i| INT_POOL[i])
                            .collect();
                        ints.sort();
                        let mut written: Vec<usize> = (0..k).collect();
                        rng.shuffle(&mut written);
                        (ints.iter().map(|i| i.to_string()).collect(), written)
                    }
                    Ty::List => {
                        let k = rng.range(1, 3);
                        let values = rng
                            .sample(ELEMENT_POOL.len(), k)
                            .into_iter()
                            .map(|i| ELEMENT_POOL[i].to_string())
                            .collect();
                        (values, Vec::new())
                    }
                };
                let mut selector = Selector {
                    ty,
                    values,
                    default: 0,
                    skylib_spelling: rng.chance(0.3),
                    written,
                };
                selector.default = rng.below(selector.n_values());
                selector
            })
            .collect();

        let mut conds: Vec<Cond> = Vec::new();
        for _ in 0..rng.range(3, 6) {
            // Some settings extend an earlier one by a selector, so that
            // specialization decides between them.
            let extendable: Vec<usize> = (0..conds.len())
                .filter(|&c| matches!(&conds[c], Cond::Setting(f) if f.len() < n_sel))
                .collect();
            let flags = if !extendable.is_empty() && rng.chance(0.4) {
                let Cond::Setting(base) = &conds[*rng.pick(&extendable)] else {
                    unreachable!()
                };
                let mut flags = base.clone();
                // Now and then a value the base has, written another way:
                // the same condition to sel, another to Bazel's specialization.
                if rng.chance(0.25) {
                    let i = rng.below(flags.len());
                    let (s, v, _) = flags[i];
                    flags[i].2 = selectors[s].spell(v, rng);
                }
                let free: Vec<usize> = (0..n_sel)
                    .filter(|s| !flags.iter().any(|(t, _, _)| t == s))
                    .collect();
                let s = *rng.pick(&free);
                let v = rng.below(selectors[s].values.len());
                flags.push((s, v, selectors[s].spell(v, rng)));
                flags
            } else {
                let k = if rng.chance(0.7) { 1 } else { 2 };
                rng.sample(n_sel, k)
                    .into_iter()
                    .map(|s| {
                        let v = rng.below(selectors[s].values.len());
                        (s, v, selectors[s].spell(v, rng))
                    })
                    .collect()
            };
            let mut flags = flags;
            flags.sort();
            conds.push(Cond::Setting(flags));
        }
        if rng.chance(0.3) {
            conds.push(Cond::Always {
                any: rng.chance(0.5),
            });
        }
        for _ in 0..rng.below(4) {
            // Mostly 2-3 members; one member is an alias to it in skylib.
            let k = if rng.chance(0.15) {
                1
            } else {
                rng.range(2, 3.min(conds.len()))
            };
            let members = rng.sample(conds.len(), k);
            conds.push(Cond::Group {
                any: rng.chance(0.5),
                members,
            });
        }
        // Aliases of conditions (of settings, groups, aliases): the same
        // conditions to both tools.
        for _ in 0..rng.below(3) {
            let target = rng.below(conds.len());
            conds.push(Cond::Alias(target));
        }

        let n = rng.range(6, 13);
        let mut targets = Vec::new();
        for i in 0..n {
            let later: Vec<usize> = (i + 1..n).collect();
            let alias = !later.is_empty() && rng.chance(0.2);
            let kind = if alias {
                if rng.chance(0.3) {
                    Kind::Alias(Part::Plain(vec![*rng.pick(&later)]))
                } else {
                    Kind::Alias(Part::Select(gen_select(rng, conds.len(), &later, true)))
                }
            } else {
                let n_selects = *rng.pick(&[0, 0, 1, 1, 1, 2]);
                let plain = rng.chance(0.7);
                let mut pools: Vec<Vec<usize>> = vec![Vec::new(); n_selects + plain as usize];
                let mut candidates = later.clone();
                rng.shuffle(&mut candidates);
                candidates.truncate(6);
                if !pools.is_empty() {
                    // Each candidate goes to one part: no label twice in the attribute.
                    for c in candidates {
                        let p = rng.below(pools.len());
                        pools[p].push(c);
                    }
                }
                let mut parts = Vec::new();
                for (p, pool) in pools.iter().enumerate() {
                    if plain && p == 0 {
                        let k = rng.range(0, pool.len().min(2));
                        parts.push(Part::Plain(pool[..k].to_vec()));
                    } else {
                        parts.push(Part::Select(gen_select(rng, conds.len(), pool, false)));
                    }
                }
                rng.shuffle(&mut parts);
                if parts.len() > 1 {
                    // Bazel 4.2 types a select by its first value, and a
                    // select "of NoneType" cannot be `+`-ed (sel accepts it,
                    // see `by_design_none_first_in_a_concatenation`): write
                    // that `None` as `[]`, the same value.
                    for part in &mut parts {
                        if let Part::Select(s) = part {
                            let first = s.branches[0].0;
                            s.nones.retain(|k| *k != first);
                        }
                    }
                }
                Kind::Package(parts)
            };
            targets.push(Target {
                name: format!("{}{i}", if alias { "a" } else { "p" }),
                sub: rng.chance(0.3),
                kind,
            });
        }

        // Now and then a setting names a selector through its alias.
        let aliased_flags = conds
            .iter()
            .map(|c| match c {
                Cond::Setting(flags) => flags
                    .iter()
                    .map(|&(s, _, _)| s)
                    .filter(|_| rng.chance(0.25))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let mut graph = Graph {
            id,
            selectors,
            conds,
            aliased_flags,
            targets,
            truth: Vec::new(),
        };
        graph.truth = (0..graph.conds.len())
            .map(|c| {
                (0..graph.n_configs())
                    .map(|i| graph.matches(c, &graph.config_at(i)))
                    .collect()
            })
            .collect();
        graph
    }

    fn selector_label(&self, s: usize) -> String {
        format!("//flags:g{}_s{s}", self.id)
    }

    fn cond_label(&self, c: usize) -> String {
        format!("//flags:g{}_c{c}", self.id)
    }

    fn package_of(&self, t: usize) -> String {
        if self.targets[t].sub {
            format!("g{}/sub", self.id)
        } else {
            format!("g{}", self.id)
        }
    }

    fn label(&self, t: usize) -> String {
        format!("//{}:{}", self.package_of(t), self.targets[t].name)
    }

    /// How target `from`'s BUILD file writes a reference to `to`, in any of the forms.
    fn reference(&self, from: usize, to: usize, rng: &mut Rng) -> String {
        if self.package_of(from) == self.package_of(to) && rng.chance(0.7) {
            // `:name`, now and then plain `name`: both the same package's.
            let colon = if rng.chance(0.85) { ":" } else { "" };
            format!("{colon}{}", self.targets[to].name)
        } else {
            self.label(to)
        }
    }

    /// This graph's selectors and conditions, for `flags/BUILD`: as sel
    /// reads them, and as Bazel does (skylib's rules, everything public).
    fn render_flags(&self, rng: &mut Rng) -> (String, String) {
        let (mut sel, mut bazel) = (String::new(), String::new());
        let mut both = |sel_line: String, bazel_line: String| {
            sel.push_str(&sel_line);
            sel.push('\n');
            bazel.push_str(&bazel_line);
            bazel.push('\n');
        };
        let public = "visibility = [\"//visibility:public\"]";
        for (s, selector) in self.selectors.iter().enumerate() {
            let (sel_line, bazel_line) = selector.declare(&format!("g{}_s{s}", self.id));
            both(sel_line, bazel_line);
            let alias = format!(
                "alias(name = \"g{}_s{s}_alias\", actual = \":g{}_s{s}\"",
                self.id, self.id
            );
            both(format!("{alias})"), format!("{alias}, {public})"));
        }
        for (c, cond) in self.conds.iter().enumerate() {
            match cond {
                Cond::Setting(flags) => {
                    let fv: Vec<String> = flags
                        .iter()
                        .map(|(s, _, text)| {
                            let alias = if self.aliased_flags[c].contains(s) {
                                "_alias"
                            } else {
                                ""
                            };
                            let label = if rng.chance(0.5) {
                                format!(":g{}_s{s}{alias}", self.id)
                            } else {
                                format!("{}{alias}", self.selector_label(*s))
                            };
                            format!("\"{label}\": \"{text}\"")
                        })
                        .collect();
                    let line = format!(
                        "config_setting(name = \"g{}_c{c}\", flag_values = {{{}}}",
                        self.id,
                        fv.join(", ")
                    );
                    both(format!("{line})"), format!("{line}, {public})"));
                }
                Cond::Group { any, members } => {
                    let ms: Vec<String> = members
                        .iter()
                        .map(|&m| {
                            if rng.chance(0.5) {
                                format!("\":g{}_c{m}\"", self.id)
                            } else {
                                format!("\"{}\"", self.cond_label(m))
                            }
                        })
                        .collect();
                    let args = format!(
                        "name = \"g{}_c{c}\", {} = [{}]",
                        self.id,
                        if *any { "match_any" } else { "match_all" },
                        ms.join(", ")
                    );
                    both(
                        format!("config_setting_group({args})"),
                        format!("selects.config_setting_group({args}, {public})"),
                    );
                }
                Cond::Alias(target) => {
                    let actual = if rng.chance(0.5) {
                        format!(":g{}_c{target}", self.id)
                    } else {
                        self.cond_label(*target)
                    };
                    let line = format!("alias(name = \"g{}_c{c}\", actual = \"{actual}\"", self.id);
                    both(format!("{line})"), format!("{line}, {public})"));
                }
                Cond::Always { any } => {
                    let args = format!(
                        "name = \"g{}_c{c}\", {} = [\"//conditions:default\"]",
                        self.id,
                        if *any { "match_any" } else { "match_all" },
                    );
                    both(
                        format!("config_setting_group({args})"),
                        format!("selects.config_setting_group({args}, {public})"),
                    );
                }
            }
        }
        (sel, bazel)
    }

    fn render_select(&self, from: usize, s: &Select, single: bool, rng: &mut Rng) -> String {
        let branches: Vec<String> = s
            .branches
            .iter()
            .map(|(k, v)| {
                let key = match k {
                    Key::Cond(c) => self.cond_label(*c),
                    Key::Default => "//conditions:default".to_string(),
                };
                let refs: Vec<String> = v
                    .iter()
                    .map(|&t| format!("\"{}\"", self.reference(from, t, rng)))
                    .collect();
                if s.nones.contains(k) {
                    format!("\"{key}\": None")
                } else if single {
                    format!("\"{key}\": {}", refs[0])
                } else {
                    format!("\"{key}\": [{}]", refs.join(", "))
                }
            })
            .collect();
        if s.no_match_error.is_empty() {
            format!("select({{{}}})", branches.join(", "))
        } else {
            format!(
                "select({{{}}}, no_match_error = \"{}\")",
                branches.join(", "),
                s.no_match_error
            )
        }
    }

    /// The BUILD files of the graph's packages: (package path, text).
    fn render_packages(&self, rng: &mut Rng) -> Vec<(String, String)> {
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        files.insert(format!("g{}", self.id), String::new());
        for (t, target) in self.targets.iter().enumerate() {
            let line = match &target.kind {
                Kind::Package(parts) if parts.is_empty() => {
                    format!("package(name = \"{}\")", target.name)
                }
                Kind::Package(parts) => {
                    let rendered: Vec<String> = parts
                        .iter()
                        .map(|p| match p {
                            Part::Plain(v) => {
                                let refs: Vec<String> = v
                                    .iter()
                                    .map(|&d| format!("\"{}\"", self.reference(t, d, rng)))
                                    .collect();
                                format!("[{}]", refs.join(", "))
                            }
                            Part::Select(s) => self.render_select(t, s, false, rng),
                        })
                        .collect();
                    format!(
                        "package(name = \"{}\", deps = {})",
                        target.name,
                        rendered.join(" + ")
                    )
                }
                Kind::Alias(Part::Plain(v)) => format!(
                    "alias(name = \"{}\", actual = \"{}\")",
                    target.name,
                    self.reference(t, v[0], rng)
                ),
                Kind::Alias(Part::Select(s)) => format!(
                    "alias(name = \"{}\", actual = {})",
                    target.name,
                    self.render_select(t, s, true, rng)
                ),
            };
            let file = files.entry(self.package_of(t)).or_default();
            file.push_str(&line);
            file.push('\n');
        }
        files.into_iter().collect()
    }

    // -- semantics ----------------------------------------------------------

    fn n_configs(&self) -> usize {
        self.selectors.iter().map(Selector::n_values).product()
    }

    /// The configuration with index `i` (mixed radix over the selectors'
    /// values; a list's value is a set of its elements).
    fn config_at(&self, mut i: usize) -> Vec<usize> {
        self.selectors
            .iter()
            .map(|s| {
                let v = i % s.n_values();
                i /= s.n_values();
                v
            })
            .collect()
    }

    fn matches(&self, c: usize, cfg: &[usize]) -> bool {
        match &self.conds[c] {
            Cond::Setting(flags) => flags
                .iter()
                .all(|&(s, v, _)| self.selectors[s].holds(v, cfg[s])),
            Cond::Group { any: true, members } => members.iter().any(|&m| self.matches(m, cfg)),
            Cond::Group {
                any: false,
                members,
            } => members.iter().all(|&m| self.matches(m, cfg)),
            Cond::Alias(target) => self.matches(*target, cfg),
            Cond::Always { .. } => true,
        }
    }

    /// Whether a condition matches under `sem`: as [`Graph::matches`],
    /// except that a Bazel that does not resolve aliased flags (4.2) reads
    /// the default of a selector named through its alias.
    fn matches_in(&self, c: usize, cfg: &[usize], sem: Semantics) -> bool {
        let Semantics::Bazel {
            aliased_flags_ok: false,
            ..
        } = sem
        else {
            return self.matches(c, cfg);
        };
        match &self.conds[c] {
            Cond::Setting(flags) => flags.iter().all(|&(s, v, _)| {
                let value = if self.aliased_flags[c].contains(&s) {
                    self.selectors[s].default
                } else {
                    cfg[s]
                };
                self.selectors[s].holds(v, value)
            }),
            Cond::Group { any: true, members } => {
                members.iter().any(|&m| self.matches_in(m, cfg, sem))
            }
            Cond::Group {
                any: false,
                members,
            } => members.iter().all(|&m| self.matches_in(m, cfg, sem)),
            Cond::Alias(target) => self.matches_in(*target, cfg, sem),
            Cond::Always { .. } => true,
        }
    }

    /// Whether a condition names a selector through its alias, through
    /// groups and aliases.
    fn uses_aliased_flag(&self, c: usize) -> bool {
        !self.aliased_flags[c].is_empty()
            || match &self.conds[c] {
                Cond::Group { members, .. } => members.iter().any(|&m| self.uses_aliased_flag(m)),
                Cond::Alias(target) => self.uses_aliased_flag(*target),
                _ => false,
            }
    }

    /// Whether a condition is a group to Bazel (skylib's chain of aliases),
    /// through aliases: where its specialization differs from SPEC's.
    fn is_group(&self, c: usize) -> bool {
        match self.conds[c] {
            Cond::Setting(_) => false,
            Cond::Group { .. } | Cond::Always { .. } => true,
            Cond::Alias(target) => self.is_group(target),
        }
    }

    /// SPEC: `a` is more specific than `b` when `a` implies `b` and not the reverse.
    fn more_specific(&self, a: usize, b: usize) -> bool {
        let (ta, tb) = (&self.truth[a], &self.truth[b]);
        let a_implies_b = ta.iter().zip(tb).all(|(x, y)| !x || *y);
        let b_implies_a = ta.iter().zip(tb).all(|(x, y)| !y || *x);
        a_implies_b && !b_implies_a
    }

    /// Bazel: the config_setting a condition resolves to through skylib's
    /// alias chain (and plain aliases). `match_any`: the first member (but the
    /// last) that matches, else the last; `match_all`: the first member (but
    /// the last) that does not match, else the last. `None`: the always-true
    /// group's, a config_setting on `--stamp` that skylib generates.
    fn bazel_setting(&self, c: usize, cfg: &[usize], sem: Semantics) -> Option<usize> {
        match &self.conds[c] {
            Cond::Setting(_) => Some(c),
            Cond::Group { any, members } => {
                let (last, rest) = members.split_last().expect("groups have members");
                for &m in rest {
                    if self.matches_in(m, cfg, sem) == *any {
                        return self.bazel_setting(m, cfg, sem);
                    }
                }
                self.bazel_setting(*last, cfg, sem)
            }
            Cond::Alias(target) => self.bazel_setting(*target, cfg, sem),
            Cond::Always { .. } => None,
        }
    }

    /// Bazel's `ConfigMatchingProvider.refines`: a strict superset of
    /// flag_values. The always-true group's setting is on `--stamp`, which
    /// no other sets: neither refines the other. A flag named through its
    /// alias counts as the flag here even in Bazel 4.2 (which reads its
    /// default when matching, see [`Graph::matches_in`]).
    /// The entries are compared as written (`by_text`), as Bazel compares
    /// them, or as read.
    fn bazel_refines(&self, a: Option<usize>, b: Option<usize>, by_text: bool) -> bool {
        let (Some(a), Some(b)) = (a, b) else {
            return false;
        };
        let (Cond::Setting(fa), Cond::Setting(fb)) = (&self.conds[a], &self.conds[b]) else {
            unreachable!("bazel_setting returns settings")
        };
        let same = |x: &(usize, usize, String), y: &(usize, usize, String)| {
            x.0 == y.0 && x.1 == y.1 && (!by_text || x.2 == y.2)
        };
        fb.iter().all(|x| fa.iter().any(|y| same(x, y))) && fa.len() > fb.len()
    }

    /// One select in one configuration: the maximal matching keys (none more
    /// specific than them) decide; several are fine if their values are equal
    /// and the semantics allows it.
    fn resolve<'s>(
        &self,
        s: &'s Select,
        cfg: &[usize],
        sem: Semantics,
    ) -> Result<&'s Vec<usize>, Failure> {
        let cond = |i: usize| match s.branches[i].0 {
            Key::Cond(c) => c,
            Key::Default => unreachable!("only conditions match"),
        };
        let matching: Vec<usize> = (0..s.branches.len())
            .filter(|&i| matches!(s.branches[i].0, Key::Cond(c) if self.matches_in(c, cfg, sem)))
            .collect();
        if matching.is_empty() {
            return s
                .branches
                .iter()
                .find(|(k, _)| *k == Key::Default)
                .map(|(_, v)| v)
                .ok_or(Failure::NoMatch);
        }
        let beats = |a: usize, b: usize| match sem {
            Semantics::Spec => self.more_specific(cond(a), cond(b)),
            Semantics::Bazel { by_text, .. } => self.bazel_refines(
                self.bazel_setting(cond(a), cfg, sem),
                self.bazel_setting(cond(b), cfg, sem),
                by_text,
            ),
        };
        let maximal: Vec<usize> = matching
            .iter()
            .copied()
            .filter(|&m| !matching.iter().any(|&o| o != m && beats(o, m)))
            .collect();
        let equal_ok = match sem {
            Semantics::Spec => true,
            Semantics::Bazel {
                equal_values_ok, ..
            } => equal_values_ok,
        };
        let first = &s.branches[maximal[0]].1;
        if maximal.len() == 1 || (equal_ok && maximal.iter().all(|&m| s.branches[m].1 == *first)) {
            Ok(first)
        } else {
            Err(Failure::Ambiguous)
        }
    }

    /// The graph below `roots`, unconfigured (`cfg` None: every branch) or
    /// configured: each target reached with its dependencies, the failures,
    /// and the selects met on the way (for [`Graph::differences`]).
    fn closure(&self, roots: &[usize], cfg: Option<&[usize]>, sem: Semantics) -> Closure<'_> {
        let mut closure = Closure {
            edges: BTreeMap::new(),
            failures: BTreeSet::new(),
            selects: Vec::new(),
        };
        let mut stack = roots.to_vec();
        while let Some(t) = stack.pop() {
            if closure.edges.contains_key(&t) {
                continue;
            }
            let (parts, mandatory) = match &self.targets[t].kind {
                Kind::Package(parts) => (parts.as_slice(), false),
                Kind::Alias(actual) => (std::slice::from_ref(actual), true),
            };
            let mut deps: Vec<usize> = Vec::new();
            for part in parts {
                match (part, cfg) {
                    (Part::Plain(v), _) => deps.extend(v),
                    (Part::Select(s), None) => s.branches.iter().for_each(|(_, v)| deps.extend(v)),
                    (Part::Select(s), Some(cfg)) => {
                        closure.selects.push(s);
                        match self.resolve(s, cfg, sem) {
                            // `None` in the mandatory `actual`: an error.
                            Ok(v) if mandatory && v.is_empty() => {
                                closure.failures.insert(Failure::NoneTaken);
                                deps.clear();
                                break;
                            }
                            Ok(v) => deps.extend(v),
                            // Both tools resolve the parts of a `+` in order
                            // and report the first failure of a target.
                            Err(f) => {
                                closure.failures.insert(f);
                                deps.clear();
                                break;
                            }
                        }
                    }
                }
            }
            stack.extend(&deps);
            closure.edges.insert(t, deps);
        }
        closure
    }

    /// A case's answer: the query evaluated on the closure of its target
    /// patterns (in a configured query both tools configure all of it first,
    /// so a failure anywhere below fails the query, as Bazel's analysis does).
    fn answer(&self, case: &Case, sem: Semantics) -> (Outcome, Vec<&Select>) {
        let cfg = case.effective(self);
        let r = case.root;
        let mut roots = vec![r];
        roots.extend(case.form.other());
        if matches!(case.form, Form::AllRdeps(_) | Form::KindAlias) {
            // `//gk/...`: every target of the graph.
            roots = (0..self.targets.len()).collect();
        }
        let closure = self.closure(&roots, cfg.as_deref(), sem);
        if !closure.failures.is_empty() {
            return (Outcome::Fails(closure.failures), closure.selects);
        }
        let reach = |from: usize, depth: Option<usize>| -> BTreeSet<usize> {
            let mut seen = BTreeSet::from([from]);
            let mut frontier = vec![from];
            let mut d = 0;
            while !frontier.is_empty() && depth.is_none_or(|n| d < n) {
                let mut next = Vec::new();
                for t in frontier {
                    for &u in &closure.edges[&t] {
                        if seen.insert(u) {
                            next.push(u);
                        }
                    }
                }
                frontier = next;
                d += 1;
            }
            seen
        };
        let result: BTreeSet<usize> = match case.form {
            Form::Deps => reach(r, None),
            Form::DepsDepth(n) => reach(r, Some(n)),
            Form::Rdeps(x) | Form::Allpaths(x) => reach(r, None)
                .into_iter()
                .filter(|&t| reach(t, None).contains(&x))
                .collect(),
            Form::Minus(x) => reach(r, None)
                .difference(&reach(x, None))
                .copied()
                .collect(),
            Form::AllRdeps(x) => (0..self.targets.len())
                .filter(|&t| reach(t, None).contains(&x))
                .collect(),
            Form::KindAlias => (0..self.targets.len())
                .filter(|&t| matches!(self.targets[t].kind, Kind::Alias(_)))
                .collect(),
        };
        let labels = result.iter().map(|&t| self.label(t)).collect();
        (Outcome::Targets(labels), closure.selects)
    }

    /// Why SPEC's and Bazel's answers differ in `cfg`: the by-design cause of
    /// each select met whose resolution differs.
    fn differences(
        &self,
        selects: &[&Select],
        cfg: &[usize],
        bazel: Semantics,
    ) -> BTreeSet<&'static str> {
        let mut causes = BTreeSet::new();
        for s in selects {
            if self.resolve(s, cfg, Semantics::Spec) != self.resolve(s, cfg, bazel) {
                let group = s.branches.iter().any(|(k, _)| {
                    matches!(k, Key::Cond(c) if self.matches(*c, cfg) && self.is_group(*c))
                });
                let aliased = s
                    .branches
                    .iter()
                    .any(|(k, _)| matches!(k, Key::Cond(c) if self.uses_aliased_flag(*c)));
                let aliased_ok = matches!(
                    bazel,
                    Semantics::Bazel {
                        aliased_flags_ok: true,
                        ..
                    }
                );
                // Would Bazel agree, were `True` and `1` one entry to it?
                let as_read = match bazel {
                    Semantics::Bazel {
                        equal_values_ok,
                        aliased_flags_ok,
                        ..
                    } => Semantics::Bazel {
                        equal_values_ok,
                        aliased_flags_ok,
                        by_text: false,
                    },
                    Semantics::Spec => Semantics::Spec,
                };
                let spelling = self.resolve(s, cfg, as_read) != self.resolve(s, cfg, bazel);
                causes.insert(if aliased && !aliased_ok {
                    "aliased flag read as its default (Bazel 4.2)"
                } else if spelling {
                    "a flag value written two ways (Bazel compares the text)"
                } else if group {
                    "group specialization"
                } else {
                    "equal-value tie"
                });
            }
        }
        causes
    }
}

/// What [`Graph::closure`] finds.
struct Closure<'g> {
    edges: BTreeMap<usize, Vec<usize>>,
    failures: BTreeSet<Failure>,
    selects: Vec<&'g Select>,
}

/// The query asked about a root `R` (and another target `X` of its graph).
#[derive(Clone, Copy, Debug)]
enum Form {
    /// `deps(R)`
    Deps,
    /// `deps(R, n)`
    DepsDepth(usize),
    /// `rdeps(deps(R), X)`
    Rdeps(usize),
    /// `allpaths(R, X)`
    Allpaths(usize),
    /// `deps(R) - deps(X)`
    Minus(usize),
    /// `rdeps(//gk/..., X)`
    AllRdeps(usize),
    /// `kind(alias, //gk/...)`
    KindAlias,
}

impl Form {
    fn other(self) -> Option<usize> {
        match self {
            Form::Deps | Form::DepsDepth(_) | Form::KindAlias => None,
            Form::Rdeps(x) | Form::Allpaths(x) | Form::Minus(x) | Form::AllRdeps(x) => Some(x),
        }
    }
}

fn gen_select(rng: &mut Rng, n_conds: usize, pool: &[usize], single: bool) -> Select {
    let value = |rng: &mut Rng| -> Vec<usize> {
        if single {
            vec![*rng.pick(pool)]
        } else {
            let mut v = pool.to_vec();
            rng.shuffle(&mut v);
            v.truncate(rng.range(0, pool.len().min(2)));
            v
        }
    };
    let mut branches: Vec<(Key, Vec<usize>)> = Vec::new();
    let mut nones: Vec<Key> = Vec::new();
    // Now and then a select with nothing but the default.
    let k = if rng.chance(0.05) {
        0
    } else {
        rng.range(1, n_conds.min(4))
    };
    for c in rng.sample(n_conds, k) {
        // Now and then a value equal to another branch's: equal-value ties
        // (`None` too); now and then `None`.
        let v = if !branches.is_empty() && rng.chance(0.15) {
            let (other, v) = &branches[rng.below(branches.len())];
            if nones.contains(other) {
                nones.push(Key::Cond(c));
            }
            v.clone()
        } else if rng.chance(0.1) {
            nones.push(Key::Cond(c));
            Vec::new()
        } else {
            value(rng)
        };
        branches.push((Key::Cond(c), v));
    }
    let default = k == 0 || rng.chance(0.7);
    if default {
        let at = rng.range(0, branches.len());
        let v = if rng.chance(0.08) {
            nones.push(Key::Default);
            Vec::new()
        } else {
            value(rng)
        };
        branches.insert(at, (Key::Default, v));
    }
    let no_match_error = if !default && rng.chance(0.3) {
        "no variant for this configuration".to_string()
    } else {
        String::new()
    };
    Select {
        branches,
        nones,
        no_match_error,
    }
}

/// Which select semantics.
#[derive(Clone, Copy, Debug)]
enum Semantics {
    /// sel's SPEC: specialization is implication; equal-value ties are fine.
    Spec,
    /// Bazel: specialization compares the flag_values of the config_settings
    /// the keys resolve to; ties are fine from Bazel 6.2.
    Bazel {
        equal_values_ok: bool,
        /// Whether a flag named through an alias in `flag_values` reads the
        /// flag's value (later Bazel); Bazel 4.2 reads its default.
        aliased_flags_ok: bool,
        /// Whether specialization compares `flag_values` as written (Bazel:
        /// `{":b": "1"}` and `{":b": "True"}` are different entries), or as
        /// read (only to tell why the models differ).
        by_text: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Failure {
    NoMatch,
    Ambiguous,
    /// A mandatory attribute (an alias's `actual`) resolved to `None`.
    NoneTaken,
}

/// What `deps(x)` gives: the package and alias labels, or the failures.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Targets(BTreeSet<String>),
    Fails(BTreeSet<Failure>),
}

impl Outcome {
    /// Whether `self` (what a tool reported) fits `expected`: the same
    /// targets, or a failure of a kind that `expected` has (a tool may report
    /// only the first of several failures).
    fn fits(&self, expected: &Outcome) -> bool {
        match (self, expected) {
            (Outcome::Targets(a), Outcome::Targets(b)) => a == b,
            (Outcome::Fails(a), Outcome::Fails(b)) => !a.is_empty() && a.is_subset(b),
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------
// The workspace on disk, and the questions asked.

struct Workspace {
    graphs: Vec<Graph>,
    /// Each graph's part of `flags/BUILD` for sel and for Bazel, and its
    /// packages' BUILD files (sel's; sel2bazel.py translates them).
    files: Vec<(String, String, Files)>,
}

/// BUILD files: (package path, text).
type Files = Vec<(String, String)>;

/// skylib's loads, as a BUILD file written for Bazel has them; sel's own
/// built-ins answer them.
const SKYLIB_LOADS: &str = r#"load("@bazel_skylib//rules:common_settings.bzl", "bool_flag", "int_flag", "string_flag", "string_list_flag")
load("@bazel_skylib//lib:selects.bzl", "selects")
"#;

/// The probe: two identical config_settings keying equal values. sel accepts
/// it (SPEC); Bazel before 6.2 calls it ambiguous.
const PROBE_FLAGS: &str = r#"selector(name = "probe_s", values = ["a", "b"], default = "a")
config_setting(name = "probe_c1", flag_values = {":probe_s": "a"})
config_setting(name = "probe_c2", flag_values = {":probe_s": "a"})
alias(name = "probe_sa", actual = ":probe_s")
config_setting(name = "probe_c3", flag_values = {":probe_sa": "b"})
"#;
/// [`PROBE_FLAGS`] in Bazel's words.
const PROBE_FLAGS_BAZEL: &str = r#"string_flag(name = "probe_s", values = ["a", "b"], build_setting_default = "a", visibility = ["//visibility:public"])
config_setting(name = "probe_c1", flag_values = {":probe_s": "a"}, visibility = ["//visibility:public"])
config_setting(name = "probe_c2", flag_values = {":probe_s": "a"}, visibility = ["//visibility:public"])
alias(name = "probe_sa", actual = ":probe_s", visibility = ["//visibility:public"])
config_setting(name = "probe_c3", flag_values = {":probe_sa": "b"}, visibility = ["//visibility:public"])
"#;
const PROBE_BUILD: &str = r#"package(name = "p", deps = select({"//flags:probe_c1": [":q"], "//flags:probe_c2": [":q"]}))
package(name = "q")
package(name = "r", deps = select({"//flags:probe_c3": [":q"], "//conditions:default": []}))
"#;

impl Workspace {
    fn generate(seed: u64, n_graphs: usize) -> Workspace {
        let mut rng = Rng(seed);
        let graphs: Vec<Graph> = (0..n_graphs)
            .map(|k| Graph::generate(k, &mut rng))
            .collect();
        let files = graphs
            .iter()
            .map(|g| {
                let (mut sel, bazel) = g.render_flags(&mut rng);
                // Now and then loaded from @bazel_skylib, as for Bazel.
                if rng.chance(0.5) {
                    sel.insert_str(0, SKYLIB_LOADS);
                }
                (sel, bazel, g.render_packages(&mut rng))
            })
            .collect();
        Workspace { graphs, files }
    }

    /// Graph `k`'s BUILD text, for reproducers: sel's, and Bazel's flags.
    fn text(&self, k: usize) -> String {
        let (flags, bazel_flags, packages) = &self.files[k];
        let mut text = format!("# flags/BUILD\n{flags}");
        for (pkg, build) in packages {
            write!(text, "# {pkg}/BUILD\n{build}").unwrap();
        }
        write!(text, "# flags/BUILD for Bazel\n{bazel_flags}").unwrap();
        text
    }

    /// Every graph and the probe in one workspace, for sel; without
    /// `flags` (`with_flags = false`), what sel2bazel.py translates.
    fn write_all(&self, dir: &Path, with_flags: bool) {
        let mut flags = format!("{SKYLIB_LOADS}{PROBE_FLAGS}");
        for (f, _, packages) in &self.files {
            // The loads once, at the top.
            flags.extend(
                f.lines()
                    .filter(|l| !l.starts_with("load("))
                    .map(|l| format!("{l}\n")),
            );
            write_packages(dir, packages);
        }
        write_packages(dir, &[("probe".to_string(), PROBE_BUILD.to_string())]);
        if with_flags {
            write_packages(dir, &[("flags".to_string(), flags)]);
        }
        std::fs::write(dir.join("sel.toml"), "").unwrap();
    }

    /// Every graph's and the probe's `flags/BUILD` in Bazel's words: skylib's
    /// build settings (an `int_flag` and a `string_list_flag` without sel's
    /// `values`), groups as skylib's.
    fn write_bazel_flags(&self, dir: &Path) {
        let mut flags = format!("{SKYLIB_LOADS}{PROBE_FLAGS_BAZEL}");
        for (_, f, _) in &self.files {
            flags.push_str(f);
        }
        write_packages(dir, &[("flags".to_string(), flags)]);
    }

    /// Graph `k` alone, with the same labels: what sel gets (a small workspace
    /// loads faster, and sel starts once per question).
    fn write_one(&self, dir: &Path, k: usize) {
        let (flags, _, packages) = &self.files[k];
        write_packages(dir, packages);
        write_packages(dir, &[("flags".to_string(), flags.clone())]);
        std::fs::write(dir.join("sel.toml"), "").unwrap();
    }
}

fn write_packages(dir: &Path, packages: &[(String, String)]) {
    for (pkg, build) in packages {
        let d = dir.join(pkg);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("BUILD"), build).unwrap();
    }
}

/// One question: `deps(root)` of one graph, unconfigured or in a configuration.
struct Case {
    graph: usize,
    root: usize,
    form: Form,
    /// None: `query`. Some: `cquery`, each selector set (Some) or left at its default.
    config: Option<Vec<Option<usize>>>,
    /// `--select` by short name rather than by label.
    short_names: bool,
}

impl Case {
    fn random(ws: &Workspace, graph: usize, configured: bool, rng: &mut Rng) -> Case {
        let g = &ws.graphs[graph];
        // Early targets have the most below them.
        let root = rng.below(g.targets.len().div_ceil(2));
        let config = configured.then(|| {
            g.selectors
                .iter()
                .map(|s| rng.chance(0.6).then(|| rng.below(s.n_values())))
                .collect()
        });
        // X: below R in the unconfigured graph, so mostly also in the
        // configured one, but not always.
        let below: Vec<usize> = g
            .closure(&[root], None, Semantics::Spec)
            .edges
            .into_keys()
            .filter(|&t| t != root)
            .collect();
        let x = if below.is_empty() {
            root
        } else {
            *rng.pick(&below)
        };
        let form = match rng.below(22) {
            0..=9 => Form::Deps,
            10..=12 => Form::DepsDepth(rng.range(1, 2)),
            13..=14 => Form::Rdeps(x),
            15..=16 => Form::Allpaths(x),
            17..=19 => Form::Minus(x),
            // Bazel 4.2's cquery crashes on `rdeps(//gk/..., X)` with
            // --keep_going when a target in the universe fails ("query-requested
            // node ... was unavailable in the query environment graph").
            20 if !configured => Form::AllRdeps(x),
            _ => Form::KindAlias,
        };
        Case {
            graph,
            root,
            form,
            config,
            short_names: rng.chance(0.3),
        }
    }

    fn effective(&self, g: &Graph) -> Option<Vec<usize>> {
        self.config.as_ref().map(|c| {
            c.iter()
                .zip(&g.selectors)
                .map(|(v, s)| v.unwrap_or(s.default))
                .collect()
        })
    }

    fn expr(&self, g: &Graph) -> String {
        let r = g.label(self.root);
        match self.form {
            Form::Deps => format!("deps({r})"),
            Form::DepsDepth(n) => format!("deps({r}, {n})"),
            Form::Rdeps(x) => format!("rdeps(deps({r}), {})", g.label(x)),
            Form::Allpaths(x) => format!("allpaths({r}, {})", g.label(x)),
            Form::Minus(x) => format!("deps({r}) - deps({})", g.label(x)),
            Form::AllRdeps(x) => format!("rdeps(//g{}/..., {})", g.id, g.label(x)),
            Form::KindAlias => format!("kind(alias, //g{}/...)", g.id),
        }
    }

    fn sel_args(&self, g: &Graph) -> Vec<String> {
        let mut args = vec![
            if self.config.is_some() {
                "cquery"
            } else {
                "query"
            }
            .to_string(),
            self.expr(g),
        ];
        for (s, v) in self.config.iter().flatten().enumerate() {
            if let Some(v) = v {
                let name = if self.short_names {
                    format!("g{}_s{s}", g.id)
                } else {
                    g.selector_label(s)
                };
                // A list's elements the other way round: sel takes the set.
                args.push("--select".into());
                args.push(format!("{name}={}", g.selectors[s].setting(*v, true)));
            }
        }
        args
    }

    fn bazel_flags(&self, g: &Graph) -> Vec<String> {
        let mut flags = Vec::new();
        for (s, v) in self.config.iter().flatten().enumerate() {
            if let Some(v) = v {
                flags.push(format!(
                    "--{}={}",
                    g.selector_label(s),
                    g.selectors[s].setting(*v, false)
                ));
            }
        }
        flags
    }
}

fn run_sel(dir: &Path, args: &[String]) -> Result<Outcome, String> {
    let out = Command::new(SEL)
        .arg("-C")
        .arg(dir)
        .args(["--color", "never"])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run sel: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Ok(Outcome::Targets(
            stdout.lines().map(str::to_string).collect(),
        )),
        Some(1) if stderr.contains("sel::no_match") => {
            Ok(Outcome::Fails([Failure::NoMatch].into()))
        }
        Some(1) if stderr.contains("sel::ambiguous") => {
            Ok(Outcome::Fails([Failure::Ambiguous].into()))
        }
        Some(1) if stderr.contains("sel::attribute") && stderr.contains("resolved to `None`") => {
            Ok(Outcome::Fails([Failure::NoneTaken].into()))
        }
        code => Err(format!("sel {args:?} exited with {code:?}:\n{stderr}")),
    }
}

/// Runs `f` over `items` on a few threads, keeping the order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// What the SPEC model says about a case.
fn spec_answer(g: &Graph, case: &Case) -> Outcome {
    g.answer(case, Semantics::Spec).0
}

// ---------------------------------------------------------------------------
// Bazel.

/// A Bazel server on a translated workspace, with its own output root; shut
/// down on drop (and it exits by itself when idle, should the test die).
struct Bazel {
    workspace: PathBuf,
    user_root: PathBuf,
}

impl Bazel {
    fn command(&self, command: &str) -> Command {
        let mut c = Command::new("bazel");
        // The system bazelrc stays: Debian's points Bazel at its install base.
        c.arg("--nohome_rc")
            .arg("--noworkspace_rc")
            .arg(format!("--output_user_root={}", self.user_root.display()))
            .arg("--max_idle_secs=300")
            .arg(command)
            .current_dir(&self.workspace);
        if command != "shutdown" {
            c.args([
                "--noshow_progress",
                "--color=no",
                "--curses=no",
                "--ui_event_filters=-info",
            ]);
        }
        c
    }

    fn run(&self, command: &str, expr: &str, flags: &[String]) -> Output {
        self.command(command)
            .arg(expr)
            .args(flags)
            .output()
            .expect("bazel runs")
    }
}

impl Drop for Bazel {
    fn drop(&mut self) {
        let _ = self.command("shutdown").output();
    }
}

/// Bazel's answer for each graph of one call: `graph -> outcome`, plus lines
/// it could not place.
struct BazelAnswers {
    by_graph: BTreeMap<usize, Outcome>,
    unexpected: Vec<String>,
}

/// The graph a label or a package path belongs to: `//g3:x`, `g3/sub`.
fn graph_of(package_or_label: &str) -> Option<usize> {
    let rest = package_or_label
        .trim_start_matches("//")
        .strip_prefix('g')?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn parse_bazel(
    out: &Output,
    workspace: &Path,
    cases: &[&Case],
    known: &BTreeMap<String, usize>,
) -> BazelAnswers {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut targets: BTreeMap<usize, BTreeSet<String>> =
        cases.iter().map(|c| (c.graph, BTreeSet::new())).collect();
    for line in stdout.lines() {
        // cquery: `//g0:p1 (f5527a6)`.
        let label = line.split(" (").next().unwrap_or(line).trim();
        if let Some(&g) = known.get(label) {
            targets.entry(g).or_default().insert(label.to_string());
        }
    }
    let mut failures: BTreeMap<usize, BTreeSet<Failure>> = BTreeMap::new();
    let mut failed_roots: BTreeSet<usize> = BTreeSet::new();
    let mut unexpected = Vec::new();
    let prefix = format!("ERROR: {}/", workspace.display());
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix(&prefix) {
            let kind = if line.contains("Illegal ambiguous match") {
                Failure::Ambiguous
            } else if line.contains("doesn't match this configuration") {
                Failure::NoMatch
            } else if line.contains("Mandatory attribute 'actual' resolved to 'None'") {
                Failure::NoneTaken
            } else {
                unexpected.push(line.to_string());
                continue;
            };
            match graph_of(rest) {
                Some(g) => {
                    failures.entry(g).or_default().insert(kind);
                }
                None => unexpected.push(line.to_string()),
            }
        } else if let Some(rest) =
            line.strip_prefix("WARNING: errors encountered while analyzing target '")
        {
            match graph_of(rest) {
                Some(g) => {
                    failed_roots.insert(g);
                }
                None => unexpected.push(line.to_string()),
            }
        } else if line.starts_with("ERROR: ") && !line.contains("not all targets were analyzed") {
            unexpected.push(line.to_string());
        }
    }
    if !matches!(out.status.code(), Some(0) | Some(1)) {
        unexpected.push(format!("bazel exited with {:?}", out.status.code()));
    }
    let mut by_graph = BTreeMap::new();
    for case in cases {
        let g = case.graph;
        let outcome = match (failures.remove(&g), failed_roots.contains(&g)) {
            (None, false) => Outcome::Targets(targets.remove(&g).unwrap_or_default()),
            (Some(f), true) => Outcome::Fails(f),
            (f, r) => {
                unexpected.push(format!("graph {g}: errors {f:?} but root failed: {r}"));
                Outcome::Fails(f.unwrap_or_default())
            }
        };
        by_graph.insert(g, outcome);
    }
    if !unexpected.is_empty() {
        unexpected.push(format!("(whole stderr:)\n{stderr}"));
    }
    BazelAnswers {
        by_graph,
        unexpected,
    }
}

/// sel2bazel.py (shared, read-only here) writes a `None` select value as
/// JSON's `null`; Starlark spells it `None`. Only select values can be
/// `None`, so `": null` is always one.
fn spell_none_for_bazel(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            spell_none_for_bazel(&path);
        } else if path.file_name().is_some_and(|n| n == "BUILD") {
            let text = std::fs::read_to_string(&path).unwrap();
            if text.contains("\": null") {
                std::fs::write(&path, text.replace("\": null", "\": None")).unwrap();
            }
        }
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    /// Cases where sel's answer was compared with Bazel's, by what Bazel said.
    compared: BTreeMap<String, usize>,
    /// Cases where the semantics differ by design, by cause.
    by_design: BTreeMap<&'static str, usize>,
    /// Configured cases compared, by the typed selectors of their graph.
    typed: BTreeMap<&'static str, usize>,
    problems: Vec<String>,
}

impl Tally {
    fn problem(&mut self, ws: &Workspace, case: &Case, what: &str, details: String) {
        let g = &ws.graphs[case.graph];
        let mut cmd = format!("sel {}", case.sel_args(g).join(" "));
        if case.config.is_some() {
            write!(
                cmd,
                "   /   bazel cquery '{}' {}",
                case.expr(g),
                case.bazel_flags(g).join(" ")
            )
            .unwrap();
        }
        self.problems.push(format!(
            "{what}\n  {cmd}\n{details}\n--- graph {} ---\n{}",
            case.graph,
            ws.text(case.graph)
        ));
    }
}

#[test]
fn sel_agrees_with_bazel_on_random_workspaces() {
    let Some(bazel_path) = find_on_path("bazel") else {
        println!("bazel not found, skipping");
        return;
    };
    let translator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/sel2bazel.py");
    if !translator.is_file() {
        println!("{} not found, skipping", translator.display());
        return;
    }
    if find_on_path("python3").is_none() {
        println!("python3 not found (sel2bazel.py needs it), skipping");
        return;
    }
    let start = Instant::now();
    let seed = env_number("SEL_BAZEL_DIFF_SEED", 20240601);
    let n_graphs = env_number("SEL_BAZEL_DIFF_GRAPHS", 50) as usize;
    let (query_rounds, cquery_rounds) = (3, 27);

    let tmpdir = tempfile::tempdir().unwrap();
    // SEL_BAZEL_DIFF_KEEP=DIR keeps both workspaces there, for reproducing.
    let tmp_path = match std::env::var_os("SEL_BAZEL_DIFF_KEEP") {
        Some(dir) => PathBuf::from(dir),
        None => tmpdir.path().to_path_buf(),
    };
    let tmp = tmp_path.as_path();
    let sel_dir = tmp.join("sel");
    let bazel_dir = tmp.join("bazel");
    let ws = Workspace::generate(seed, n_graphs);
    ws.write_all(&sel_dir, true);
    let one_dir = |k: usize| tmp.join(format!("sel-g{k}"));
    for k in 0..n_graphs {
        ws.write_one(&one_dir(k), k);
    }
    // sel2bazel.py translates the packages; `flags/BUILD` is written in
    // Bazel's words here (skylib's build settings of every type).
    let translated = tmp.join("translated");
    ws.write_all(&translated, false);
    let status = Command::new("python3")
        .arg(&translator)
        .arg(&translated)
        .arg(&bazel_dir)
        .status()
        .unwrap();
    assert!(status.success(), "sel2bazel.py failed");
    ws.write_bazel_flags(&bazel_dir);
    spell_none_for_bazel(&bazel_dir);
    let bazel = Bazel {
        workspace: bazel_dir.canonicalize().unwrap(),
        user_root: tmp.join("bazel-root"),
    };
    let version = Command::new(&bazel_path).arg("--version").output().unwrap();
    println!(
        "bazel: {} ({})",
        String::from_utf8_lossy(&version.stdout).trim(),
        bazel_path.display()
    );

    // Which tie rule does this Bazel follow?
    let probe = bazel.run("cquery", "deps(//probe:p)", &[]);
    let equal_values_ok = probe.status.success();
    println!(
        "bazel {} equal-value ties (the 6.2+ rule)",
        if equal_values_ok {
            "accepts"
        } else {
            "rejects"
        }
    );
    assert_eq!(
        run_sel(&sel_dir, &["cquery".into(), "deps(//probe:p)".into()]),
        Ok(Outcome::Targets(
            ["//probe:p".to_string(), "//probe:q".to_string()].into()
        )),
        "sel accepts an equal-value tie (SPEC)"
    );
    // Does it read a flag named through an alias (later Bazel), or the
    // flag's default (4.2)?
    let probe = bazel.run(
        "cquery",
        "deps(//probe:r)",
        &["--//flags:probe_s=b".to_string()],
    );
    let aliased_flags_ok = String::from_utf8_lossy(&probe.stdout).contains("//probe:q ");
    println!(
        "bazel {} a flag named through an alias",
        if aliased_flags_ok {
            "reads"
        } else {
            "reads the default of"
        }
    );
    assert_eq!(
        run_sel(
            &sel_dir,
            &[
                "cquery".into(),
                "deps(//probe:r)".into(),
                "--select".into(),
                "//flags:probe_s=b".into()
            ]
        ),
        Ok(Outcome::Targets(
            ["//probe:q".to_string(), "//probe:r".to_string()].into()
        )),
        "sel reads a selector named through an alias"
    );
    let bazel_sem = Semantics::Bazel {
        equal_values_ok,
        aliased_flags_ok,
        by_text: true,
    };

    let known: BTreeMap<String, usize> = ws
        .graphs
        .iter()
        .flat_map(|g| (0..g.targets.len()).map(move |t| (g.label(t), g.id)))
        .collect();
    let mut rng = Rng(seed ^ 0xca5e);
    let mut tally = Tally::default();
    let mut bazel_calls = 0;
    let (mut bazel_time, mut sel_time) = (0.0, 0.0);
    for round in 0..query_rounds + cquery_rounds {
        let configured = round >= query_rounds;
        let cases: Vec<Case> = (0..ws.graphs.len())
            .map(|g| Case::random(&ws, g, configured, &mut rng))
            .collect();
        // One Bazel call for a question to every graph.
        let expr = cases
            .iter()
            .map(|c| format!("({})", c.expr(&ws.graphs[c.graph])))
            .collect::<Vec<_>>()
            .join(" + ");
        let mut flags: Vec<String> = cases
            .iter()
            .flat_map(|c| c.bazel_flags(&ws.graphs[c.graph]))
            .collect();
        if configured {
            flags.push("--keep_going".into());
        }
        let t = Instant::now();
        let out = bazel.run(if configured { "cquery" } else { "query" }, &expr, &flags);
        bazel_time += t.elapsed().as_secs_f64();
        bazel_calls += 1;
        let refs: Vec<&Case> = cases.iter().collect();
        let answers = parse_bazel(&out, &bazel.workspace, &refs, &known);
        if !answers.unexpected.is_empty() {
            tally.problems.push(format!(
                "bazel {} '{expr}' {}: unexpected output:\n{}",
                if configured { "cquery" } else { "query" },
                flags.join(" "),
                answers.unexpected.join("\n")
            ));
            continue;
        }
        let t = Instant::now();
        let sel_answers = par_map(&cases, |c| {
            run_sel(&one_dir(c.graph), &c.sel_args(&ws.graphs[c.graph]))
        });
        sel_time += t.elapsed().as_secs_f64();
        for (case, sel) in cases.iter().zip(sel_answers) {
            let g = &ws.graphs[case.graph];
            let bz = &answers.by_graph[&case.graph];
            let sel = match sel {
                Ok(o) => o,
                Err(e) => {
                    tally.problem(&ws, case, "sel failed unexpectedly", e);
                    continue;
                }
            };
            let spec = spec_answer(g, case);
            let cfg = case.effective(g);
            let (bazel_model, selects) = g.answer(case, bazel_sem);
            let details = format!(
                "  sel:   {sel:?}\n  bazel: {bz:?}\n  SPEC model:  {spec:?}\n  Bazel model: {bazel_model:?}"
            );
            if !sel.fits(&spec) {
                tally.problem(
                    &ws,
                    case,
                    "sel differs from the SPEC model",
                    details.clone(),
                );
            }
            if spec.fits(&bazel_model) {
                // The semantics agree here: so must the tools.
                let what = match (&case.config, bz) {
                    (None, _) => "query".to_string(),
                    (Some(_), Outcome::Targets(_)) => "cquery ok".to_string(),
                    (Some(_), Outcome::Fails(f)) => format!("cquery fails {f:?}"),
                };
                *tally.compared.entry(what).or_default() += 1;
                if case.config.is_some() {
                    let mut types: Vec<&'static str> = g
                        .selectors
                        .iter()
                        .filter_map(|s| match s.ty {
                            Ty::Str => None,
                            Ty::Bool => Some("bool_flag"),
                            Ty::Int => Some("int_flag"),
                            Ty::List => Some("string_list_flag"),
                        })
                        .collect();
                    types.dedup();
                    for t in types {
                        *tally.typed.entry(t).or_default() += 1;
                    }
                }
                let agree = match (&sel, bz, &spec) {
                    (Outcome::Targets(a), Outcome::Targets(b), _) => a == b,
                    // Where several failures lie below, either tool may report
                    // any of them (Bazel, even with --keep_going, does not
                    // always report all); each was checked against its model.
                    (Outcome::Fails(a), Outcome::Fails(b), Outcome::Fails(possible)) => {
                        !a.is_disjoint(b) || possible.len() > 1
                    }
                    _ => false,
                };
                if !agree {
                    tally.problem(&ws, case, "sel and bazel disagree", details);
                }
            } else {
                // By design: each tool must still give its own semantics' answer.
                let cfg = cfg.expect("unconfigured answers never differ");
                for cause in g.differences(&selects, &cfg, bazel_sem) {
                    *tally.by_design.entry(cause).or_default() += 1;
                }
                if !bz.fits(&bazel_model) {
                    tally.problem(
                        &ws,
                        case,
                        "bazel differs from the model of Bazel (a by-design difference not understood)",
                        details,
                    );
                }
            }
        }
    }
    println!(
        "compared {} cases with bazel {:?} (cquery in graphs with typed selectors: {:?}), \
         {} graphs, {} bazel calls; by design, not compared: {:?}; \
         {:.1}s (bazel calls {:.1}s, sel {:.1}s)",
        tally.compared.values().sum::<usize>(),
        tally.compared,
        tally.typed,
        ws.graphs.len(),
        bazel_calls,
        tally.by_design,
        start.elapsed().as_secs_f64(),
        bazel_time,
        sel_time
    );
    // Every type of selector met Bazel many times.
    for ty in ["bool_flag", "int_flag", "string_list_flag"] {
        let n = tally.typed.get(ty).copied().unwrap_or(0);
        assert!(
            n >= 20 || n_graphs < 20,
            "only {n} configured cases compared in graphs with a {ty}"
        );
    }
    if !tally.problems.is_empty() {
        for p in tally.problems.iter().take(8) {
            println!("\n{p}");
        }
        panic!(
            "{} disagreements (seed {seed}); the first are above",
            tally.problems.len()
        );
    }
}

/// sel against the SPEC model alone, on random workspaces: no Bazel needed.
#[test]
fn sel_agrees_with_the_spec_model_on_random_workspaces() {
    let seed = env_number("SEL_BAZEL_DIFF_SEED", 20240601) ^ 0x0de1;
    let tmp = tempfile::tempdir().unwrap();
    let ws = Workspace::generate(seed, 12);
    let one_dir = |k: usize| tmp.path().join(format!("g{k}"));
    for k in 0..ws.graphs.len() {
        ws.write_one(&one_dir(k), k);
    }
    let mut rng = Rng(seed);
    let cases: Vec<Case> = (0..10)
        .flat_map(|round| {
            (0..ws.graphs.len())
                .map(|g| Case::random(&ws, g, round >= 2, &mut rng))
                .collect::<Vec<_>>()
        })
        .collect();
    let answers = par_map(&cases, |c| {
        run_sel(&one_dir(c.graph), &c.sel_args(&ws.graphs[c.graph]))
    });
    let mut tally = Tally::default();
    for (case, sel) in cases.iter().zip(answers) {
        let spec = spec_answer(&ws.graphs[case.graph], case);
        match sel {
            Ok(sel) if sel.fits(&spec) => {}
            other => tally.problem(
                &ws,
                case,
                "sel differs from the SPEC model",
                format!("  sel: {other:?}\n  SPEC model: {spec:?}"),
            ),
        }
    }
    for p in tally.problems.iter().take(5) {
        println!("\n{p}");
    }
    assert!(
        tally.problems.is_empty(),
        "{} cases differ",
        tally.problems.len()
    );
}

// ---------------------------------------------------------------------------
// Minimized cases: sel's own answers, no Bazel needed. Each says what Bazel
// answers on the translated workspace.

/// sel's answer to `args` in a workspace of `files` (path, text).
fn sel_on(files: &[(&str, &str)], args: &[&str]) -> Outcome {
    let tmp = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = tmp.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::write(tmp.path().join("sel.toml"), "").unwrap();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    run_sel(tmp.path(), &args).unwrap()
}

fn targets(labels: &[&str]) -> Outcome {
    Outcome::Targets(labels.iter().map(|l| l.to_string()).collect())
}

fn fails(f: Failure) -> Outcome {
    Outcome::Fails([f].into())
}

const TWO_SELECTORS: &str = r#"
selector(name = "cuda", values = ["11", "12"], default = "12")
selector(name = "cpu", values = ["x86-64", "arm64"], default = "x86-64")
config_setting(name = "x86", flag_values = {":cpu": "x86-64"})
config_setting(name = "arm", flag_values = {":cpu": "arm64"})
config_setting(name = "cuda12", flag_values = {":cuda": "12"})
config_setting(name = "cuda12_x86", flag_values = {":cuda": "12", ":cpu": "x86-64"})
config_setting(name = "cuda12_x86_again", flag_values = {":cpu": "x86-64", ":cuda": "12"})
config_setting_group(name = "cuda12_and_x86", match_all = [":cuda12", ":x86"])
config_setting_group(name = "x86_or_arm", match_any = [":x86", ":arm"])
config_setting_group(name = "x86_all", match_all = [":cuda12_x86", ":x86"])
"#;

/// Found by the Bazel comparison (seed 20240601, graph 7): the two most
/// specific matching keys tie with equal values, and a less specific key has
/// another value. The tie decides; the less specific key's value does not make
/// it ambiguous. Bazel agrees (4.2 because `x86_all` resolves to `:x86`, which
/// `:cuda12_x86` refines; 6.2+ because it compares the most specific keys).
#[test]
fn regression_tie_between_most_specific_keys_ignores_less_specific_ones() {
    let build = r#"package(name = "p", deps = select({
    "//flags:x86": [":generic"],
    "//flags:cuda12_x86": [":special"],
    "//flags:x86_all": [":special"],
}))
package(name = "generic")
package(name = "special")
"#;
    let files = [("flags/BUILD", TWO_SELECTORS), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(&files, &["cquery", "deps(//pkg:p)"]),
        targets(&["//pkg:p", "//pkg:special"])
    );
}

/// By design: two matching keys, neither more specific, equal values. sel
/// (SPEC, Bazel 6.2+) takes the value; Bazel 4.2 says "Illegal ambiguous match".
#[test]
fn by_design_equal_value_tie_is_accepted() {
    let build = r#"package(name = "p", deps = select({
    "//flags:cuda12_x86": [":q"],
    "//flags:cuda12_x86_again": [":q"],
}))
package(name = "q")
"#;
    let files = [("flags/BUILD", TWO_SELECTORS), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(&files, &["cquery", "deps(//pkg:p)"]),
        targets(&["//pkg:p", "//pkg:q"])
    );
}

/// By design: a match_all group and a config_setting with the same flags are
/// the same condition to sel, so neither is more specific: ambiguous. In
/// Bazel the group is skylib's alias chain, which resolves to its last member
/// `:x86`; `:cuda12_x86` refines that, so Bazel takes `:setting`.
#[test]
fn by_design_group_equal_to_a_setting_is_ambiguous() {
    let build = r#"package(name = "p", deps = select({
    "//flags:cuda12_and_x86": [":group"],
    "//flags:cuda12_x86": [":setting"],
}))
package(name = "group")
package(name = "setting")
"#;
    let files = [("flags/BUILD", TWO_SELECTORS), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(&files, &["cquery", "deps(//pkg:p)"]),
        fails(Failure::Ambiguous)
    );
}

/// By design: a member is more specific than a match_any group holding it, so
/// sel takes the member's value. In Bazel the group resolves to that very
/// member (`:x86`, the first that matches), neither refines the other, and the
/// values differ: "Illegal ambiguous match".
#[test]
fn by_design_member_beats_match_any_group() {
    let build = r#"package(name = "p", deps = select({
    "//flags:x86_or_arm": [":group"],
    "//flags:x86": [":member"],
}))
package(name = "group")
package(name = "member")
"#;
    let files = [("flags/BUILD", TWO_SELECTORS), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(&files, &["cquery", "deps(//pkg:p)"]),
        targets(&["//pkg:member", "//pkg:p"])
    );
}

/// Open, for the lead: a selector with one value. SPEC calls a key more
/// specific by implication, and says that for plain config_settings this is
/// Bazel's strict-superset rule; with a one-value selector it is not. Here
/// `:linux_v1` (os and abi) and `:linux` (os) imply each other, since abi is
/// always v1, so sel calls the select ambiguous; Bazel (4.2, and the rule is
/// unchanged since) sees a strict superset of flag_values and takes
/// `:special`. The random workspaces give every selector 2-4 values, so the
/// Bazel comparison never meets this. Ignored until SPEC says which is meant;
/// it asserts Bazel's answer.
#[test]
#[ignore = "open question: SPEC's implication rule vs Bazel's superset rule for a one-value selector"]
fn open_one_value_selector_specialization() {
    let flags = r#"
selector(name = "abi", values = ["v1"], default = "v1")
selector(name = "os", values = ["linux", "macos"], default = "linux")
config_setting(name = "linux", flag_values = {":os": "linux"})
config_setting(name = "linux_v1", flag_values = {":os": "linux", ":abi": "v1"})
"#;
    let build = r#"package(name = "p", deps = select({
    "//flags:linux": [":generic"],
    "//flags:linux_v1": [":special"],
}))
package(name = "generic")
package(name = "special")
"#;
    let files = [("flags/BUILD", flags), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(&files, &["cquery", "deps(//pkg:p)"]),
        targets(&["//pkg:p", "//pkg:special"])
    );
}

// Issue #17: aliases of conditions and selectors, `None`, always-true groups.
// Each was run through Bazel 4.2.3 (Debian) and skylib 1.0.3.

const ALIASES: &str = r#"
selector(name = "flag", values = ["left", "right"], default = "left")
selector(name = "other", values = ["x", "y"], default = "x")
alias(name = "flag_alias", actual = ":flag")
config_setting(name = "a", flag_values = {":flag": "right"})
config_setting(name = "a_and_y", flag_values = {":flag": "right", ":other": "y"})
config_setting(name = "a_via_alias", flag_values = {":flag_alias": "right"})
alias(name = "aliased_a", actual = ":a")
alias(name = "aliased_a2", actual = ":aliased_a")
config_setting_group(name = "always", match_all = ["//conditions:default"])
"#;

/// A condition and its alias (through two aliases) are one condition: with
/// different values, ambiguous where they match. Bazel 4.2: "Illegal
/// ambiguous match" naming both; unset, both tools take the default.
#[test]
fn alias_of_a_condition_is_that_condition() {
    let build = r#"package(name = "p", deps = select({
    "//flags:a": [":x"],
    "//flags:aliased_a2": [":y"],
    "//conditions:default": [],
}))
package(name = "x")
package(name = "y")
"#;
    let files = [("flags/BUILD", ALIASES), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(
            &files,
            &["cquery", "deps(//pkg:p)", "--select", "flag=right"]
        ),
        fails(Failure::Ambiguous)
    );
    assert_eq!(
        sel_on(&files, &["cquery", "deps(//pkg:p)"]),
        targets(&["//pkg:p"])
    );
}

/// An alias of a condition specializes as the condition: `:a_and_y` is more
/// specific than `:aliased_a` (Bazel 4.2 agrees: it resolves the alias to
/// `:a`, whose flag_values `:a_and_y`'s refine).
#[test]
fn alias_of_a_condition_specializes_as_it() {
    let build = r#"package(name = "p", deps = select({
    "//flags:aliased_a": [":x"],
    "//flags:a_and_y": [":y"],
}))
package(name = "x")
package(name = "y")
"#;
    let files = [("flags/BUILD", ALIASES), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(
            &files,
            &[
                "cquery",
                "deps(//pkg:p)",
                "--select",
                "flag=right",
                "--select",
                "other=y"
            ]
        ),
        targets(&["//pkg:p", "//pkg:y"])
    );
    assert_eq!(
        sel_on(
            &files,
            &["cquery", "deps(//pkg:p)", "--select", "flag=right"]
        ),
        targets(&["//pkg:p", "//pkg:x"])
    );
}

/// By design (a Bazel 4.2 bug): a `flag_values` key that is an alias of a
/// selector reads that selector's value. Bazel 4.2.3 reads the flag's
/// default through the alias whatever the command line says (so
/// `:a_via_alias` never matches with `--//flags:flag=right`); later Bazel
/// resolves the alias (ConfigSettingTest.aliasedStarlarkFlag), as sel does.
#[test]
fn by_design_aliased_selector_reads_its_value() {
    let build = r#"package(name = "p", deps = select({
    "//flags:a_via_alias": [":x"],
    "//flags:a_and_y": [":y"],
    "//conditions:default": [],
}))
package(name = "x")
package(name = "y")
"#;
    let files = [("flags/BUILD", ALIASES), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(
            &files,
            &["cquery", "deps(//pkg:p)", "--select", "flag=right"]
        ),
        targets(&["//pkg:p", "//pkg:x"])
    );
    // Counted as `:flag` for specialization: `:a_and_y` refines it.
    assert_eq!(
        sel_on(
            &files,
            &[
                "cquery",
                "deps(//pkg:p)",
                "--select",
                "flag=right",
                "--select",
                "other=y"
            ]
        ),
        targets(&["//pkg:p", "//pkg:y"])
    );
}

/// `None` is the attribute unset: `deps` is `[]` (Bazel 4.2 agrees), in a
/// concatenation too; in an alias's mandatory `actual`, an error where taken
/// (Bazel 4.2: "Mandatory attribute 'actual' resolved to 'None' after
/// evaluating 'select' expression").
#[test]
fn none_is_the_attribute_unset() {
    let build = r#"package(name = "p", deps = [":y"] + select({
    "//flags:a": [":x"],
    "//conditions:default": None,
}))
alias(name = "al", actual = select({"//flags:aliased_a": None, "//conditions:default": ":x"}))
package(name = "x")
package(name = "y")
"#;
    let files = [("flags/BUILD", ALIASES), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(&files, &["cquery", "deps(//pkg:p)"]),
        targets(&["//pkg:p", "//pkg:y"])
    );
    assert_eq!(
        sel_on(&files, &["cquery", "deps(//pkg:al)"]),
        targets(&["//pkg:al", "//pkg:x"])
    );
    assert_eq!(
        sel_on(
            &files,
            &["cquery", "deps(//pkg:al)", "--select", "flag=right"]
        ),
        fails(Failure::NoneTaken)
    );
}

/// By design: Bazel 4.2 types a select by its first value, so `[...] +
/// select({k: None, ...})` fails to load ("'+' operator applied to
/// incompatible types (list, select of NoneType)"); a `None` after the first
/// value is fine. sel takes `None` anywhere.
#[test]
fn by_design_none_first_in_a_concatenation() {
    let build = r#"package(name = "p", deps = [":y"] + select({
    "//flags:a": None,
    "//conditions:default": [":x"],
}))
package(name = "x")
package(name = "y")
"#;
    let files = [("flags/BUILD", ALIASES), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(
            &files,
            &["cquery", "deps(//pkg:p)", "--select", "flag=right"]
        ),
        targets(&["//pkg:p", "//pkg:y"])
    );
}

/// skylib's always-true group matches everywhere (Bazel 4.2 agrees: alone it
/// takes its branch in every configuration). By design: with another
/// matching key of another value sel takes the other, more specific key
/// (it implies "always"); in Bazel the group resolves to a config_setting
/// on `--stamp` that refines nothing and nothing refines: "Illegal ambiguous
/// match".
#[test]
fn by_design_always_true_group_loses_to_any_matching_key() {
    let build = r#"package(name = "p", deps = select({
    "//flags:always": [":x"],
    "//flags:a": [":y"],
}))
package(name = "x")
package(name = "y")
"#;
    let files = [("flags/BUILD", ALIASES), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(&files, &["cquery", "deps(//pkg:p)"]),
        targets(&["//pkg:p", "//pkg:x"])
    );
    assert_eq!(
        sel_on(
            &files,
            &["cquery", "deps(//pkg:p)", "--select", "flag=right"]
        ),
        targets(&["//pkg:p", "//pkg:y"])
    );
}

/// `Label()` in a macro, with absolute labels (all Bazel 4.2 takes), as
/// select keys through `str()` and in lists of labels, against Bazel when it
/// is installed: the same packages at both values of the flag.
#[test]
fn label_in_a_macro_agrees_with_bazel() {
    let defs = |rule: &str, deps: &str| {
        format!(
            r#"IMPL = Label("//tools:linux-impl")
LINUX = Label("//flags:linux")
def tool(name):
    {rule}(
        name = name,
        {deps} = select({{
            str(LINUX): [IMPL, Label("//tools:extra")],
            "//conditions:default": [str(Label("//tools:generic-impl"))],
        }}),
        visibility = ["//visibility:public"],
    )
"#
        )
    };
    let app = r#"load("//tools:defs.bzl", "tool")
tool(name = "app")
"#;
    let sel_files = [
        ("sel.toml", String::new()),
        (
            "flags/BUILD",
            r#"selector(name = "os", values = ["linux", "macos"], default = "linux")
config_setting(name = "linux", flag_values = {":os": "linux"})
"#
            .to_string(),
        ),
        (
            "tools/BUILD",
            ["linux-impl", "generic-impl", "extra"]
                .map(|n| format!("package(name = \"{n}\")\n"))
                .concat(),
        ),
        ("tools/defs.bzl", defs("package", "deps")),
        ("app/BUILD", app.to_string()),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let sel_dir = tmp.path().join("sel");
    for (path, text) in &sel_files {
        let p = sel_dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let sel_answer = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        run_sel(&sel_dir, &args).unwrap()
    };
    let linux = targets(&["//app:app", "//tools:extra", "//tools:linux-impl"]);
    let macos = targets(&["//app:app", "//tools:generic-impl"]);
    assert_eq!(sel_answer(&["cquery", "deps(//app)"]), linux);
    assert_eq!(
        sel_answer(&["cquery", "deps(//app)", "--select", "os=macos"]),
        macos
    );
    if find_on_path("bazel").is_none() {
        println!("bazel not found, skipping the comparison");
        return;
    }
    let bazel_dir = tmp.path().join("bazel");
    let bazel_files = [
        (
            "WORKSPACE",
            "local_repository(name = \"bazel_skylib\", path = \"/usr/share/bazel/tools/skylib\")\n"
                .to_string(),
        ),
        (
            "flags/BUILD",
            r#"load("@bazel_skylib//rules:common_settings.bzl", "string_flag")
string_flag(name = "os", values = ["linux", "macos"], build_setting_default = "linux")
config_setting(name = "linux", flag_values = {":os": "linux"})
"#
            .to_string(),
        ),
        (
            "tools/BUILD",
            ["linux-impl", "generic-impl", "extra"]
                .map(|n| {
                    format!("filegroup(name = \"{n}\", visibility = [\"//visibility:public\"])\n")
                })
                .concat(),
        ),
        ("tools/defs.bzl", defs("native.filegroup", "srcs")),
        ("app/BUILD", app.to_string()),
    ];
    for (path, text) in &bazel_files {
        let p = bazel_dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let bazel = Bazel {
        workspace: bazel_dir.canonicalize().unwrap(),
        user_root: tmp.path().join("bazel-root"),
    };
    let bazel_answer = |flags: &[String]| {
        let out = bazel.run("cquery", "deps(//app)", flags);
        assert!(
            out.status.success(),
            "bazel failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let labels = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split(" (").next().unwrap_or(l).to_string())
            .filter(|l| l.starts_with("//app:") || l.starts_with("//tools:"))
            .collect();
        Outcome::Targets(labels)
    };
    assert_eq!(bazel_answer(&[]), linux);
    assert_eq!(bazel_answer(&["--//flags:os=macos".to_string()]), macos);
}

// ---------------------------------------------------------------------------
// Issue #17: constraints and platforms. sel2bazel.py (shared) translates no
// platform(), so these workspaces are written for both tools here: the
// same constraint_setting / constraint_value / config_setting / platform
// targets in both, `package(deps)` in sel where Bazel has `filegroup(srcs)`.

/// A set of constraint values: (setting, value) pairs, one value per setting.
type Values = Vec<(usize, usize)>;

/// A select: branches (condition, leaf), and the default's leaf.
type ConstraintSelect = (Vec<(usize, usize)>, Option<usize>);

/// A random workspace of constraints (graph `//gK`): two settings (`s0`
/// with a default, `s1` without), their values, config_settings on one or
/// two constraint values, platforms (some with a parent), and selects over
/// constraint values and config_settings.
struct ConstraintGraph {
    id: usize,
    /// Per setting, its number of values.
    settings: Vec<usize>,
    /// Conditions: each a set of (setting, value), one value per setting;
    /// a single one may be written as the constraint value itself.
    conds: Vec<Vec<(usize, usize)>>,
    /// Per platform: the values it sets, and its parent (an earlier one).
    platforms: Vec<(Values, Option<usize>)>,
    /// Per target: select branches (condition, leaf) and the default leaf.
    targets: Vec<ConstraintSelect>,
}

impl ConstraintGraph {
    fn generate(id: usize, rng: &mut Rng) -> ConstraintGraph {
        let settings = vec![rng.range(2, 3), rng.range(2, 3)];
        let mut conds: Vec<Vec<(usize, usize)>> = Vec::new();
        for (s, n) in settings.iter().enumerate() {
            for v in 0..*n {
                conds.push(vec![(s, v)]);
            }
        }
        for _ in 0..rng.range(1, 3) {
            let both = rng.chance(0.6);
            let mut c = vec![(0, rng.below(settings[0]))];
            if both {
                c.push((1, rng.below(settings[1])));
            }
            conds.push(c);
        }
        let mut platforms = Vec::new();
        for p in 0..4 {
            let mut values = Vec::new();
            for (s, n) in settings.iter().enumerate() {
                if rng.chance(0.6) {
                    values.push((s, rng.below(*n)));
                }
            }
            let parent = (p > 0 && rng.chance(0.4)).then(|| rng.below(p));
            platforms.push((values, parent));
        }
        let targets = (0..4)
            .map(|_| {
                let n_keys = rng.range(1, 3);
                let keys = rng.sample(conds.len(), n_keys);
                let branches = keys.into_iter().map(|c| (c, rng.below(3))).collect();
                let default = rng.chance(0.6).then(|| rng.below(3));
                (branches, default)
            })
            .collect();
        ConstraintGraph {
            id,
            settings,
            conds,
            platforms,
            targets,
        }
    }

    fn value_label(&self, (s, v): (usize, usize)) -> String {
        format!("//g{}:s{s}_v{v}", self.id)
    }

    /// A condition's label: the constraint value itself when it is one
    /// (the first conditions), else its config_setting.
    fn cond_label(&self, c: usize) -> String {
        if c < self.settings.iter().sum::<usize>() {
            self.value_label(self.conds[c][0])
        } else {
            format!("//g{}:c{c}", self.id)
        }
    }

    /// The BUILD file: `rule` and `attr` name a target with dependencies
    /// (`package`/`deps` for sel, `filegroup`/`srcs` for Bazel).
    fn build(&self, rule: &str, attr: &str) -> String {
        let mut out = String::new();
        let vis = if rule == "filegroup" {
            ", visibility = [\"//visibility:public\"]"
        } else {
            ""
        };
        for (s, n) in self.settings.iter().enumerate() {
            let default = if s == 0 {
                format!(", default_constraint_value = \":s{s}_v0\"")
            } else {
                String::new()
            };
            let _ = writeln!(out, "constraint_setting(name = \"s{s}\"{default})");
            for v in 0..*n {
                let _ = writeln!(
                    out,
                    "constraint_value(name = \"s{s}_v{v}\", constraint_setting = \":s{s}\"{vis})"
                );
            }
        }
        let first = self.settings.iter().sum::<usize>();
        for (c, values) in self.conds.iter().enumerate().skip(first) {
            let list: Vec<String> = values
                .iter()
                .map(|v| format!("\"{}\"", self.value_label(*v)))
                .collect();
            let _ = writeln!(
                out,
                "config_setting(name = \"c{c}\", constraint_values = [{}])",
                list.join(", ")
            );
        }
        for (p, (values, parent)) in self.platforms.iter().enumerate() {
            let list: Vec<String> = values
                .iter()
                .map(|v| format!("\"{}\"", self.value_label(*v)))
                .collect();
            let parent = parent
                .map(|q| format!(", parents = [\":p{q}\"]"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "platform(name = \"p{p}\", constraint_values = [{}]{parent})",
                list.join(", ")
            );
        }
        for (t, (branches, default)) in self.targets.iter().enumerate() {
            let mut parts: Vec<String> = branches
                .iter()
                .map(|(c, leaf)| format!("\"{}\": [\":l{leaf}\"]", self.cond_label(*c)))
                .collect();
            if let Some(leaf) = default {
                parts.push(format!("\"//conditions:default\": [\":l{leaf}\"]"));
            }
            let _ = writeln!(
                out,
                "{rule}(name = \"t{t}\", {attr} = select({{{}}}){vis})",
                parts.join(", ")
            );
        }
        for leaf in 0..3 {
            let _ = writeln!(out, "{rule}(name = \"l{leaf}\"{vis})");
        }
        out
    }

    /// The value of each setting on platform `p` (parents first, then its
    /// own; `None`: no value), with the defaults.
    fn platform_values(&self, p: usize) -> Vec<Option<usize>> {
        let mut chain = vec![p];
        while let Some(q) = self.platforms[*chain.last().unwrap()].1 {
            chain.push(q);
        }
        let mut values = vec![Some(0), None];
        for q in chain.iter().rev() {
            for (s, v) in &self.platforms[*q].0 {
                values[*s] = Some(*v);
            }
        }
        values
    }

    /// What `deps(//gK:tT)` gives on platform `p`: by SPEC (specialization
    /// is implication: a superset of constraint values), or by Bazel 4.2.3
    /// (constraint values do not count for specialization, and equal
    /// values do not settle a tie: two matching keys are ambiguous).
    fn answer(&self, t: usize, p: usize, spec: bool) -> Outcome {
        let values = self.platform_values(p);
        let (branches, default) = &self.targets[t];
        let holds = |c: usize| self.conds[c].iter().all(|(s, v)| values[*s] == Some(*v));
        let matching: Vec<&(usize, usize)> = branches.iter().filter(|(c, _)| holds(*c)).collect();
        let leaf = match matching.as_slice() {
            [] => match default {
                Some(leaf) => *leaf,
                None => return Outcome::Fails([Failure::NoMatch].into()),
            },
            [(_, leaf)] => *leaf,
            many if spec => {
                let set = |c: usize| self.conds[c].iter().collect::<BTreeSet<_>>();
                let most: Vec<&&(usize, usize)> = many
                    .iter()
                    .filter(|(k, _)| {
                        !many
                            .iter()
                            .any(|(m, _)| set(*m).is_superset(&set(*k)) && set(*m) != set(*k))
                    })
                    .collect();
                if most.iter().all(|(_, leaf)| *leaf == most[0].1) {
                    most[0].1
                } else {
                    return Outcome::Fails([Failure::Ambiguous].into());
                }
            }
            _ => return Outcome::Fails([Failure::Ambiguous].into()),
        };
        Outcome::Targets(
            [
                format!("//g{}:t{t}", self.id),
                format!("//g{}:l{leaf}", self.id),
            ]
            .into(),
        )
    }
}

/// What Bazel's `cquery 'deps(X)'` printed, keeping the labels of `//gK`'s
/// targets and leaves.
fn bazel_outcome(out: &Output, id: usize) -> Result<Outcome, String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("Illegal ambiguous match") {
        return Ok(Outcome::Fails([Failure::Ambiguous].into()));
    }
    if stderr.contains("doesn't match this configuration") {
        return Ok(Outcome::Fails([Failure::NoMatch].into()));
    }
    if !out.status.success() {
        return Err(stderr.to_string());
    }
    let prefix = format!("//g{id}:");
    Ok(Outcome::Targets(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split(" (").next().unwrap_or(l).to_string())
            .filter(|l| l.starts_with(&prefix) && (l.contains(":t") || l.contains(":l")))
            .collect(),
    ))
}

/// Random workspaces of constraints and platforms: sel at every platform
/// against the SPEC model; and, where Bazel is installed, Bazel against its
/// model everywhere and sel against Bazel wherever the two models agree
/// (where they differ: two matching keys, one with a superset of the
/// other's constraint values or both with equal values, which sel decides
/// and Bazel 4.2.3 calls ambiguous).
#[test]
fn constraints_agree_with_bazel_on_random_workspaces() {
    let seed = env_number("SEL_BAZEL_DIFF_SEED", 20240601) ^ 0xc0de;
    let n = env_number("SEL_BAZEL_DIFF_CONSTRAINT_GRAPHS", 6) as usize;
    let mut rng = Rng(seed);
    let graphs: Vec<ConstraintGraph> = (0..n)
        .map(|k| ConstraintGraph::generate(k, &mut rng))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let sel_dir = tmp.path().join("sel");
    let bazel_dir = tmp.path().join("bazel");
    std::fs::create_dir_all(&sel_dir).unwrap();
    std::fs::write(sel_dir.join("sel.toml"), "").unwrap();
    for g in &graphs {
        for (dir, rule, attr) in [
            (&sel_dir, "package", "deps"),
            (&bazel_dir, "filegroup", "srcs"),
        ] {
            let d = dir.join(format!("g{}", g.id));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("BUILD"), g.build(rule, attr)).unwrap();
        }
    }
    std::fs::write(bazel_dir.join("WORKSPACE"), "").unwrap();
    let cases: Vec<(usize, usize, usize)> = graphs
        .iter()
        .flat_map(|g| {
            (0..g.targets.len())
                .flat_map(move |t| (0..g.platforms.len()).map(move |p| (g.id, t, p)))
        })
        .collect();
    let sel_answers = par_map(&cases, |&(k, t, p)| {
        run_sel(
            &sel_dir,
            &[
                "cquery".into(),
                format!("deps(//g{k}:t{t})"),
                "--platform".into(),
                format!("//g{k}:p{p}"),
            ],
        )
    });
    let mut problems = Vec::new();
    for (&(k, t, p), sel) in cases.iter().zip(&sel_answers) {
        let spec = graphs[k].answer(t, p, true);
        match sel {
            Ok(o) if o.fits(&spec) => {}
            other => problems.push(format!(
                "g{k} t{t} p{p}: sel {other:?}, SPEC model {spec:?}\n{}",
                graphs[k].build("package", "deps")
            )),
        }
    }
    let mut compared = 0;
    if find_on_path("bazel").is_some() {
        let bazel = Bazel {
            workspace: bazel_dir.canonicalize().unwrap(),
            user_root: tmp.path().join("bazel-root"),
        };
        for (&(k, t, p), sel) in cases.iter().zip(&sel_answers) {
            let out = bazel.run(
                "cquery",
                &format!("deps(//g{k}:t{t})"),
                &[format!("--platforms=//g{k}:p{p}")],
            );
            let bz = match bazel_outcome(&out, k) {
                Ok(o) => o,
                Err(e) => {
                    problems.push(format!("g{k} t{t} p{p}: bazel failed: {e}"));
                    continue;
                }
            };
            let model = graphs[k].answer(t, p, false);
            if !bz.fits(&model) {
                problems.push(format!("g{k} t{t} p{p}: bazel {bz:?}, its model {model:?}"));
            }
            if model == graphs[k].answer(t, p, true) {
                compared += 1;
                if sel.as_ref().ok() != Some(&bz) {
                    problems.push(format!("g{k} t{t} p{p}: sel {sel:?}, bazel {bz:?}"));
                }
            }
        }
        println!("compared {compared} of {} cases with bazel", cases.len());
    } else {
        println!("bazel not found, skipping the comparison");
    }
    for p in problems.iter().take(5) {
        println!("\n{p}");
    }
    assert!(problems.is_empty(), "{} problems", problems.len());
}

const CONSTRAINTS: &str = r#"
selector(name = "flag", values = ["a", "b"], default = "a")
config_setting(name = "fa", flag_values = {":flag": "a"})
config_setting(name = "fa_linux", flag_values = {":flag": "a"}, constraint_values = ["@platforms//os:linux"])
config_setting(name = "linux", constraint_values = ["@platforms//os:linux"])
config_setting(name = "linux_x86", constraint_values = ["@platforms//os:linux", "@platforms//cpu:x86_64"])
platform(name = "linux_x86_64", constraint_values = ["@platforms//os:linux", "@platforms//cpu:x86_64"])
"#;

/// By design (Bazel 4.2.3 ignores constraint values for specialization): a
/// config_setting on a superset of another's constraint values is more
/// specific, and so is one on a constraint value and a flag than one on the
/// flag alone. sel, like current Bazel (its `refines` compares constraint
/// values as sets), takes `:special`; Bazel 4.2.3 says "Illegal ambiguous
/// match" for both selects.
#[test]
fn by_design_constraint_values_count_for_specialization() {
    for (generic, special) in [("linux", "linux_x86"), ("fa", "fa_linux")] {
        let build = format!(
            r#"package(name = "p", deps = select({{
    "//flags:{generic}": [":generic"],
    "//flags:{special}": [":special"],
}}))
package(name = "generic")
package(name = "special")
"#
        );
        let files = [("flags/BUILD", CONSTRAINTS), ("pkg/BUILD", build.as_str())];
        assert_eq!(
            sel_on(
                &files,
                &[
                    "cquery",
                    "deps(//pkg:p)",
                    "--platform",
                    "//flags:linux_x86_64"
                ]
            ),
            targets(&["//pkg:p", "//pkg:special"])
        );
    }
}

/// By design: a constraint value key and a config_setting on a flag, both
/// matching, neither implying the other: ambiguous to sel (SPEC). Bazel
/// 4.2.3 counts the flag as more specific than a bare constraint value and
/// takes `:flag`.
#[test]
fn by_design_a_flag_does_not_refine_a_constraint_value() {
    let build = r#"package(name = "p", deps = select({
    "//flags:fa": [":flag"],
    "@platforms//os:linux": [":linux"],
}))
package(name = "flag")
package(name = "linux")
"#;
    let files = [("flags/BUILD", CONSTRAINTS), ("pkg/BUILD", build)];
    assert_eq!(
        sel_on(
            &files,
            &[
                "cquery",
                "deps(//pkg:p)",
                "--platform",
                "//flags:linux_x86_64"
            ]
        ),
        fails(Failure::Ambiguous)
    );
}

// Issue #17: typed selectors, skylib's build settings. Run through Bazel
// 4.2.3 (Debian) and skylib 1.0.3; the random workspaces above use them too.

/// `flags/BUILD` of [`typed_selectors_agree_with_bazel`], for sel: skylib's
/// loads, and the `values` sel needs.
const TYPED_FLAGS: &str = r#"load("@bazel_skylib//rules:common_settings.bzl", "bool_flag", "int_flag", "string_flag", "string_list_flag")
load("@bazel_skylib//lib:selects.bzl", "selects")
string_list_flag(name = "features", values = ["avx2", "fma", "neon"], build_setting_default = ["avx2"])
bool_flag(name = "fast", build_setting_default = False)
int_flag(name = "jobs", values = [16, 4, 12], build_setting_default = 4)
string_flag(name = "os", values = ["linux", "macos"], build_setting_default = "linux")
alias(name = "features_alias", actual = ":features")
config_setting(name = "avx2", flag_values = {":features": "avx2"})
config_setting(name = "fma", flag_values = {":features": "fma"})
config_setting(name = "neon", flag_values = {":features": "neon"})
config_setting(name = "neon_via_alias", flag_values = {":features_alias": "neon"})
config_setting(name = "avx2_linux", flag_values = {":features": "avx2", ":os": "linux"})
selects.config_setting_group(name = "avx2_fma", match_all = [":avx2", ":fma"])
config_setting(name = "fast_True", flag_values = {":fast": "True"})
config_setting(name = "fast_1", flag_values = {":fast": "1"})
config_setting(name = "fast_yes_linux", flag_values = {":fast": "yes", ":os": "linux"})
config_setting(name = "jobs_12", flag_values = {":jobs": "0xc"})
config_setting(name = "jobs_16", flag_values = {":jobs": "16"})
"#;

/// `pkg/BUILD` of [`typed_selectors_agree_with_bazel`] (sel's; Bazel's is
/// sel2bazel.py's translation).
const TYPED_BUILD: &str = r#"package(name = "kernels", deps = select({
    "//flags:avx2": [":avx2"],
    "//flags:avx2_linux": [":avx2-linux"],
    "//flags:avx2_fma": [":avx2-fma"],
    "//conditions:default": [":generic"],
}))
package(name = "neon", deps = select({"//flags:neon": [":neon-impl"], "//conditions:default": []}))
package(name = "neon_alias", deps = select({"//flags:neon_via_alias": [":neon-impl"], "//conditions:default": []}))
package(name = "fast", deps = select({"//flags:fast_True": [":a"], "//conditions:default": []}) + select({"//flags:fast_1": [":b"], "//conditions:default": []}))
package(name = "fast_linux", deps = select({"//flags:fast_True": [":a"], "//flags:fast_yes_linux": [":b"], "//conditions:default": []}))
package(name = "jobs", deps = select({"//flags:jobs_12": [":a"], "//flags:jobs_16": [":b"], "//conditions:default": []}))
package(name = "avx2")
package(name = "avx2-linux")
package(name = "avx2-fma")
package(name = "generic")
package(name = "neon-impl")
package(name = "a")
package(name = "b")
"#;

/// `flags/BUILD` of [`typed_selectors_agree_with_bazel`] for Bazel: no
/// `values` for the int and the list (skylib has none), groups as skylib's,
/// everything public.
const TYPED_FLAGS_BAZEL: &str = r#"load("@bazel_skylib//rules:common_settings.bzl", "bool_flag", "int_flag", "string_flag", "string_list_flag")
load("@bazel_skylib//lib:selects.bzl", "selects")
package(default_visibility = ["//visibility:public"])
string_list_flag(name = "features", build_setting_default = ["avx2"])
bool_flag(name = "fast", build_setting_default = False)
int_flag(name = "jobs", build_setting_default = 4)
string_flag(name = "os", values = ["linux", "macos"], build_setting_default = "linux")
alias(name = "features_alias", actual = ":features")
config_setting(name = "avx2", flag_values = {":features": "avx2"})
config_setting(name = "fma", flag_values = {":features": "fma"})
config_setting(name = "neon", flag_values = {":features": "neon"})
config_setting(name = "neon_via_alias", flag_values = {":features_alias": "neon"})
config_setting(name = "avx2_linux", flag_values = {":features": "avx2", ":os": "linux"})
selects.config_setting_group(name = "avx2_fma", match_all = [":avx2", ":fma"])
config_setting(name = "fast_True", flag_values = {":fast": "True"})
config_setting(name = "fast_1", flag_values = {":fast": "1"})
config_setting(name = "fast_yes_linux", flag_values = {":fast": "yes", ":os": "linux"})
config_setting(name = "jobs_12", flag_values = {":jobs": "0xc"})
config_setting(name = "jobs_16", flag_values = {":jobs": "16"})
"#;

/// Typed selectors, case by case, against Bazel when it is installed (sel's
/// answers are asserted either way): a condition on a list holds where the
/// list has the element (several at once: a group, which is more specific),
/// the empty list, `True` / `1` / `yes`, an int written `0xc`, a list's
/// elements in any order. Where Bazel 4.2 differs by design (an aliased
/// flag read as its default; `1` and `True` two entries to specialization;
/// a group's specialization), each tool's answer is pinned.
#[test]
fn typed_selectors_agree_with_bazel() {
    let t = |labels: &[&str]| -> Outcome {
        targets(
            &labels
                .iter()
                .map(|l| format!("//pkg:{l}"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
    };
    // (query, flags as Bazel writes them, sel's answer, Bazel 4.2.3's if it differs)
    let cases: Vec<(&str, Vec<&str>, Outcome, Option<Outcome>)> = vec![
        // The default list holds avx2; on linux the more specific key wins.
        (
            "deps(//pkg:kernels)",
            vec![],
            t(&["avx2-linux", "kernels"]),
            None,
        ),
        (
            "deps(//pkg:kernels)",
            vec!["--//flags:os=macos"],
            t(&["avx2", "kernels"]),
            None,
        ),
        // avx2 and fma: `avx2_fma` implies `avx2`, but `avx2_linux` is not
        // comparable with it: ambiguous on linux (Bazel: the group resolves
        // to `:fma`, which neither refines nor is refined by `avx2_linux`).
        (
            "deps(//pkg:kernels)",
            vec!["--//flags:features=fma,avx2"],
            fails(Failure::Ambiguous),
            None,
        ),
        (
            "deps(//pkg:kernels)",
            vec!["--//flags:features=fma,avx2", "--//flags:os=macos"],
            t(&["avx2-fma", "kernels"]),
            // Bazel: the group is its last member `:fma` there, and `:avx2`
            // and `:fma` refine neither other.
            Some(fails(Failure::Ambiguous)),
        ),
        (
            "deps(//pkg:kernels)",
            vec!["--//flags:features="],
            t(&["generic", "kernels"]),
            None,
        ),
        (
            "deps(//pkg:kernels)",
            vec!["--//flags:features=neon,fma"],
            t(&["generic", "kernels"]),
            None,
        ),
        (
            "deps(//pkg:neon)",
            vec!["--//flags:features=avx2,neon"],
            t(&["neon", "neon-impl"]),
            None,
        ),
        ("deps(//pkg:neon)", vec![], t(&["neon"]), None),
        // Through an alias: sel reads the list; Bazel 4.2 its default.
        (
            "deps(//pkg:neon_alias)",
            vec!["--//flags:features=neon"],
            t(&["neon-impl", "neon_alias"]),
            Some(t(&["neon_alias"])),
        ),
        // `True` and `1` are both true.
        (
            "deps(//pkg:fast)",
            vec!["--//flags:fast=true"],
            t(&["a", "b", "fast"]),
            None,
        ),
        ("deps(//pkg:fast)", vec![], t(&["fast"]), None),
        // `yes` on linux is more specific than `True` to sel; to Bazel the
        // two are different entries, so neither refines: ambiguous.
        (
            "deps(//pkg:fast_linux)",
            vec!["--//flags:fast=true"],
            t(&["b", "fast_linux"]),
            Some(fails(Failure::Ambiguous)),
        ),
        (
            "deps(//pkg:fast_linux)",
            vec!["--//flags:fast=true", "--//flags:os=macos"],
            t(&["a", "fast_linux"]),
            None,
        ),
        (
            "deps(//pkg:jobs)",
            vec!["--//flags:jobs=12"],
            t(&["a", "jobs"]),
            None,
        ),
        (
            "deps(//pkg:jobs)",
            vec!["--//flags:jobs=16"],
            t(&["b", "jobs"]),
            None,
        ),
        ("deps(//pkg:jobs)", vec![], t(&["jobs"]), None),
    ];
    let sel_files = [("flags/BUILD", TYPED_FLAGS), ("pkg/BUILD", TYPED_BUILD)];
    for (query, flags, expected, _) in &cases {
        let mut args = vec!["cquery", *query];
        let selects: Vec<String> = flags
            .iter()
            .map(|f| f.trim_start_matches("--//flags:").to_string())
            .collect();
        for s in &selects {
            args.extend(["--select", s.as_str()]);
        }
        assert_eq!(&sel_on(&sel_files, &args), expected, "sel {args:?}");
    }
    let Some(_) = find_on_path("bazel") else {
        println!("bazel not found, skipping the comparison");
        return;
    };
    let translator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/sel2bazel.py");
    if !translator.is_file() || find_on_path("python3").is_none() {
        println!("sel2bazel.py or python3 not found, skipping the comparison");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source");
    write_packages(&source, &[("pkg".to_string(), TYPED_BUILD.to_string())]);
    let bazel_dir = tmp.path().join("bazel");
    let status = Command::new("python3")
        .arg(&translator)
        .arg(&source)
        .arg(&bazel_dir)
        .status()
        .unwrap();
    assert!(status.success(), "sel2bazel.py failed");
    write_packages(
        &bazel_dir,
        &[("flags".to_string(), TYPED_FLAGS_BAZEL.to_string())],
    );
    let bazel = Bazel {
        workspace: bazel_dir.canonicalize().unwrap(),
        user_root: tmp.path().join("bazel-root"),
    };
    for (query, flags, expected, by_design) in &cases {
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        let out = bazel.run("cquery", query, &flags);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let answer = if out.status.success() {
            Outcome::Targets(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|l| l.split(" (").next().unwrap_or(l).to_string())
                    .filter(|l| l.starts_with("//pkg:"))
                    .collect(),
            )
        } else if stderr.contains("Illegal ambiguous match") {
            fails(Failure::Ambiguous)
        } else if stderr.contains("doesn't match this configuration") {
            fails(Failure::NoMatch)
        } else {
            panic!("bazel cquery {query} {flags:?} failed:\n{stderr}");
        };
        assert_eq!(
            &answer,
            by_design.as_ref().unwrap_or(expected),
            "bazel cquery '{query}' {flags:?}"
        );
    }
}

/// By design: sel reads a `flag_values` entry as Bazel does (`1`, `True` and
/// `yes` are one value) and specializes by what it means, so `{fast: yes,
/// os: linux}` is more specific than `{fast: True}`. Bazel compares the
/// entries as written: `yes` is not `True`, neither refines the other, and
/// the select is ambiguous (Bazel 4.2.3: "Illegal ambiguous match").
#[test]
fn by_design_a_value_written_two_ways_is_one_value() {
    let files = [("flags/BUILD", TYPED_FLAGS), ("pkg/BUILD", TYPED_BUILD)];
    assert_eq!(
        sel_on(
            &files,
            &["cquery", "deps(//pkg:fast_linux)", "--select", "fast=true"]
        ),
        targets(&["//pkg:b", "//pkg:fast_linux"])
    );
}

/// By design: a condition on a list naming two elements (`"avx2,fma"`) or
/// none (`""`) is an error when the file loads (`sel::selector`); Bazel 4.2.3
/// rejects it too, when a select that uses it is analysed ("Only single,
/// exact values are allowed").
#[test]
fn by_design_a_list_condition_names_one_element() {
    for value in ["avx2,fma", ""] {
        let tmp = tempfile::tempdir().unwrap();
        let flags = format!(
            "{TYPED_FLAGS}config_setting(name = \"both\", flag_values = {{\":features\": \"{value}\"}})\n"
        );
        write_packages(tmp.path(), &[("flags".to_string(), flags)]);
        std::fs::write(tmp.path().join("sel.toml"), "").unwrap();
        let out = Command::new(SEL)
            .arg("-C")
            .arg(tmp.path())
            .args(["--color", "never", "query", "//..."])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("sel::selector") && stderr.contains("not one element"),
            "{stderr}"
        );
    }
}
