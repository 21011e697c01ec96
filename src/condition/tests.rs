use super::*;

use proptest::prelude::*;
use serde_json::json;

use crate::test_rng::XorShift;
use sop::{Sop, Sops};

fn dim(label: &str, values: &[&str], ordered: bool) -> SelectorDim {
    SelectorDim {
        label: label.to_owned(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        ordered,
        element: None,
    }
}

/// cuda (ordered: none < 11 < 12 < 13), os, and a bool.
fn flags() -> Algebra {
    Algebra::new(Space::new(vec![
        dim("//flags:cuda", &["none", "11", "12", "13"], true),
        dim("//flags:os", &["linux", "macos", "windows"], false),
        dim("//flags:debug", &["false", "true"], false),
    ]))
}

const CUDA: usize = 0;
const OS: usize = 1;
const DEBUG: usize = 2;

/// Every configuration of a small space.
fn configs(space: &Space) -> Vec<Vec<usize>> {
    let mut all = vec![vec![]];
    for dim in space.selectors() {
        all = all
            .into_iter()
            .flat_map(|config| {
                (0..dim.values.len()).map(move |v| {
                    let mut config = config.clone();
                    config.push(v);
                    config
                })
            })
            .collect();
    }
    all
}

fn truth_table(alg: &Algebra, c: Cond) -> Vec<bool> {
    configs(alg.space())
        .iter()
        .map(|config| alg.eval(c, config))
        .collect()
}

/// The condition built from a truth table as a disjunction of minterms.
fn from_truth_table(alg: &Algebra, table: &[bool]) -> Cond {
    let minterms: Vec<Cond> = configs(alg.space())
        .iter()
        .zip(table)
        .filter(|(_, &holds)| holds)
        .map(|(config, _)| {
            alg.and_all(
                config
                    .iter()
                    .enumerate()
                    .map(|(sel, &v)| alg.equals(sel, v))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    alg.or_all(minterms)
}

/// Checks the cover of `c` against brute force: exact (its union is `c`), irredundant
/// (every cube holds a configuration no other cube holds) and prime (no cube can drop or
/// widen a term and stay inside `c`).
fn check_cover(alg: &Algebra, c: Cond) {
    check_cubes_cover(alg, c, &alg.cover(c));
}

/// [`check_cover`] of any list of cubes.
fn check_cubes_cover(alg: &Algebra, c: Cond, cover: &[Cube]) {
    let all = configs(alg.space());
    for cube in cover.iter() {
        for (&sel, values) in &cube.0 {
            assert!(!values.is_empty());
            assert!(values.windows(2).all(|w| w[0] < w[1]), "sorted values");
            assert!(values.len() < alg.space().selectors()[sel].values.len());
        }
    }
    for config in &all {
        let inside = cover.iter().any(|cube| cube.contains(config));
        assert_eq!(alg.eval(c, config), inside, "at {config:?}: {cover:?}");
    }
    for (i, cube) in cover.iter().enumerate() {
        let own = all.iter().any(|config| {
            cube.contains(config)
                && cover
                    .iter()
                    .enumerate()
                    .all(|(j, other)| j == i || !other.contains(config))
        });
        assert!(own, "cube {cube:?} of {cover:?} is redundant");
        for (sel, dim) in alg.space().selectors().iter().enumerate() {
            for value in 0..dim.values.len() {
                let mut wider = cube.clone();
                match wider.0.get_mut(&sel) {
                    None => continue,
                    Some(values) if values.contains(&value) => continue,
                    Some(values) => {
                        values.push(value);
                        values.sort_unstable();
                    }
                }
                let stays = all
                    .iter()
                    .all(|config| !wider.contains(config) || alg.eval(c, config));
                assert!(
                    !stays,
                    "cube {cube:?} of {cover:?} is not prime: {value} of {sel}"
                );
            }
        }
    }
}

#[test]
fn terminals() {
    let alg = flags();
    assert!(alg.is_always(alg.always()));
    assert!(alg.is_never(alg.never()));
    assert_ne!(alg.always(), alg.never());
    assert_eq!(alg.not(alg.always()), alg.never());
    assert_eq!(alg.and_all([]), alg.always());
    assert_eq!(alg.or_all([]), alg.never());
    assert_eq!(alg.node_count(), 2);
}

#[test]
fn canonicity() {
    let alg = flags();
    let a = alg.equals(CUDA, 1);
    let b = alg.one_of(OS, &[0, 2]);
    let c = alg.equals(DEBUG, 1);

    assert_eq!(alg.one_of(CUDA, &[0, 1, 2, 3]), alg.always());
    assert_eq!(alg.one_of(CUDA, &[]), alg.never());
    assert_eq!(alg.one_of(OS, &[2, 0, 0]), b);
    assert_eq!(alg.or(alg.equals(OS, 0), alg.equals(OS, 2)), b);
    assert_eq!(alg.not(alg.equals(OS, 1)), b);
    assert_eq!(alg.not(alg.not(a)), a);

    // De Morgan.
    assert_eq!(alg.not(alg.and(a, b)), alg.or(alg.not(a), alg.not(b)));
    assert_eq!(alg.not(alg.or(a, b)), alg.and(alg.not(a), alg.not(b)));
    // Distributivity, both ways.
    assert_eq!(
        alg.and(a, alg.or(b, c)),
        alg.or(alg.and(a, b), alg.and(a, c))
    );
    assert_eq!(
        alg.or(a, alg.and(b, c)),
        alg.and(alg.or(a, b), alg.or(a, c))
    );
    // Commutativity, absorption, excluded middle.
    assert_eq!(alg.and(a, b), alg.and(b, a));
    assert_eq!(alg.or(a, alg.and(a, b)), a);
    assert_eq!(alg.or(b, alg.not(b)), alg.always());
    assert_eq!(alg.and(b, alg.not(b)), alg.never());
    // A selector's values partition the space.
    assert_eq!(
        alg.or_all((0..4).map(|v| alg.equals(CUDA, v)).collect::<Vec<_>>()),
        alg.always()
    );
    // Splitting on a selector the condition ignores changes nothing.
    let split = alg.or_all(
        (0..3)
            .map(|v| alg.and(alg.equals(OS, v), a))
            .collect::<Vec<_>>(),
    );
    assert_eq!(split, a);
    assert_eq!(alg.and_not(a, b), alg.and(a, alg.not(b)));
}

#[test]
fn compare_on_ordered_selectors() {
    let alg = flags();
    let at_least_12 = alg.compare(CUDA, CompareOp::Ge, 2);
    assert_eq!(at_least_12, alg.one_of(CUDA, &[2, 3]));
    assert_eq!(alg.compare(CUDA, CompareOp::Gt, 1), at_least_12);
    assert_eq!(alg.compare(CUDA, CompareOp::Lt, 2), alg.not(at_least_12));
    assert_eq!(alg.compare(CUDA, CompareOp::Le, 1), alg.not(at_least_12));
    assert_eq!(alg.compare(CUDA, CompareOp::Eq, 3), alg.equals(CUDA, 3));
    assert_eq!(
        alg.compare(CUDA, CompareOp::Ne, 0),
        alg.not(alg.equals(CUDA, 0))
    );
    assert_eq!(alg.compare(CUDA, CompareOp::Ge, 0), alg.always());
    assert_eq!(alg.compare(CUDA, CompareOp::Lt, 0), alg.never());
    assert_eq!(alg.compare(CUDA, CompareOp::Gt, 3), alg.never());
    assert_eq!(
        alg.and(
            alg.compare(CUDA, CompareOp::Ge, 1),
            alg.compare(CUDA, CompareOp::Le, 2)
        ),
        alg.one_of(CUDA, &[1, 2])
    );
}

#[test]
fn implies_and_disjoint() {
    let alg = flags();
    let cuda_12 = alg.equals(CUDA, 2);
    let cuda_any = alg.compare(CUDA, CompareOp::Ne, 0);
    let linux = alg.equals(OS, 0);
    let cuda_12_linux = alg.and(cuda_12, linux);

    assert!(alg.implies(cuda_12, cuda_any));
    assert!(!alg.implies(cuda_any, cuda_12));
    assert!(alg.implies(cuda_12_linux, cuda_12));
    assert!(alg.implies(cuda_12_linux, linux));
    assert!(alg.implies(alg.never(), cuda_12));
    assert!(alg.implies(cuda_12, alg.always()));
    assert!(!alg.implies(alg.always(), cuda_12));

    assert!(alg.disjoint(cuda_12, alg.equals(CUDA, 3)));
    assert!(alg.disjoint(cuda_any, alg.equals(CUDA, 0)));
    assert!(!alg.disjoint(cuda_12, linux));
    assert!(alg.disjoint(alg.never(), alg.always()));
}

#[test]
fn restrict_fixes_a_selector() {
    let alg = flags();
    let cuda_12 = alg.equals(CUDA, 2);
    let linux = alg.equals(OS, 0);
    let debug = alg.equals(DEBUG, 1);
    let c = alg.or(alg.and(cuda_12, linux), debug);

    assert_eq!(alg.restrict(c, OS, 0), alg.or(cuda_12, debug));
    assert_eq!(alg.restrict(c, OS, 1), debug);
    assert_eq!(alg.restrict(c, DEBUG, 1), alg.always());
    assert_eq!(alg.restrict(c, DEBUG, 0), alg.and(cuda_12, linux));
    assert_eq!(alg.restrict(c, CUDA, 2), alg.or(linux, debug));
    assert_eq!(
        alg.restrict(alg.restrict(c, CUDA, 0), DEBUG, 0),
        alg.never()
    );
    // Restricting a selector the condition ignores is the identity.
    assert_eq!(alg.restrict(debug, OS, 2), debug);
    assert!(!alg.support(alg.restrict(c, OS, 0)).contains(&OS));
}

#[test]
fn example_prefers_defaults() {
    let alg = flags();
    let defaults = [0, 0, 0];
    let default_of = |sel: usize| defaults[sel];
    assert_eq!(alg.example(alg.never(), &default_of), None);
    assert_eq!(alg.example(alg.always(), &default_of), Some(vec![0, 0, 0]));

    let c = alg.and(alg.compare(CUDA, CompareOp::Ge, 2), alg.equals(DEBUG, 1));
    assert_eq!(alg.example(c, &default_of), Some(vec![2, 0, 1]));
    let other_defaults = |sel: usize| [3, 2, 1][sel];
    assert_eq!(alg.example(c, &other_defaults), Some(vec![3, 2, 1]));

    let c = alg.or(alg.equals(OS, 1), alg.equals(OS, 2));
    let example = alg.example(c, &default_of).unwrap();
    assert!(alg.eval(c, &example));
    assert_eq!(example, vec![0, 1, 0]);
}

#[test]
fn support_is_the_selectors_used() {
    let alg = flags();
    assert!(alg.support(alg.always()).is_empty());
    assert!(alg.support(alg.never()).is_empty());
    let c = alg.or(alg.equals(DEBUG, 1), alg.equals(CUDA, 3));
    assert_eq!(alg.support(c), vec![CUDA, DEBUG]);
    // os appears only in a tautology.
    let t = alg.or(alg.equals(OS, 0), alg.not(alg.equals(OS, 0)));
    assert_eq!(alg.support(alg.and(c, t)), vec![CUDA, DEBUG]);
}

#[test]
fn eval_at_configurations() {
    let alg = flags();
    let c = alg.and(alg.one_of(CUDA, &[1, 2]), alg.equals(OS, 0));
    assert!(alg.eval(c, &[1, 0, 0]));
    assert!(alg.eval(c, &[2, 0, 1]));
    assert!(!alg.eval(c, &[3, 0, 1]));
    assert!(!alg.eval(c, &[1, 2, 1]));
    assert!(alg.eval(alg.always(), &[0, 0, 0]));
    assert!(!alg.eval(alg.never(), &[0, 0, 0]));
}

#[test]
fn covers_merge_values_and_are_exact_irredundant_and_prime() {
    let alg = flags();
    let c = alg.and(alg.one_of(CUDA, &[1, 2]), alg.equals(OS, 0));
    let expected = Cube(BTreeMap::from([(CUDA, vec![1, 2]), (OS, vec![0])]));
    assert_eq!(*alg.cover(c), vec![expected]);
    assert_eq!(*alg.cover(alg.always()), vec![Cube::default()]);
    assert!(alg.cover(alg.never()).is_empty());
    // Overlapping primes, not disjoint pieces: `a or b` is two cubes of one term each.
    let (a, b) = (alg.equals(CUDA, 1), alg.equals(OS, 0));
    assert_eq!(
        *alg.cover(alg.or(a, b)),
        vec![
            Cube(BTreeMap::from([(CUDA, vec![1])])),
            Cube(BTreeMap::from([(OS, vec![0])])),
        ]
    );

    let a = alg.equals(CUDA, 1);
    let b = alg.one_of(OS, &[0, 2]);
    let d = alg.equals(DEBUG, 1);
    for c in [
        c,
        alg.or(a, b),
        alg.or(alg.and(a, b), d),
        alg.not(alg.or(alg.and(a, b), d)),
        alg.or(alg.and(a, alg.not(b)), alg.and(alg.not(a), b)),
        alg.compare(CUDA, CompareOp::Ge, 2),
        alg.always(),
        alg.never(),
    ] {
        check_cover(&alg, c);
    }
}

#[test]
fn json_round_trip() {
    let alg = flags();
    let c = alg.and(alg.one_of(CUDA, &[2, 1]), alg.equals(OS, 0));
    assert_eq!(
        alg.to_json(c),
        json!({"any": [{"//flags:cuda": ["11", "12"], "//flags:os": ["linux"]}]})
    );
    assert_eq!(alg.to_json(alg.always()), json!({"any": [{}]}));
    assert_eq!(alg.to_json(alg.never()), json!({"any": []}));

    let a = alg.equals(CUDA, 1);
    let b = alg.one_of(OS, &[0, 2]);
    let d = alg.equals(DEBUG, 1);
    for c in [
        c,
        alg.always(),
        alg.never(),
        alg.or(a, b),
        alg.not(alg.or(alg.and(a, b), d)),
    ] {
        assert_eq!(alg.from_json(&alg.to_json(c)), Ok(c));
    }
    // Overlapping cubes and unsorted values are accepted.
    let parsed = alg.from_json(&json!({"any": [
        {"//flags:cuda": ["12", "11"]},
        {"//flags:cuda": ["11"], "//flags:debug": ["true"]},
    ]}));
    assert_eq!(parsed, Ok(alg.one_of(CUDA, &[1, 2])));
}

#[test]
fn json_errors() {
    let alg = flags();
    let errors = [
        json!([]),
        json!({}),
        json!({"any": {}}),
        json!({"any": [], "all": []}),
        json!({"any": [[]]}),
        json!({"any": [{"//flags:gpu": ["11"]}]}),
        json!({"any": [{"cuda": ["11"]}]}),
        json!({"any": [{"//flags:cuda": ["10"]}]}),
        json!({"any": [{"//flags:cuda": "11"}]}),
        json!({"any": [{"//flags:cuda": [11]}]}),
    ];
    for error in errors {
        assert!(alg.from_json(&error).is_err(), "{error} should be rejected");
    }
    assert_eq!(
        alg.from_json(&json!({"any": [{"//flags:cuda": ["10"]}]})),
        Err("unknown value \"10\" of selector //flags:cuda".to_owned())
    );
}

#[test]
fn render_for_people() {
    let alg = flags();
    let cuda = |v| alg.equals(CUDA, v);
    let os = |v| alg.equals(OS, v);
    let cases = [
        (alg.always(), "always"),
        (alg.never(), "never"),
        (
            alg.and(alg.one_of(CUDA, &[1, 2]), os(0)),
            "cuda in {11, 12} and os = linux",
        ),
        (alg.not(cuda(0)), "cuda != none"),
        (alg.one_of(OS, &[0, 1]), "os != windows"),
        (alg.one_of(CUDA, &[2, 3]), "cuda >= 12"),
        (alg.one_of(CUDA, &[0, 1]), "cuda <= 11"),
        (alg.equals(DEBUG, 1), "debug = true"),
        (alg.or(cuda(1), os(0)), "cuda = 11 or os = linux"),
        (
            alg.not(alg.and(cuda(1), os(0))),
            "cuda != 11 or os != linux",
        ),
        (
            alg.or(alg.and(cuda(1), os(0)), alg.and(cuda(2), os(1))),
            "(cuda = 11 and os = linux) or (cuda = 12 and os = macos)",
        ),
        (
            alg.or(
                alg.one_of(CUDA, &[1, 2]),
                alg.and(cuda(0), alg.equals(DEBUG, 1)),
            ),
            "cuda in {11, 12} or (cuda != 13 and debug = true)",
        ),
    ];
    for (c, text) in cases {
        assert_eq!(alg.render(c), text);
    }
}

#[test]
fn render_names_and_forms() {
    let alg = Algebra::new(Space::new(vec![
        dim("//a:mode", &["x", "y"], false),
        dim("//b:mode", &["x", "y"], false),
        dim("//c:level", &["1", "2", "3", "4", "5"], true),
        dim(
            "//c:color",
            &["red", "green", "blue", "cyan", "pink"],
            false,
        ),
        dim("//d/odd", &["", "a b", "c"], false),
    ]));
    let render = |sel, values: &[usize]| alg.render(alg.one_of(sel, values));
    assert_eq!(render(0, &[0]), "//a:mode = x");
    assert_eq!(render(1, &[1]), "//b:mode = y");
    assert_eq!(render(2, &[1, 2, 3]), "2 <= level <= 4");
    assert_eq!(render(2, &[0, 2]), "level in {1, 3}");
    assert_eq!(render(2, &[0, 2, 4]), "level in {1, 3, 5}");
    assert_eq!(render(3, &[0, 1]), "color in {red, green}");
    assert_eq!(render(3, &[0, 1, 2]), "color not in {cyan, pink}");
    assert_eq!(render(4, &[0]), "odd = \"\"");
    assert_eq!(render(4, &[0, 1]), "odd != c");
    assert_eq!(render(4, &[1]), "odd = \"a b\"");
}

#[test]
fn space_lookups() {
    let space = Space::new(vec![
        dim("//flags:cuda", &["none", "11"], true),
        dim("//a:mode", &["x"], false),
        dim("//b:mode", &["x"], false),
        dim("//pkg/os", &["linux"], false),
    ]);
    assert_eq!(space.index_of("//flags:cuda"), Some(0));
    assert_eq!(space.index_of("cuda"), None);
    assert_eq!(space.index_of_name("cuda"), Some(0));
    assert_eq!(space.index_of_name("mode"), None);
    assert_eq!(space.index_of_name("//b:mode"), Some(2));
    assert_eq!(space.index_of_name("os"), Some(3));
    assert_eq!(space.value_index(0, "11"), Some(1));
    assert_eq!(space.value_index(0, "12"), None);
    assert_eq!(space.value_index(9, "11"), None);
    assert_eq!(space.display_name(0), "cuda");
    assert_eq!(space.display_name(1), "//a:mode");
    assert_eq!(space.display_name(3), "os");
}

/// A multi-valued selector (`string_list_flag`): a boolean dimension per
/// element, put back together for people, JSON and configurations.
#[test]
fn a_multi_valued_selector_is_a_dimension_per_element() {
    let features = |e: &str| SelectorDim::element("//flags:features".into(), e.into());
    let space = Space::new(vec![
        dim("//flags:cuda", &["none", "11", "12"], true),
        features("avx2"),
        features("fma"),
        features("sse4"),
        dim("//flags:os", &["linux", "macos"], false),
    ]);
    assert_eq!(space.space_selectors().len(), 3);
    assert_eq!(space.space_selectors()[1].dims, 1..4);
    assert!(space.space_selectors()[1].multi_valued);
    assert_eq!(space.index_of("//flags:features"), None);
    assert_eq!(space.index_of("//flags:os"), Some(4));
    assert_eq!(space.element_index("//flags:features", "fma"), Some(2));
    assert_eq!(space.element_index("//flags:features", "neon"), None);
    assert_eq!(space.display_name(3), "features");
    assert_eq!(
        space.assign("//flags:features", "sse4,avx2"),
        Some(vec![(1, 1), (2, 0), (3, 1)])
    );
    assert_eq!(
        space.assign("//flags:features", ""),
        Some(vec![(1, 0), (2, 0), (3, 0)])
    );
    assert_eq!(space.assign("//flags:features", "neon"), None);
    assert_eq!(space.assign("//flags:cuda", "12"), Some(vec![(0, 2)]));
    assert_eq!(space.value_at(1, &[0, 1, 0, 1, 0]), "avx2,sse4");
    assert_eq!(space.value_at(1, &[0, 0, 0, 0, 0]), "");

    let alg = Algebra::new(space);
    let has = |e: usize| alg.equals(e, 1);
    let lacks = |e: usize| alg.equals(e, 0);
    let c = alg.or(alg.and(has(1), lacks(2)), alg.and(alg.equals(0, 2), has(3)));
    assert_eq!(
        alg.render(c),
        "(cuda = 12 and features has sse4) or (features has avx2 and features lacks fma)"
    );
    let json = alg.to_json(c);
    assert_eq!(
        json,
        serde_json::json!({"any": [
            {"//flags:cuda": ["12"], "//flags:features": {"has": ["sse4"], "lacks": []}},
            {"//flags:features": {"has": ["avx2"], "lacks": ["fma"]}},
        ]})
    );
    assert_eq!(alg.from_json(&json), Ok(c));
    assert!(alg
        .from_json(&serde_json::json!({"any": [{"//flags:features": {"has": ["neon"]}}]}))
        .is_err());
    assert!(alg
        .from_json(&serde_json::json!({"any": [{"//flags:features": {"holds": ["fma"]}}]}))
        .is_err());
}

#[test]
#[should_panic(expected = "declared twice")]
fn a_multi_valued_selector_is_in_one_piece() {
    let features = |e: &str| SelectorDim::element("//flags:features".into(), e.into());
    Space::new(vec![
        features("avx2"),
        dim("//flags:os", &["linux"], false),
        features("fma"),
    ]);
}

#[test]
#[should_panic(expected = "has no values")]
fn a_selector_needs_values() {
    Space::new(vec![dim("//flags:empty", &[], false)]);
}

/// A condition built from the config_settings, kept as an expression to check against.
#[derive(Clone, Copy)]
enum Made {
    Setting(usize),
    And(usize, usize),
    Or(usize, usize),
    AndNot(usize, usize),
}

/// Not a timed assertion: prints the time, checks only correctness.
#[test]
fn benchmark_30_selectors_of_10_values() {
    const SELECTORS: usize = 30;
    const VALUES: usize = 10;
    const SETTINGS: usize = 300;
    let space = Space::new(
        (0..SELECTORS)
            .map(|s| SelectorDim {
                label: format!("//flags:s{s}"),
                values: (0..VALUES).map(|v| format!("v{v}")).collect(),
                ordered: s % 2 == 0,
                element: None,
            })
            .collect(),
    );
    let alg = Algebra::new(space);
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let start = std::time::Instant::now();

    // 300 config_settings: conjunctions of 1-3 equalities on distinct selectors.
    let mut settings: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut pool: Vec<(Cond, Made)> = Vec::new();
    for i in 0..SETTINGS {
        let mut terms: Vec<(usize, usize)> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let sel = rng.below(SELECTORS);
            if terms.iter().all(|&(s, _)| s != sel) {
                terms.push((sel, rng.below(VALUES)));
            }
        }
        let c = alg.and_all(
            terms
                .iter()
                .map(|&(s, v)| alg.equals(s, v))
                .collect::<Vec<_>>(),
        );
        settings.push(terms);
        pool.push((c, Made::Setting(i)));
    }

    // 10,000 combinations of them, as select() keys and config_setting_groups make:
    // each combines a setting with a setting or an earlier combination.
    for _ in 0..10_000 {
        let a = rng.below(SETTINGS);
        let b = rng.below(pool.len());
        let (c, made) = match rng.below(3) {
            0 => (alg.and(pool[a].0, pool[b].0), Made::And(a, b)),
            1 => (alg.or(pool[a].0, pool[b].0), Made::Or(a, b)),
            _ => (alg.and_not(pool[b].0, pool[a].0), Made::AndNot(b, a)),
        };
        pool.push((c, made));
    }
    let combined = start.elapsed();

    // A 100,000-node graph (10,000 unoptimised): a node is present when one of its
    // parents is and the edge's condition holds; a fifth of the edges are select()
    // branches, keyed on a setting or one of the first thousand combinations.
    let nodes = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    let mut parents: Vec<Vec<(usize, usize)>> = Vec::with_capacity(nodes);
    let mut present: Vec<Cond> = Vec::with_capacity(nodes);
    for i in 0..nodes {
        if i < 100 {
            parents.push(Vec::new());
            present.push(alg.always());
            continue;
        }
        let edges: Vec<(usize, usize)> = (0..1 + rng.below(3))
            .map(|_| {
                let parent = i - 1 - rng.below(i.min(1000));
                let when = if rng.below(5) == 0 {
                    rng.below(SETTINGS + 1000)
                } else {
                    usize::MAX
                };
                (parent, when)
            })
            .collect();
        let c = alg.or_all(
            edges
                .iter()
                .map(|&(parent, when)| match when {
                    usize::MAX => present[parent],
                    when => alg.and(present[parent], pool[when].0),
                })
                .collect::<Vec<_>>(),
        );
        parents.push(edges);
        present.push(c);
    }
    let graph = start.elapsed();
    let rendered: usize = pool[pool.len() - 100..]
        .iter()
        .map(|&(c, _)| alg.render(c).len() + alg.to_json(c).to_string().len())
        .sum();
    let rendering = start.elapsed() - graph;
    let cubes: usize = present[nodes - 100..]
        .iter()
        .map(|&c| alg.cover(c).len())
        .sum();
    eprintln!(
        "benchmark: 300 settings and 10,000 combinations in {combined:?}, then a \
         {nodes}-node graph: {graph:?} in total ({} nodes); rendering 100 combinations as \
         text and JSON: {rendering:?} ({rendered} bytes); the last 100 graph nodes' \
         conditions' covers have {cubes} cubes",
        alg.node_count(),
    );

    // Correctness: the diagrams agree with the expressions and with reachability in the
    // graph configured at random configurations.
    fn truth(
        i: usize,
        pool: &[(Cond, Made)],
        settings: &[Vec<(usize, usize)>],
        config: &[usize],
        memo: &mut [Option<bool>],
    ) -> bool {
        if let Some(t) = memo[i] {
            return t;
        }
        let mut go = |j| truth(j, pool, settings, config, memo);
        let t = match pool[i].1 {
            Made::Setting(s) => settings[s].iter().all(|&(s, v)| config[s] == v),
            Made::And(a, b) => go(a) && go(b),
            Made::Or(a, b) => go(a) || go(b),
            Made::AndNot(a, b) => go(a) && !go(b),
        };
        memo[i] = Some(t);
        t
    }
    for round in 0..40 {
        // Half the configurations are examples of some condition, so that both outcomes
        // are exercised.
        let defaults: Vec<usize> = (0..SELECTORS).map(|_| rng.below(VALUES)).collect();
        let config = if round % 2 == 0 {
            defaults
        } else {
            let target = pool[rng.below(pool.len())].0;
            alg.example(target, &|s| defaults[s]).unwrap_or(defaults)
        };
        let mut memo = vec![None; pool.len()];
        let holds: Vec<bool> = (0..pool.len())
            .map(|i| truth(i, &pool, &settings, &config, &mut memo))
            .collect();
        for (i, &(c, _)) in pool.iter().enumerate() {
            assert_eq!(alg.eval(c, &config), holds[i]);
        }
        let mut reached = vec![false; nodes];
        for i in 0..nodes {
            reached[i] = i < 100
                || parents[i]
                    .iter()
                    .any(|&(parent, when)| reached[parent] && (when == usize::MAX || holds[when]));
            assert_eq!(alg.eval(present[i], &config), reached[i]);
        }
    }
    for &(c, made) in &pool[pool.len() - 200..] {
        assert_eq!(alg.not(alg.not(c)), c);
        match made {
            Made::And(a, b) => {
                assert!(alg.implies(c, pool[a].0));
                assert!(alg.implies(c, pool[b].0));
            }
            Made::Or(a, b) => {
                assert!(alg.implies(pool[a].0, c));
                assert!(alg.implies(pool[b].0, c));
            }
            Made::AndNot(_, b) => assert!(alg.disjoint(c, pool[b].0)),
            Made::Setting(_) => {}
        }
        assert_eq!(alg.from_json(&alg.to_json(c)), Ok(c));
    }
}

// Property tests: random small spaces and random expressions against truth tables.

#[derive(Clone, Debug)]
enum Expr {
    OneOf(usize, u8),
    Compare(usize, u8, usize),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    AndNot(Box<Expr>, Box<Expr>),
    Restrict(Box<Expr>, usize, usize),
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(s, mask)| Expr::OneOf(s, mask)),
        (any::<usize>(), 0u8..6, any::<usize>()).prop_map(|(s, op, v)| Expr::Compare(s, op, v)),
    ];
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Expr::AndNot(Box::new(a), Box::new(b))),
            (inner, any::<usize>(), any::<usize>()).prop_map(|(e, s, v)| Expr::Restrict(
                Box::new(e),
                s,
                v
            )),
        ]
    })
}

fn space_strategy() -> impl Strategy<Value = Space> {
    prop::collection::vec((1usize..=4, any::<bool>()), 1..=3).prop_map(|dims| {
        Space::new(
            dims.into_iter()
                .enumerate()
                .map(|(i, (n, ordered))| SelectorDim {
                    label: format!("//p:s{i}"),
                    values: (0..n).map(|v| format!("v{v}")).collect(),
                    ordered,
                    element: None,
                })
                .collect(),
        )
    })
}

const OPS: [CompareOp; 6] = [
    CompareOp::Eq,
    CompareOp::Ne,
    CompareOp::Lt,
    CompareOp::Le,
    CompareOp::Gt,
    CompareOp::Ge,
];

/// Builds the expression in the algebra (selector and value seeds taken modulo the space).
fn build(alg: &Algebra, e: &Expr) -> Cond {
    let sizes: Vec<usize> = alg
        .space()
        .selectors()
        .iter()
        .map(|d| d.values.len())
        .collect();
    match e {
        Expr::OneOf(s, mask) => {
            let s = s % sizes.len();
            let values: Vec<usize> = (0..sizes[s]).filter(|v| mask & (1 << v) != 0).collect();
            alg.one_of(s, &values)
        }
        Expr::Compare(s, op, v) => {
            let s = s % sizes.len();
            alg.compare(s, OPS[*op as usize], v % sizes[s])
        }
        Expr::Not(a) => alg.not(build(alg, a)),
        Expr::And(a, b) => alg.and(build(alg, a), build(alg, b)),
        Expr::Or(a, b) => alg.or(build(alg, a), build(alg, b)),
        Expr::AndNot(a, b) => alg.and_not(build(alg, a), build(alg, b)),
        Expr::Restrict(a, s, v) => {
            let s = s % sizes.len();
            alg.restrict(build(alg, a), s, v % sizes[s])
        }
    }
}

/// The expression's value at one configuration, computed directly.
fn truth(sizes: &[usize], e: &Expr, config: &[usize]) -> bool {
    match e {
        Expr::OneOf(s, mask) => {
            let s = s % sizes.len();
            mask & (1 << config[s]) != 0
        }
        Expr::Compare(s, op, v) => {
            let s = s % sizes.len();
            let (x, v) = (config[s], v % sizes[s]);
            match OPS[*op as usize] {
                CompareOp::Eq => x == v,
                CompareOp::Ne => x != v,
                CompareOp::Lt => x < v,
                CompareOp::Le => x <= v,
                CompareOp::Gt => x > v,
                CompareOp::Ge => x >= v,
            }
        }
        Expr::Not(a) => !truth(sizes, a, config),
        Expr::And(a, b) => truth(sizes, a, config) && truth(sizes, b, config),
        Expr::Or(a, b) => truth(sizes, a, config) || truth(sizes, b, config),
        Expr::AndNot(a, b) => truth(sizes, a, config) && !truth(sizes, b, config),
        Expr::Restrict(a, s, v) => {
            let s = s % sizes.len();
            let mut fixed = config.to_vec();
            fixed[s] = v % sizes[s];
            truth(sizes, a, &fixed)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn diagrams_match_truth_tables(space in space_strategy(), e1 in expr(), e2 in expr()) {
        let sizes: Vec<usize> = space.selectors().iter().map(|d| d.values.len()).collect();
        let alg = Algebra::new(space);
        let all = configs(alg.space());
        let c1 = build(&alg, &e1);
        let c2 = build(&alg, &e2);
        let t1: Vec<bool> = all.iter().map(|config| truth(&sizes, &e1, config)).collect();
        let t2: Vec<bool> = all.iter().map(|config| truth(&sizes, &e2, config)).collect();
        prop_assert_eq!(&truth_table(&alg, c1), &t1);
        prop_assert_eq!(&truth_table(&alg, c2), &t2);

        // Canonical: equal sets of configurations, equal handles, and nothing else.
        prop_assert_eq!(c1 == c2, t1 == t2);
        prop_assert_eq!(from_truth_table(&alg, &t1), c1);
        prop_assert_eq!(alg.is_always(c1), t1.iter().all(|&t| t));
        prop_assert_eq!(alg.is_never(c1), t1.iter().all(|&t| !t));

        let implies = t1.iter().zip(&t2).all(|(&a, &b)| !a || b);
        let disjoint = t1.iter().zip(&t2).all(|(&a, &b)| !(a && b));
        prop_assert_eq!(alg.implies(c1, c2), implies);
        prop_assert_eq!(alg.disjoint(c1, c2), disjoint);

        check_cover(&alg, c1);
        // The same from sums of products: the minterms of c1, minimized; and
        // complements, conjunctions and disjunctions of sums of products.
        let sops = Sops::new(alg.space());
        let minterms: Vec<Cube> = all
            .iter()
            .zip(&t1)
            .filter(|(_, &t)| t)
            .map(|(config, _)| Cube(config.iter().copied().enumerate().map(|(s, v)| (s, vec![v])).collect()))
            .collect();
        let s1 = sops.from_cubes(&minterms);
        check_cubes_cover(&alg, c1, &sops.to_cubes(&sops.minimize(&s1)));
        let s2 = sops.from_cubes(&alg.cover(c2));
        let as_cond = |sop: &Sop| alg.or_all(sops.to_cubes(sop).iter().map(|cube| alg.from_cube(cube)).collect::<Vec<_>>());
        prop_assert_eq!(as_cond(&sops.not(&s1)), alg.not(c1));
        prop_assert_eq!(as_cond(&sops.and(&s1, &s2)), alg.and(c1, c2));
        prop_assert_eq!(as_cond(&sops.or(&s1, &s2)), alg.or(c1, c2));
        for config in &all {
            prop_assert_eq!(sops.eval(&s1, config), alg.eval(c1, config));
        }
        if !sizes.is_empty() {
            prop_assert_eq!(as_cond(&sops.restrict(&s1, 0, 0)), alg.restrict(c1, 0, 0));
        }
        prop_assert_eq!(alg.from_json(&alg.to_json(c1)), Ok(c1));
        prop_assert!(!alg.render(c1).is_empty());

        // Support: exactly the selectors whose value can change the outcome.
        let support: Vec<usize> = (0..sizes.len())
            .filter(|&s| {
                all.iter().any(|config| {
                    (0..sizes[s]).any(|v| {
                        let mut other = config.clone();
                        other[s] = v;
                        truth(&sizes, &e1, config) != truth(&sizes, &e1, &other)
                    })
                })
            })
            .collect();
        prop_assert_eq!(alg.support(c1), support.clone());

        // Restrict: the value at the fixed configuration, for every selector and value.
        for s in 0..sizes.len() {
            for v in 0..sizes[s] {
                let r = alg.restrict(c1, s, v);
                for config in &all {
                    let mut fixed = config.clone();
                    fixed[s] = v;
                    prop_assert_eq!(alg.eval(r, config), truth(&sizes, &e1, &fixed));
                }
            }
        }

        // Example: satisfies, and keeps the defaults outside the support.
        let defaults: Vec<usize> = sizes.iter().map(|n| n - 1).collect();
        match alg.example(c1, &|s| defaults[s]) {
            None => prop_assert!(alg.is_never(c1)),
            Some(config) => {
                prop_assert!(alg.eval(c1, &config));
                for s in 0..sizes.len() {
                    if !support.contains(&s) {
                        prop_assert_eq!(config[s], defaults[s]);
                    }
                }
            }
        }
    }
}
