//! The fast reader (`fast.rs`) against Starlark: on every BUILD file of the
//! repository's fixtures and examples, and on generated declarative files, a
//! file the fast reader takes gives exactly the package Starlark gives
//! (targets, attributes, locations), and a file it declines still loads.

use std::path::Path;

use super::builtins::BuildContext;
use super::{fast, Loader};
use crate::test_rng::XorShift;
use crate::workspace::Workspace;

/// Loads every package of the workspace at `root` both ways and compares
/// them; returns (packages, how many the fast reader took).
fn compare_workspace(root: &Path) -> (usize, usize) {
    // Some fixtures are broken workspaces on purpose: those have no packages to compare.
    let Ok(ws) = Workspace::discover(root) else {
        return (0, 0);
    };
    let Ok(dirs) = ws.packages() else {
        return (0, 0);
    };
    let loader = Loader::new(&ws);
    let mut taken = 0;
    for d in &dirs {
        let slow = loader.package_using(d, false);
        let quick = loader.package_using(d, true);
        match (&slow, &quick) {
            (Ok(a), Ok(b)) => assert_eq!(a.package, b.package, "{}", d.build_file.display()),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!(
                "{}: Starlark says {:?}, the fast path {:?}",
                d.build_file.display(),
                slow.map(|_| ()),
                quick.map(|_| ())
            ),
        }
        let text = std::fs::read_to_string(&d.build_file).unwrap();
        let ctx = BuildContext::new(Some(d.name.clone()), &ws.root, ws.shown(&d.build_file));
        if fast::read(&text, &ctx).is_some() {
            taken += 1;
        }
    }
    (dirs.len(), taken)
}

fn workspaces_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    // Runaway loops take seconds to reach the step limit, and are no BUILD data.
    if dir.to_string_lossy().contains("err_runaway") {
        return;
    }
    if dir.join("sel.toml").is_file() {
        out.push(dir.to_path_buf());
    }
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            workspaces_under(&entry.path(), out);
        }
    }
}

#[test]
fn fixtures_and_examples_read_the_same_both_ways() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = Vec::new();
    workspaces_under(&repo.join("tests/fixtures"), &mut roots);
    workspaces_under(&repo.join("examples"), &mut roots);
    assert!(roots.len() > 10, "found the fixture workspaces");
    let (mut packages, mut taken) = (0, 0);
    for root in &roots {
        let (p, t) = compare_workspace(root);
        packages += p;
        taken += t;
    }
    // Most fixtures are declarative; the rest (loads, macros, errors) fall back.
    assert!(
        taken * 2 > packages,
        "the fast reader took {taken} of {packages} packages"
    );
    eprintln!("the fast reader took {taken} of {packages} packages");
}

/// Space between tokens inside brackets: nothing, spaces, newlines, comments.
fn gap(r: &mut XorShift) -> &'static str {
    r.pick(&["", "", " ", "  ", "\n    ", " # note\n  ", "\n\n        "])
}

fn label_list(r: &mut XorShift) -> String {
    let names = [":a", ":b", "//other:c", "//other/sub:d", "e", "//:top"];
    let mut items: Vec<&str> = Vec::new();
    for _ in 0..r.below(4) {
        let n = r.pick(&names);
        if !items.contains(&n) {
            items.push(n);
        }
    }
    let quote = if r.below(4) == 0 { "'" } else { "\"" };
    let body: Vec<String> = items
        .iter()
        .map(|i| format!("{}{quote}{i}{quote}", gap(r)))
        .collect();
    let trailing = if !body.is_empty() && r.below(2) == 0 {
        ","
    } else {
        ""
    };
    format!("[{}{trailing}{}]", body.join(","), gap(r))
}

fn select(r: &mut XorShift) -> String {
    let keys = [":on", "//flags:x_b", ":both", "//conditions:default"];
    let mut used: Vec<&str> = Vec::new();
    let mut branches = Vec::new();
    for _ in 0..1 + r.below(3) {
        let k = r.pick(&keys);
        if used.contains(&k) {
            continue;
        }
        used.push(k);
        // Now and then `None`: the attribute unset.
        let value = if r.below(6) == 0 {
            "None".to_string()
        } else {
            label_list(r)
        };
        branches.push(format!("{}\"{k}\"{}:{}{value}", gap(r), gap(r), gap(r)));
    }
    let nme = if r.below(5) == 0 {
        format!(",{}no_match_error = \"pick one\"", gap(r))
    } else {
        String::new()
    };
    format!("select({{{}}}{nme})", branches.join(","))
}

fn deps(r: &mut XorShift) -> String {
    let mut parts: Vec<String> = (0..1 + r.below(3))
        .map(|_| {
            if r.below(2) == 0 {
                select(r)
            } else {
                label_list(r)
            }
        })
        .collect();
    // Plain lists joined with `+` must not repeat a label either.
    if parts.iter().filter(|p| !p.starts_with("select")).count() > 1 {
        parts.retain(|p| p.starts_with("select"));
        parts.push(label_list(r));
    }
    parts.join(&format!("{}+{}", gap(r), gap(r)))
}

fn generated_file(r: &mut XorShift) -> String {
    let mut out = String::from("# generated\n\n");
    out.push_str(
        "selector(name = \"x\", values = [\"a\", \"b\"], default = \"a\", doc = \"a selector\")\n",
    );
    out.push_str("config_setting(name = \"on\", flag_values = {\":x\": \"b\"})\n");
    // skylib's typed flags.
    out.push_str(r.pick(&[
        "bool_flag(name = \"fast\", build_setting_default = True)\n",
        "int_flag(name = \"jobs\", values = [16, 4, 8], build_setting_default = 8, doc = \"jobs\")\n",
        "string_list_flag(name = \"features\", values = [\"avx2\", \"fma\"], build_setting_default = [\"fma\", \"avx2\"])\n",
        "string_flag(name = \"os\", values = [\"linux\", \"macos\"], build_setting_default = \"macos\")\n",
    ]));
    out.push_str("config_setting_group(name = \"both\", match_all = [\":on\", \"//flags:x_b\"])\n");
    out.push_str("alias(name = \"on_alias\", actual = \":on\")\n");
    out.push_str(
        "config_setting_group(name = \"always\", match_any = [\"//conditions:default\"])\n",
    );
    for i in 0..1 + r.below(5) {
        let mut args = vec![format!("name = \"t{i}\"")];
        if r.below(4) > 0 {
            args.push(format!("deps = {}", deps(r)));
        }
        if r.below(2) == 0 {
            args.push(format!("version = \"1.{i}\""));
        }
        if r.below(3) == 0 {
            args.push("license = \"MIT\" + select({\":on\": \" OR Apache-2.0\", \"//conditions:default\": \"\"})".into());
        }
        if r.below(4) == 0 {
            args.push("metadata = {\"n\": 3, \"ok\": True, \"none\": None, \"l\": [1, 2]}".into());
        }
        if r.below(4) == 0 {
            args.push("visibility = [\"//visibility:public\"], tags = [\"x\"]".into());
        }
        // Arguments in any order.
        let k = r.below(args.len());
        args.swap(0, k);
        let sep = format!(",{}", gap(r));
        let comma = if r.below(2) == 0 { "," } else { "" };
        out.push_str(&format!(
            "package({}{}{comma}{}){}\n",
            gap(r),
            args.join(&sep),
            gap(r),
            r.pick(&["", "  # trailing comment", " "])
        ));
        if r.below(3) == 0 {
            out.push_str(r.pick(&["\n", "# a comment\n", "   \n", "    # indented comment\n"]));
        }
    }
    if r.below(3) == 0 {
        out.push_str("alias(name = \"al\", actual = select({\":on\": \":t0\", \":on_alias\": None, \"//conditions:default\": \"//other:c\"}))\n");
    }
    out
}

/// One package `p` in a scratch workspace; returns (what fast::read said, equal?).
fn compare_text(text: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sel.toml"), "").unwrap();
    std::fs::create_dir(dir.path().join("p")).unwrap();
    std::fs::write(dir.path().join("p/BUILD"), text).unwrap();
    let ws = Workspace::discover(dir.path()).unwrap();
    let loader = Loader::new(&ws);
    let d = ws.package_dir("p").unwrap();
    let slow = loader.package_using(&d, false);
    let quick = loader.package_using(&d, true);
    match (slow, quick) {
        (Ok(a), Ok(b)) => assert_eq!(a.package, b.package, "{text}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
        (a, b) => panic!(
            "{text}\nStarlark: {:?}\nfast: {:?}",
            a.map(|_| ()),
            b.map(|_| ())
        ),
    }
    let ctx = BuildContext::new(Some("p".into()), &ws.root, "p/BUILD".into());
    fast::read(text, &ctx).is_some()
}

#[test]
fn generated_declarative_files_read_the_same_both_ways() {
    let mut r = XorShift(0x5eed_cafe);
    for _ in 0..300 {
        let text = generated_file(&mut r);
        assert!(compare_text(&text), "the fast reader declined:\n{text}");
    }
}

#[test]
fn files_outside_the_subset_fall_back_to_starlark() {
    for text in [
        // Escapes, variables, loads, calls, indentation, tuples, comprehensions.
        "package(name = \"a\", description = \"tab\\there\")\n",
        "DEPS = [\":b\"]\npackage(name = \"a\", deps = DEPS)\npackage(name = \"b\")\n",
        "load(\"//p:defs.bzl\", \"x\")\n",
        "  package(name = \"a\")\n",
        "package(name = \"a\", tags = (\"x\",))\n",
        "package(name = \"a\", tags = [t for t in [\"x\"]])\n",
        "package\n(name = \"a\")\n",
        "package(name = \"a\"); package(name = \"b\")\n",
        "package(name = \"a\", description = \"\"\"doc\"\"\")\n",
        "package(name = \"a\", metadata = {\"n\": 0x10})\n",
        "package(name = \"a\", metadata = {1: 2})\n",
        "package(name = \"a\", deps = selects.with_or({(\":x\", \":y\"): []}))\n",
        // Errors: Starlark reports them, in its words and with its spans.
        "package(name = \"a\", name = \"b\")\n",
        "package(\"a\")\n",
        "package(name = \"a\", deps = [\":b\", \":b\"])\n",
        "package(name = \"a\", colour = \"red\")\n",
        "package(name = \"a\")\npackage(name = \"a\")\n",
        "package(name = \"a\", deps = select({}))\n",
        "package(name = \"a\", deps = [select({\"//conditions:default\": []})])\n",
        "package(name = \"a\", deps = select({\"//conditions:default\": []}) + 1)\n",
        "package(name = \"a\", deps = [\"x\"] + \"y\")\n",
        "package(name = \"a\", metadata = {\"k\": 1, \"k\": 2})\n",
        "package(name = \"a\", metadata = {\"n\": 007})\n",
        "frobnicate(name = \"a\")\n",
        "package(name = \"a\"\n",
    ] {
        assert!(!compare_text(text), "the fast reader took:\n{text}");
    }
}

#[test]
fn concatenations_mirror_starlark() {
    for text in [
        "package(name = \"a\", deps = [\":b\"] + [\":c\"])\npackage(name = \"b\")\npackage(name = \"c\")\n",
        "package(name = \"a\", version = \"1.\" + \"2\")\n",
        "package(name = \"a\", deps = [\":\" + \"b\"])\npackage(name = \"b\")\n",
        "package(name = \"a\", deps = select({\"//conditions:default\": []}) + [\":b\"] + [\":c\"])\npackage(name = \"b\")\npackage(name = \"c\")\n",
        "package(name = \"a\", deps = [\":b\"] + select({\"//conditions:default\": []}) + select({\"//conditions:default\": [\":c\"]}))\npackage(name = \"b\")\npackage(name = \"c\")\n",
        "package(name = \"a\", metadata = {\"k\": \"v\"} + select({\"//conditions:default\": {}}))\n",
        "package(name = \"a\", deps = select({\"//conditions:default\": []},))\n",
        "package(name = \"a\", deps = select({\"//conditions:default\": []}, no_match_error = \"no\",))\n",
        "package(name = \"a\", metadata = {\"x\": None, \"y\": False, \"z\": 0, \"w\": []},)\n",
    ] {
        assert!(compare_text(text), "the fast reader declined:\n{text}");
    }
}
