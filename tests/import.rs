//! `sel import` of real lock files, judged by uv and PyPA's `packaging`.
//!
//! The fixtures (tests/fixtures/import-*) are locks uv made for real projects:
//! a GPU stack (torch, with nvidia-* packages behind `sys_platform` and
//! `platform_machine` markers and three forks by Python version), a
//! scientific stack (Windows, emscripten and PyPy markers, Python-version
//! forks), a web stack (patch-level Python markers such as `> '3.9'`, extras
//! of dependencies), and uv's PEP 751 export of the web stack. Their wheel and
//! sdist lists are stripped and their hosts are `index.invalid`
//! (`tests/import_helper.py strip`).
//!
//! The expected answers are not computed by sel: `tests/import_helper.py
//! regen` ran `uv export` on each lock and evaluated every exported marker
//! with `packaging` in 4 platforms x every supported Python (3.Y.0, 3.Y.1 and
//! 3.Y.20 of each minor version up to 3.16), with uv's default groups and with
//! every extra and group. The results are committed (expected.json), so
//! [`every_environment_matches_uv`] needs no Python. The equivalence tests of
//! markers run the helper with python3 and `packaging` when they are installed,
//! and say they are skipped otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

use sel::python::marker::PyVersion;
use sel::target_graph::{Rule, Value as AttrValue};
use sel::{ErrorKind, Request, Session};

const FIXTURES: &[&str] = &[
    "import-gpu",
    "import-sci",
    "import-web",
    "import-pylock",
    "import-conflicts",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn lockfile(name: &str) -> PathBuf {
    let dir = fixture(name);
    if dir.join("uv.lock").exists() {
        dir.join("uv.lock")
    } else {
        dir.join("pylock.toml")
    }
}

/// Imports a fixture into a fresh directory and loads it.
fn imported(name: &str) -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().unwrap();
    sel::python::import(&lockfile(name), dir.path()).unwrap();
    let session = Session::open(dir.path()).unwrap();
    (dir, session)
}

fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name).join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The value of the Python selector that stands for `version`: the last one not above it.
fn python_value(session: &Session, version: &str) -> String {
    let label = sel::Label::parse("//markers:python_full_version").unwrap();
    let Some(selector) = session.graph.target(&label).unwrap().rule.selector() else {
        panic!("not a selector")
    };
    let values = &selector.values;
    let v = PyVersion::parse(version).unwrap().0;
    values
        .iter()
        .rev()
        .find(|name| PyVersion::parse(name).unwrap().0 <= v)
        .unwrap_or_else(|| panic!("no value for {version} in {values:?}"))
        .clone()
}

/// `name==version` of every distribution in a configured result.
fn requirements(result: &sel::QueryResult) -> Vec<String> {
    let mut out: Vec<String> = result
        .configured
        .iter()
        .filter(|t| t.kind == "package")
        .filter_map(|t| match t.attrs.get("purl") {
            Some(AttrValue::Str(purl)) if t.label.package() == "pypi" => {
                let (name, version) = purl
                    .strip_prefix("pkg:pypi/")
                    .unwrap()
                    .split_once('@')
                    .unwrap();
                Some(format!("{name}=={version}"))
            }
            _ => None,
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_environment_matches_uv() {
    let mut environments = 0;
    let mut packages = std::collections::BTreeSet::new();
    for name in FIXTURES {
        let (_dir, session) = imported(name);
        let expected = expected(name);
        for (variant, v) in expected["variants"].as_object().unwrap() {
            let selects: Vec<String> = v["select"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            let sets = v["sets"].as_array().unwrap();
            for env in v["environments"].as_array().unwrap() {
                let platform = env["platform"].as_str().unwrap();
                let python = env["python"].as_str().unwrap();
                let mut selects = selects.clone();
                selects.push(format!(
                    "python_full_version={}",
                    python_value(&session, python)
                ));
                let request = Request {
                    selects,
                    platform: Some(format!("//platforms:{platform}")),
                    ..Default::default()
                };
                let result = session.cquery("deps(//:root)", &request).unwrap();
                let got = requirements(&result);
                let want: Vec<String> = sets[env["set"].as_u64().unwrap() as usize]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(
                    got, want,
                    "{name} ({variant}): {platform}, Python {python}: sel (left) and uv + packaging (right) disagree"
                );
                environments += 1;
                packages.extend(got);
            }
        }
    }
    // 4 fixtures, 4 platforms, every Python from 3.9 or 3.10 to 3.16 at three patch levels.
    assert!(
        environments >= 4 * 4 * 7 * 3,
        "only {environments} environments"
    );
    eprintln!(
        "compared {environments} environments, {} distinct name==version",
        packages.len()
    );
}

/// Whether `python3 -c 'import packaging'` works.
fn have_packaging() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import packaging.markers"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: python3 with `packaging` is not installed (pip install packaging)");
    }
    ok
}

fn helper(args: &[&Path]) -> (bool, String) {
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import_helper.py"))
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// The variants of a fixture: (name, the export they are judged against, the --select list).
fn variants(name: &str) -> Vec<(String, PathBuf, Vec<String>)> {
    let expected = expected(name);
    expected["variants"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(variant, v)| {
            let selects = v["select"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            (
                variant.clone(),
                fixture(name).join(v["export"].as_str().unwrap()),
                selects,
            )
        })
        .collect()
}

/// For a pylock fixture, its packages' markers in requirements form.
fn pylock_requirements(path: &Path) -> String {
    let lock: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = String::new();
    for p in lock["packages"].as_array().unwrap() {
        let p = p.as_table().unwrap();
        out.push_str(&format!(
            "{}=={}",
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap()
        ));
        if let Some(m) = p.get("marker") {
            out.push_str(&format!(" ; {}", m.as_str().unwrap()));
        }
        out.push('\n');
    }
    out
}

fn reference_export(export: &Path, dir: &Path) -> PathBuf {
    if export.extension().is_some_and(|e| e == "toml") {
        let path = dir.join("pylock-requirements.txt");
        std::fs::write(&path, pylock_requirements(export)).unwrap();
        path
    } else {
        export.to_path_buf()
    }
}

#[test]
fn all_configs_conditions_are_uv_markers() {
    if !have_packaging() {
        return;
    }
    for name in FIXTURES {
        let (dir, session) = imported(name);
        for (variant, export, selects) in variants(name) {
            let request = Request {
                selects,
                ..Default::default()
            };
            let result = session.cquery_all("deps(//:root)", &request).unwrap();
            assert!(
                result.failures.is_empty(),
                "{name}: evaluation fails somewhere"
            );
            let alg = &result.algebra;
            let mut selectors = serde_json::Map::new();
            for dim in alg.space().selectors() {
                let label = sel::Label::parse(&dim.label).unwrap();
                let target = session.graph.target(&label).unwrap();
                let tag = |prefix: &str| {
                    target
                        .tags()
                        .iter()
                        .find_map(|t| t.strip_prefix(prefix).map(str::to_string))
                };
                selectors.insert(
                    dim.label.clone(),
                    json!({
                        "meaning": tag("pep508:"),
                        "values": dim.values,
                        "other": tag("pep508-other:"),
                    }),
                );
            }
            let mut packages = serde_json::Map::new();
            for (label, when) in &result.targets {
                if label.package() != "pypi" {
                    continue;
                }
                let target = session.graph.target(label).unwrap();
                let Rule::Package { attrs } = &target.rule else {
                    continue;
                };
                let purl = attrs.get("purl").unwrap().all_values()[0]
                    .as_str()
                    .unwrap()
                    .to_string();
                let (n, v) = purl
                    .strip_prefix("pkg:pypi/")
                    .unwrap()
                    .split_once('@')
                    .unwrap();
                packages.insert(format!("{n}=={v}"), alg.to_json(*when));
            }
            let reference = reference_export(&export, dir.path());
            let doc = json!({
                "requires-python": expected(name)["requires-python"],
                "selectors": selectors,
                "packages": packages,
                "export": reference,
            });
            let path = dir.path().join(format!("conditions-{variant}.json"));
            std::fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
            let (ok, text) = helper(&[Path::new("conditions"), &path]);
            assert!(
                ok,
                "{name} ({variant}): --all-configs conditions differ from uv's markers:\n{text}"
            );
        }
    }
}

fn sel(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("sel")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn export_requirements_round_trip() {
    let python = have_packaging();
    for name in FIXTURES {
        let dir = tempfile::tempdir().unwrap();
        let lock = lockfile(name);
        let out = sel(
            dir.path(),
            &["import", lock.to_str().unwrap(), "--out", "ws"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ws = dir.path().join("ws");
        for (variant, export, selects) in variants(name) {
            let mut args = vec!["export", "requirements", "deps(//:root)", "--all-configs"];
            // By default, extras and groups are at their defaults, as in `uv export`.
            if variant != "default" {
                for s in &selects {
                    args.extend(["--select", s]);
                }
            }
            let out = sel(&ws, &args);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(text.starts_with("# This file was autogenerated by sel"));
            let ours = dir.path().join(format!("sel-export-{variant}.txt"));
            std::fs::write(&ours, &text).unwrap();
            if python {
                let reference = reference_export(&export, dir.path());
                let requires = expected(name)["requires-python"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let (ok, diff) = helper(&[
                    Path::new("markers"),
                    &ours,
                    &reference,
                    Path::new(&requires),
                ]);
                assert!(
                    ok,
                    "{name} ({variant}): sel export requirements differs from uv's export:\n{diff}"
                );
            }
        }
    }
}

#[test]
fn export_requirements_of_one_environment() {
    let (dir, _session) = imported("import-gpu");
    let out = sel(
        dir.path(),
        &[
            "export",
            "requirements",
            "deps(//:root)",
            "--platform",
            "//platforms:linux-x86_64",
            "--select",
            "python_full_version=3.12",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(lines.contains(&"torch==2.15.0"), "{text}");
    assert!(lines.contains(&"nvidia-cublas==13.4.1.3"), "{text}");
    assert!(!lines.contains(&"colorama==0.4.6"), "{text}");
    assert!(lines.iter().all(|l| !l.contains(';')), "{text}");
    // The same set as cquery, which every_environment_matches_uv checks against uv.
    let expected = expected("import-gpu");
    let v = &expected["variants"]["default"];
    let env = v["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["platform"] == "linux-x86_64" && e["python"] == "3.12.0")
        .unwrap();
    let want: Vec<&str> = v["sets"][env["set"].as_u64().unwrap() as usize]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(lines, want);
}

#[test]
fn cli_reads_naturally() {
    let dir = tempfile::tempdir().unwrap();
    let lock = lockfile("import-gpu");
    let out = sel(dir.path(), &["import", lock.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sel(
        dir.path(),
        &[
            "cquery",
            "deps(//:root)",
            "--platform",
            "//platforms:macos-arm64",
            "--select",
            "python_full_version=3.12",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("//pypi:torch@2.15.0\n"), "{text}");
    assert!(!text.contains("nvidia"), "{text}");
    // Importing again overwrites what sel import wrote...
    let out = sel(dir.path(), &["import", lock.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ... but nothing else.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("BUILD"), "package(name = \"mine\")\n").unwrap();
    let out = sel(
        other.path(),
        &["import", lock.to_str().unwrap(), "--out", "."],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sel::import") && err.contains("not written by `sel import`"),
        "{err}"
    );
}

fn import_text(name: &str, text: &str) -> sel::Result<Session> {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join(name);
    std::fs::write(&lock, text).unwrap();
    let out = dir.path().join("ws");
    sel::python::import(&lock, &out)?;
    let session = Session::open(&out)?;
    std::mem::forget(dir);
    Ok(session)
}

fn labels(session: &Session, selects: &[&str]) -> Vec<String> {
    let request = Request {
        selects: selects.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    session.cquery("deps(//:root)", &request).unwrap().labels()
}

#[test]
fn pylock_extras_and_groups_are_switches() {
    let session = import_text(
        "pylock.toml",
        r#"
lock-version = "1.0"
requires-python = ">=3.11"
extras = ["cuda"]
dependency-groups = ["dev", "docs"]
default-groups = ["dev"]
created-by = "hand"

[[packages]]
name = "numpy"
version = "2.1.0"

[[packages]]
name = "cupy"
version = "13.0.0"
marker = "'cuda' in extras and sys_platform == 'linux'"

[[packages]]
name = "pytest"
version = "8.0.0"
marker = "'dev' in dependency_groups"

[[packages]]
name = "sphinx"
version = "7.0.0"
marker = "'docs' in dependency_groups or python_version >= '3.13'"
"#,
    )
    .unwrap();
    assert_eq!(
        labels(&session, &["sys_platform=linux"]),
        ["//:root", "//pypi:numpy", "//pypi:pytest"]
    );
    assert_eq!(
        labels(&session, &["cuda=on", "sys_platform=linux", "dev=off"]),
        ["//:root", "//pypi:cupy", "//pypi:numpy"]
    );
    assert_eq!(
        labels(
            &session,
            &["cuda=on", "sys_platform=win32", "python_full_version=3.13"]
        ),
        ["//:root", "//pypi:numpy", "//pypi:pytest", "//pypi:sphinx"]
    );
}

#[test]
fn python_version_boundaries_are_values() {
    // `> '3.9'` and `<= '3.9'` split 3.9 at 3.9.1; `python_version` compares X.Y.
    let session = import_text(
        "uv.lock",
        r#"
version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "proj"
version = "1.0"
source = { virtual = "." }
dependencies = [
    { name = "a", marker = "python_full_version > '3.9'" },
    { name = "b", marker = "python_version > '3.9'" },
    { name = "c", marker = "python_version in '3.10 3.12'" },
    { name = "d", marker = "python_full_version ~= '3.11.2'" },
]

[[package]]
name = "a"
version = "1"
source = { registry = "https://index.invalid/simple" }

[[package]]
name = "b"
version = "1"
source = { registry = "https://index.invalid/simple" }

[[package]]
name = "c"
version = "1"
source = { registry = "https://index.invalid/simple" }

[[package]]
name = "d"
version = "1"
source = { registry = "https://index.invalid/simple" }
"#,
    )
    .unwrap();
    let py = |v: &str| {
        labels(&session, &[&format!("python_full_version={v}")])
            .into_iter()
            .filter(|l| l.starts_with("//pypi:"))
            .map(|l| l.trim_start_matches("//pypi:").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(py("3.9"), Vec::<String>::new());
    assert_eq!(py("3.9.1"), ["a"]);
    assert_eq!(py("3.10"), ["a", "b", "c"]);
    assert_eq!(py("3.11"), ["a", "b"]);
    assert_eq!(py("3.11.2"), ["a", "b", "d"]);
    assert_eq!(py("3.12"), ["a", "b", "c"]);
    assert_eq!(py("3.14"), ["a", "b"]);
}

#[test]
fn markers_sel_cannot_write_are_errors_naming_them() {
    let lock = |marker: &str| {
        format!(
            r#"
version = 1
requires-python = ">=3.9"

[[package]]
name = "proj"
version = "1.0"
source = {{ virtual = "." }}
dependencies = [{{ name = "a", marker = "{marker}" }}]

[[package]]
name = "a"
version = "1"
source = {{ registry = "https://index.invalid/simple" }}
"#
        )
    };
    for marker in [
        "platform_release >= '5.0'",
        "'linux' in sys_platform",
        "python_full_version >= '3.13.0rc1'",
        "platform_version == 'x'",
    ] {
        let e = import_text("uv.lock", &lock(marker))
            .err()
            .expect("an error");
        assert_eq!(e.kind, ErrorKind::Import);
        assert!(e.message.contains(marker), "{}", e.message);
        assert!(e.message.contains("`proj 1.0`"), "{}", e.message);
    }
}

#[test]
fn default_groups_come_from_the_lock() {
    let lock = |default_groups: &str| {
        format!(
            r#"
version = 1
requires-python = ">=3.10"

[[package]]
name = "proj"
version = "1.0"
source = {{ virtual = "." }}
{default_groups}

[package.dev-dependencies]
dev = [{{ name = "a" }}]
docs = [{{ name = "b" }}]

[[package]]
name = "a"
version = "1"
source = {{ registry = "https://index.invalid/simple" }}

[[package]]
name = "b"
version = "1"
source = {{ registry = "https://index.invalid/simple" }}
"#
        )
    };
    // uv's default is `dev`; the lock records the project's own choice.
    let session = import_text("uv.lock", &lock("")).unwrap();
    assert_eq!(labels(&session, &[]), ["//:root", "//pypi:a"]);
    let session = import_text("uv.lock", &lock("default-groups = [\"docs\"]")).unwrap();
    assert_eq!(labels(&session, &[]), ["//:root", "//pypi:b"]);
    let session = import_text("uv.lock", &lock("default-groups = \"all\"")).unwrap();
    assert_eq!(labels(&session, &[]), ["//:root", "//pypi:a", "//pypi:b"]);
}

#[test]
fn string_in_is_a_substring_test() {
    let text = r#"
lock-version = "1.0"
requires-python = ">=3.10"
created-by = "hand"

[[packages]]
name = "a"
version = "1"
marker = "sys_platform in 'linux darwin'"

[[packages]]
name = "b"
version = "1"
marker = "sys_platform not in 'linux darwin' and platform_machine in 'x86_64 AMD64'"

[[packages]]
name = "c"
version = "1"
marker = "sys_platform in 'linux cygwin' or sys_platform == 'lin'"
"#;
    let session = import_text("pylock.toml", text).unwrap();
    let pkgs = |selects: &[&str]| {
        labels(&session, selects)
            .into_iter()
            .filter_map(|l| l.strip_prefix("//pypi:").map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(pkgs(&["sys_platform=linux"]), ["a", "c"]);
    assert_eq!(pkgs(&["sys_platform=darwin"]), ["a"]);
    assert_eq!(
        pkgs(&["sys_platform=win32", "platform_machine=AMD64"]),
        ["b"]
    );
    assert_eq!(pkgs(&["sys_platform=lin"]), ["a", "c"]);
    // Unnamed fragments: of both lists (`li`), of one (`darw`), of none.
    assert_eq!(
        pkgs(&["sys_platform=other in 'linux darwin' and 'linux cygwin'"]),
        ["a", "c"]
    );
    assert_eq!(
        pkgs(&["sys_platform=other in 'linux darwin', not in 'linux cygwin'"]),
        ["a"]
    );
    assert_eq!(
        pkgs(&["sys_platform=other", "platform_machine=x86_64"]),
        ["b"]
    );
    // Round trip: the exported markers are the lock's (decided by `packaging`).
    if have_packaging() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("pylock.toml");
        std::fs::write(&lock, text).unwrap();
        sel::python::import(&lock, &dir.path().join("ws")).unwrap();
        let out = sel(
            &dir.path().join("ws"),
            &["export", "requirements", "deps(//:root)", "--all-configs"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours = dir.path().join("sel.txt");
        std::fs::write(&ours, &out.stdout).unwrap();
        let reference = reference_export(&lock, dir.path());
        let (ok, diff) = helper(&[Path::new("markers"), &ours, &reference, Path::new(">=3.10")]);
        assert!(ok, "{diff}\n{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn workspace_members_export_as_uv_does() {
    // A uv workspace: the project `app` at `.`, the member `lib` in packages/lib.
    let session_dir = tempfile::tempdir().unwrap();
    let lock = session_dir.path().join("uv.lock");
    std::fs::write(&lock, WORKSPACE_LOCK).unwrap();
    sel::python::import(&lock, &session_dir.path().join("ws")).unwrap();
    let out = sel(
        &session_dir.path().join("ws"),
        &["export", "requirements", "deps(//:root)", "--all-configs"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    // `uv export --no-hashes --no-header --no-annotate` of the same lock.
    assert_eq!(
        body,
        [
            "-e .",
            "-e ./packages/lib",
            "colorama==0.4.6 ; sys_platform == 'win32'",
            "markdown-it-py==4.3.0",
            "mdurl==0.1.2",
            "pygments==2.21.0",
            "rich==15.0.0",
            "tomli==2.5.0 ; python_full_version < '3.11'",
        ]
    );
}

const WORKSPACE_LOCK: &str = r#"version = 1
revision = 5
requires-python = ">=3.10"

[manifest]
members = [
    "app",
    "lib",
]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "lib" },
    { name = "rich" },
]


[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://index.invalid/simple" }

[[package]]
name = "lib"
version = "0.2.0"
source = { editable = "packages/lib" }
dependencies = [
    { name = "colorama", marker = "sys_platform == 'win32'" },
    { name = "tomli", marker = "python_full_version < '3.11'" },
]


[[package]]
name = "markdown-it-py"
version = "4.3.0"
source = { registry = "https://index.invalid/simple" }
dependencies = [
    { name = "mdurl" },
]

[[package]]
name = "mdurl"
version = "0.1.2"
source = { registry = "https://index.invalid/simple" }

[[package]]
name = "pygments"
version = "2.21.0"
source = { registry = "https://index.invalid/simple" }

[[package]]
name = "rich"
version = "15.0.0"
source = { registry = "https://index.invalid/simple" }
dependencies = [
    { name = "markdown-it-py" },
    { name = "pygments" },
]

[[package]]
name = "tomli"
version = "2.5.0"
source = { registry = "https://index.invalid/simple" }
"#;

#[test]
fn imported_workspaces_pass_sel_check() {
    // No select that cannot resolve, no branch never taken: markers that hold for
    // every supported Python are plain deps, those that hold for none are dropped.
    for name in FIXTURES {
        let dir = tempfile::tempdir().unwrap();
        sel::python::import(&lockfile(name), dir.path()).unwrap();
        let out = sel(dir.path(), &["check"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {text}");
        assert!(text.contains("0 error(s), 0 warning(s)"), "{name}: {text}");
    }
}

// ---------------------------------------------------------------------------
// Hostile and huge locks (issue 16): a clear `sel::import` error or a right
// answer, never a crash, a runaway or a workspace that does not load. These run
// the binary, whose main thread has the default 8 MB stack.

/// A uv.lock: the project `proj` (depending on `project_deps`), then `packages`.
fn uv_lock(project_deps: &str, packages: &str) -> String {
    format!(
        "version = 1\nrequires-python = \">=3.10\"\n\n[[package]]\nname = \"proj\"\nversion = \"1.0\"\nsource = {{ virtual = \".\" }}\ndependencies = [{project_deps}]\n\n{packages}"
    )
}

/// A registry package of a uv.lock.
fn uv_package(name: &str, version: &str, rest: &str) -> String {
    format!(
        "[[package]]\nname = {}\nversion = {}\nsource = {{ registry = \"https://index.invalid/simple\" }}\n{rest}\n",
        toml_str(name),
        toml_str(version)
    )
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// `sel import` of `text` (written as `file_name`) into `ws`, in a fresh directory.
fn import_cli(file_name: &str, text: &str) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file_name), text).unwrap();
    let out = sel(dir.path(), &["import", file_name, "--out", "ws"]);
    (dir, out)
}

/// Asserts a failed import: exit 1, `sel::import`, the message naming each of
/// `names`, and no `ws` written.
fn assert_import_error(dir: &Path, out: &std::process::Output, names: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("sel::import"), "{err}");
    for name in names {
        assert!(err.contains(name), "`{name}` not named in: {err}");
    }
    assert!(
        !dir.join("ws").exists(),
        "a failed import wrote {:?}",
        dir.join("ws")
    );
}

fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn deeply_nested_markers_are_an_error_naming_the_entry() {
    let nested = |depth: usize| {
        format!(
            "{}sys_platform == 'linux'{}",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    };
    // uv.lock: 10,000 parentheses.
    let text = uv_lock(
        &format!(
            "{{ name = \"deep\", marker = {} }}",
            toml_str(&nested(10_000))
        ),
        &uv_package("deep", "1", ""),
    );
    let (dir, out) = import_cli("uv.lock", &text);
    assert_import_error(dir.path(), &out, &["`proj 1.0`", "`deep`", "nest"]);
    // pylock.toml: 20,000, alternating `and` / `or` so that the nesting is real.
    let mut marker = "sys_platform == 'linux'".to_string();
    for i in 0..20_000 {
        let op = if i % 2 == 0 { "and" } else { "or" };
        marker = format!("(os_name == 'nt' {op} {marker})");
    }
    let text = format!(
        "lock-version = \"1.0\"\ncreated-by = \"hand\"\n\n[[packages]]\nname = \"deep\"\nversion = \"1\"\nmarker = {}\n",
        toml_str(&marker)
    );
    let (dir, out) = import_cli("pylock.toml", &text);
    assert_import_error(dir.path(), &out, &["package `deep`", "nest"]);
    // Reasonable nesting is read.
    let text = uv_lock(
        &format!("{{ name = \"deep\", marker = {} }}", toml_str(&nested(30))),
        &uv_package("deep", "1", ""),
    );
    let (dir, out) = import_cli("uv.lock", &text);
    assert_success(&out);
    let out = sel(
        &dir.path().join("ws"),
        &["cquery", "deps(//:root)", "--select", "sys_platform=linux"],
    );
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("//pypi:deep\n"));
}

#[test]
fn long_chains_of_extras_are_followed_without_recursion() {
    // The project needs p0[e]; extra `e` of each package needs the next one's.
    let n = 50_000;
    let mut packages = String::new();
    for i in 0..n {
        let rest = if i + 1 < n {
            format!(
                "\n[package.optional-dependencies]\ne = [{{ name = \"p{}\", extra = [\"e\"] }}]\n",
                i + 1
            )
        } else {
            String::new()
        };
        packages.push_str(&uv_package(&format!("p{i}"), "1", &rest));
        packages.push('\n');
    }
    let text = uv_lock("{ name = \"p0\", extra = [\"e\"] }", &packages);
    let (dir, out) = import_cli("uv.lock", &text);
    assert_success(&out);
    let root = std::fs::read_to_string(dir.path().join("ws/BUILD")).unwrap();
    for i in [0, 1, n / 2, n - 1] {
        assert!(
            root.contains(&format!("\"//pypi:p{i}\"")),
            "p{i} not in //:root's deps"
        );
    }
}

#[test]
fn python_values_are_as_many_as_the_versions_markers_name() {
    // A component too large for sel's arithmetic on versions is an error.
    let text = uv_lock(
        "{ name = \"new\", marker = \"python_full_version >= '3.18446744073709551615'\" }",
        &uv_package("new", "1", ""),
    );
    let (dir, out) = import_cli("uv.lock", &text);
    assert_import_error(dir.path(), &out, &["`proj 1.0`", "`new`", "too large"]);
    for version in [
        "3.4294967295",
        "3.1000000",
        "3.4294967296.18446744073709551",
    ] {
        let text = uv_lock(
            &format!("{{ name = \"new\", marker = \"python_full_version >= '{version}'\" }}"),
            &uv_package("new", "1", ""),
        );
        let (dir, out) = import_cli("uv.lock", &text);
        assert_success(&out);
        let ws = dir.path().join("ws");
        let markers = std::fs::read_to_string(ws.join("markers/BUILD")).unwrap();
        assert!(
            markers.len() < 20_000,
            "{version}: markers/BUILD has {} bytes",
            markers.len()
        );
        let session = Session::open(&ws).unwrap();
        let values = session
            .graph
            .target(&sel::Label::parse("//markers:python_full_version").unwrap())
            .unwrap()
            .rule
            .selector()
            .unwrap()
            .values
            .clone();
        assert!(values.len() < 20, "{version}: {values:?}");
        assert!(
            values.contains(&version.to_string()),
            "{version}: {values:?}"
        );
        assert!(
            values.contains(&"3.14".to_string()),
            "{version}: {values:?}"
        );
        assert_eq!(
            labels(&session, &[&format!("python_full_version={version}")]),
            ["//:root", "//pypi:new"]
        );
        assert_eq!(labels(&session, &["python_full_version=3.14"]), ["//:root"]);
        let out = sel(&ws, &["cquery", "deps(//:root)", "--all-configs"]);
        assert_success(&out);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("//pypi:new"), "{text}");
    }
}

#[test]
fn names_that_are_no_label_are_refused_naming_the_entry() {
    for name in [
        "../../evil",
        "a b",
        "a:b",
        ".",
        "-a",
        "a'b",
        "a\"b",
        "a\nb",
        "a/b",
        "a@b",
        "",
        "é",
    ] {
        let text = uv_lock(
            &format!("{{ name = {} }}", toml_str(name)),
            &uv_package(name, "1", ""),
        );
        let (dir, out) = import_cli("uv.lock", &text);
        let shown = name.replace('\n', "\\n");
        assert_import_error(dir.path(), &out, &[&format!("`{shown}`"), "name"]);
        let text = format!(
            "lock-version = \"1.0\"\ncreated-by = \"hand\"\n\n[[packages]]\nname = {}\nversion = \"1\"\n",
            toml_str(name)
        );
        let (dir, out) = import_cli("pylock.toml", &text);
        assert_import_error(dir.path(), &out, &[&format!("`{shown}`"), "name"]);
    }
    // A version that is no part of a label, when the name is locked at several.
    for version in ["1 0", "1/0", "1:0", "1\"0", "1\n0"] {
        let text = uv_lock(
            "{ name = \"a\", version = \"2\" }",
            &(uv_package("a", version, "") + "\n" + &uv_package("a", "2", "")),
        );
        let (dir, out) = import_cli("uv.lock", &text);
        let shown = version.replace('\n', "\\n");
        assert_import_error(dir.path(), &out, &[&format!("`{shown}`"), "version"]);
    }
    // Extras and groups become labels too.
    let text = uv_lock(
        "{ name = \"a\", marker = \"extra == 'x y'\" }",
        &uv_package("a", "1", ""),
    );
    let (dir, out) = import_cli("uv.lock", &text);
    assert_import_error(dir.path(), &out, &["`x y`"]);
}

#[test]
fn generated_labels_never_collide() {
    // `a` 1.0 from two sources is `a@1.0` and `a@1.0-2`; a third `a` locked at
    // the version `1.0-2` (PEP 440: 1.0.post2) must not take the same label.
    let git = |version: &str| {
        format!(
            "[[package]]\nname = \"a\"\nversion = \"{version}\"\nsource = {{ git = \"https://index.invalid/a.git\" }}\n"
        )
    };
    let text = uv_lock(
        "{ name = \"a\", version = \"1.0\", source = { registry = \"https://index.invalid/simple\" } }, \
         { name = \"a\", version = \"1.0\", source = { git = \"https://index.invalid/a.git\" } }, \
         { name = \"a\", version = \"1.0-2\" }",
        &(uv_package("a", "1.0", "") + "\n" + &git("1.0") + "\n" + &uv_package("a", "1.0-2", "")),
    );
    let (dir, out) = import_cli("uv.lock", &text);
    assert_success(&out);
    let session = Session::open(&dir.path().join("ws")).unwrap();
    let got = labels(&session, &[]);
    assert_eq!(got.len(), 4, "{got:?}");
    let check = sel(&dir.path().join("ws"), &["check"]);
    assert_success(&check);
}

#[test]
fn names_are_normalized_as_pep_503_says() {
    // Two spellings of one name are one distribution locked at two versions.
    let text = uv_lock(
        "{ name = \"Foo_Bar\", version = \"1.0\", marker = \"python_full_version < '3.12'\" }, \
         { name = \"foo-bar\", version = \"2.0\", marker = \"python_full_version >= '3.12'\" }, \
         { name = \"Other.Pkg\" }",
        &(uv_package("Foo_Bar", "1.0", "")
            + "\n"
            + &uv_package("foo-bar", "2.0", "")
            + "\n"
            + &uv_package("other-pkg", "3", "")),
    );
    let (dir, out) = import_cli("uv.lock", &text);
    assert_success(&out);
    let session = Session::open(&dir.path().join("ws")).unwrap();
    assert_eq!(
        labels(&session, &["python_full_version=3.11"]),
        ["//:root", "//pypi:foo-bar@1.0", "//pypi:other-pkg"]
    );
    assert_eq!(
        labels(&session, &["python_full_version=3.12"]),
        ["//:root", "//pypi:foo-bar@2.0", "//pypi:other-pkg"]
    );
    let pypi = std::fs::read_to_string(dir.path().join("ws/pypi/BUILD")).unwrap();
    assert!(pypi.contains("\"pkg:pypi/foo-bar@1.0\""), "{pypi}");
    assert!(!pypi.contains("Foo_Bar"), "{pypi}");
    // A dependency that does not say which of them is ambiguous.
    let text = uv_lock(
        "{ name = \"FOO-BAR\" }",
        &(uv_package("Foo_Bar", "1.0", "") + "\n" + &uv_package("foo-bar", "2.0", "")),
    );
    let (dir, out) = import_cli("uv.lock", &text);
    assert_import_error(dir.path(), &out, &["`proj 1.0`", "several"]);
    // Two spellings of one extra of the project are one extra.
    let text = uv_lock(
        "",
        &("[package.optional-dependencies]\nCuda = [{ name = \"a\" }]\ncuda = [{ name = \"b\" }]\n\n".to_string()
            + &uv_package("a", "1", "")
            + "\n"
            + &uv_package("b", "1", "")),
    );
    let (dir, out) = import_cli("uv.lock", &text);
    assert_success(&out);
    let session = Session::open(&dir.path().join("ws")).unwrap();
    assert_eq!(labels(&session, &[]), ["//:root"]);
    assert_eq!(
        labels(&session, &["cuda=on"]),
        ["//:root", "//pypi:a", "//pypi:b"]
    );
    // pylock.toml: the same.
    let text = "lock-version = \"1.0\"\ncreated-by = \"hand\"\n\n[[packages]]\nname = \"Foo_Bar\"\nversion = \"1.0\"\nmarker = \"sys_platform == 'linux'\"\n\n[[packages]]\nname = \"foo.bar\"\nversion = \"2.0\"\nmarker = \"sys_platform != 'linux'\"\n";
    let (dir, out) = import_cli("pylock.toml", text);
    assert_success(&out);
    let session = Session::open(&dir.path().join("ws")).unwrap();
    assert_eq!(
        labels(&session, &["sys_platform=linux"]),
        ["//:root", "//pypi:foo-bar@1.0"]
    );
    assert_eq!(
        labels(&session, &["sys_platform=win32"]),
        ["//:root", "//pypi:foo-bar@2.0"]
    );
}

#[test]
fn a_failed_import_leaves_the_output_as_it_was() {
    let lock = lockfile("import-web");
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    // A user file where the import needs a directory.
    std::fs::create_dir(&ws).unwrap();
    std::fs::write(ws.join("markers"), "mine\n").unwrap();
    let out = sel(
        dir.path(),
        &["import", lock.to_str().unwrap(), "--out", "ws"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sel::import") && err.contains("markers"),
        "{err}"
    );
    let mut left: Vec<String> = std::fs::read_dir(&ws)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    left.sort();
    assert_eq!(left, ["markers"]);
    assert_eq!(
        std::fs::read_to_string(ws.join("markers")).unwrap(),
        "mine\n"
    );
    // Nor is anything left beside it.
    let beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(beside, ["ws"]);

    // Over an earlier import: a user's file in the way keeps every generated file as it was.
    let small = dir.path().join("uv.lock");
    std::fs::write(
        &small,
        uv_lock("{ name = \"a\" }", &uv_package("a", "1", "")),
    )
    .unwrap();
    std::fs::remove_file(ws.join("markers")).unwrap();
    assert_success(&sel(dir.path(), &["import", "uv.lock", "--out", "ws"]));
    let before = std::fs::read_to_string(ws.join("pypi/BUILD")).unwrap();
    assert!(!ws.join("extras").exists());
    std::fs::write(ws.join("extras"), "mine\n").unwrap();
    let out = sel(
        dir.path(),
        &["import", lock.to_str().unwrap(), "--out", "ws"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("pypi/BUILD")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("extras")).unwrap(),
        "mine\n"
    );
}

#[test]
fn many_packages_and_versions_import() {
    // 10,000 packages, each under a Python version and a platform of its own:
    // 10,000 values of each selector, 10,000 markers. Quadratic in them, this
    // took minutes; it takes a second or two in a debug build.
    let n = 10_000;
    let deps: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{ name = \"p{i}\", marker = \"python_full_version >= '3.11.{i}' and sys_platform == 'plat{i}'\" }}"
            )
        })
        .collect();
    let packages: String = (0..n)
        .map(|i| uv_package(&format!("p{i}"), "1", "") + "\n")
        .collect();
    let (dir, out) = import_cli("uv.lock", &uv_lock(&deps.join(", "), &packages));
    assert_success(&out);
    let ws = dir.path().join("ws");
    let pypi = std::fs::read_to_string(ws.join("pypi/BUILD")).unwrap();
    assert_eq!(pypi.matches("package(").count(), n);
    let root = std::fs::read_to_string(ws.join("BUILD")).unwrap();
    // (3.11.0 is written `3.11`.)
    for i in [1, n / 2, n - 1] {
        let cond = format!("\"//markers:python_full_version>=3.11.{i}&sys_platform==plat{i}\": ");
        let line = root.lines().position(|l| l.contains(&cond)).expect(&cond);
        let next: String = root.lines().skip(line).take(3).collect();
        assert!(next.contains(&format!("\"//pypi:p{i}\"")), "{next}");
    }
    let markers = std::fs::read_to_string(ws.join("markers/BUILD")).unwrap();
    assert!(markers.contains(&format!("\"3.11.{}\",", n - 1)));
    assert!(markers.contains(&format!("\"plat{}\",", n - 1)));
}

#[test]
fn long_strings_tested_with_in_are_an_error() {
    // Every fragment of such a string may be a value of its own.
    let haystack: String = (0..5_000)
        .map(|i| (b'a' + (i * 7 % 11) as u8) as char)
        .collect();
    let text = format!(
        "lock-version = \"1.0\"\ncreated-by = \"hand\"\n\n[[packages]]\nname = \"a\"\nversion = \"1\"\nmarker = \"sys_platform in '{haystack}'\"\n"
    );
    let (dir, out) = import_cli("pylock.toml", &text);
    assert_import_error(dir.path(), &out, &["sys_platform in", "5000 characters"]);
}

#[test]
fn any_string_value_makes_a_workspace_that_loads() {
    // Marker values are strings of the lock: quoted in BUILD files, and kept on
    // one line in the comments that show the markers.
    for value in [
        "a\nb",
        "a\rb",
        "x\"y",
        "x'y",
        "",
        "a b",
        "==x",
        "a\\b",
        "//conditions:default",
        "é",
    ] {
        let marker = format!(
            "sys_platform == {} or platform_machine != {}",
            py_str(value),
            py_str(value)
        );
        let text = format!(
            "lock-version = \"1.0\"\ncreated-by = \"hand\"\n\n[[packages]]\nname = \"a\"\nversion = \"1\"\nmarker = {}\n",
            toml_str(&marker)
        );
        let (dir, out) = import_cli("pylock.toml", &text);
        if out.status.success() {
            let session = Session::open(&dir.path().join("ws"))
                .unwrap_or_else(|e| panic!("{value:?}: {}", e.message));
            assert_eq!(
                labels(&session, &["platform_machine=x86_64"]),
                ["//:root", "//pypi:a"],
                "{value:?}"
            );
        } else {
            assert_import_error(dir.path(), &out, &["package `a`"]);
        }
    }
}

/// A PEP 508 string: in single quotes, or double quotes when it holds a single one.
fn py_str(s: &str) -> String {
    if s.contains('\'') {
        format!("\"{s}\"")
    } else {
        format!("'{s}'")
    }
}

#[test]
fn wide_markers_import() {
    // Markers of 20,000 alternatives: quadratic in their parts, these took
    // seconds to minutes to import. (Loading such a workspace is slower: the
    // answers are checked at 2,000.)
    for n in [2_000, 20_000] {
        let strings: Vec<String> = (0..n).map(|i| format!("sys_platform == 'v{i}'")).collect();
        let versions: Vec<String> = (0..n)
            .map(|i| format!("python_full_version == '3.11.{}'", 2 * i + 1))
            .collect();
        let text = format!(
            "lock-version = \"1.0\"\nrequires-python = \">=3.11\"\ncreated-by = \"hand\"\n\n[[packages]]\nname = \"a\"\nversion = \"1\"\nmarker = {}\n\n[[packages]]\nname = \"b\"\nversion = \"1\"\nmarker = {}\n",
            toml_str(&strings.join(" or ")),
            toml_str(&versions.join(" or "))
        );
        let (dir, out) = import_cli("pylock.toml", &text);
        assert_success(&out);
        let ws = dir.path().join("ws");
        let markers = std::fs::read_to_string(ws.join("markers/BUILD")).unwrap();
        let last = 2 * (n - 1) + 1;
        for value in [
            format!("v{}", n - 1),
            format!("3.11.{last}"),
            format!("3.11.{}", last + 1),
        ] {
            assert!(markers.contains(&format!("\"{value}\",")), "{value}");
        }
        if n > 2_000 {
            continue;
        }
        let session = Session::open(&ws).unwrap();
        let pkgs = |selects: &[&str]| labels(&session, selects);
        assert_eq!(
            pkgs(&[
                "sys_platform=v1999",
                &format!("python_full_version=3.11.{last}")
            ]),
            ["//:root", "//pypi:a", "//pypi:b"]
        );
        assert_eq!(
            pkgs(&["sys_platform=v7", "python_full_version=3.11.2"]),
            ["//:root", "//pypi:a"]
        );
        assert_eq!(
            pkgs(&["sys_platform=linux", "python_full_version=3.11.1"]),
            ["//:root", "//pypi:b"]
        );
    }
}

#[cfg(unix)]
#[test]
fn a_lock_that_is_no_file_is_refused() {
    // `/dev/zero` never ends: reading it whole would exhaust memory.
    let dir = tempfile::tempdir().unwrap();
    let out = sel(dir.path(), &["import", "/dev/zero", "--out", "ws"]);
    assert_import_error(dir.path(), &out, &["/dev/zero", "not a regular file"]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("uv.lock")).unwrap();
    let out = sel(dir.path(), &["import", "uv.lock", "--out", "ws"]);
    assert_import_error(dir.path(), &out, &["uv.lock", "not a regular file"]);
}
