//! `sel licenses` and `sel sbom`: the copyleft-behind-a-selector scenario, the
//! traps that make a license checker wrong both ways (a package flagged that
//! no configuration contains; a package missed that some configuration
//! contains), load-time validation of `license`, and SBOMs checked against the
//! official JSON schemas (tests/schemas/).
//!
//! The property test compares `--all-configs` with one run per configuration
//! on random workspaces: a violation (or a listed package, or an SBOM
//! component) is reported with a condition that holds at a configuration
//! exactly when the single-configuration run at that configuration reports it.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use proptest::prelude::*;
use sel::{Request, Session};
use serde_json::Value as Json;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn sel_command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("sel").expect("the sel binary is built");
    cmd.current_dir(dir)
        .arg("--color")
        .arg("never")
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("COLUMNS")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    cmd
}

/// Runs `sel ARGS` in a fixture and renders the run for a snapshot.
fn sel(fixture: &str, args: &[&str]) -> String {
    let out = sel_command(&fixtures().join(fixture), args)
        .output()
        .expect("sel runs");
    let code = out
        .status
        .code()
        .map_or("signal".to_string(), |c| c.to_string());
    format!(
        "in {fixture}\n$ sel {}\nexit code: {code}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )
}

/// Runs `sel ARGS` in `dir`, returning the exit code and stdout.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = sel_command(dir, args).output().expect("sel runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

fn json_of(dir: &Path, args: &[&str]) -> Json {
    let (code, out) = run(dir, args);
    assert!(code == 0 || code == 1, "sel {args:?} exited {code}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("sel {args:?}: not JSON ({e}):\n{out}"))
}

macro_rules! snapshot {
    ($name:ident: $fixture:literal, $($arg:expr),+ $(,)?) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(sel($fixture, &[$($arg),+]));
        }
    };
}

// ---------------------------------------------------------------------------
// The scenario: //app's FFT is FFTW (GPL-2.0-or-later) under license=copyleft,
// KissFFT otherwise. Around it: a GPL package no one depends on, one behind a
// select branch no configuration takes, a dual-licensed `MIT OR GPL` package
// (fine), `MIT AND GPL` (never fine), a package whose `license` is a select,
// a GPU-only package with no license, a per-package exception, a WITH
// exception, and a GPL package two conditional edges deep.

const SELECTOR: &str = "licenses-selector";

snapshot!(selector_list_default: "licenses-selector", "licenses", "deps(//app)");
snapshot!(selector_list_all_configs: "licenses-selector", "licenses", "deps(//app)", "--all-configs");
snapshot!(selector_check_default: "licenses-selector", "licenses", "deps(//app)", "--check");
snapshot!(selector_check_all_configs: "licenses-selector", "licenses", "deps(//app)", "--check", "--all-configs");
snapshot!(selector_check_all_configs_json: "licenses-selector",
    "licenses", "deps(//app)", "--check", "--all-configs", "--output", "json");
snapshot!(selector_check_copyleft: "licenses-selector",
    "licenses", "deps(//app)", "--check", "--select", "license=copyleft", "--output", "json");

/// The violations of a JSON report: label -> when_text (or "" for one configuration).
fn violations(doc: &Json) -> Vec<(String, String)> {
    doc["check"]["violations"]
        .as_array()
        .expect("a check")
        .iter()
        .map(|v| {
            (
                v["label"].as_str().unwrap().to_string(),
                v["when_text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn flagged_exactly_where_present() {
    let dir = fixtures().join(SELECTOR);
    let doc = json_of(
        &dir,
        &[
            "licenses",
            "deps(//app)",
            "--check",
            "--all-configs",
            "--output",
            "json",
        ],
    );
    let v = violations(&doc);
    let labels: Vec<&str> = v.iter().map(|(l, _)| l.as_str()).collect();
    // Never flagged: no configuration contains them, or the policy accepts them.
    for fine in [
        "//third_party/gpl_unused:gpl_unused",
        "//third_party/gpl_never:gpl_never",
        "//third_party/dual:dual",
        "//third_party/vendor:vendor",
        "//third_party/classpath:classpath",
        "//third_party/kissfft:kissfft",
    ] {
        assert!(!labels.contains(&fine), "{fine} flagged: {v:?}");
    }
    // Flagged, each with the condition under which it is present.
    let expect = [
        ("//third_party/chain:deep", "extras = on and gpu = cuda"),
        ("//third_party/fftw:fftw", "license = copyleft"),
        ("//third_party/gpuonly:gpuonly", "gpu = cuda"),
        ("//third_party/mixed:mixed", "always"),
        ("//third_party/relicensed:relicensed", "extras = on"),
    ];
    let got: Vec<(&str, &str)> = v.iter().map(|(l, w)| (l.as_str(), w.as_str())).collect();
    assert_eq!(got, expect);
    assert_eq!(doc["check"]["ok"], false);
    // Each path starts at the root and ends at the package.
    for v in doc["check"]["violations"].as_array().unwrap() {
        let path = v["path"]["targets"].as_array().unwrap();
        assert_eq!(path.first().unwrap(), "//app:app");
        assert_eq!(path.last().unwrap(), &v["label"]);
    }
}

#[test]
fn clean_where_the_configuration_is_permissive() {
    let dir = fixtures().join(SELECTOR);
    // Fix every selector that brings in something the policy rejects, except
    // for //third_party/mixed, which is in every configuration.
    let doc = json_of(
        &dir,
        &[
            "licenses",
            "deps(//app) - //third_party/mixed",
            "--check",
            "--all-configs",
            "--select",
            "license=permissive",
            "--select",
            "gpu=none",
            "--select",
            "extras=off",
            "--output",
            "json",
        ],
    );
    assert_eq!(violations(&doc), []);
    assert_eq!(doc["check"]["ok"], true);
    let (code, out) = run(
        &dir,
        &["licenses", "deps(//app) - //third_party/mixed", "--check"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no license violations"), "{out}");
}

// ---------------------------------------------------------------------------
// The example workspace: FFTW only under license=copyleft.

fn spam() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spam")
}

#[test]
fn spam_example_permissive_is_clean_copyleft_is_flagged() {
    let (code, out) = run(&spam(), &["licenses", "deps(//spam)", "--check"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(
        &spam(),
        &["licenses", "deps(//spam)", "--check", "--config", "gpl"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("//third_party/fftw:fftw"), "{out}");
    let doc = json_of(
        &spam(),
        &[
            "licenses",
            "deps(//spam)",
            "--check",
            "--all-configs",
            "--output",
            "json",
        ],
    );
    assert_eq!(
        violations(&doc),
        [(
            "//third_party/fftw:fftw".to_string(),
            "license = copyleft".to_string()
        )]
    );
    let fftw = &doc["check"]["violations"][0];
    assert_eq!(
        fftw["when"],
        serde_json::json!({"any": [{"//flags:license": ["copyleft"]}]})
    );
    assert_eq!(fftw["license"], "GPL-2.0-or-later");
    let (code, _) = run(
        &spam(),
        &[
            "licenses",
            "deps(//spam)",
            "--check",
            "--all-configs",
            "--select",
            "license=permissive",
        ],
    );
    assert_eq!(code, 0);
}

// ---------------------------------------------------------------------------
// `license` is validated when files load, every select branch too.

snapshot!(err_license_plain: "licenses-err-plain", "query", "//...");
snapshot!(err_license_in_select: "licenses-err-select", "query", "//...");
snapshot!(err_license_deprecated: "licenses-err-deprecated", "query", "//...");
snapshot!(err_policy_entry: "licenses-err-policy", "licenses", "//...", "--check");
snapshot!(err_policy_exception_names_nothing: "licenses-err-exception", "licenses", "//...", "--check");
snapshot!(err_policy_missing: "licenses-no-policy", "licenses", "//...", "--check");
snapshot!(no_policy_listing_works: "licenses-no-policy", "licenses", "//...");

// ---------------------------------------------------------------------------
// SBOMs: valid against the official schemas, components = the cquery result.

/// Fetches nothing: the schemas' references resolve to the vendored files.
struct Vendored;

impl jsonschema::Retrieve for Vendored {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Json, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/schemas")
            .join(&name);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn validator(file: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(file);
    let schema: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .with_retriever(Vendored)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the vendored schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Json, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is invalid:\n{}\n{doc:#}",
        errors.join("\n")
    );
}

const SBOM_CASES: &[(&str, &str, &[&str])] = &[
    ("examples/spam", "deps(//spam)", &[]),
    (
        "examples/spam",
        "deps(//spam)",
        &["--platform", "//platforms:linux-gpu"],
    ),
    ("examples/spam", "deps(//spam)", &["--config", "gpl"]),
    ("examples/spam", "deps(//spam)", &["--all-configs"]),
    (
        "examples/spam",
        "deps(//spam)",
        &["--all-configs", "--select", "cuda=12"],
    ),
    ("tests/fixtures/licenses-selector", "deps(//app)", &[]),
    (
        "tests/fixtures/licenses-selector",
        "deps(//app)",
        &["--select", "gpu=cuda", "--select", "extras=on"],
    ),
    (
        "tests/fixtures/licenses-selector",
        "deps(//app)",
        &["--all-configs"],
    ),
    (
        "tests/fixtures/licenses-selector",
        "//...",
        &["--all-configs"],
    ),
    ("tests/fixtures/licenses-sbom", "deps(//pkgs:app)", &[]),
    (
        "tests/fixtures/licenses-sbom",
        "deps(//pkgs:app)",
        &["--select", "tier=pro"],
    ),
    (
        "tests/fixtures/licenses-sbom",
        "deps(//pkgs:app)",
        &["--all-configs"],
    ),
];

fn sbom(dir: &Path, expr: &str, format: &str, extra: &[&str]) -> Json {
    let mut args = vec!["sbom", expr, "--format", format];
    args.extend_from_slice(extra);
    let (code, out) = run(dir, &args);
    assert_eq!(code, 0, "sel {args:?}");
    serde_json::from_str(&out).expect("JSON")
}

#[test]
fn sbom_documents_validate_against_the_official_schemas() {
    let cdx = validator("bom-1.6.SNAPSHOT.schema.json");
    let spdx = validator("spdx-2.3.schema.json");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (dir, expr, extra) in SBOM_CASES {
        let dir = root.join(dir);
        assert_valid(
            &cdx,
            &sbom(&dir, expr, "cyclonedx", extra),
            &format!("CycloneDX {expr} {extra:?}"),
        );
        let doc = sbom(&dir, expr, "spdx", extra);
        assert_valid(&spdx, &doc, &format!("SPDX {expr} {extra:?}"));
        spdx_references_resolve(&doc);
    }
}

/// What the SPDX 2.3 specification requires beyond its JSON schema: element
/// ids of the form `SPDXRef-[A-Za-z0-9.-]+`, unique, and relationships
/// between elements of the document; every `LicenseRef-` defined.
fn spdx_references_resolve(doc: &Json) {
    let id_ok = |id: &str| {
        id.strip_prefix("SPDXRef-").is_some_and(|r| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    };
    let mut ids = BTreeSet::new();
    for p in doc["packages"].as_array().unwrap() {
        let id = p["SPDXID"].as_str().unwrap();
        assert!(id_ok(id), "bad SPDXID {id}");
        assert!(ids.insert(id.to_string()), "SPDXID {id} twice");
    }
    ids.insert("SPDXRef-DOCUMENT".to_string());
    for r in doc["relationships"].as_array().unwrap() {
        for end in ["spdxElementId", "relatedSpdxElement"] {
            assert!(ids.contains(r[end].as_str().unwrap()), "dangling {r}");
        }
    }
    let defined: BTreeSet<&str> = doc["hasExtractedLicensingInfos"]
        .as_array()
        .map(|a| a.iter().map(|l| l["licenseId"].as_str().unwrap()).collect())
        .unwrap_or_default();
    for p in doc["packages"].as_array().unwrap() {
        let declared = p["licenseDeclared"].as_str().unwrap();
        for word in declared.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            if word.starts_with("LicenseRef-") {
                assert!(defined.contains(word), "{word} is not defined");
            }
        }
    }
}

#[test]
fn schemas_reject_what_they_should() {
    // The validators are not vacuous: a document missing required fields fails.
    let cdx = validator("bom-1.6.SNAPSHOT.schema.json");
    let mut doc = sbom(&spam(), "deps(//spam)", "cyclonedx", &[]);
    assert!(cdx.is_valid(&doc));
    doc["components"][0]["licenses"] = serde_json::json!([{"license": {"id": "Not-A-License"}}]);
    assert!(!cdx.is_valid(&doc));
    let spdx = validator("spdx-2.3.schema.json");
    let mut doc = sbom(&spam(), "deps(//spam)", "spdx", &[]);
    assert!(spdx.is_valid(&doc));
    doc["packages"][0]
        .as_object_mut()
        .unwrap()
        .remove("downloadLocation");
    assert!(!spdx.is_valid(&doc));
}

#[test]
fn cyclonedx_license_ids_are_the_schemas() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/spdx.SNAPSHOT.schema.json");
    let schema: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let want: Vec<&str> = schema["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let got: Vec<&str> = sel::sbom::cyclonedx::LICENSE_IDS.lines().collect();
    assert_eq!(
        got, want,
        "regenerate src/sbom/cyclonedx_license_ids.txt from the vendored schema"
    );
}

/// The package labels of a configured result, by cquery's JSON.
fn cquery_packages(dir: &Path, expr: &str, extra: &[&str]) -> BTreeSet<String> {
    let mut args = vec!["cquery", expr, "--output", "json"];
    args.extend_from_slice(extra);
    let doc = json_of(dir, &args);
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "package")
        .map(|t| t["label"].as_str().unwrap().to_string())
        .collect()
}

fn cdx_labels(doc: &Json) -> BTreeSet<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["properties"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "sel:label")
                .unwrap()["value"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn sbom_components_are_the_cquery_result() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (dir, expr, extra) in SBOM_CASES {
        if extra.contains(&"--all-configs") {
            continue;
        }
        let dir = root.join(dir);
        let want = cquery_packages(&dir, expr, extra);
        let cdx = sbom(&dir, expr, "cyclonedx", extra);
        assert_eq!(cdx_labels(&cdx), want, "{expr} {extra:?}");
        let spdx = sbom(&dir, expr, "spdx", extra);
        let got: BTreeSet<String> = spdx["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p["comment"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("sel label ")
                    .to_string()
            })
            .collect();
        assert_eq!(got, want, "{expr} {extra:?}");
        // Every dependency edge is a configured edge (aliases followed).
        for d in cdx["dependencies"].as_array().unwrap() {
            for on in d["dependsOn"].as_array().unwrap() {
                assert!(want.contains(on.as_str().unwrap()));
            }
        }
    }
}

#[test]
fn sbom_all_configs_marks_conditional_components() {
    let doc = sbom(&spam(), "deps(//spam)", "cyclonedx", &["--all-configs"]);
    let all = json_of(
        &spam(),
        &[
            "cquery",
            "deps(//spam)",
            "--all-configs",
            "--output",
            "json",
        ],
    );
    let want: BTreeSet<String> = all["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap().to_string())
        .filter(|l| l != "//spam:accel")
        .collect();
    assert_eq!(cdx_labels(&doc), want);
    for c in doc["components"].as_array().unwrap() {
        let props = c["properties"].as_array().unwrap();
        let when = props.iter().find(|p| p["name"] == "sel:when").unwrap()["value"].clone();
        if when == "always" {
            assert!(c.get("scope").is_none(), "{c}");
        } else {
            assert_eq!(c["scope"], "optional", "{c}");
        }
        if c["name"] == "fftw" {
            assert_eq!(when, "license = copyleft");
        }
    }
    // spam -> spam-cpu through the alias :accel.
    let spam = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "//spam:spam")
        .unwrap();
    let on: Vec<&str> = spam["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        on.contains(&"//spam:spam-cpu") && on.contains(&"//spam:spam-cu12-avx2"),
        "{on:?}"
    );
}

#[test]
fn sbom_is_deterministic_and_dated_by_source_date_epoch() {
    let a = run(&spam(), &["sbom", "deps(//spam)", "--all-configs"]).1;
    let b = run(&spam(), &["sbom", "deps(//spam)", "--all-configs"]).1;
    assert_eq!(a, b);
    let doc: Json = serde_json::from_str(&a).unwrap();
    assert!(doc["metadata"].get("timestamp").is_none());
    let out = sel_command(&spam(), &["sbom", "deps(//spam)", "--format", "spdx"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    let doc: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    let out = sel_command(&spam(), &["sbom", "deps(//spam)"])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sbom_purls_written_and_derived() {
    let dir = fixtures().join(SELECTOR);
    let doc = sbom(&dir, "deps(//app)", "cyclonedx", &["--all-configs"]);
    let purl = |name: &str| -> Json {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["purl"].clone())
            .unwrap_or(Json::Null)
    };
    assert_eq!(purl("fftw"), "pkg:generic/fftw@3.3.10");
    assert_eq!(purl("kissfft"), "pkg:github/mborgerding/kissfft@131.1.0");
    assert_eq!(purl("dual"), "pkg:pypi/dual-lib@2.0");
    assert_eq!(purl("mixed"), Json::Null);
}

// ---------------------------------------------------------------------------
// The property: --all-configs agrees with every single configuration.

const LICENSES: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "GPL-3.0-only",
    "MIT OR GPL-3.0-only",
    "MIT AND GPL-3.0-only",
    "",
    "BSD-3-Clause",
    "GPL-2.0-or-later WITH Classpath-exception-2.0",
];

#[derive(Debug, Clone)]
enum License {
    Plain(usize),
    Select(Vec<(usize, usize)>, Option<usize>),
}

#[derive(Debug, Clone)]
struct Pkg {
    deps: Vec<usize>,
    select: Vec<(usize, Vec<usize>)>,
    default: Option<Vec<usize>>,
    license: License,
    tcw: Option<usize>,
}

#[derive(Debug, Clone)]
struct Ws {
    selectors: Vec<usize>,
    /// Conditions: (selector, value) pairs, AND-ed.
    conditions: Vec<Vec<(usize, usize)>>,
    packages: Vec<Pkg>,
    unknown_allowed: bool,
}

fn ws() -> impl Strategy<Value = Ws> {
    (prop::collection::vec(2usize..4, 1..4), any::<bool>()).prop_flat_map(
        |(selectors, unknown_allowed)| {
            let n_sel = selectors.len();
            let sels = selectors.clone();
            let pair = (0..n_sel, 0usize..3).prop_map(move |(s, v)| (s, v % sels[s]));
            let conditions = prop::collection::vec(prop::collection::vec(pair, 1..3), 1..5);
            (Just(selectors), conditions, Just(unknown_allowed)).prop_flat_map(
                |(selectors, conditions, unknown_allowed)| {
                    let n_cond = conditions.len();
                    let n_pkg = 7usize;
                    let targets = prop::collection::vec(0usize..n_pkg, 0..3);
                    let license = prop_oneof![
                        (0..LICENSES.len()).prop_map(License::Plain),
                        (
                            prop::collection::vec((0..n_cond, 0..LICENSES.len()), 1..3),
                            prop::option::of(0..LICENSES.len())
                        )
                            .prop_map(|(b, d)| License::Select(b, d)),
                    ];
                    let pkg = (
                        targets.clone(),
                        prop::collection::vec((0..n_cond, targets.clone()), 0..3),
                        prop::option::of(targets),
                        license,
                        prop::option::weighted(0.2, 0..n_cond),
                    )
                        .prop_map(|(deps, select, default, license, tcw)| Pkg {
                            deps,
                            select,
                            default,
                            license,
                            tcw,
                        });
                    (
                        Just(selectors),
                        Just(conditions),
                        prop::collection::vec(pkg, n_pkg),
                        Just(unknown_allowed),
                    )
                        .prop_map(
                            |(selectors, conditions, packages, unknown_allowed)| Ws {
                                selectors,
                                conditions,
                                packages,
                                unknown_allowed,
                            },
                        )
                },
            )
        },
    )
}

fn dep_list(from: usize, targets: &[usize]) -> String {
    let mut v: Vec<String> = targets
        .iter()
        .filter(|t| **t > from)
        .map(|t| format!("\":p{t}\""))
        .collect();
    v.sort();
    v.dedup();
    format!("[{}]", v.join(", "))
}

fn write_ws(ws: &Ws, dir: &Path) {
    std::fs::create_dir_all(dir.join("flags")).unwrap();
    std::fs::create_dir_all(dir.join("pkgs")).unwrap();
    let unknown = if ws.unknown_allowed { "allow" } else { "deny" };
    std::fs::write(
        dir.join("sel.toml"),
        format!(
            "[licenses]\nallow = [\"MIT\", \"Apache-2.0\", \"GPL-2.0-or-later WITH Classpath-exception-2.0\"]\n\
             deny = [\"GPL-3.0-only\"]\nunknown = \"{unknown}\"\n\
             exceptions = [{{ package = \"//pkgs:p6\", allow = [\"GPL-3.0-only\"] }}]\n"
        ),
    )
    .unwrap();
    let mut flags = String::new();
    for (i, n) in ws.selectors.iter().enumerate() {
        let values: Vec<String> = (0..*n).map(|v| format!("\"v{v}\"")).collect();
        let _ = writeln!(
            flags,
            "selector(name = \"s{i}\", values = [{}], default = \"v0\")",
            values.join(", ")
        );
    }
    for (i, pairs) in ws.conditions.iter().enumerate() {
        let mut used = Vec::new();
        let mut fv = Vec::new();
        for (s, v) in pairs {
            if !used.contains(s) {
                used.push(*s);
                fv.push(format!("\":s{s}\": \"v{v}\""));
            }
        }
        let _ = writeln!(
            flags,
            "config_setting(name = \"c{i}\", flag_values = {{{}}})",
            fv.join(", ")
        );
    }
    std::fs::write(dir.join("flags/BUILD"), flags).unwrap();
    let mut pkgs = String::new();
    for (i, p) in ws.packages.iter().enumerate() {
        let mut deps = dep_list(i, &p.deps);
        if !p.select.is_empty() || p.default.is_some() {
            let mut seen = Vec::new();
            let mut parts = Vec::new();
            for (c, t) in &p.select {
                if !seen.contains(c) {
                    seen.push(*c);
                    parts.push(format!("\"//flags:c{c}\": {}", dep_list(i, t)));
                }
            }
            if let Some(d) = &p.default {
                parts.push(format!("\"//conditions:default\": {}", dep_list(i, d)));
            }
            let _ = write!(deps, " + select({{{}}})", parts.join(", "));
        }
        let license = match &p.license {
            License::Plain(l) => format!("\"{}\"", LICENSES[*l]),
            License::Select(branches, default) => {
                let mut seen = Vec::new();
                let mut parts = Vec::new();
                for (c, l) in branches {
                    if !seen.contains(c) {
                        seen.push(*c);
                        parts.push(format!("\"//flags:c{c}\": \"{}\"", LICENSES[*l]));
                    }
                }
                if let Some(d) = default {
                    parts.push(format!("\"//conditions:default\": \"{}\"", LICENSES[*d]));
                }
                format!("select({{{}}})", parts.join(", "))
            }
        };
        let tcw = p
            .tcw
            .map(|c| format!(", target_compatible_with = [\"//flags:c{c}\"]"))
            .unwrap_or_default();
        let _ = writeln!(
            pkgs,
            "package(name = \"p{i}\", version = \"{i}\", license = {license}, deps = {deps}{tcw})"
        );
    }
    let _ = writeln!(
        pkgs,
        "alias(name = \"a\", actual = select({{\"//flags:c0\": \":p1\", \"//conditions:default\": \":p2\"}}))"
    );
    let _ = writeln!(
        pkgs,
        "package(name = \"top\", license = \"MIT\", deps = [\":a\", \":p0\"])"
    );
    std::fs::write(dir.join("pkgs/BUILD"), pkgs).unwrap();
}

fn points(ws: &Ws) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for n in &ws.selectors {
        out = out
            .into_iter()
            .flat_map(|c| {
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

const PROPERTY_QUERIES: &[&str] = &[
    "deps(//pkgs:top)",
    "deps(//pkgs:p0)",
    "//pkgs:all",
    "deps(//pkgs:a)",
];

fn agree(ws: &Ws) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    write_ws(ws, dir.path());
    let session =
        Session::open(dir.path()).map_err(|e| TestCaseError::fail(format!("load: {e:?}")))?;
    for q in PROPERTY_QUERIES {
        let all = session
            .licenses_all(q, &Request::default(), true)
            .map_err(|e| TestCaseError::fail(format!("{q}: {e:?}")))?;
        let sbom_all = session
            .sbom_all(q, &Request::default())
            .map_err(|e| TestCaseError::fail(format!("{q}: {e:?}")))?;
        let alg = all.algebra.as_ref().unwrap();
        let salg = sbom_all.algebra.as_ref().unwrap();
        let failing = alg.or_all(all.failures.iter().map(|f| f.when));
        for point in points(ws) {
            // The point in the algebra's selector order.
            let mut at = vec![0; alg.space().selectors().len()];
            for (i, v) in point.iter().enumerate() {
                let s = alg.space().index_of(&format!("//flags:s{i}")).unwrap();
                at[s] = *v;
            }
            let request = Request {
                selects: point
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("s{i}=v{v}"))
                    .collect(),
                ..Default::default()
            };
            let one = session.licenses(q, &request, true);
            prop_assert_eq!(
                one.is_err(),
                alg.eval(failing, &at),
                "{} at {:?}: single fails {:?}; all-configs failing there {}",
                q,
                point,
                one.as_ref().err().map(|e| e.message.clone()),
                alg.eval(failing, &at)
            );
            let Ok(one) = one else { continue };
            let single: BTreeSet<(String, String)> = one
                .violations
                .as_ref()
                .unwrap()
                .iter()
                .map(|v| (v.label.to_string(), v.license.clone()))
                .collect();
            let there: BTreeSet<(String, String)> = all
                .violations
                .as_ref()
                .unwrap()
                .iter()
                .filter(|v| alg.eval(v.when.unwrap(), &at))
                .map(|v| (v.label.to_string(), v.license.clone()))
                .collect();
            prop_assert_eq!(&single, &there, "{} violations at {:?}", q, point);
            let listed: BTreeSet<(String, String, String)> = one
                .entries
                .iter()
                .map(|e| (e.label.to_string(), e.license.clone(), e.version.clone()))
                .collect();
            let listed_all: BTreeSet<(String, String, String)> = all
                .entries
                .iter()
                .filter(|e| alg.eval(e.when.unwrap(), &at))
                .map(|e| (e.label.to_string(), e.license.clone(), e.version.clone()))
                .collect();
            prop_assert_eq!(&listed, &listed_all, "{} entries at {:?}", q, point);
            // Each violation's path exists at some configuration of its condition.
            for v in all.violations.as_ref().unwrap() {
                prop_assert_eq!(v.path.last(), Some(&v.label));
                prop_assert!(alg.implies(v.path_when.unwrap(), v.when.unwrap()));
            }
            // SBOMs: one configuration's components, and the all-configs
            // components present there, are the same packages.
            let sbom = session.sbom(q, &request).unwrap();
            let comps: BTreeSet<String> = sbom
                .components
                .iter()
                .map(|c| c.label.to_string())
                .collect();
            let comps_all: BTreeSet<String> = sbom_all
                .components
                .iter()
                .filter(|c| salg.eval(c.when.unwrap(), &at))
                .map(|c| c.label.to_string())
                .collect();
            let pkgs: BTreeSet<String> = one.entries.iter().map(|e| e.label.to_string()).collect();
            prop_assert_eq!(&comps, &pkgs, "{} sbom at {:?}", q, point);
            prop_assert_eq!(&comps_all, &pkgs, "{} sbom --all-configs at {:?}", q, point);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn all_configs_check_agrees_with_every_configuration(ws in ws()) {
        agree(&ws)?;
    }
}
