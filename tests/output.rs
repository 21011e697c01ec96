//! The output formats and the command line around them (issue 3).
//!
//! - Snapshots of every `--output` of `query` and `cquery` on the fixture
//!   `tests/fixtures/output-basic`, which holds every shape an attribute can
//!   take (selects, concatenations, `selects.with_or`, a dict with a key named
//!   `select`, escapes, a macro, the root package).
//! - Properties checked on that fixture, on `examples/spam` and on random
//!   workspaces: JSON validates against `schema/query-v1.schema.json`;
//!   `query --output=build` written back as BUILD files gives the same query
//!   answers; the configured graph rebuilt from cquery JSON alone is the one
//!   `deps()` answers; `--order=deps` puts dependencies first; DOT renders
//!   with `dot -Tsvg` without a warning (skipped where Graphviz is absent).
//! - The CLI: help texts, completions, man pages, colour, a closed pipe,
//!   suggestions for mistyped flags, and `sel.toml` named configurations.
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test --test output`, then
//! read each changed `.snap` before committing it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use proptest::prelude::*;
use serde_json::Value as Json;

use sel::output::{Command as OutputCommand, Format, Options, Order};
use sel::{Request, Session};

const FIXTURE: &str = "output-basic";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

fn spam() -> PathBuf {
    root().join("examples/spam")
}

/// `sel -C DIR ARGS`, environment pinned: no colour, no width.
fn sel_command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("sel").expect("the sel binary is built");
    cmd.arg("-C")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    sel_command(dir, args).output().expect("sel runs")
}

/// stdout of a run that must succeed.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "sel {args:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "sel {args:?} wrote to stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// stderr of a run that must fail with `code`.
fn fails(dir: &Path, args: &[&str], code: i32) -> String {
    let out = run(dir, args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "sel {args:?}: stdout {}\nstderr {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).expect("stderr is UTF-8")
}

fn json(text: &str) -> Json {
    serde_json::from_str(text).expect("the output is JSON")
}

// ---------------------------------------------------------------------------
// Snapshots of every format.

macro_rules! snapshot {
    ($name:ident: $($arg:expr),+) => {
        #[test]
        fn $name() {
            let args = [$($arg),+];
            insta::assert_snapshot!(stringify!($name), ok(&fixture(FIXTURE), &args));
        }
    };
}

snapshot!(query_label: "query", "//...");
snapshot!(query_label_kind: "query", "//...", "--output=label_kind");
snapshot!(query_package: "query", "deps(//:root)", "--output=package");
snapshot!(query_build: "query", "//...", "--output=build");
snapshot!(query_graph: "query", "deps(//:root) + //app:all", "--output=graph");
snapshot!(query_json: "query", "//app:all + //:root", "--output=json");
snapshot!(query_order_deps: "query", "deps(//:root)", "--order=deps");
snapshot!(cquery_label_kind: "cquery", "deps(//:root)", "--output=label_kind", "--config", "gpu");
snapshot!(cquery_package: "cquery", "deps(//:root)", "--output=package");
snapshot!(cquery_build: "cquery", "deps(//:root) + //app:all", "--output=build", "--config", "mac-gpu", "--select", "level=3");
snapshot!(cquery_graph: "cquery", "deps(//:root)", "--output=graph", "--select", "cuda=11");
snapshot!(cquery_json: "cquery", "deps(//app:both) + //app:app", "--output=json", "--config", "mac-gpu", "--select", "level=2");
snapshot!(cquery_order_deps: "cquery", "deps(//:root)", "--order=deps", "--output=label_kind", "--config", "gpu");

#[test]
fn spam_graph_snapshot() {
    // The DOT behind docs/graph.svg.
    insta::assert_snapshot!(
        "spam_query_graph",
        ok(&spam(), &["query", "deps(//spam)", "--output=graph"])
    );
}

// ---------------------------------------------------------------------------
// Library helpers for the properties: fast, no process per query.

fn render(
    session: &Session,
    expr: &str,
    config: Option<&Request>,
    format: Format,
    order: Order,
) -> String {
    let (result, command) = match config {
        None => (session.query(expr), OutputCommand::Query),
        Some(r) => (session.cquery(expr, r), OutputCommand::Cquery),
    };
    let result = result.unwrap_or_else(|e| panic!("{expr}: {}", e.message));
    let options = Options {
        format,
        order,
        command,
        query: expr.to_string(),
    };
    sel::output::render(&session.graph, &result, &options)
}

fn selects(pairs: &[(&str, &str)]) -> Request {
    Request {
        selects: pairs.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        ..Default::default()
    }
}

/// The JSON Schema of `sel.query/v1`, itself checked against its meta-schema.
fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema/query-v1.schema.json"))
        .expect("the schema file is in the repository");
    let schema: Json = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::meta::validate(&schema).expect("the schema is a valid JSON Schema");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Json, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: the JSON does not match schema/query-v1.schema.json:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(doc).unwrap()
    );
}

/// Drops what depends on where the text is (location comments and fields),
/// so two workspaces' outputs compare by meaning.
fn without_locations(text: &str, format: Format) -> String {
    match format {
        Format::Json => {
            let mut doc = json(text);
            for t in doc["targets"].as_array_mut().expect("targets") {
                t["location"] = Json::Null;
            }
            serde_json::to_string_pretty(&doc).unwrap()
        }
        _ => text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Writes `query 'PKG:all' --output=build` of every package into a fresh
/// workspace (with the same sel.toml) and returns it.
fn rewrite(session: &Session, from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::copy(from.join("sel.toml"), dir.path().join("sel.toml")).expect("sel.toml copied");
    let packages = render(session, "//...", None, Format::Package, Order::Sorted);
    for p in packages.lines() {
        let pkg = p.trim_start_matches("//");
        let text = render(
            session,
            &format!("//{pkg}:all"),
            None,
            Format::Build,
            Order::Sorted,
        );
        let pkg_dir = dir.path().join(pkg);
        std::fs::create_dir_all(&pkg_dir).unwrap();
        std::fs::write(pkg_dir.join("BUILD"), text).unwrap();
    }
    dir
}

/// `query --output=build` re-evaluates: the rewritten workspace answers every
/// query (and cquery) the same.
fn check_build_round_trip(dir: &Path, queries: &[&str], configs: &[Request]) {
    let before = Session::open(dir).expect("the workspace loads");
    let copy = rewrite(&before, dir);
    let after = Session::open(copy.path()).unwrap_or_else(|e| {
        panic!(
            "the rewritten workspace does not load: {}\n{}",
            e.message,
            render(&before, "//...", None, Format::Build, Order::Sorted)
        )
    });
    for q in queries {
        for format in [
            Format::Label,
            Format::LabelKind,
            Format::Build,
            Format::Graph,
            Format::Json,
        ] {
            let a = without_locations(&render(&before, q, None, format, Order::Sorted), format);
            let b = without_locations(&render(&after, q, None, format, Order::Sorted), format);
            assert_eq!(
                a, b,
                "query {q} --output={format:?} differs after the round trip"
            );
        }
        for config in configs {
            for format in [Format::Label, Format::Json] {
                let a = without_locations(
                    &render(&before, q, Some(config), format, Order::Deps),
                    format,
                );
                let b = without_locations(
                    &render(&after, q, Some(config), format, Order::Deps),
                    format,
                );
                assert_eq!(
                    a, b,
                    "cquery {q} {:?} --output={format:?} differs after the round trip",
                    config.selects
                );
            }
        }
    }
}

/// The configured graph rebuilt from the cquery JSON alone matches `deps()`.
fn check_rebuild_from_json(session: &Session, roots: &[String], config: &Request) {
    for root in roots {
        let expr = format!("deps({root})");
        let doc = json(&render(
            session,
            &expr,
            Some(config),
            Format::Json,
            Order::Sorted,
        ));
        let edges: BTreeMap<String, BTreeSet<String>> = doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let deps = t["deps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["label"].as_str().unwrap().to_string())
                    .collect();
                (t["label"].as_str().unwrap().to_string(), deps)
            })
            .collect();
        // The closure from the root, walking only the JSON's edges.
        let mut seen = BTreeSet::new();
        let mut stack = vec![root.clone()];
        while let Some(l) = stack.pop() {
            if seen.insert(l.clone()) {
                let deps = edges
                    .get(&l)
                    .unwrap_or_else(|| panic!("{l} is not in the document"));
                stack.extend(deps.iter().cloned());
            }
        }
        let answer: BTreeSet<String> =
            render(session, &expr, Some(config), Format::Label, Order::Sorted)
                .lines()
                .map(str::to_string)
                .collect();
        assert_eq!(seen, answer, "the closure of {root} rebuilt from JSON");
        // Each target's edges are `deps(t, 1)` less t itself.
        for (t, deps) in &edges {
            let direct: BTreeSet<String> = render(
                session,
                &format!("deps({t}, 1) - {t}"),
                Some(config),
                Format::Label,
                Order::Sorted,
            )
            .lines()
            .map(str::to_string)
            .collect();
            assert_eq!(*deps, direct, "direct deps of {t} in the JSON");
        }
    }
}

/// `--order=deps`: every dependency path between two results goes backwards.
fn check_deps_order(session: &Session, expr: &str, config: Option<&Request>) {
    let ordered: Vec<String> = render(session, expr, config, Format::Label, Order::Deps)
        .lines()
        .map(str::to_string)
        .collect();
    let sorted: Vec<String> = render(session, expr, config, Format::Label, Order::Sorted)
        .lines()
        .map(str::to_string)
        .collect();
    let mut same = ordered.clone();
    same.sort();
    assert_eq!(same, sorted, "--order=deps holds the same targets");
    let position: BTreeMap<&str, usize> = ordered
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    for l in &ordered {
        // Everything the target reaches (itself included) that is in the result.
        let reach = render(
            session,
            &format!("deps({l})"),
            config,
            Format::Label,
            Order::Sorted,
        );
        for d in reach.lines() {
            if d == l {
                continue;
            }
            if let Some(&pd) = position.get(d) {
                let back = render(
                    session,
                    &format!("deps({d})"),
                    config,
                    Format::Label,
                    Order::Sorted,
                );
                if back.lines().any(|x| x == l) {
                    continue; // a cycle: no order is right
                }
                assert!(
                    pd < position[l.as_str()],
                    "{d} is a dependency of {l} but comes after it:\n{}",
                    ordered.join("\n")
                );
            }
        }
    }
}

/// Renders DOT with Graphviz; `None` where `dot` is not installed.
fn dot_svg(dot_text: &str) -> Option<(bool, String)> {
    use std::io::Write;
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot_text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn check_dot(text: &str) {
    match dot_svg(text) {
        None => eprintln!("skipped: Graphviz `dot` is not installed"),
        Some((ok, stderr)) => {
            assert!(ok && stderr.is_empty(), "dot -Tsvg: {stderr}\n{text}");
        }
    }
}

// ---------------------------------------------------------------------------
// Properties on the fixture and the example.

#[test]
fn json_validates_against_the_schema() {
    let v = validator();
    for (dir, exprs) in [
        (fixture(FIXTURE), vec!["//...", "deps(//:root)"]),
        (spam(), vec!["//...", "deps(//spam)"]),
    ] {
        let session = Session::open(&dir).unwrap();
        for expr in &exprs {
            for order in [Order::Sorted, Order::Deps] {
                let doc = json(&render(&session, expr, None, Format::Json, order));
                assert_valid(&v, &doc, &format!("query {expr}"));
            }
        }
    }
    // cquery in configurations whose values come from everywhere.
    let dir = fixture(FIXTURE);
    for args in [
        vec!["cquery", "//...", "--output=json", "--config", "mac"],
        vec![
            "cquery",
            "deps(//:root)",
            "--output=json",
            "--config",
            "mac-gpu",
            "--select",
            "level=3",
        ],
        vec![
            "cquery",
            "deps(//:root)",
            "--output=json",
            "--platform",
            "//flags:macbook",
            "--order=deps",
        ],
    ] {
        assert_valid(&v, &json(&ok(&dir, &args)), &args.join(" "));
    }
    // Constraints, platforms and the built-in @platforms repository.
    let constraints = fixture("constraints");
    for args in [
        vec!["query", "//... + @platforms//...", "--output=json"],
        vec![
            "cquery",
            "//app:all + @platforms//os:all",
            "--output=json",
            "--platform",
            "//p:linux_cuda_musl",
        ],
    ] {
        assert_valid(&v, &json(&ok(&constraints, &args)), &args.join(" "));
    }
    // Typed selectors (bool, int, list): values as strings, in their canonical spelling.
    let typed = fixture("typed_selectors");
    for args in [
        vec!["query", "//...", "--output=json"],
        vec![
            "cquery",
            "//pkg:all",
            "--output=json",
            "--config",
            "arm-debug",
        ],
        vec![
            "cquery",
            "deps(//pkg:solver)",
            "--output=json",
            "--platform",
            "//flags:graviton",
        ],
        vec![
            "cquery",
            "deps(//pkg:solver)",
            "--output=json",
            "--select",
            "cpu_features=",
        ],
    ] {
        assert_valid(&v, &json(&ok(&typed, &args)), &args.join(" "));
    }
    for config in [None, Some("gpu"), Some("gpl")] {
        let mut args = vec!["cquery", "deps(//spam)", "--output=json"];
        if let Some(c) = config {
            args.extend(["--config", c]);
        }
        assert_valid(&v, &json(&ok(&spam(), &args)), &args.join(" "));
    }
}

#[test]
fn the_schema_rejects_what_sel_must_not_write() {
    let v = validator();
    let good = json(&ok(
        &fixture(FIXTURE),
        &["query", "//app:app", "--output=json"],
    ));
    assert_valid(&v, &good, "query //app:app");
    // A cquery document may not hold a select.
    let mut bad = good.clone();
    bad["command"] = "cquery".into();
    bad["configuration"] = serde_json::json!({"selectors": {}});
    assert!(
        !v.is_valid(&bad),
        "a select in a cquery document must not validate"
    );
    // A bare value where an attribute object belongs.
    let mut bad = good.clone();
    bad["targets"][0]["attributes"]["version"] = "2.0".into();
    assert!(!v.is_valid(&bad));
    // A conditional edge without keys.
    let mut bad = good.clone();
    bad["targets"][0]["deps"][0]["conditional"] = true.into();
    bad["targets"][0]["deps"][0]["keys"] = serde_json::json!([]);
    assert!(!v.is_valid(&bad));
    // Another schema version.
    let mut bad = good;
    bad["schema"] = "sel.query/v2".into();
    assert!(!v.is_valid(&bad));
}

#[test]
fn json_keeps_every_select_key_and_says_which_was_chosen() {
    let dir = fixture(FIXTURE);
    let q = json(&ok(
        &dir,
        &["query", "//app:gpu + //app:many-keys", "--output=json"],
    ));
    let gpu = &q["targets"][0];
    assert_eq!(gpu["label"], "//app:gpu");
    let branches: Vec<(&str, &str)> = gpu["attributes"]["actual"]["select"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["key"].as_str().unwrap(), b["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        branches,
        [
            ("//flags:cuda_11", "//lib:cuda11"),
            ("//flags:cuda_12", "//lib:cuda12"),
            ("//flags:cuda_12_mac", "//lib:cuda12"),
            ("//conditions:default", "//lib:blas"),
        ]
    );
    // The edge to //lib:cuda12 depends on both keys that hold it.
    let cuda12 = gpu["deps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["label"] == "//lib:cuda12")
        .unwrap();
    assert_eq!(
        cuda12["keys"],
        serde_json::json!(["//flags:cuda_12", "//flags:cuda_12_mac"])
    );
    let many = &q["targets"][1];
    assert_eq!(many["deps"][0]["keys"].as_array().unwrap().len(), 6);

    // cquery: the more specific key wins and is reported, on the attribute and the edge.
    let c = json(&ok(
        &dir,
        &[
            "cquery",
            "//app:gpu",
            "--output=json",
            "--select",
            "cuda=12",
            "--select",
            "os=mac",
        ],
    ));
    let gpu = &c["targets"][0];
    assert_eq!(
        gpu["attributes"]["actual"],
        serde_json::json!({"value": "//lib:cuda12", "selected": ["//flags:cuda_12_mac"]})
    );
    assert_eq!(
        gpu["deps"],
        serde_json::json!([{"label": "//lib:cuda12", "conditional": true, "keys": ["//flags:cuda_12_mac"]}])
    );
    // A concatenation with a select: one chosen key; the plain part is unconditional.
    let c = json(&ok(
        &dir,
        &[
            "cquery",
            "//app:app",
            "--output=json",
            "--select",
            "level=2",
        ],
    ));
    let app = &c["targets"][0];
    assert_eq!(
        app["attributes"]["deps"]["selected"],
        serde_json::json!(["//flags:high"])
    );
    let deps: Vec<(&str, bool)> = app["deps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["label"].as_str().unwrap(),
                d["conditional"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        deps,
        [
            ("//app:gpu", false),
            ("//lib:base", false),
            ("//lib:fast", true)
        ]
    );
}

#[test]
fn json_configuration_says_where_each_value_comes_from() {
    let dir = fixture(FIXTURE);
    let doc = json(&ok(
        &dir,
        &[
            "cquery",
            "//lib:base",
            "--output=json",
            "--config",
            "mac-gpu",
            "--select",
            "level=3",
        ],
    ));
    assert_eq!(
        doc["configuration"],
        serde_json::json!({"selectors": {
            "//flags:cuda": {"value": "11", "source": "config", "config": "mac-gpu"},
            "//flags:level": {"value": "3", "source": "command_line"},
            "//flags:os": {"value": "mac", "source": "platform", "platform": "//flags:macbook"},
        }})
    );
    let q = json(&ok(&dir, &["query", "//lib:base", "--output=json"]));
    assert_eq!(q["configuration"], Json::Null);
    assert_eq!(q["schema"], "sel.query/v1");
    assert_eq!(q["command"], "query");
}

#[test]
fn cquery_json_rebuilds_the_configured_graph() {
    let session = Session::open(&fixture(FIXTURE)).unwrap();
    for config in [
        selects(&[]),
        selects(&[("cuda", "12")]),
        selects(&[("cuda", "12"), ("os", "mac"), ("level", "2")]),
        selects(&[("cuda", "11"), ("level", "3")]),
    ] {
        check_rebuild_from_json(
            &session,
            &["//:root".to_string(), "//app:both".to_string()],
            &config,
        );
    }
    let session = Session::open(&spam()).unwrap();
    for config in [
        selects(&[]),
        selects(&[("cuda", "12"), ("cpu", "x86-64-v3")]),
        selects(&[("cuda", "11"), ("license", "copyleft")]),
    ] {
        check_rebuild_from_json(&session, &["//spam:spam".to_string()], &config);
    }
}

#[test]
fn build_output_re_evaluates_to_the_same_answers() {
    check_build_round_trip(
        &fixture(FIXTURE),
        &[
            "//...",
            "deps(//:root)",
            "rdeps(//..., //lib:base)",
            "attr(description, macOS, //...)",
        ],
        // Not the default configuration: //app:picky has no branch for it.
        &[
            selects(&[("os", "mac")]),
            selects(&[("cuda", "12"), ("os", "mac"), ("level", "2")]),
        ],
    );
    check_build_round_trip(
        &fixture("typed_selectors"),
        &["//...", "deps(//pkg:solver)"],
        &[
            selects(&[]),
            selects(&[
                ("cpu_features", "neon,avx2"),
                ("debug", "true"),
                ("cuda", "11"),
            ]),
            selects(&[("cpu_features", "")]),
        ],
    );
    check_build_round_trip(
        &spam(),
        // //apps:notebook holds a clash where cuda=12 (docs/capabilities.md):
        // its cquery is an error there, so the whole workspace is asked
        // without it.
        &["//... - //apps/...", "deps(//spam)"],
        &[
            selects(&[]),
            selects(&[
                ("cuda", "12"),
                ("cpu", "x86-64-v3"),
                ("license", "copyleft"),
            ]),
        ],
    );
}

#[test]
fn build_output_is_a_fixed_point() {
    // Rendering the rewritten workspace gives the same text, comments aside.
    let before = Session::open(&fixture(FIXTURE)).unwrap();
    let copy = rewrite(&before, &fixture(FIXTURE));
    let after = Session::open(copy.path()).unwrap();
    let copy2 = rewrite(&after, copy.path());
    for pkg in ["", "app", "flags", "lib"] {
        let a = std::fs::read_to_string(copy.path().join(pkg).join("BUILD")).unwrap();
        let b = std::fs::read_to_string(copy2.path().join(pkg).join("BUILD")).unwrap();
        assert_eq!(
            without_locations(&a, Format::Build),
            without_locations(&b, Format::Build)
        );
    }
}

#[test]
fn cquery_build_resolves_and_names_the_chosen_keys() {
    let out = ok(
        &fixture(FIXTURE),
        &[
            "cquery",
            "//app:app + //app:gpu",
            "--output=build",
            "--select",
            "os=mac",
            "--select",
            "cuda=12",
        ],
    );
    assert!(!out.contains("select("), "{out}");
    assert!(
        out.contains(
            "    # actual: select chose //flags:cuda_12_mac\n    actual = \"//lib:cuda12\",\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("    description = \"The app for macOS\",\n"),
        "{out}"
    );
}

#[test]
fn deps_order_puts_dependencies_first() {
    let session = Session::open(&fixture(FIXTURE)).unwrap();
    for expr in [
        "//...",
        "deps(//:root)",
        "//:root + //lib:base + //lib:blas-headers",
    ] {
        check_deps_order(&session, expr, None);
        check_deps_order(
            &session,
            expr,
            Some(&selects(&[("cuda", "12"), ("os", "mac")])),
        );
    }
    // A path through a target outside the result still orders its ends.
    let out = render(
        &session,
        "//:root + //lib:blas-headers",
        None,
        Format::Label,
        Order::Deps,
    );
    assert_eq!(out, "//lib:blas-headers\n//:root\n");
    let session = Session::open(&spam()).unwrap();
    check_deps_order(&session, "deps(//spam)", None);
    check_deps_order(&session, "deps(//spam)", Some(&selects(&[("cuda", "12")])));
}

#[test]
fn deps_order_keeps_a_cycle_together() {
    // Unconfigured, select branches can form a cycle no configuration has.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sel.toml"), "").unwrap();
    std::fs::create_dir(dir.path().join("p")).unwrap();
    std::fs::write(
        dir.path().join("p/BUILD"),
        r#"
selector(name = "s", values = ["a", "b"], default = "a")
config_setting(name = "a", flag_values = {":s": "a"})
config_setting(name = "b", flag_values = {":s": "b"})
package(name = "top", deps = [":y"])
package(name = "y", deps = select({":a": [":x"], "//conditions:default": []}))
package(name = "x", deps = [":leaf"] + select({":b": [":y"], "//conditions:default": []}))
package(name = "leaf")
"#,
    )
    .unwrap();
    let out = ok(dir.path(), &["query", "deps(//p:top)", "--order=deps"]);
    assert_eq!(out, "//p:leaf\n//p:x\n//p:y\n//p:top\n");
    let out = ok(
        dir.path(),
        &["cquery", "deps(//p:top)", "--order=deps", "--select", "s=b"],
    );
    assert_eq!(out, "//p:y\n//p:top\n");
}

#[test]
fn graph_draws_conditional_edges_dashed_with_every_key() {
    let out = ok(
        &fixture(FIXTURE),
        &[
            "query",
            "//app:many-keys + //app:both + //lib:all",
            "--output=graph",
        ],
    );
    assert!(
        out.contains(
            "\"//app:many-keys\" -> \"//lib:base\" [style=dashed, label=\"//flags:cuda_11\\n//flags:cuda_12\\n//flags:cuda_12_mac\\n//flags:mac\\n//flags:high\\n//flags:any_cuda\"];"
        ),
        "{out}"
    );
    // Plain in one part, conditional in another: plain.
    assert!(
        out.contains("  \"//app:both\" -> \"//lib:base\";\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "\"//app:both\" -> \"//lib:cuda12\" [style=dashed, label=\"//flags:cuda_on_linux\"];"
        ),
        "{out}"
    );
    // Only edges among the result.
    assert!(!out.contains("//flags:cuda_11\" ->"), "{out}");
    // cquery edges are plain.
    let c = ok(
        &fixture(FIXTURE),
        &[
            "cquery",
            "deps(//:root)",
            "--output=graph",
            "--select",
            "level=2",
        ],
    );
    assert!(!c.contains("dashed"), "{c}");
    assert!(c.contains("\"//app:app\" -> \"//lib:fast\";"), "{c}");
}

#[test]
fn graph_renders_with_dot_without_warnings() {
    let dir = fixture(FIXTURE);
    for args in [
        vec!["query", "//...", "--output=graph"],
        vec!["query", "deps(//:root)", "--output=graph", "--order=deps"],
        vec![
            "cquery",
            "deps(//:root)",
            "--output=graph",
            "--config",
            "gpu",
        ],
        vec!["query", "//app:unicode", "--output=graph"],
        vec!["query", "//app:all - //app:all", "--output=graph"],
    ] {
        check_dot(&ok(&dir, &args));
    }
    check_dot(&ok(&spam(), &["query", "deps(//spam)", "--output=graph"]));
}

#[test]
fn the_docs_example_graph_is_current() {
    // docs/graph.svg is `sel -C examples/spam query 'deps(//spam)' --output=graph | dot -Tsvg`;
    // regenerate it when this fails (see docs/output.md).
    let Some((true, _)) = dot_svg("digraph {}") else {
        eprintln!("skipped: Graphviz `dot` is not installed");
        return;
    };
    let svg =
        std::fs::read_to_string(root().join("docs/graph.svg")).expect("docs/graph.svg exists");
    let dot = ok(&spam(), &["query", "deps(//spam)", "--output=graph"]);
    for line in dot.lines().filter(|l| l.contains("->")) {
        // Each edge's title in the SVG is `from->to`.
        let (from, to) = line.trim().split_once(" -> ").unwrap();
        let to = to.split([' ', ';']).next().unwrap();
        let svg_text = |s: &str| s.trim_matches('"').replace('-', "&#45;");
        let title = format!("<title>{}&#45;&gt;{}</title>", svg_text(from), svg_text(to));
        assert!(
            svg.contains(&title),
            "docs/graph.svg lacks the edge {title}: regenerate it"
        );
    }
}

#[test]
fn output_is_deterministic() {
    let dir = fixture(FIXTURE);
    for format in ["label", "label_kind", "package", "build", "graph", "json"] {
        for order in ["sorted", "deps"] {
            let args = ["query", "//...", "--output", format, "--order", order];
            assert_eq!(ok(&dir, &args), ok(&dir, &args), "{args:?}");
        }
    }
}

#[test]
fn empty_results_render_in_every_format() {
    let dir = fixture(FIXTURE);
    let none = "//app:all - //app:all";
    for format in ["label", "label_kind", "package", "build"] {
        assert_eq!(ok(&dir, &["query", none, "--output", format]), "");
    }
    let doc = json(&ok(&dir, &["query", none, "--output=json"]));
    assert_eq!(doc["targets"], serde_json::json!([]));
    assert!(ok(&dir, &["query", none, "--output=graph"]).starts_with("digraph sel {"));
}

#[test]
fn package_output_lists_directories_once() {
    let out = ok(
        &fixture(FIXTURE),
        &["query", "deps(//:root)", "--output=package"],
    );
    assert_eq!(out, "//\n//app\n//lib\n");
}

// ---------------------------------------------------------------------------
// Random workspaces.

/// A random workspace: selectors, conditions, and packages in three BUILD
/// packages whose deps are plain, selects, or concatenations of both, with
/// aliases whose `actual` is a select. Edges go from lower to higher index,
/// so the graph is acyclic and every configuration resolves.
#[derive(Clone, Debug)]
struct RandomWorkspace {
    /// Number of values of each selector.
    selectors: Vec<usize>,
    targets: Vec<RandomTarget>,
    /// A configuration: a value index per selector.
    config: Vec<usize>,
}

#[derive(Clone, Debug)]
enum Part {
    Plain(Vec<usize>),
    /// select over one selector's values: (value index, deps) branches, and a default.
    Select(usize, Vec<(usize, Vec<usize>)>, Vec<usize>),
}

#[derive(Clone, Debug)]
enum RandomTarget {
    Package {
        deps: Vec<Part>,
        description: bool,
    },
    Alias {
        selector: usize,
        branches: Vec<(usize, usize)>,
        default: usize,
    },
}

const PACKAGES: [&str; 3] = ["a", "b", "c/d"];

fn label(i: usize) -> String {
    format!("//{}:t{i}", PACKAGES[i % 3])
}

impl RandomWorkspace {
    fn write(&self, dir: &Path) {
        std::fs::write(dir.join("sel.toml"), "").unwrap();
        let mut flags = String::new();
        for (s, n) in self.selectors.iter().enumerate() {
            let values: Vec<String> = (0..*n).map(|v| format!("\"v{v}\"")).collect();
            flags += &format!(
                "selector(name = \"s{s}\", values = [{}], default = \"v0\")\n",
                values.join(", ")
            );
            for v in 0..*n {
                flags += &format!(
                    "config_setting(name = \"c{s}_{v}\", flag_values = {{\":s{s}\": \"v{v}\"}})\n"
                );
            }
        }
        std::fs::create_dir_all(dir.join("flags")).unwrap();
        std::fs::write(dir.join("flags/BUILD"), flags).unwrap();
        let mut files: Vec<String> = vec![String::new(); 3];
        let list = |ds: &[usize]| {
            format!(
                "[{}]",
                ds.iter()
                    .map(|d| format!("\"{}\"", label(*d)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        for (i, t) in self.targets.iter().enumerate() {
            let text = match t {
                RandomTarget::Package { deps, description } => {
                    // Starlark adds adjacent plain lists itself: merge them
                    // first, as a label twice in one list is an error.
                    let mut merged: Vec<Part> = Vec::new();
                    for p in deps {
                        match (merged.last_mut(), p) {
                            (Some(Part::Plain(a)), Part::Plain(b)) => {
                                for d in b {
                                    if !a.contains(d) {
                                        a.push(*d);
                                    }
                                }
                            }
                            _ => merged.push(p.clone()),
                        }
                    }
                    let parts: Vec<String> = merged
                        .iter()
                        .map(|p| match p {
                            Part::Plain(ds) => list(ds),
                            Part::Select(s, branches, default) => {
                                let mut b: Vec<String> = branches
                                    .iter()
                                    .map(|(v, ds)| format!("\"//flags:c{s}_{v}\": {}", list(ds)))
                                    .collect();
                                b.push(format!("\"//conditions:default\": {}", list(default)));
                                format!("select({{{}}})", b.join(", "))
                            }
                        })
                        .collect();
                    let deps = if parts.is_empty() {
                        String::new()
                    } else {
                        format!(", deps = {}", parts.join(" + "))
                    };
                    let description = if *description {
                        ", description = \"t\" + select({\"//flags:c0_0\": \"zero\", \"//conditions:default\": \"other\"})"
                    } else {
                        ""
                    };
                    format!("package(name = \"t{i}\"{deps}{description})\n")
                }
                RandomTarget::Alias {
                    selector,
                    branches,
                    default,
                } => {
                    let mut b: Vec<String> = branches
                        .iter()
                        .map(|(v, d)| format!("\"//flags:c{selector}_{v}\": \"{}\"", label(*d)))
                        .collect();
                    b.push(format!("\"//conditions:default\": \"{}\"", label(*default)));
                    format!(
                        "alias(name = \"t{i}\", actual = select({{{}}}))\n",
                        b.join(", ")
                    )
                }
            };
            files[i % 3] += &text;
        }
        for (p, text) in PACKAGES.iter().zip(files) {
            std::fs::create_dir_all(dir.join(p)).unwrap();
            std::fs::write(dir.join(p).join("BUILD"), text).unwrap();
        }
    }

    fn request(&self) -> Request {
        selects(
            &self
                .config
                .iter()
                .enumerate()
                .map(|(s, v)| (format!("s{s}"), format!("v{v}")))
                .collect::<Vec<_>>()
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect::<Vec<_>>(),
        )
    }
}

fn random_workspace() -> impl Strategy<Value = RandomWorkspace> {
    (prop::collection::vec(2usize..4, 1..4), 3usize..10).prop_flat_map(|(selectors, n)| {
        let nsel = selectors.len();
        let sel_values = selectors.clone();
        let targets: Vec<BoxedStrategy<RandomTarget>> = (0..n)
            .map(|i| {
                let later: Vec<usize> = (i + 1..n).collect();
                if later.is_empty() {
                    return Just(RandomTarget::Package { deps: vec![], description: false }).boxed();
                }
                let pick = prop::sample::subsequence(later.clone(), 0..=later.len().min(3));
                let one = prop::sample::select(later.clone());
                let sv = sel_values.clone();
                let part = prop_oneof![
                    pick.clone().prop_map(Part::Plain),
                    (0..nsel).prop_flat_map(move |s| {
                        let values = sv[s];
                        (
                            Just(s),
                            prop::collection::btree_map(0..values, pick.clone(), 1..=values),
                            pick.clone(),
                        )
                            .prop_map(|(s, b, d)| Part::Select(s, b.into_iter().collect(), d))
                    }),
                ];
                let sv = sel_values.clone();
                let alias = (0..nsel).prop_flat_map(move |s| {
                    (
                        Just(s),
                        prop::collection::btree_map(0..sv[s], one.clone(), 1..=sv[s]),
                        one.clone(),
                    )
                        .prop_map(|(selector, b, default)| RandomTarget::Alias {
                            selector,
                            branches: b.into_iter().collect(),
                            default,
                        })
                });
                prop_oneof![
                    3 => (prop::collection::vec(part, 0..3), any::<bool>())
                        .prop_map(|(deps, description)| RandomTarget::Package { deps, description }),
                    1 => alias,
                ]
                .boxed()
            })
            .collect();
        let config: Vec<BoxedStrategy<usize>> = selectors.iter().map(|n| (0..*n).boxed()).collect();
        (Just(selectors), targets, config).prop_map(|(selectors, targets, config)| RandomWorkspace {
            selectors,
            targets,
            config,
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_workspaces_keep_every_output_promise(ws in random_workspace()) {
        let dir = tempfile::tempdir().unwrap();
        ws.write(dir.path());
        let session = Session::open(dir.path()).unwrap_or_else(|e| panic!("{}", e.message));
        let request = ws.request();
        let v = validator();
        for expr in ["//...", "deps(//a:t0)"] {
            assert_valid(&v, &json(&render(&session, expr, None, Format::Json, Order::Deps)), expr);
            assert_valid(&v, &json(&render(&session, expr, Some(&request), Format::Json, Order::Sorted)), expr);
            check_deps_order(&session, expr, None);
            check_deps_order(&session, expr, Some(&request));
            if dot_svg("digraph {}").is_some() {
                check_dot(&render(&session, expr, None, Format::Graph, Order::Sorted));
            }
        }
        check_rebuild_from_json(&session, &["//a:t0".to_string()], &request);
        check_build_round_trip(dir.path(), &["//...", "deps(//a:t0)"], &[request]);
    }
}

// ---------------------------------------------------------------------------
// The command line.

fn sel_plain(args: &[&str]) -> Output {
    Command::cargo_bin("sel")
        .unwrap()
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn help_answers_how_do_i() {
    for args in [
        vec!["--help"],
        vec!["query", "--help"],
        vec!["cquery", "--help"],
        vec!["completions", "--help"],
        vec!["man", "--help"],
    ] {
        let out = sel_plain(&args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("How do I"),
            "{args:?} has no examples:\n{text}"
        );
    }
    // Every subcommand says what it does (not the name of its argument struct).
    let top = String::from_utf8(sel_plain(&["--help"]).stdout).unwrap();
    assert!(!top.contains("Arguments of"), "{top}");
    assert!(top.contains("Print a shell completion script"), "{top}");
    let query = String::from_utf8(sel_plain(&["query", "--help"]).stdout).unwrap();
    for needle in [
        "--output",
        "--order",
        "label_kind",
        "graph",
        "build",
        "json",
        "package",
        "deps",
    ] {
        assert!(
            query.contains(needle),
            "query --help lacks {needle}:\n{query}"
        );
    }
    let cquery = String::from_utf8(sel_plain(&["cquery", "--help"]).stdout).unwrap();
    for needle in ["--select", "--platform", "--config", "sel.toml"] {
        assert!(
            cquery.contains(needle),
            "cquery --help lacks {needle}:\n{cquery}"
        );
    }
}

#[test]
fn wrong_flags_get_suggestions() {
    let dir = fixture(FIXTURE);
    let cases: [(&[&str], &str); 5] = [
        (&["cquery", "//...", "--selct", "cuda=12"], "--select"),
        (&["query", "//...", "--ouput=json"], "--output"),
        (&["query", "//...", "--output=jsn"], "json"),
        (&["query", "//...", "--order=dep"], "deps"),
        (&["qeury", "//..."], "query"),
    ];
    for (args, hint) in cases {
        let err = fails(&dir, args, 2);
        assert!(
            err.contains(hint),
            "sel {args:?} does not suggest {hint}:\n{err}"
        );
    }
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = sel_plain(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("cquery"), "{shell}:\n{text}");
        if ["bash", "zsh", "fish"].contains(&shell) {
            // elvish's and PowerShell's scripts complete subcommands and flags, not values.
            assert!(text.contains("label_kind"), "{shell}:\n{text}");
        }
    }
    let out = sel_plain(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completions_work_in_bash() {
    // Load the script into bash and ask it to complete `sel cq`.
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("skipped: no bash");
        return;
    }
    let script = String::from_utf8(sel_plain(&["completions", "bash"]).stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sel.bash"), script).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(
            "source ./sel.bash; COMP_WORDS=(sel cq); COMP_CWORD=1; COMP_LINE='sel cq'; COMP_POINT=6; \
             _sel sel cq sel; echo \"${COMPREPLY[@]}\"; \
             COMP_WORDS=(sel query x --output); COMP_CWORD=4; COMP_WORDS+=(''); \
             _sel sel '' --output; echo \"${COMPREPLY[@]}\"",
        )
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("cquery"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let formats = lines.next().unwrap_or_default();
    assert!(
        formats.contains("label_kind") && formats.contains("graph"),
        "{text}"
    );
}

#[test]
fn man_pages_are_generated_from_the_cli() {
    let page = String::from_utf8(sel_plain(&["man"]).stdout).unwrap();
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH sel 1"),
        "{page}"
    );
    assert!(page.contains(".TH sel 1"), "{page}");
    assert!(page.contains("cquery"), "{page}");
    let query = String::from_utf8(sel_plain(&["man", "cquery"]).stdout).unwrap();
    assert!(query.contains(".TH sel-cquery 1"), "{query}");
    assert!(query.contains("\\-\\-select"), "{query}");
    let out = sel_plain(&["man", "cqeury"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cquery"));
    let dir = tempfile::tempdir().unwrap();
    let out = sel_plain(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success());
    for page in [
        "sel.1",
        "sel-query.1",
        "sel-cquery.1",
        "sel-completions.1",
        "sel-man.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page} not written");
    }
    // man itself reads it, where man is installed.
    if let Ok(out) = Command::new("man")
        .arg("-l")
        .arg(dir.path().join("sel-query.1"))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("--order"), "{text}");
        }
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // Enough output to overflow a pipe buffer, and a reader that is gone.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sel.toml"), "").unwrap();
    std::fs::create_dir(dir.path().join("p")).unwrap();
    std::fs::write(
        dir.path().join("p/BUILD"),
        "[package(name = \"target-with-a-long-name-%d\" % i) for i in range(4000)]\n",
    )
    .unwrap();
    for format in ["label", "json", "build", "graph"] {
        let mut child = sel_command(dir.path(), &["query", "//...", "--output", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // like `| head -0`
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A command whose findings are its answer and whose status says they hold
    // errors: the closed pipe changes nothing, the status stays 1, no panic.
    std::fs::write(
        dir.path().join("p/BUILD"),
        "selector(name = \"s\", values = [\"a\", \"b\"], default = \"a\")\n\
         config_setting(name = \"a\", flag_values = {\":s\": \"a\"})\n\
         [package(name = \"t%d\" % i, deps = select({\":a\": []})) for i in range(2000)]\n",
    )
    .unwrap();
    let mut child = sel_command(dir.path(), &["--no-cache", "check"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Runs sel under a pseudo-terminal (util-linux `script`), so stderr is a terminal.
fn on_a_terminal(env_no_color: Option<&str>, args: &str) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("sel");
    let line = format!("{} -C {} {args}", bin.display(), fixture(FIXTURE).display());
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .env_remove("NO_COLOR")
        .env("TERM", "xterm");
    if let Some(v) = env_no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().ok()?;
    out.status.code()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

const BAD_SELECT: &str = "cquery //app:app --select nope=1";

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let Some(tty) = on_a_terminal(None, BAD_SELECT) else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    if !tty.contains("no selector named") {
        eprintln!("skipped: `script` did not run sel:\n{tty}");
        return;
    }
    assert!(tty.contains('\u{1b}'), "a terminal gets colour:\n{tty}");
    let no_color = on_a_terminal(Some("1"), BAD_SELECT).unwrap();
    assert!(
        no_color.contains("no selector named") && !no_color.contains('\u{1b}'),
        "NO_COLOR:\n{no_color}"
    );
    let never = on_a_terminal(None, &format!("--color never {BAD_SELECT}")).unwrap();
    assert!(!never.contains('\u{1b}'), "--color never:\n{never}");
    // clap's own messages (help, a wrong subcommand) follow --color and NO_COLOR too.
    for (no_color, args) in [
        (None, "--color never qeury x"),
        (None, "--color=never query --help"),
        (None, "query --color never --help"),
        (Some("1"), "qeury x"),
        (Some("1"), "cquery --help"),
    ] {
        let text = on_a_terminal(no_color, args).unwrap();
        assert!(!text.contains('\u{1b}'), "{no_color:?} {args}:\n{text}");
    }
    let text = on_a_terminal(None, "qeury x").unwrap();
    assert!(
        text.contains('\u{1b}'),
        "a terminal gets clap's colour:\n{text}"
    );
    // Not a terminal: no colour, unless asked for.
    let piped = fails(
        &fixture(FIXTURE),
        &["cquery", "//app:app", "--select", "nope=1"],
        2,
    );
    assert!(!piped.contains('\u{1b}'), "{piped}");
    let mut cmd = sel_command(
        &fixture(FIXTURE),
        &[
            "--color",
            "always",
            "cquery",
            "//app:app",
            "--select",
            "nope=1",
        ],
    );
    cmd.env_remove("NO_COLOR");
    let forced = String::from_utf8(cmd.output().unwrap().stderr).unwrap();
    assert!(forced.contains('\u{1b}'), "--color always:\n{forced}");
}

// ---------------------------------------------------------------------------
// sel.toml named configurations.

#[test]
fn named_configurations_and_select_wins() {
    let dir = fixture(FIXTURE);
    // [config.gpu] select = { cuda = "12" }
    assert_eq!(
        ok(&dir, &["cquery", "deps(//app:gpu)", "--config", "gpu"]),
        "//app:gpu\n//lib:base\n//lib:cuda12\n"
    );
    // --select wins over the config.
    assert_eq!(
        ok(
            &dir,
            &[
                "cquery",
                "deps(//app:gpu)",
                "--config",
                "gpu",
                "--select",
                "cuda=11"
            ]
        ),
        "//app:gpu\n//lib:base\n//lib:cuda11\n"
    );
    // A config's platform, and the config's select over its platform.
    let doc = json(&ok(
        &dir,
        &[
            "cquery",
            "//app:gpu",
            "--config",
            "mac-gpu",
            "--output=json",
        ],
    ));
    let sels = &doc["configuration"]["selectors"];
    assert_eq!(sels["//flags:os"]["source"], "platform");
    assert_eq!(sels["//flags:cuda"]["source"], "config");
    assert_eq!(sels["//flags:cuda"]["config"], "mac-gpu");
    // --select wins over the config's platform too.
    let doc = json(&ok(
        &dir,
        &[
            "cquery",
            "//app:gpu",
            "--config",
            "mac",
            "--select",
            "os=linux",
            "--output=json",
        ],
    ));
    assert_eq!(
        doc["configuration"]["selectors"]["//flags:os"]["source"],
        "command_line"
    );
}

#[test]
fn named_configuration_mistakes_are_reported() {
    let dir = fixture(FIXTURE);
    let err = fails(&dir, &["cquery", "//app:app", "--config", "gpo"], 2);
    assert!(err.contains("[config.gpo]") && err.contains("gpu"), "{err}");
    let ws = tempfile::tempdir().unwrap();
    for entry in ["flags", "app", "lib", "tools"] {
        copy_dir(&dir.join(entry), &ws.path().join(entry));
    }
    std::fs::copy(dir.join("BUILD"), ws.path().join("BUILD")).unwrap();
    // A selector value that is not a string is taken as its text.
    std::fs::write(
        ws.path().join("sel.toml"),
        "[config.gpu]\nselect = { cuda = 12 }\n",
    )
    .unwrap();
    assert_eq!(
        ok(ws.path(), &["cquery", "deps(//app:gpu)", "--config", "gpu"]),
        "//app:gpu\n//lib:base\n//lib:cuda12\n"
    );
    // An unknown selector, a value it does not allow, an unknown key: errors naming sel.toml.
    for (toml, needle) in [
        ("[config.gpu]\nselect = { cdua = \"12\" }\n", "cuda"),
        ("[config.gpu]\nselect = { cuda = \"13\" }\n", "[config.gpu]"),
        ("[config.gpu]\nselects = { cuda = \"12\" }\n", "sel.toml"),
        (
            "[config.gpu]\nplatform = \"//flags:nope\"\n",
            "[config.gpu]",
        ),
    ] {
        std::fs::write(ws.path().join("sel.toml"), toml).unwrap();
        let err = fails(ws.path(), &["cquery", "//app:app", "--config", "gpu"], 1);
        assert!(err.contains(needle), "{toml}: {err}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
