//! Property tests over random workspaces: the invariants of the
//! multi-dimensional graph (SPEC, "The multi-dimensional graph").
//!
//! - At every configuration C, a target is in `cquery --select C` exactly when
//!   its `--all-configs` condition holds at C, and `cquery` fails exactly where
//!   a failure region of `--all-configs` holds.
//! - `sel matrix` classes are disjoint, cover the space, and each class's
//!   result is cquery's at every configuration inside it.
//! - A configured result is inside the unconfigured one (for queries without `-`).
//!
//! The spaces are small, so every configuration is checked.
//!
//! The workspaces use what Bazel allows around conditions (issue #17):
//! select keys, group members and `target_compatible_with` entries that are
//! aliases of conditions (and an alias of an alias), `flag_values` keys that
//! are aliases of selectors, `None` in select branches (the attribute's
//! default; in an alias's mandatory `actual`, a failure), and skylib's
//! always-true groups (`match_all` / `match_any = ["//conditions:default"]`).
//! And constraints: a `constraint_setting` (with or without a
//! `default_constraint_value`) whose values, one of them in another
//! package, are select keys and `target_compatible_with` entries, and
//! appear in `config_setting`s' `constraint_values`.
//!
//! Their selectors are typed too: skylib's `bool_flag`, `int_flag` (ordered,
//! compared with `>=`) and `string_list_flag`, a multi-valued selector whose
//! conditions name an element (`"e1"`: the set has it, `"!=e1"`: it does
//! not), with `flag_values` spelled as Bazel reads them (`True`, `1`, `0xb`)
//! and `--select` values out of order (`e2,e0`).

use std::fmt::Write;

use proptest::prelude::*;
use sel::{Request, Session};

/// What a selector is declared as (issue #17: skylib's build settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    /// `selector()`, values `v0`, `v1`, ...
    Str,
    /// `bool_flag`: two values, false and true.
    Bool,
    /// `int_flag`: ordered integers (value `k` is `5k - 4`), listed in reverse.
    Int,
    /// `string_list_flag`: elements `e0`, `e1`, ...; a value is a set of them.
    List,
}

#[derive(Debug, Clone)]
struct Selector {
    /// How many values (for a list: elements).
    values: usize,
    ordered: bool,
    ty: Type,
}

impl Selector {
    /// The values a configuration may give it, as `--select` writes them (a
    /// list's: every set of its elements).
    fn settings(&self) -> Vec<String> {
        match self.ty {
            Type::Str => (0..self.values).map(|v| format!("v{v}")).collect(),
            Type::Bool => vec!["false".into(), "true".into()],
            Type::Int => (0..self.values).map(|v| int_value(v).to_string()).collect(),
            Type::List => (0..1usize << self.values)
                .map(|set| {
                    // Spelled out of order, now and then twice: sel takes the set.
                    let mut held: Vec<String> = (0..self.values)
                        .rev()
                        .filter(|e| set & (1 << e) != 0)
                        .map(|e| format!("e{e}"))
                        .collect();
                    if set == 1 {
                        held.push("e0".into());
                    }
                    held.join(",")
                })
                .collect(),
        }
    }

    /// What a `flag_values` entry compares with value (or element) `v`, as
    /// written; `spelling` picks among Bazel's spellings of one value.
    fn text(&self, v: usize, spelling: usize) -> String {
        match self.ty {
            Type::Str => format!("v{v}"),
            Type::Bool => {
                let spellings: [&[&str]; 2] = [
                    &["False", "false", "0", "no"],
                    &["True", "true", "1", "yes"],
                ];
                let s = spellings[v];
                s[spelling % s.len()].to_string()
            }
            Type::Int if spelling % 3 == 2 && int_value(v) >= 0 => format!("{:#x}", int_value(v)),
            Type::Int => int_value(v).to_string(),
            Type::List => format!("e{v}"),
        }
    }
}

/// The integer of an `int_flag`'s value `k`.
fn int_value(k: usize) -> i64 {
    5 * k as i64 - 4
}

#[derive(Debug, Clone)]
enum Flag {
    Eq(usize, usize),
    Ne(usize, usize),
    Ge(usize, usize),
}

/// A select branch's value: dependencies, or `None` (the attribute unset).
type Branch = (usize, Option<Vec<usize>>);

#[derive(Debug, Clone)]
enum Deps {
    Plain(Vec<usize>),
    Select {
        branches: Vec<Branch>,
        default: Option<Vec<usize>>,
    },
    Concat(Vec<usize>, Vec<Branch>, Option<Vec<usize>>),
}

#[derive(Debug, Clone)]
struct Workspace {
    selectors: Vec<Selector>,
    settings: Vec<Vec<Flag>>,
    groups: Vec<(bool, Vec<usize>)>,
    packages: Vec<(Deps, Option<usize>)>,
    /// Whether the constraint setting `cs` has a default (`k0`).
    cs_default: bool,
    /// For each config_setting, the constraint value it also requires, if any.
    setting_constraints: Vec<Option<usize>>,
}

/// The constraint values of `//flags:cs`: two in `//flags`, one in `//pkgs`.
const CONSTRAINT_VALUES: [&str; 3] = ["//flags:k0", "//flags:k1", "//pkgs:k2"];

fn selector() -> impl Strategy<Value = Selector> {
    let ty = prop_oneof![
        3 => Just(Type::Str),
        1 => Just(Type::Bool),
        1 => Just(Type::Int),
        2 => Just(Type::List),
    ];
    (2usize..4, any::<bool>(), ty).prop_map(|(values, ordered, ty)| match ty {
        Type::Str => Selector {
            values,
            ordered,
            ty,
        },
        Type::Bool => Selector {
            values: 2,
            ordered: false,
            ty,
        },
        Type::Int => Selector {
            values,
            ordered: true,
            ty,
        },
        // One to three elements: two to eight values.
        Type::List => Selector {
            values: values - 1 + usize::from(ordered),
            ordered: false,
            ty,
        },
    })
}

fn workspace() -> impl Strategy<Value = Workspace> {
    prop::collection::vec(selector(), 1..4).prop_flat_map(|selectors| {
        let n_sel = selectors.len();
        let sels = selectors.clone();
        // For a list, `v` is an element: `Eq` holds where the set has it,
        // `Ne` where it does not.
        let flag = (0..n_sel, 0usize..4, 0usize..3).prop_map(move |(s, v, op)| {
            let v = v % sels[s].values;
            match op {
                0 => Flag::Eq(s, v),
                1 => Flag::Ne(s, v),
                _ if sels[s].ordered => Flag::Ge(s, v),
                _ => Flag::Eq(s, v),
            }
        });
        let settings = prop::collection::vec(prop::collection::vec(flag, 1..3), 1..5);
        (Just(selectors), settings).prop_flat_map(|(selectors, settings)| {
            let n_set = settings.len();
            let groups =
                prop::collection::vec((any::<bool>(), prop::collection::vec(0..n_set, 1..3)), 0..3);
            (Just(selectors), Just(settings), groups).prop_flat_map(
                |(selectors, settings, groups)| {
                    let n_keys = n_keys(settings.len() + groups.len());
                    let n_pkg = 6usize;
                    let targets = prop::collection::vec(0usize..n_pkg, 0..3);
                    let value = prop::option::weighted(0.85, targets.clone());
                    let branches = prop::collection::vec((0..n_keys, value), 1..4);
                    let deps = prop_oneof![
                        targets.clone().prop_map(Deps::Plain),
                        (branches.clone(), prop::option::of(targets.clone()))
                            .prop_map(|(branches, default)| Deps::Select { branches, default }),
                        (targets.clone(), branches, prop::option::of(targets))
                            .prop_map(|(p, b, d)| Deps::Concat(p, b, d)),
                    ];
                    let tcw = prop::option::weighted(0.2, 0..n_keys);
                    let packages = prop::collection::vec((deps, tcw), n_pkg);
                    let n_set = settings.len();
                    let constraints =
                        prop::collection::vec(prop::option::weighted(0.4, 0usize..3), n_set);
                    (
                        Just(selectors),
                        Just(settings),
                        Just(groups),
                        packages,
                        any::<bool>(),
                        constraints,
                    )
                        .prop_map(
                            |(selectors, settings, groups, packages, cs_default, constraints)| {
                                Workspace {
                                    selectors,
                                    settings,
                                    groups,
                                    packages,
                                    cs_default,
                                    setting_constraints: constraints,
                                }
                            },
                        )
                },
            )
        })
    })
}

/// How many condition labels a workspace of `n_cond` conditions has: the
/// conditions, an alias of each, the always-true groups, an alias of an
/// alias, and the constraint values.
fn n_keys(n_cond: usize) -> usize {
    2 * n_cond + 3 + CONSTRAINT_VALUES.len()
}

/// Condition label `i`: a setting `c`, a group `g`, an alias `a` of
/// condition `i - n_cond`, the always-true groups, or `aa` (an alias of `a0`).
fn cond_name(ws: &Workspace, i: usize) -> String {
    let n_set = ws.settings.len();
    let n_cond = n_set + ws.groups.len();
    if i < n_set {
        format!("//flags:c{i}")
    } else if i < n_cond {
        format!("//flags:g{}", i - n_set)
    } else if i < 2 * n_cond {
        format!("//flags:a{}", i - n_cond)
    } else if i < 2 * n_cond + 3 {
        ["//flags:always", "//flags:always_any", "//flags:aa"][i - 2 * n_cond].to_string()
    } else {
        CONSTRAINT_VALUES[i - 2 * n_cond - 3].to_string()
    }
}

/// Dependencies only point to later packages, so the graph has no cycles.
fn dep_list(from: usize, targets: &[usize]) -> String {
    let mut v: Vec<String> = targets
        .iter()
        .filter(|t| **t > from)
        .map(|t| format!("\"//pkgs:p{t}\""))
        .collect();
    v.sort();
    v.dedup();
    format!("[{}]", v.join(", "))
}

fn select_text(
    ws: &Workspace,
    from: usize,
    branches: &[Branch],
    default: &Option<Vec<usize>>,
) -> String {
    let mut seen = Vec::new();
    let mut parts = Vec::new();
    for (c, t) in branches {
        if seen.contains(c) {
            continue;
        }
        seen.push(*c);
        let value = t.as_ref().map_or("None".to_string(), |t| dep_list(from, t));
        parts.push(format!("\"{}\": {value}", cond_name(ws, *c)));
    }
    if let Some(d) = default {
        parts.push(format!("\"//conditions:default\": {}", dep_list(from, d)));
    }
    format!("select({{{}}})", parts.join(", "))
}

fn write(ws: &Workspace, dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("flags")).unwrap();
    std::fs::create_dir_all(dir.join("pkgs")).unwrap();
    std::fs::write(dir.join("sel.toml"), "").unwrap();
    let mut flags = String::new();
    let _ = writeln!(
        flags,
        "load(\"@bazel_skylib//rules:common_settings.bzl\", \"bool_flag\", \"int_flag\", \"string_list_flag\")"
    );
    for (i, s) in ws.selectors.iter().enumerate() {
        let _ = match s.ty {
            Type::Str => {
                let values: Vec<String> = (0..s.values).map(|v| format!("\"v{v}\"")).collect();
                writeln!(
                    flags,
                    "selector(name = \"s{i}\", values = [{}], default = \"v0\", ordered = {})",
                    values.join(", "),
                    if s.ordered { "True" } else { "False" }
                )
            }
            Type::Bool => writeln!(
                flags,
                "bool_flag(name = \"s{i}\", build_setting_default = {})",
                if i % 2 == 0 { "False" } else { "True" }
            ),
            Type::Int => {
                let values: Vec<String> = (0..s.values)
                    .rev()
                    .map(|v| int_value(v).to_string())
                    .collect();
                writeln!(
                    flags,
                    "int_flag(name = \"s{i}\", values = [{}], build_setting_default = {})",
                    values.join(", "),
                    int_value(s.values - 1)
                )
            }
            Type::List => {
                let elements: Vec<String> = (0..s.values).map(|e| format!("\"e{e}\"")).collect();
                writeln!(
                    flags,
                    "string_list_flag(name = \"s{i}\", values = [{}], build_setting_default = [\"e0\"])",
                    elements.join(", ")
                )
            }
        };
        // Another name for the selector, used in some `flag_values`.
        let _ = writeln!(flags, "alias(name = \"sa{i}\", actual = \":s{i}\")");
    }
    for (i, flagset) in ws.settings.iter().enumerate() {
        let mut fv: Vec<String> = Vec::new();
        let mut used = Vec::new();
        for (n, f) in flagset.iter().enumerate() {
            let (s, op, v) = match f {
                Flag::Eq(s, v) => (*s, "", *v),
                Flag::Ne(s, v) => (*s, "!=", *v),
                Flag::Ge(s, v) => (*s, ">=", *v),
            };
            let text = format!("{op}{}", ws.selectors[s].text(v, i + n));
            if used.contains(&s) {
                continue;
            }
            used.push(s);
            let name = if (i + s) % 2 == 1 { "sa" } else { "s" };
            fv.push(format!("\":{name}{s}\": \"{text}\""));
        }
        let cv = ws.setting_constraints[i]
            .map(|k| format!(", constraint_values = [\"{}\"]", CONSTRAINT_VALUES[k]))
            .unwrap_or_default();
        let _ = writeln!(
            flags,
            "config_setting(name = \"c{i}\", flag_values = {{{}}}{cv})",
            fv.join(", ")
        );
    }
    for (i, (any, members)) in ws.groups.iter().enumerate() {
        // Members by name, or now and then by an alias of theirs.
        let mut m: Vec<String> = members
            .iter()
            .map(|c| {
                let name = if (i + c) % 2 == 1 { "a" } else { "c" };
                format!("\":{name}{c}\"")
            })
            .collect();
        m.dedup();
        let _ = writeln!(
            flags,
            "config_setting_group(name = \"g{i}\", {} = [{}])",
            if *any { "match_any" } else { "match_all" },
            m.join(", ")
        );
    }
    let n_cond = ws.settings.len() + ws.groups.len();
    for i in 0..n_cond {
        let target = cond_name(ws, i);
        let _ = writeln!(flags, "alias(name = \"a{i}\", actual = \"{target}\")");
    }
    let _ = writeln!(flags, "alias(name = \"aa\", actual = \":a0\")");
    let _ = writeln!(
        flags,
        "selects.config_setting_group(name = \"always\", match_all = [\"//conditions:default\"])"
    );
    let _ = writeln!(
        flags,
        "config_setting_group(name = \"always_any\", match_any = [\"//conditions:default\"])"
    );
    let default = if ws.cs_default {
        ", default_constraint_value = \":k0\""
    } else {
        ""
    };
    let _ = writeln!(flags, "constraint_setting(name = \"cs\"{default})");
    for k in ["k0", "k1"] {
        let _ = writeln!(
            flags,
            "constraint_value(name = \"{k}\", constraint_setting = \":cs\")"
        );
    }
    std::fs::write(dir.join("flags/BUILD"), flags).unwrap();
    let mut pkgs = String::new();
    let _ = writeln!(
        pkgs,
        "constraint_value(name = \"k2\", constraint_setting = \"//flags:cs\")"
    );
    for (i, (deps, tcw)) in ws.packages.iter().enumerate() {
        let deps = match deps {
            Deps::Plain(t) => dep_list(i, t),
            Deps::Select { branches, default } => select_text(ws, i, branches, default),
            Deps::Concat(p, b, d) => format!("{} + {}", dep_list(i, p), select_text(ws, i, b, d)),
        };
        let tcw = tcw
            .map(|c| format!(", target_compatible_with = [\"{}\"]", cond_name(ws, c)))
            .unwrap_or_default();
        let _ = writeln!(pkgs, "package(name = \"p{i}\", deps = {deps}{tcw})");
    }
    let _ = writeln!(pkgs, "alias(name = \"a\", actual = select({{\"//flags:c0\": \":p1\", \"//conditions:default\": \":p2\"}}))");
    // A mandatory attribute's `None`: a failure where it is taken.
    let _ = writeln!(pkgs, "alias(name = \"n\", actual = select({{\"//flags:aa\": None, \"//flags:always\": \":p3\"}}))");
    std::fs::write(dir.join("pkgs/BUILD"), pkgs).unwrap();
}

/// Every configuration of the workspace, as `--select` arguments (the
/// constraint setting by label, its values by label or `unset`).
fn configurations(ws: &Workspace) -> Vec<Vec<String>> {
    let mut dims: Vec<(String, Vec<String>)> = ws
        .selectors
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("s{i}"), s.settings()))
        .collect();
    let mut cs: Vec<String> = CONSTRAINT_VALUES.iter().map(|k| k.to_string()).collect();
    if !ws.cs_default {
        cs.push("unset".to_string());
    }
    dims.push(("//flags:cs".to_string(), cs));
    let mut out = vec![Vec::new()];
    for (name, values) in &dims {
        out = out
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push(format!("{name}={v}"));
                    c
                })
            })
            .collect();
    }
    out
}

/// A configuration as the algebra's point: a value index per dimension (a
/// multi-valued selector has one per element), from the configuration sel
/// makes of the request.
fn point_of(session: &Session, alg: &sel::condition::Algebra, request: &Request) -> Vec<usize> {
    let config = session.configuration(request).unwrap();
    let space = alg.space();
    let mut point = vec![0; space.selectors().len()];
    for (label, (value, _)) in &config.values {
        for (d, v) in space.assign(label.as_str(), value).unwrap() {
            point[d] = v;
        }
    }
    point
}

const QUERIES: &[&str] = &[
    "deps(//pkgs:p0)",
    "deps(//pkgs:a)",
    "deps(//pkgs:n)",
    "//pkgs:all",
    "deps(//pkgs:p0, 1) - deps(//pkgs:p3)",
    "rdeps(//pkgs:all, //pkgs:p5)",
    "allpaths(//pkgs:p0, //pkgs:p4) ^ deps(//pkgs:p1)",
    "labels(deps, //pkgs:p0 + //pkgs:p1)",
];

fn check(ws: &Workspace) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    write(ws, dir.path());
    let session = match Session::open(dir.path()) {
        Ok(s) => s,
        // A generated config_setting_group may be empty of distinct members etc.
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "workspace does not load: {e:?}"
            )))
        }
    };
    let configs = configurations(ws);
    for q in QUERIES {
        let all = session
            .cquery_all(q, &Request::default())
            .map_err(|e| TestCaseError::fail(format!("{q}: all-configs failed: {e:?}")))?;
        let alg = &all.algebra;
        let unconfigured = session
            .query(q)
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let failing = all.failing();
        // `deps(PATTERN)` answered with sums of products: the same answer.
        let covers = session
            .cquery_all_covers(q, &Request::default())
            .map_err(|e| TestCaseError::fail(format!("{q}: covers failed: {e:?}")))?;
        let classes = sel::matrix::classes(&all, usize::MAX).unwrap();
        let union = alg.or_all(classes.iter().map(|c| c.when));
        prop_assert!(
            alg.is_always(union),
            "{q}: matrix classes do not cover the space"
        );
        for (i, a) in classes.iter().enumerate() {
            for b in &classes[i + 1..] {
                prop_assert!(alg.disjoint(a.when, b.when), "{q}: matrix classes overlap");
            }
        }
        for config in &configs {
            let request = Request {
                selects: config.clone(),
                ..Default::default()
            };
            let point = point_of(&session, alg, &request);
            let fails_here = alg.eval(failing, &point);
            if let Some(covers) = &covers {
                let holds = |c: &[sel::condition::Cube]| c.iter().any(|cube| cube.contains(&point));
                let by_covers: Vec<&sel::label::Label> = covers
                    .targets
                    .iter()
                    .filter(|(_, c)| holds(c))
                    .map(|(l, _)| l)
                    .collect();
                let by_diagrams: Vec<&sel::label::Label> = all
                    .targets
                    .iter()
                    .filter(|(_, c)| alg.eval(*c, &point))
                    .map(|(l, _)| l)
                    .collect();
                prop_assert_eq!(by_covers, by_diagrams, "{} at {:?}: covers", q, config);
                let failed_covers: Vec<(String, &str)> = covers
                    .failures
                    .iter()
                    .filter(|f| holds(&f.when))
                    .map(|f| (f.failure.target.to_string(), f.failure.kind.code()))
                    .collect();
                let failed_diagrams: Vec<(String, &str)> = all
                    .failures
                    .iter()
                    .filter(|f| alg.eval(f.when, &point))
                    .map(|f| (f.target.to_string(), f.kind.code()))
                    .collect();
                prop_assert_eq!(
                    failed_covers,
                    failed_diagrams,
                    "{} at {:?}: covers' failures",
                    q,
                    config
                );
            }
            let class = classes
                .iter()
                .find(|c| alg.eval(c.when, &point))
                .expect("classes cover the space");
            let answer = session.cquery(q, &request);
            match &answer {
                Ok(result) => {
                    prop_assert!(
                        class.failures.is_empty(),
                        "{q} at {config:?}: the matrix class fails"
                    );
                    prop_assert_eq!(
                        &result.targets,
                        &class.targets,
                        "{} at {:?}: matrix class",
                        q,
                        config
                    );
                }
                Err(_) => prop_assert!(
                    !class.failures.is_empty(),
                    "{q} at {config:?}: the matrix class does not fail"
                ),
            }
            match answer {
                Ok(result) => {
                    prop_assert!(
                        !fails_here,
                        "{q} at {config:?}: cquery succeeds but --all-configs says it fails: {:?}",
                        all.failures.iter().map(|f| &f.message).collect::<Vec<_>>()
                    );
                    let expected: Vec<String> = all
                        .targets
                        .iter()
                        .filter(|(_, c)| alg.eval(*c, &point))
                        .map(|(l, _)| l.to_string())
                        .collect();
                    prop_assert_eq!(&result.labels(), &expected, "{} at {:?}", q, config);
                    // Only monotone queries: `a - b` may lose more in the unconfigured graph.
                    let monotone = !q.contains(" - ");
                    for l in result.targets.iter().filter(|_| monotone) {
                        prop_assert!(
                            unconfigured.targets.contains(l),
                            "{q}: {l} is configured but not in the unconfigured result"
                        );
                    }
                }
                Err(e) => prop_assert!(
                    fails_here,
                    "{q} at {config:?}: cquery fails ({}) but --all-configs has no failure there",
                    e.message
                ),
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn all_configs_agrees_with_cquery_everywhere(ws in workspace()) {
        check(&ws)?;
    }
}
