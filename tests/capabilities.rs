//! Capabilities and conflicts (docs/capabilities.md): property tests over
//! random workspaces, and the example workspace.
//!
//! - The clash regions of every configuration at once (`sel check`) hold at a
//!   configuration exactly where a single `cquery` there finds those clashes.
//! - `cquery --union` is the union of `cquery` over the free selectors, and
//!   its clashing pairs are those of that union.
//! - The groups of `sel images` are disjoint, cover every configuration whose
//!   own result is clash-free (and evaluates), and each group's union holds
//!   no clash; no fewer groups than the lower bound.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use proptest::prelude::*;
use sel::capability::{self, Reason};
use sel::target_graph::Value;
use sel::{Request, Session};

#[derive(Debug, Clone)]
enum Deps {
    Plain(Vec<usize>),
    /// One branch per value of a selector (`s=v` conditions), and a default.
    Select(usize, Vec<(usize, Vec<usize>)>, Vec<usize>),
}

#[derive(Debug, Clone)]
enum Provides {
    Plain(Vec<usize>),
    Select(usize, usize, Vec<usize>, Vec<usize>),
}

#[derive(Debug, Clone)]
struct Ws {
    /// Values of each selector.
    selectors: Vec<usize>,
    /// Whether each capability is exclusive.
    caps: Vec<bool>,
    /// Capabilities listing providers themselves (`providers = [...]`).
    listed: Vec<(usize, usize)>,
    /// Each package: deps (to later packages only: no cycles), provides,
    /// conflicts (any other package), and a compatibility condition.
    packages: Vec<Package>,
}

/// A package: deps, provides, conflicts, and `target_compatible_with`
/// (a selector and a value) if any.
type Package = (Deps, Provides, Vec<usize>, Option<(usize, usize)>);

const N: usize = 7;

fn ws() -> impl Strategy<Value = Ws> {
    let selectors = prop::collection::vec(2usize..4, 1..4);
    let caps = prop::collection::vec(prop::bool::weighted(0.75), 1..4);
    (selectors, caps).prop_flat_map(|(selectors, caps)| {
        let ns = selectors.len();
        let nc = caps.len();
        let targets = |from: usize| prop::collection::vec(from + 1..N + 1, 0..3);
        let package = move |i: usize| {
            let deps = prop_oneof![
                targets(i).prop_map(|d| Deps::Plain(d.into_iter().filter(|&x| x < N).collect())),
                (
                    0..ns,
                    prop::collection::vec((0usize..3, targets(i)), 1..3),
                    targets(i)
                )
                    .prop_map(|(s, b, d)| {
                        let clean = |v: Vec<usize>| -> Vec<usize> {
                            let mut v: Vec<usize> = v.into_iter().filter(|&x| x < N).collect();
                            v.sort();
                            v.dedup();
                            v
                        };
                        let mut seen = BTreeSet::new();
                        let b = b
                            .into_iter()
                            .filter(|(v, _)| seen.insert(*v))
                            .map(|(v, t)| (v, clean(t)))
                            .collect();
                        Deps::Select(s, b, clean(d))
                    }),
            ];
            let caps_list = prop::collection::vec(0..nc, 0..2);
            let provides = prop_oneof![
                1 => caps_list.clone().prop_map(Provides::Plain),
                2 => (0..ns, 0usize..3, caps_list.clone(), caps_list)
                    .prop_map(|(s, v, a, b)| Provides::Select(s, v, a, b)),
            ];
            let conflicts = prop::collection::vec(0..N, 0..2);
            let compat = prop::option::weighted(0.15, (0..ns, 0usize..3));
            (deps, provides, conflicts, compat)
        };
        let packages: Vec<_> = (0..N).map(package).collect();
        let listed = prop::collection::vec((0..nc, 0..N), 0..2);
        (Just(selectors), Just(caps), listed, packages).prop_map(
            |(selectors, caps, listed, packages)| Ws {
                selectors,
                caps,
                listed,
                packages,
            },
        )
    })
}

fn dedup(v: &[usize]) -> Vec<usize> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

fn write(ws: &Ws, dir: &std::path::Path) {
    std::fs::write(dir.join("sel.toml"), "").unwrap();
    std::fs::create_dir_all(dir.join("p")).unwrap();
    let mut b = String::new();
    let value = |s: usize, v: usize| v % ws.selectors[s];
    for (s, n) in ws.selectors.iter().enumerate() {
        let values: Vec<String> = (0..*n).map(|v| format!("\"v{v}\"")).collect();
        writeln!(
            b,
            "selector(name = \"s{s}\", values = [{}], default = \"v0\")",
            values.join(", ")
        )
        .unwrap();
        for v in 0..*n {
            writeln!(
                b,
                "config_setting(name = \"s{s}_v{v}\", flag_values = {{\":s{s}\": \"v{v}\"}})"
            )
            .unwrap();
        }
    }
    for (c, exclusive) in ws.caps.iter().enumerate() {
        let providers: Vec<String> = ws
            .listed
            .iter()
            .filter(|(x, _)| *x == c)
            .map(|(_, p)| format!("\":p{p}\""))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        writeln!(
            b,
            "capability(name = \"c{c}\", exclusive = {}, providers = [{}])",
            if *exclusive { "True" } else { "False" },
            providers.join(", ")
        )
        .unwrap();
    }
    let list = |v: &[usize], prefix: &str| -> String {
        let items: Vec<String> = dedup(v)
            .iter()
            .map(|x| format!("\":{prefix}{x}\""))
            .collect();
        format!("[{}]", items.join(", "))
    };
    for (i, (deps, provides, conflicts, compat)) in ws.packages.iter().enumerate() {
        let deps = match deps {
            Deps::Plain(d) => list(d, "p"),
            Deps::Select(s, branches, default) => {
                let mut t = String::from("select({");
                let mut keys = BTreeSet::new();
                for (v, d) in branches {
                    let v = value(*s, *v);
                    if keys.insert(v) {
                        write!(t, "\":s{s}_v{v}\": {}, ", list(d, "p")).unwrap();
                    }
                }
                write!(t, "\"//conditions:default\": {}}})", list(default, "p")).unwrap();
                t
            }
        };
        let provides = match provides {
            Provides::Plain(c) => list(c, "c"),
            Provides::Select(s, v, a, other) => format!(
                "select({{\":s{s}_v{}\": {}, \"//conditions:default\": {}}})",
                value(*s, *v),
                list(a, "c"),
                list(other, "c")
            ),
        };
        let conflicts: Vec<usize> = conflicts.iter().copied().filter(|&c| c != i).collect();
        let compat = match compat {
            Some((s, v)) => format!(", target_compatible_with = [\":s{s}_v{}\"]", value(*s, *v)),
            None => String::new(),
        };
        writeln!(
            b,
            "package(name = \"p{i}\", deps = {deps}, provides = {provides}, conflicts = {}{compat})",
            list(&conflicts, "p")
        )
        .unwrap();
    }
    std::fs::write(dir.join("p/BUILD"), b).unwrap();
}

fn configurations(ws: &Ws) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for n in &ws.selectors {
        out = out
            .into_iter()
            .flat_map(|c: Vec<usize>| {
                (0..*n).map(move |v| {
                    let mut c = c.clone();
                    c.push(v);
                    c
                })
            })
            .collect();
    }
    out
}

fn request(config: &[usize]) -> Request {
    Request {
        selects: config
            .iter()
            .enumerate()
            .map(|(s, v)| format!("s{s}=v{v}"))
            .collect(),
        ..Default::default()
    }
}

type Key = (String, String, Option<String>);

fn key(pair: &capability::Pair) -> Key {
    (
        pair.a.to_string(),
        pair.b.to_string(),
        match &pair.reason {
            Reason::Exclusive(c) => Some(c.to_string()),
            Reason::Conflicts => None,
        },
    )
}

/// The pairs that clash in a set of configured packages taken as one
/// environment: each package with the capabilities it provides (in the
/// configuration it came from) and the packages it conflicts with.
fn set_clashes(
    session: &Session,
    members: &BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
) -> BTreeSet<Key> {
    let mut exclusive: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in session.graph.targets() {
        if let sel::target_graph::Rule::Capability(c) = &t.rule {
            if c.exclusive {
                let listed = c.providers.iter().map(|p| p.to_string()).collect();
                exclusive.insert(t.label.to_string(), listed);
            }
        }
    }
    let mut out = BTreeSet::new();
    for (cap, listed) in &exclusive {
        let providers: Vec<&String> = members
            .iter()
            .filter(|(l, (caps, _))| caps.contains(cap) || listed.contains(*l))
            .map(|(l, _)| l)
            .collect();
        for (i, a) in providers.iter().enumerate() {
            for b in &providers[i + 1..] {
                out.insert(((*a).clone(), (*b).clone(), Some(cap.clone())));
            }
        }
    }
    for (l, (_, conflicts)) in members {
        for q in conflicts {
            if members.contains_key(q) {
                out.insert((l.clone(), q.clone(), None));
            }
        }
    }
    out
}

/// Each package of a configured result with what it provides and conflicts with.
fn members(result: &sel::QueryResult) -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let labels = |v: Option<&Value>| -> BTreeSet<String> {
        v.map(|v| v.labels().iter().map(|l| l.to_string()).collect())
            .unwrap_or_default()
    };
    result
        .configured
        .iter()
        .map(|t| {
            (
                t.label.to_string(),
                (
                    labels(t.attrs.get("provides")),
                    labels(t.attrs.get("conflicts")),
                ),
            )
        })
        .collect()
}

fn check(ws: &Ws) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    write(ws, dir.path());
    let session = Session::open(dir.path())
        .map_err(|e| TestCaseError::fail(format!("does not load: {e:?}")))?;
    let configs = configurations(ws);
    for q in ["deps(//p:p0)", "deps(//p:p0 + //p:p1)", "//p:all"] {
        // Closures: sel check's regions against cquery's clashes.
        let run = session.all_configs(q, &Request::default()).unwrap();
        let alg = run.algebra();
        let regions = capability::regions(&run).unwrap();
        let failing = alg.or_all(run.failures.iter().map(|f| f.when));
        for config in &configs {
            let expected: BTreeSet<Key> = regions
                .iter()
                .filter(|r| alg.eval(r.when, config))
                .map(|r| key(&r.pair))
                .collect();
            match session.clashes(q, &request(config)) {
                Ok(found) => {
                    prop_assert!(
                        !alg.eval(failing, config),
                        "{q} {config:?}: fails symbolically"
                    );
                    let found: BTreeSet<Key> = found.iter().map(|c| key(&c.pair)).collect();
                    prop_assert_eq!(&found, &expected, "{} at {:?}", q, config);
                    // cquery fails exactly where a clash is.
                    let plain = session.cquery(q, &request(config));
                    prop_assert_eq!(plain.is_err(), !found.is_empty(), "{} at {:?}", q, config);
                    if let Err(e) = plain {
                        prop_assert_eq!(e.kind, sel::ErrorKind::Clash);
                    }
                }
                Err(_) => {
                    prop_assert!(
                        alg.eval(failing, config),
                        "{q} {config:?}: fails concretely only"
                    );
                    prop_assert!(
                        expected.is_empty(),
                        "{q} {config:?}: a clash where it fails"
                    );
                }
            }
        }
    }
    // The union and the images, with the first selector fixed and without.
    let q = "deps(//p:p0)";
    let fixings: Vec<Vec<usize>> = vec![vec![], vec![0], vec![ws.selectors[0] - 1]];
    for fixed in fixings {
        let fixed_request = request(&fixed);
        let inside: Vec<&Vec<usize>> = configs.iter().filter(|c| c.starts_with(&fixed)).collect();
        let union = session.union(q, &fixed_request).unwrap();
        let alg = &union.result.algebra;
        let mut all: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
        let mut results: BTreeMap<Vec<usize>, Option<sel::QueryResult>> = BTreeMap::new();
        for config in &inside {
            let result = session
                .cquery_keeping(q, &request(config), true, None, true)
                .ok()
                .map(|r| r.0);
            if let Some(r) = &result {
                for (l, (caps, conf)) in members(r) {
                    let e = all.entry(l).or_default();
                    e.0.extend(caps);
                    e.1.extend(conf);
                }
                for l in &r.targets {
                    all.entry(l.to_string()).or_default();
                }
            }
            results.insert((*config).clone(), result);
        }
        let union_labels: BTreeSet<String> = union
            .result
            .targets
            .iter()
            .map(|(l, _)| l.to_string())
            .collect();
        prop_assert_eq!(&union_labels, &all.keys().cloned().collect::<BTreeSet<_>>());
        for (l, c) in &union.result.targets {
            for config in &inside {
                let there = results[*config]
                    .as_ref()
                    .is_some_and(|r| r.targets.iter().any(|t| t == l));
                prop_assert_eq!(alg.eval(*c, config), there, "--union {} at {:?}", l, config);
            }
        }
        let union_pairs: BTreeSet<Key> = union.clashes.iter().map(|c| key(&c.pair)).collect();
        prop_assert_eq!(
            &union_pairs,
            &set_clashes(&session, &all),
            "union clashes {:?}",
            fixed
        );

        // Images.
        let found = session.images(q, &fixed_request, usize::MAX).unwrap();
        let alg = &found.algebra;
        let images = &found.images;
        prop_assert!(images.images.len() >= images.lower_bound);
        for config in &inside {
            let holding: Vec<usize> = (0..images.images.len())
                .filter(|&i| alg.eval(images.images[i].when, config))
                .collect();
            let result = &results[*config];
            let clash_free = result
                .as_ref()
                .is_some_and(|r| set_clashes(&session, &members(r)).is_empty());
            // Disjoint, and covering what can be served.
            prop_assert_eq!(
                holding.len(),
                usize::from(clash_free),
                "images at {:?}",
                config
            );
            prop_assert_eq!(
                alg.eval(images.clashing, config),
                result.is_some() && !clash_free
            );
            prop_assert_eq!(alg.eval(images.failing, config), result.is_none());
        }
        for (i, image) in images.images.iter().enumerate() {
            let mut union: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
            for config in inside.iter().filter(|c| alg.eval(image.when, c)) {
                let r = results[*config].as_ref().unwrap();
                for (l, (caps, conf)) in members(r) {
                    let e = union.entry(l).or_default();
                    e.0.extend(caps);
                    e.1.extend(conf);
                }
                for l in &r.targets {
                    union.entry(l.to_string()).or_default();
                }
            }
            let clashes = set_clashes(&session, &union);
            prop_assert!(clashes.is_empty(), "image {} holds {:?}", i, clashes);
            let labels: BTreeSet<String> =
                image.targets.iter().map(|(l, _)| l.to_string()).collect();
            prop_assert_eq!(&labels, &union.keys().cloned().collect::<BTreeSet<_>>());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn clashes_agree_with_cquery_everywhere(ws in ws()) {
        check(&ws)?;
    }
}

fn spam() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spam")
}

#[test]
fn spam_needs_one_image_per_cuda_version_and_one_without() {
    let (code, out, err) = common::sel(&spam(), &["images", "deps(//spam)"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("image 1: cuda = none\n"), "{out}");
    assert!(out.contains("image 2: cuda = 11\n"), "{out}");
    assert!(out.contains("image 3: cuda = 12\n"), "{out}");
    assert!(out.contains("3 images (the fewest"), "{out}");
}

#[test]
fn the_notebook_slip_is_a_clash() {
    let (code, out, _) = common::sel(&spam(), &["check", "deps(//apps:notebook)"]);
    assert_eq!(code, 1);
    assert!(out.contains("error[sel::clash]"), "{out}");
    assert!(out.contains("  when: cuda = 12"), "{out}");
    let (code, _, err) = common::sel(
        &spam(),
        &["cquery", "deps(//apps:notebook)", "--select", "cuda=12"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("sel::clash"), "{err}");
    let (code, _, _) = common::sel(
        &spam(),
        &[
            "cquery",
            "deps(//apps:notebook)",
            "--select",
            "cuda=12",
            "--allow-clashes",
        ],
    );
    assert_eq!(code, 0);
}

#[test]
fn an_unknown_capability_is_an_error_with_a_suggestion() {
    let ws = common::workspace(&[
        ("sel.toml", ""),
        (
            "p/BUILD",
            "capability(name = \"cuda-runtime\")\npackage(name = \"a\", provides = [\":cuda-runtim\"])\n",
        ),
    ]);
    let (code, _, err) = common::sel(ws.path(), &["query", "//..."]);
    assert_eq!(code, 1);
    assert!(err.contains("sel::unknown_target"), "{err}");
    assert!(err.contains("did you mean `//p:cuda-runtime`?"), "{err}");
}

/// A workspace imported from a real GPU lock (torch and its nvidia-* wheels,
/// two versions of the CUDA runtime across Python versions), with the
/// capability declared beside the generated files by `providers`.
#[test]
fn an_imported_lock_keeps_its_cuda_runtimes_apart() {
    let dir = tempfile::tempdir().unwrap();
    let lock =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-gpu/uv.lock");
    let (code, _, err) = common::sel(
        dir.path(),
        &["import", lock.to_str().unwrap(), "--out", "ws"],
    );
    assert_eq!(code, 0, "{err}");
    let ws = dir.path().join("ws");
    common::write(
        &ws,
        "caps/BUILD",
        r#"
capability(
    name = "cuda-runtime",
    providers = [
        "//pypi:nvidia-cuda-runtime@13.0.96",
        "//pypi:nvidia-cuda-runtime@13.2.86",
    ],
)

# Pins the newer runtime whatever the Python version: a clash where the lock
# takes the older one.
package(name = "pinned", deps = ["//:root", "//pypi:nvidia-cuda-runtime@13.2.86"])
"#,
    );
    let (code, out, err) = common::sel(&ws, &["check", "deps(//:root)"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = common::sel(&ws, &["images", "deps(//:root)"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2 images (the fewest; separating selectors: python_full_version)"),
        "{out}"
    );
    let (code, _, err) = common::sel(&ws, &["cquery", "deps(//:root)", "--union"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("separated by: python_full_version"), "{err}");
    let (code, out, _) = common::sel(&ws, &["check", "deps(//caps:pinned)"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[sel::clash]"), "{out}");
    assert!(out.contains("python_full_version = 3.10"), "{out}");
}
