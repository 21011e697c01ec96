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
