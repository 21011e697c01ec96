//! The every-configuration commands from the command line: `cquery
//! --all-configs`, `matrix`, `why` and `check`, on small workspaces whose
//! answers are worked out by hand.

use std::path::Path;

mod common;

use common::workspace;

/// sel without the cache: these workspaces are read once.
fn sel(dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::sel(dir, &[&["--no-cache"], args].concat())
}

const FLAGS: &str = r#"
selector(name = "cuda", values = ["none", "11", "12"], default = "none")
selector(name = "os", values = ["linux", "macos"], default = "linux")
config_setting(name = "cuda11", flag_values = {":cuda": "11"})
config_setting(name = "cuda12", flag_values = {":cuda": "12"})
config_setting(name = "gpu", flag_values = {":cuda": "!=none"})
config_setting(name = "mac", flag_values = {":os": "macos"})
"#;

const APP: &str = r#"
package(name = "app", deps = [":core"] + select({
    "//flags:cuda11": [":cu11"],
    "//flags:cuda12": [":cu12"],
    "//conditions:default": [":cpu"],
}))
package(name = "core", deps = select({"//flags:mac": [":metal"], "//conditions:default": []}))
package(name = "cu11")
package(name = "cu12")
package(name = "cpu")
package(name = "metal")
"#;

#[test]
fn all_configs_gives_each_target_its_condition() {
    let ws = workspace(&[("flags/BUILD", FLAGS), ("app/BUILD", APP)]);
    let (code, out, err) = sel(ws.path(), &["cquery", "deps(//app)", "--all-configs"]);
    assert_eq!(code, 0, "{err}");
    let line = |l: &str| {
        out.lines()
            .find(|x| x.starts_with(l))
            .unwrap_or("")
            .to_string()
    };
    assert!(line("//app:app ").ends_with("always"), "{out}");
    assert!(line("//app:cu12 ").ends_with("cuda = 12"), "{out}");
    assert!(line("//app:cpu ").ends_with("cuda = none"), "{out}");
    assert!(line("//app:metal ").ends_with("os = macos"), "{out}");
    // Fixing a selector removes it from the conditions.
    let (_, fixed, _) = sel(
        ws.path(),
        &[
            "cquery",
            "deps(//app)",
            "--all-configs",
            "--select",
            "os=macos",
        ],
    );
    assert!(
        fixed
            .lines()
            .any(|l| l.starts_with("//app:metal ") && l.ends_with("always")),
        "{fixed}"
    );
}

#[test]
fn all_configs_json_has_cubes() {
    let ws = workspace(&[("flags/BUILD", FLAGS), ("app/BUILD", APP)]);
    let (code, out, _) = sel(
        ws.path(),
        &["cquery", "deps(//app)", "--all-configs", "--output=json"],
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cu11 = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == "//app:cu11")
        .unwrap();
    assert_eq!(
        cu11["when"],
        serde_json::json!({"any": [{"//flags:cuda": ["11"]}]})
    );
    assert_eq!(doc["errors"], serde_json::json!([]));
}

#[test]
fn matrix_partitions_by_result() {
    let ws = workspace(&[("flags/BUILD", FLAGS), ("app/BUILD", APP)]);
    let (code, out, _) = sel(ws.path(), &["matrix", "deps(//app)", "--output=json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    // Three CUDA choices times two operating systems give six distinct results.
    assert_eq!(doc["classes"].as_array().unwrap().len(), 6, "{out}");
}

#[test]
fn why_names_the_key_and_the_condition() {
    let ws = workspace(&[("flags/BUILD", FLAGS), ("app/BUILD", APP)]);
    let (code, out, _) = sel(ws.path(), &["why", "//app", "//app:metal"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("//app:metal is in deps(//app:app) when os = macos"),
        "{out}"
    );
    assert!(out.contains("select key //flags:mac"), "{out}");
}

#[test]
fn check_finds_no_match_ambiguity_and_dead_branches() {
    let build = r#"
package(name = "nomatch", deps = select({"//flags:cuda11": [":a"]}))
package(name = "ambiguous", deps = select({"//flags:cuda12": [":a"], "//flags:mac": [":b"]}))
package(name = "dead", deps = select({"//flags:gpu": [":a"], "//flags:cuda12": [":b"], "//conditions:default": []}))
package(name = "a")
package(name = "b")
"#;
    let ws = workspace(&[("flags/BUILD", FLAGS), ("pkg/BUILD", build)]);
    let (code, out, _) = sel(ws.path(), &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[sel::no_match]"), "{out}");
    assert!(out.contains("when: cuda != 11"), "{out}");
    assert!(out.contains("error[sel::ambiguous]"), "{out}");
    assert!(out.contains("when: cuda = 12 and os = macos"), "{out}");
    assert!(out.contains("--> pkg/BUILD:"), "{out}");
    // In //pkg:dead nothing is dead after all: `gpu` is taken at cuda = 11
    // (cuda12 is more specific at 12), the default at cuda = none.
    assert!(!out.contains("`//flags:gpu`"), "{out}");
    let clean = workspace(&[("flags/BUILD", FLAGS), ("app/BUILD", APP)]);
    let (code, out, _) = sel(clean.path(), &["check"]);
    assert_eq!((code, out.trim()), (0, "0 error(s), 0 warning(s)"));
}

#[test]
fn check_warns_about_a_branch_never_taken() {
    let build = r#"
package(name = "x", deps = select({
    "//flags:cuda12": [":a"],
    "//flags:gpu": [":b"],
    "//flags:cuda11": [":b"],
    "//conditions:default": [],
}))
package(name = "a")
package(name = "b")
package(name = "y", deps = select({"//flags:gpu": [":a"], "//flags:cuda12": [":a"], "//flags:cuda11": [":b"], "//conditions:default": []}))
"#;
    let ws = workspace(&[("flags/BUILD", FLAGS), ("pkg/BUILD", build)]);
    let (code, out, _) = sel(ws.path(), &["check", "--output=json"]);
    assert_eq!(code, 0, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    // In //pkg:y, `gpu` is less specific than cuda12 and cuda11 and they cover it.
    assert!(codes.contains(&"sel::never_taken"), "{out}");
}

/// One target whose `deps` concatenates `k` selects, each on a two-valued selector
/// of its own: `2^k` whole values of `deps`, but `k + 1` edges.
fn concatenated_selects(k: usize) -> tempfile::TempDir {
    let mut build = String::new();
    let mut selects = Vec::new();
    for i in 0..k {
        build.push_str(&format!(
            "selector(name = \"f{i}\", values = [\"off\", \"on\"], default = \"off\")\n\
             config_setting(name = \"c{i}\", flag_values = {{\":f{i}\": \"on\"}})\n\
             package(name = \"d{i}\")\n"
        ));
        selects.push(format!(
            "select({{\":c{i}\": [\":d{i}\"], \"//conditions:default\": []}})"
        ));
    }
    build.push_str(&format!(
        "package(name = \"root\", deps = {})\n",
        selects.join(" + ")
    ));
    workspace(&[("c/BUILD", &build)])
}

#[test]
fn concatenated_selects_are_resolved_part_by_part() {
    // 40 selects would be 2^40 values of `deps` if they were combined; every
    // command that follows edges answers from the parts.
    let ws = concatenated_selects(40);
    let (code, out, err) = sel(ws.path(), &["cquery", "deps(//c:root)", "--all-configs"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 41, "{out}");
    assert!(out.contains("//c:d17  "), "{out}");
    assert!(out
        .lines()
        .any(|l| l.starts_with("//c:d17 ") && l.ends_with("f17 = on")));
    let (code, out, _) = sel(ws.path(), &["why", "//c:root", "//c:d39"]);
    assert_eq!(code, 0);
    assert!(out.contains("f39 = on"), "{out}");
    let (code, out, _) = sel(ws.path(), &["check"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = sel(ws.path(), &["licenses", "deps(//c:root)", "--all-configs"]);
    assert_eq!(code, 0, "{err}");
    // A whole value is needed by attr(): refused with advice, not enumerated.
    let (code, _, err) = sel(
        ws.path(),
        &["cquery", "attr(deps, d3, //c:root)", "--all-configs"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("sel::query") && err.contains("--select"),
        "{err}"
    );
    // With the other selectors fixed, the same query answers.
    let mut args = vec!["cquery", "attr(deps, d3, //c:root)", "--all-configs"];
    let fixed: Vec<String> = (10..40).map(|i| format!("f{i}=off")).collect();
    for f in &fixed {
        args.push("--select");
        args.push(f);
    }
    let (code, out, err) = sel(ws.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "//c:root  f3 = on", "{out}");
}

#[test]
fn matrix_streams_its_classes_and_stops_at_its_bound() {
    let ws = concatenated_selects(3);
    let (code, out, _) = sel(ws.path(), &["matrix", "deps(//c:root)"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("when ").count(), 8, "{out}");
    // The first classes come in the order of their least configuration.
    assert!(
        out.starts_with("when f0 = off and f1 = off and f2 = off:\n  //c:root\n\nwhen f0 = off and f1 = off and f2 = on:\n"),
        "{out}"
    );
    let (code, partial, err) = sel(
        ws.path(),
        &["matrix", "deps(//c:root)", "--max-classes", "3"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with(&partial), "{partial}");
    assert_eq!(partial.matches("when ").count(), 3, "{partial}");
    assert!(err.contains("sel::too_many_classes"), "{err}");
    assert!(err.contains("more than 3 classes"), "{err}");
    assert!(err.contains("3 selectors (f0, f1, f2)"), "{err}");
    // JSON is one document: nothing, and the same error.
    let (code, json, err) = sel(
        ws.path(),
        &[
            "matrix",
            "deps(//c:root)",
            "--max-classes",
            "3",
            "--output",
            "json",
        ],
    );
    assert_eq!((code, json.as_str()), (1, ""));
    assert!(err.contains("sel::too_many_classes"), "{err}");
}

#[test]
fn a_matrix_over_many_selectors_is_refused_quickly() {
    // 2^30 classes: the bound stops the search after its 4096th class.
    let ws = concatenated_selects(30);
    let (code, out, err) = sel(ws.path(), &["matrix", "deps(//c:root)", "--output", "json"]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("more than 4096 classes"), "{err}");
    assert!(err.contains("30 selectors"), "{err}");
}

#[test]
fn conditions_beyond_the_algebra_bound_are_an_error() {
    // Many overlapping paths under independent selectors: a large diagram.
    let ws = concatenated_selects(24);
    let (code, _, err) = common::sel_with_env(
        ws.path(),
        &["--no-cache", "cquery", "deps(//c:root)", "--all-configs"],
        &[("SEL_MAX_CONDITION_NODES", "20")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("sel::conditions_too_large"), "{err}");
    assert!(err.contains("SEL_MAX_CONDITION_NODES"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn why_follows_a_long_chain() {
    // A stress input: one path of 10,000 edges (quadratic in its length before).
    let n = 10_000;
    let build: String = (0..n)
        .map(|i| {
            if i + 1 < n {
                format!("package(name = \"t{i}\", deps = [\":t{}\"])\n", i + 1)
            } else {
                format!("package(name = \"t{i}\")\n")
            }
        })
        .collect();
    let ws = workspace(&[("BUILD", &build)]);
    let last = format!("//:t{}", n - 1);
    let (code, out, err) = sel(ws.path(), &["why", "//:t0", &last]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("{last} is in deps(//:t0) when always")),
        "{out}"
    );
    assert!(
        out.contains("//:t0 -> //:t1 -> //:t2 -> "),
        "{}",
        &out[..200]
    );
    assert!(
        out.contains(&format!("//:t9998 -> {last}")),
        "path to the end"
    );
}

#[test]
fn deps_answered_with_sums_of_products_gives_the_same_answer() {
    // SEL_DIAGRAM_ATTEMPT_STEPS=1 gives up on decision diagrams at once, as a
    // graph whose conditions have no small diagram does: `deps(...)` is then
    // answered with sums of products, to the same text and JSON.
    let failing_app = r#"
package(name = "app", deps = [":core"] + select({
    "//flags:cuda11": [":cu11"],
    "//flags:cuda12": [":cu12"],
}))
package(name = "core", deps = select({"//flags:mac": [":metal"], "//conditions:default": []}))
package(name = "cu11")
package(name = "cu12")
package(name = "metal")
"#;
    for app in [APP, failing_app] {
        let ws = workspace(&[("flags/BUILD", FLAGS), ("app/BUILD", app)]);
        for output in ["label", "json"] {
            let args = ["cquery", "deps(//app)", "--all-configs", "--output", output];
            let (code, diagrams, err) = sel(ws.path(), &args);
            let (code2, products, err2) = common::sel_with_env(
                ws.path(),
                &[&["--no-cache"], &args[..]].concat(),
                &[("SEL_DIAGRAM_ATTEMPT_STEPS", "1"), ("SEL_TIMINGS", "1")],
            );
            assert_eq!((code, &diagrams), (code2, &products), "{err}\n{err2}");
            assert!(err2.contains("diagrams given up"), "{err2}");
            assert_eq!(
                err.lines()
                    .filter(|l| l.starts_with("warning"))
                    .collect::<Vec<_>>(),
                err2.lines()
                    .filter(|l| l.starts_with("warning"))
                    .collect::<Vec<_>>()
            );
        }
    }
}
