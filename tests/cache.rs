//! The caches (`.sel-cache/`: evaluated packages, and answers) never change an answer:
//! files are changed, added, deleted and the cache itself corrupted between
//! runs, and every answer is compared with a run without the cache. (Only
//! packages Starlark evaluates are cached, so `app` declares its target
//! through a macro.)

use std::path::Path;
use std::time::{Duration, SystemTime};

mod common;

use common::{sel, sel_with_env, workspace, write};

const QUERIES: &[&[&str]] = &[
    &["query", "//..."],
    &["query", "deps(//app:app)"],
    &["cquery", "deps(//app:app)", "--select", "gpu=yes"],
    &["cquery", "deps(//app:app)", "--output=json"],
];

/// Every query, with the cache (twice: the first run may write it) and
/// without, gives the same answer; returns the answer of `query //...`.
fn same_with_and_without_cache(root: &Path) -> String {
    for q in QUERIES {
        let cold = sel(root, &[&["--no-cache"], *q].concat());
        let first = sel(root, q);
        let second = sel(root, q);
        assert_eq!(first, cold, "{q:?} (first cached run)");
        assert_eq!(second, cold, "{q:?} (second cached run)");
    }
    sel(root, &["--no-cache", "query", "//..."]).1
}

const FLAGS: &str = r#"
selector(name = "gpu", values = ["no", "yes"], default = "no")
config_setting(name = "on", flag_values = {":gpu": "yes"})
"#;

const DEFS: &str = r#"
def variant(name, cuda):
    package(name = name, deps = select({"//flags:on": [cuda], "//conditions:default": []}))
"#;

fn start() -> tempfile::TempDir {
    workspace(&[
        ("flags/BUILD", FLAGS),
        ("defs/defs.bzl", DEFS),
        ("defs/BUILD", ""),
        (
            "app/BUILD",
            "load(\"//defs:defs.bzl\", \"variant\")\nvariant(name = \"app\", cuda = \"//lib:cuda\")\n",
        ),
        ("lib/BUILD", "package(name = \"cuda\")\npackage(name = \"core\")\n"),
    ])
}

#[test]
fn changed_added_and_deleted_files_are_seen() {
    let ws = start();
    let root = ws.path();
    let before = same_with_and_without_cache(root);
    assert!(before.contains("//lib:cuda"));
    assert!(root.join(".sel-cache").is_dir(), "the cache was written");

    // A BUILD file changes.
    write(
        root,
        "lib/BUILD",
        "package(name = \"cuda\")\npackage(name = \"core2\")\n",
    );
    let after = same_with_and_without_cache(root);
    assert!(after.contains("//lib:core2") && !after.contains("//lib:core\n"));

    // A loaded .bzl file changes: the package that loads it is evaluated again.
    write(
        root,
        "defs/defs.bzl",
        &DEFS.replace("[cuda]", "[cuda, \"//lib:core2\"]"),
    );
    same_with_and_without_cache(root);
    let deps = sel(root, &["cquery", "deps(//app:app)", "--select", "gpu=yes"]).1;
    assert!(deps.contains("//lib:core2"), "{deps}");

    // A package is added, then deleted.
    write(root, "extra/BUILD", "package(name = \"x\")\n");
    assert!(same_with_and_without_cache(root).contains("//extra:x"));
    std::fs::remove_dir_all(root.join("extra")).unwrap();
    assert!(!same_with_and_without_cache(root).contains("//extra:x"));

    // A loaded .bzl file is deleted: the same error as without the cache.
    std::fs::remove_file(root.join("defs/defs.bzl")).unwrap();
    let cold = sel(root, &["--no-cache", "query", "//..."]);
    assert_eq!(cold.0, 1);
    assert_eq!(sel(root, &["query", "//..."]), cold);
}

/// Removes the kept answers, so that the next runs load packages.
fn forget_answers(root: &Path) {
    for entry in std::fs::read_dir(root.join(".sel-cache"))
        .unwrap()
        .flatten()
    {
        if entry.file_name().to_string_lossy().starts_with("answer") {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
}

#[test]
fn a_corrupt_or_foreign_cache_is_rebuilt() {
    let ws = start();
    let root = ws.path();
    let answer = same_with_and_without_cache(root);
    let file = root.join(".sel-cache/packages.v1");
    let good = std::fs::read(&file).unwrap();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    let corruptions: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"garbage".to_vec(),
        good[..good.len() / 2].to_vec(),
        flipped,
        [good.as_slice(), b"trailing"].concat(),
    ];
    for bad in corruptions {
        std::fs::write(&file, &bad).unwrap();
        // Kept answers would spare reading the packages at all.
        forget_answers(root);
        assert_eq!(same_with_and_without_cache(root), answer);
        assert_ne!(
            std::fs::read(&file).unwrap(),
            bad,
            "the cache was rewritten"
        );
    }
    // A cache copied from another workspace (another root) is not used.
    let other = start();
    write(other.path(), "lib/BUILD", "package(name = \"cuda\")\n");
    std::fs::create_dir_all(other.path().join(".sel-cache")).unwrap();
    std::fs::copy(&file, other.path().join(".sel-cache/packages.v1")).unwrap();
    let copied = same_with_and_without_cache(other.path());
    assert!(!copied.contains("//lib:core"), "{copied}");
}

#[test]
fn no_cache_leaves_the_workspace_alone() {
    let ws = start();
    let (code, _, _) = sel(ws.path(), &["--no-cache", "query", "//..."]);
    assert_eq!(code, 0);
    assert!(!ws.path().join(".sel-cache").exists());
}

/// Sets a file's modification time.
fn set_modified(path: &Path, t: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

#[test]
fn a_change_that_keeps_size_and_modification_time_is_seen() {
    // Files older than the run that caches them have trusted stamps; wait
    // until these are.
    let ws = start();
    let root = ws.path();
    std::thread::sleep(Duration::from_millis(2_200));
    same_with_and_without_cache(root);
    // Same size, same modification time, other content, in a BUILD file
    // that Starlark evaluates (plain ones are not cached: they read as fast).
    let path = root.join("app/BUILD");
    let text = std::fs::read_to_string(&path).unwrap();
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    write(root, "app/BUILD", &text.replace("//lib:cuda", "//lib:core"));
    set_modified(&path, mtime);
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    same_with_and_without_cache(root);
    let deps = sel(root, &["cquery", "deps(//app:app)", "--select", "gpu=yes"]).1;
    assert_eq!(deps, "//app:app\n//lib:core\n");
    // And once more with a .bzl file, after the stamps have settled again.
    std::thread::sleep(Duration::from_millis(2_200));
    same_with_and_without_cache(root);
    let bzl = root.join("defs/defs.bzl");
    let mtime = std::fs::metadata(&bzl).unwrap().modified().unwrap();
    let changed = DEFS.replace("[cuda]", "[]    ");
    assert_eq!(changed.len(), DEFS.len());
    write(root, "defs/defs.bzl", &changed);
    set_modified(&bzl, mtime);
    same_with_and_without_cache(root);
    let deps = sel(root, &["cquery", "deps(//app:app)", "--select", "gpu=yes"]).1;
    assert_eq!(deps, "//app:app\n");
}

/// Runs sel in `cwd` (no `-C`) with `SEL_TIMINGS`: (stdout, whether the
/// answer came from the answer cache).
fn sel_timed(cwd: &Path, args: &[&str]) -> (String, bool) {
    let out = assert_cmd::Command::cargo_bin("sel")
        .unwrap()
        .current_dir(cwd)
        .args(args)
        .env("SEL_TIMINGS", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let kept = stderr.contains("check answer");
    assert_eq!(kept, !stderr.contains("evaluate"), "{stderr}");
    (String::from_utf8(out.stdout).unwrap(), kept)
}

/// The answer cache (`.sel-cache/answers.v1`): a command run again on an
/// unchanged workspace prints its kept answer without loading anything;
/// any change to a file the answer came from, or to the set of packages,
/// and the command runs again.
#[test]
fn a_kept_answer_is_used_only_while_its_files_are_unchanged() {
    let ws = start();
    let root = ws.path();
    // Stamps of files that changed just before a run are not trusted: let them settle.
    std::thread::sleep(Duration::from_millis(2_200));
    let cquery = ["cquery", "deps(//app:app)", "--select", "gpu=yes"];
    let all = ["query", "//..."];
    let (first, kept) = sel_timed(root, &cquery);
    assert!(!kept);
    assert_eq!(first, "//app:app\n//lib:cuda\n");
    assert_eq!(sel_timed(root, &cquery), (first.clone(), true));
    // Another command has its own answer; both are kept.
    let (everything, kept) = sel_timed(root, &all);
    assert!(!kept && everything.contains("//lib:core"));
    assert_eq!(sel_timed(root, &all), (everything.clone(), true));
    assert_eq!(sel_timed(root, &cquery), (first.clone(), true));
    // A `query` that loads only what it reaches is kept too, with the
    // files of what it reached.
    let (reached, kept) = sel_timed(root, &["query", "deps(//app:app)"]);
    assert!(!kept && reached.contains("//lib:cuda"));
    assert_eq!(
        sel_timed(root, &["query", "deps(//app:app)"]),
        (reached, true)
    );

    // A plain BUILD file (read without Starlark, so not in the package
    // cache) changes, keeping its size and modification time.
    let lib = root.join("lib/BUILD");
    let text = std::fs::read_to_string(&lib).unwrap();
    let mtime = std::fs::metadata(&lib).unwrap().modified().unwrap();
    write(root, "lib/BUILD", &text.replace("core", "base"));
    set_modified(&lib, mtime);
    let (changed, kept) = sel_timed(root, &all);
    assert!(!kept && changed.contains("//lib:base") && !changed.contains("//lib:core"));
    assert_eq!(sel_timed(root, &all), (changed.clone(), true));

    // A package is added, in a new directory.
    write(root, "extra/BUILD", "package(name = \"x\")\n");
    let (added, kept) = sel_timed(root, &all);
    assert!(!kept && added.contains("//extra:x"));
    // ... and removed again.
    std::fs::remove_dir_all(root.join("extra")).unwrap();
    assert_eq!(sel_timed(root, &all), (changed.clone(), false));

    // sel.toml changes: `lib` is ignored.
    write(root, "sel.toml", "ignore = [\"lib\"]\n");
    let (ignored, kept) = sel_timed(root, &all);
    assert!(!kept && !ignored.contains("//lib:"), "{ignored}");
    write(root, "sel.toml", "");

    // A .bzl file a package loads changes.
    std::thread::sleep(Duration::from_millis(2_200));
    sel_timed(root, &cquery);
    assert!(sel_timed(root, &cquery).1);
    write(root, "defs/defs.bzl", &DEFS.replace("[cuda]", "[]"));
    assert_eq!(sel_timed(root, &cquery), ("//app:app\n".to_string(), false));
}

#[test]
fn a_kept_answer_belongs_to_its_directory_and_arguments() {
    let ws = start();
    let root = ws.path();
    // The same arguments, run from two packages: relative labels differ.
    let args = ["cquery", ":all"];
    let in_lib = sel_timed(&root.join("lib"), &args).0;
    let in_app = sel_timed(&root.join("app"), &args).0;
    assert_eq!(in_lib, "//lib:core\n//lib:cuda\n");
    assert_eq!(in_app, "//app:app\n");
    assert_eq!(sel_timed(&root.join("lib"), &args).0, in_lib);
    assert_eq!(sel_timed(&root.join("app"), &args).0, in_app);
    // Another output format is another answer.
    let json = sel_timed(root, &["cquery", "//lib:all", "--output=json"]).0;
    let text = sel_timed(root, &["cquery", "//lib:all"]).0;
    assert!(json.starts_with('{') && text.starts_with("//lib:"));
    assert_eq!(
        sel_timed(root, &["cquery", "//lib:all", "--output=json"]).0,
        json
    );
}

#[test]
fn a_corrupt_answers_file_is_ignored_and_rewritten() {
    let ws = start();
    let root = ws.path();
    let q = ["cquery", "deps(//app:app)", "--select", "gpu=yes"];
    let answer = sel_timed(root, &q).0;
    let file = root.join(".sel-cache/answers.v1");
    let good = std::fs::read(&file).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    // In the kept text itself: the checksum must catch it.
    flipped[last] ^= 0x01;
    for bad in [
        Vec::new(),
        good[..good.len() / 2].to_vec(),
        flipped,
        [good.as_slice(), b"x"].concat(),
    ] {
        std::fs::write(&file, &bad).unwrap();
        assert_eq!(sel_timed(root, &q), (answer.clone(), false));
        assert_ne!(std::fs::read(&file).unwrap(), bad, "rewritten");
    }
    // The graph kept with the answer, corrupt or another answer's: the
    // answer is computed again, never recomputed from it. (`sel_timed`
    // runs in the workspace, not with `-C`: another command, whose graph
    // goes.)
    std::fs::remove_dir_all(root.join(".sel-cache")).unwrap();
    sel(root, &q);
    let graph_of = |root: &Path| {
        std::fs::read_dir(root.join(".sel-cache"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("graph-")
            })
            .expect("a graph is kept with the answer")
    };
    let graph = graph_of(root);
    let good = std::fs::read(&graph).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x01;
    let other = {
        let other = start();
        write(
            other.path(),
            "lib/BUILD",
            "package(name = \"cuda\", deps = [\":core\"])\npackage(name = \"core\")\n",
        );
        sel(other.path(), &q);
        std::fs::read(graph_of(other.path())).unwrap()
    };
    for (round, bad) in [Vec::new(), flipped, other].into_iter().enumerate() {
        std::fs::write(&graph, &bad).unwrap();
        // `cuda` depends on `core` now, then not, and so on.
        let lib = match round % 2 {
            0 => "package(name = \"cuda\", deps = [\":core\"])\npackage(name = \"core\")\n",
            _ => "package(name = \"cuda\")\npackage(name = \"core\")\n",
        };
        write(root, "lib/BUILD", lib);
        let cold = sel(root, &[&["--no-cache"][..], &q].concat());
        let (cached, how) = sel_with_phases(root, &q);
        assert_eq!(cached, cold, "round {round}");
        assert!(!how.contains("recompute answer"), "round {round}: {how}");
    }
    // A failing command keeps nothing: it fails again, with its error.
    write(root, "lib/BUILD", "package(name = \"cuda\"\n");
    for _ in 0..2 {
        let (code, _, stderr) = sel(root, &q);
        assert_eq!(code, 1);
        assert!(stderr.contains("lib/BUILD"), "{stderr}");
    }
}

#[test]
fn a_kept_answer_repeats_its_warnings() {
    // `--all-configs` warns on stderr about the configurations where
    // evaluation fails; a kept answer prints those warnings too.
    let ws = workspace(&[
        ("flags/BUILD", FLAGS),
        (
            "app/BUILD",
            "package(name = \"app\", deps = select({\"//flags:on\": [\":x\"]}))\npackage(name = \"x\")\n",
        ),
    ]);
    let args = ["cquery", "//app:all", "--all-configs"];
    let first = sel(ws.path(), &args);
    assert_eq!(first.0, 0);
    assert!(
        first.2.contains("warning: evaluation fails where gpu = no"),
        "{}",
        first.2
    );
    assert!(ws.path().join(".sel-cache/answers.v1").exists());
    assert_eq!(sel(ws.path(), &args), first);
}

/// Runs a command with the cache and without: (the answer, whether it was
/// kept, whether changed packages were read again to decide so). The
/// answer must be the one a run without the cache prints.
fn kept_or_computed(root: &Path, args: &[&str]) -> (String, bool, bool) {
    let (stdout, timings) = phases(root, args);
    let kept = timings.contains("check answer");
    (stdout, kept, timings.contains("reread"))
}

/// The line of target `label` in a JSON answer.
fn line_of(json: &str, label: &str) -> u64 {
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    let target = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == label)
        .unwrap_or_else(|| panic!("{label} in {json}"));
    target["location"]["line"].as_u64().unwrap()
}

/// A BUILD file that changed is read again, and if its package is what it
/// was (the same targets at the same lines and columns: a comment edited or
/// added) the kept answers still hold. Anything an output shows moves, and
/// they do not: a line inserted before a target moves its line in JSON.
#[test]
fn a_kept_answer_survives_an_edit_that_leaves_its_packages_as_they_were() {
    let lib = "# The libraries.\npackage(name = \"cuda\")\npackage(name = \"core\")\n";
    let ws = workspace(&[
        ("flags/BUILD", FLAGS),
        ("defs/defs.bzl", DEFS),
        ("defs/BUILD", ""),
        (
            "app/BUILD",
            "load(\"//defs:defs.bzl\", \"variant\")\nvariant(name = \"app\", cuda = \"//lib:cuda\")\n",
        ),
        ("lib/BUILD", lib),
    ]);
    let root = ws.path();
    std::thread::sleep(Duration::from_millis(2_200));
    let json = [
        "cquery",
        "deps(//app:app)",
        "--select",
        "gpu=yes",
        "--output=json",
    ];
    let labels = ["query", "//..."];
    let (first, kept, _) = kept_or_computed(root, &json);
    assert!(!kept);
    assert_eq!(line_of(&first, "//lib:cuda"), 2);
    let (all, kept, _) = kept_or_computed(root, &labels);
    assert!(!kept && all.contains("//lib:core"));

    // A comment reworded (longer: every byte offset after it moves, no line
    // or column does), then a comment added at the end.
    write(
        root,
        "lib/BUILD",
        &lib.replace("libraries", "libraries the app uses"),
    );
    assert_eq!(kept_or_computed(root, &json), (first.clone(), true, true));
    assert_eq!(kept_or_computed(root, &labels), (all.clone(), true, true));
    // Until a run computes an answer again, the changed file is read every time.
    assert_eq!(kept_or_computed(root, &json), (first.clone(), true, true));
    let longer = std::fs::read_to_string(root.join("lib/BUILD")).unwrap();
    write(root, "lib/BUILD", &format!("{longer}# The end.\n"));
    assert_eq!(kept_or_computed(root, &json), (first.clone(), true, true));

    // The same in a BUILD file Starlark evaluates, through a macro.
    let app = std::fs::read_to_string(root.join("app/BUILD")).unwrap();
    write(root, "app/BUILD", &format!("{app}# Only the app.\n"));
    assert_eq!(kept_or_computed(root, &json), (first.clone(), true, true));

    // A blank line before the targets moves them: JSON shows it.
    write(root, "lib/BUILD", &format!("\n{longer}"));
    let (moved, kept, _) = kept_or_computed(root, &json);
    assert!(!kept);
    assert_eq!(line_of(&moved, "//lib:cuda"), 3);
    // The labels did not move, but this answer was computed from the other
    // package: it is computed again too.
    let (again, kept, _) = kept_or_computed(root, &labels);
    assert_eq!((again, kept), (all.clone(), false));

    // A target renamed, with the lines and columns kept: a changed package.
    let renamed = std::fs::read_to_string(root.join("lib/BUILD"))
        .unwrap()
        .replace("core", "base");
    write(root, "lib/BUILD", &renamed);
    let (changed, kept, _) = kept_or_computed(root, &labels);
    assert!(!kept && changed.contains("//lib:base") && !changed.contains("//lib:core"));

    // A BUILD file that no longer loads: the error, as without the cache.
    write(root, "lib/BUILD", "# Broken.\npackage(name = \"cuda\"\n");
    let cold = sel(root, &["--no-cache", "query", "//..."]);
    assert_eq!(cold.0, 1);
    assert_eq!(sel(root, &labels), cold);
}

/// Runs a command with `SEL_TIMINGS`: (stdout, the phases it went through),
/// checking that it succeeds and answers as a run without the cache does.
fn phases(root: &Path, args: &[&str]) -> (String, String) {
    let cold = sel(root, &[&["--no-cache"], args].concat());
    let (cached, timings) = sel_with_phases(root, args);
    assert_eq!(cached, cold, "{args:?}: the cache changed the answer");
    assert_eq!(cached.0, 0, "{args:?}: {}", cached.2);
    (cached.1, timings)
}

/// The packages are taken from the record of the last walk, with one
/// `stat` per directory it listed, while none of them changed; a directory
/// that gained or lost an entry is listed again.
#[test]
fn a_lookup_walks_again_only_when_a_directory_changed() {
    let ws = start();
    let root = ws.path();
    std::fs::create_dir_all(root.join("docs/deep")).unwrap();
    let all = ["query", "//..."];
    // The first run creates `.sel-cache/`, a change to the root directory.
    let (everything, how) = phases(root, &all);
    assert!(how.contains("sel timing: walk"), "{how}");
    std::thread::sleep(Duration::from_millis(2_200));
    let (again, how) = phases(root, &all);
    assert_eq!(again, everything);
    assert!(how.contains("sel timing: walk"), "{how}");
    let (again, how) = phases(root, &all);
    assert_eq!(again, everything);
    assert!(
        how.contains("directories unchanged") && how.contains("check answer"),
        "{how}"
    );

    // A BUILD file appears deep in a directory that had none.
    write(root, "docs/deep/BUILD", "package(name = \"d\")\n");
    let (added, how) = phases(root, &all);
    assert!(
        how.contains("sel timing: walk") && added.contains("//docs/deep:d"),
        "{how}"
    );
    // ... and goes again, after the directories settled.
    std::thread::sleep(Duration::from_millis(2_200));
    phases(root, &all);
    std::fs::remove_file(root.join("docs/deep/BUILD")).unwrap();
    let (removed, how) = phases(root, &all);
    assert!(how.contains("sel timing: walk"), "{how}");
    assert_eq!(removed, everything);
    // An ignored directory (sel.toml changed): the walk obeys the new rule.
    std::thread::sleep(Duration::from_millis(2_200));
    phases(root, &all);
    write(root, "sel.toml", "ignore = [\"lib\"]\n");
    let (ignored, how) = phases(root, &all);
    assert!(
        how.contains("sel timing: walk") && !ignored.contains("//lib:"),
        "{how}"
    );
}

/// A BUILD file that is a symbolic link can stop (or start) being a file
/// without its directory changing: a walk that met one is never taken
/// from the record.
#[cfg(unix)]
#[test]
fn a_walk_that_met_a_linked_build_file_is_always_done_again() {
    let ws = start();
    let root = ws.path();
    write(root, "shared/lib3.txt", "package(name = \"three\")\n");
    std::fs::create_dir_all(root.join("lib3")).unwrap();
    std::os::unix::fs::symlink(root.join("shared/lib3.txt"), root.join("lib3/BUILD")).unwrap();
    let all = ["query", "//..."];
    phases(root, &all);
    std::thread::sleep(Duration::from_millis(2_200));
    let (linked, _) = phases(root, &all);
    assert!(linked.contains("//lib3:three"));
    let (again, how) = phases(root, &all);
    assert_eq!(again, linked);
    assert!(how.contains("sel timing: walk"), "{how}");
    // The link's target goes: no package there any more, as without the cache.
    std::fs::remove_file(root.join("shared/lib3.txt")).unwrap();
    let (gone, _) = phases(root, &all);
    assert!(!gone.contains("//lib3:"), "{gone}");
}

/// Random edits, each followed by every query with the caches and without:
/// the answers (and errors) are always the same. The edits are those the
/// caches reason about: comments and blank lines (early cutoff), changed
/// dependencies, packages and other files added and removed (the kept
/// walk), a macro's BUILD file; now and then the workspace settles, so
/// that stamps are trusted and the walk is taken from its record.
#[test]
fn random_edits_never_change_an_answer() {
    let ws = start();
    let root = ws.path();
    let queries: &[&[&str]] = &[
        &["query", "//..."],
        &[
            "cquery",
            "deps(//app:app)",
            "--select",
            "gpu=yes",
            "--output=json",
        ],
        &["cquery", "//...", "--output=build"],
        &["query", "rdeps(//..., //lib:cuda)"],
        // Loads only what it reaches, and keeps its answer with those files.
        &["query", "deps(//app:app)"],
    ];
    // A small linear congruential generator: the same edits on every run.
    let mut state: u64 = 0x5e1_cac4e;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    let packages = ["lib", "p1", "p2", "p3", "deep/p4"];
    let mut seen = [false; PHASES.len()];
    let read = |p: &str| std::fs::read_to_string(root.join(p).join("BUILD")).unwrap_or_default();
    for round in 0..40 {
        let pkg = packages[next(packages.len())];
        let text = read(pkg);
        match next(9) {
            0 => write(
                root,
                &format!("{pkg}/BUILD"),
                &format!("{text}# round {round}\n"),
            ),
            1 => write(root, &format!("{pkg}/BUILD"), &format!("\n{text}")),
            2 => write(
                root,
                &format!("{pkg}/BUILD"),
                &format!(
                    "# note {}\n{}",
                    "x".repeat(next(5)),
                    text.trim_start_matches(|c| c != 'p')
                ),
            ),
            3 | 4 => {
                // A new target, depending on one of a later package (so that
                // no cycle forms), or on nothing.
                let later = &packages[packages.iter().position(|p| *p == pkg).unwrap() + 1..];
                let existing: Vec<String> = sel(root, &["--no-cache", "query", "//..."])
                    .1
                    .lines()
                    .filter(|l| later.iter().any(|p| l.starts_with(&format!("//{p}:"))))
                    .map(str::to_string)
                    .collect();
                let deps = match existing.len() {
                    0 => String::new(),
                    n => format!("\"{}\"", existing[next(n)]),
                };
                write(
                    root,
                    &format!("{pkg}/BUILD"),
                    &format!("{text}package(name = \"t{round}\", deps = [{deps}])\n"),
                );
            }
            5 => {
                // A target goes (the last one declared).
                let mut lines: Vec<&str> = text.lines().collect();
                if let Some(i) = lines.iter().rposition(|l| l.starts_with("package(")) {
                    lines.remove(i);
                }
                write(root, &format!("{pkg}/BUILD"), &(lines.join("\n") + "\n"));
            }
            6 => {
                if root.join(pkg).exists() {
                    std::fs::remove_dir_all(root.join(pkg)).unwrap();
                } else {
                    write(root, &format!("{pkg}/BUILD"), "package(name = \"base\")\n");
                }
            }
            7 => write(
                root,
                &format!("{pkg}/notes.txt"),
                &format!("round {round}\n"),
            ),
            _ => {
                let app = std::fs::read_to_string(root.join("app/BUILD")).unwrap();
                write(root, "app/BUILD", &format!("# round {round}\n{app}"));
            }
        }
        if round % 13 == 12 {
            std::thread::sleep(Duration::from_millis(2_200));
        }
        for q in queries {
            let cold = sel(root, &[&["--no-cache"], *q].concat());
            for run in ["first", "second"] {
                let (cached, phases) = sel_with_phases(root, q);
                assert_eq!(cached, cold, "round {round}, {q:?}, {run} cached run");
                for (i, phase) in PHASES.iter().enumerate() {
                    seen[i] |= phases.contains(phase);
                }
            }
        }
    }
    // Every way the caches answer was taken.
    for (phase, seen) in PHASES.iter().zip(seen) {
        assert!(seen, "no run went through `{phase}`");
    }
}

/// The phases (`SEL_TIMINGS`) of the ways the caches answer.
const PHASES: [&str; 4] = [
    "sel timing: walk",
    "directories unchanged",
    "check answer, reread",
    "check answer ",
];

/// `sel` with `SEL_TIMINGS`: (exit code, stdout, stderr without the
/// timings), and the timings.
fn sel_with_phases(root: &Path, args: &[&str]) -> ((i32, String, String), String) {
    let (code, stdout, stderr) = sel_with_env(root, args, &[("SEL_TIMINGS", "1")]);
    let (timings, rest): (Vec<&str>, Vec<&str>) =
        stderr.lines().partition(|l| l.starts_with("sel timing:"));
    let rest: String = rest.iter().map(|l| format!("{l}\n")).collect();
    ((code, stdout, rest), timings.join("\n"))
}

/// A `query` that reads only the packages its patterns name, and those they
/// mention, keeps its answer with the files of those packages alone: a
/// change elsewhere keeps it; a change among them is seen (early cutoff
/// included), and so is a `BUILD.sel` that appears beside a `BUILD`.
#[test]
fn a_kept_closure_answer_depends_only_on_its_packages() {
    let ws = start();
    let root = ws.path();
    write(root, "other/BUILD", "package(name = \"o\")\n");
    let deps = ["query", "deps(//app:app)"];
    let (first, kept, _) = kept_or_computed(root, &deps);
    assert!(!kept && first.contains("//lib:cuda"), "{first}");
    assert_eq!(kept_or_computed(root, &deps), (first.clone(), true, false));

    // Outside the closure: another package changes, one is added.
    write(root, "other/BUILD", "package(name = \"o2\")\n");
    write(root, "more/BUILD", "package(name = \"m\")\n");
    assert_eq!(kept_or_computed(root, &deps), (first.clone(), true, false));

    // Inside it: a comment (the package is what it was), then a dependency.
    let lib = std::fs::read_to_string(root.join("lib/BUILD")).unwrap();
    write(root, "lib/BUILD", &format!("{lib}# The end.\n"));
    assert_eq!(kept_or_computed(root, &deps), (first.clone(), true, true));
    write(
        root,
        "lib/BUILD",
        &lib.replace(
            "package(name = \"cuda\")",
            "package(name = \"cuda\", deps = [\"//other:o2\"])",
        ),
    );
    let (changed, kept, _) = kept_or_computed(root, &deps);
    assert!(!kept && changed.contains("//other:o2"), "{changed}");

    // A BUILD.sel beside lib's BUILD takes its place.
    write(root, "lib/BUILD.sel", "package(name = \"cuda\")\n");
    let (sel_wins, kept, _) = kept_or_computed(root, &deps);
    assert!(!kept && !sel_wins.contains("//other:o2"), "{sel_wins}");
    assert_eq!(kept_or_computed(root, &deps), (sel_wins, true, false));

    // A pattern over a subtree is found by a walk: not kept this way.
    let subtree = ["query", "deps(//lib/...)"];
    kept_or_computed(root, &subtree);
    assert!(!kept_or_computed(root, &subtree).1);
}

/// A target of [`recomputed_answers_are_those_of_a_full_run`]'s workspace.
#[derive(Clone, Debug)]
struct Node {
    name: String,
    deps: Vec<String>,
    /// Dependencies only where `gpu=yes`.
    gpu_deps: Vec<String>,
    /// Visible only to its own package.
    private: bool,
    /// Compatible only with `os=mac`.
    mac_only: bool,
    /// An alias of this label instead of a package.
    alias_of: Option<String>,
}

impl Node {
    fn build(&self) -> String {
        if let Some(actual) = &self.alias_of {
            return format!("alias(name = \"{}\", actual = \"{actual}\")\n", self.name);
        }
        let list = |l: &[String]| {
            let quoted: Vec<String> = l.iter().map(|d| format!("\"{d}\"")).collect();
            format!("[{}]", quoted.join(", "))
        };
        let mut text = format!(
            "package(name = \"{}\", deps = {} + select({{\"//flags:on\": {}, \"//conditions:default\": []}}), version = select({{\"//flags:on\": \"gpu\", \"//conditions:default\": \"cpu\"}})",
            self.name,
            list(&self.deps),
            list(&self.gpu_deps)
        );
        if self.private {
            text.push_str(", visibility = [\"//visibility:private\"]");
        }
        if self.mac_only {
            text.push_str(", target_compatible_with = [\"//flags:mac\"]");
        }
        text + ")\n"
    }
}

/// A kept `cquery 'deps(...)'` answer is recomputed from the configured
/// graph kept with it when dependencies change, and computed again when it
/// cannot be: random edits to dependencies (within and across packages,
/// into targets the closure did not reach, forming cycles now and then),
/// select branches, visibility, compatibility, aliases, targets added and
/// removed, and the conditions themselves. After each, every query's cached
/// run must print what a run without the cache prints, errors included;
/// and both ways (recomputed, computed again) must have been taken.
#[test]
fn recomputed_answers_are_those_of_a_full_run() {
    let packages = ["a", "b", "c", "d", "e"];
    let flags = r#"
selector(name = "gpu", values = ["no", "yes"], default = "no")
selector(name = "os", values = ["linux", "mac"], default = "linux")
config_setting(name = "on", flag_values = {":gpu": "yes"})
config_setting(name = "mac", flag_values = {":os": "mac"})
"#;
    // A small linear congruential generator: the same edits on every run
    // (`SEL_EDIT_SEED=N` tries other edits).
    let mut state: u64 = std::env::var("SEL_EDIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x1_dea5);
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    // Package i's target j may depend on later targets: no cycles, unless
    // an edit makes one on purpose. Each package's t3 is reached only
    // where `gpu=yes`.
    let label = |p: usize, t: usize| format!("//{}:t{t}", packages[p]);
    let mut model: Vec<Vec<Node>> = (0..packages.len())
        .map(|p| {
            (0..4)
                .map(|t| Node {
                    name: format!("t{t}"),
                    deps: Vec::new(),
                    gpu_deps: Vec::new(),
                    private: false,
                    mac_only: false,
                    alias_of: None,
                })
                .collect::<Vec<_>>()
                .into_iter()
                .enumerate()
                .map(|(t, mut n)| {
                    if p + 1 < packages.len() && t < 3 {
                        n.deps.push(label(p + 1, t));
                    }
                    if t + 1 < 3 {
                        n.deps.push(label(p, t + 1));
                    }
                    if t == 0 {
                        n.gpu_deps.push(label(p, 3));
                    }
                    n
                })
                .collect()
        })
        .collect();
    // Only `//a:t0` depends on `//g:x`, and only where `gpu=yes`: a change
    // to the conditions changes whether the closure of `//a:t0` has it.
    model[0][0].gpu_deps.push("//g:x".into());
    let render = |nodes: &[Node]| nodes.iter().map(Node::build).collect::<String>();
    let mut files: Vec<(String, String)> = vec![
        ("flags/BUILD".into(), flags.into()),
        ("g/BUILD".into(), "package(name = \"x\")\n".into()),
    ];
    for (p, nodes) in model.iter().enumerate() {
        files.push((format!("{}/BUILD", packages[p]), render(nodes)));
    }
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let ws = workspace(&borrowed);
    let root = ws.path();
    let queries: &[&[&str]] = &[
        &["cquery", "deps(//a:t0)", "--select", "gpu=yes"],
        &["cquery", "deps(//a:t1 + //c:t0)", "--select", "os=mac"],
        &["cquery", "deps(//b:t0)"],
        &["cquery", "deps(//a:t0)"],
        // Loads only what it reaches, keeps its answer with those files,
        // and recomputes it from the unconfigured graph.
        &["query", "deps(//a:t0)"],
        &["query", "deps(//d:t0 + //c:t2)"],
        // Outputs of one item a target: the changed targets are written anew.
        &[
            "cquery",
            "deps(//a:t0)",
            "--select",
            "gpu=yes",
            "--output=json",
        ],
        &["cquery", "deps(//b:t0)", "--output=label_kind"],
        &["query", "deps(//a:t0)", "--output=json"],
    ];
    let mut recomputed = 0;
    let mut recomputed_queries = 0;
    let mut recomputed_items = 0;
    let mut computed_again = 0;
    for q in queries {
        sel(root, q);
    }
    let mut flags_now = flags.to_string();
    let mut failed = 0;
    for round in 0..80 {
        let p = next(packages.len());
        let t = next(4);
        let before = (model[p].clone(), flags_now.clone());
        let later = |next: &mut dyn FnMut(usize) -> usize| {
            let q = p + next(packages.len() - p);
            let u = if q == p {
                (t + 1 + next(3)).min(3)
            } else {
                next(4)
            };
            if q == p && u == t {
                None
            } else {
                Some(label(q, u))
            }
        };
        let node = &mut model[p][t];
        let mut broken = false;
        match next(13) {
            0 | 1 => {
                if let Some(l) = later(&mut next) {
                    node.deps.push(l);
                }
            }
            2 | 3 => {
                if !node.deps.is_empty() {
                    let i = next(node.deps.len());
                    node.deps.remove(i);
                }
            }
            4 => {
                if let Some(l) = later(&mut next) {
                    node.gpu_deps.retain(|d| d == "//g:x");
                    node.gpu_deps.push(l);
                }
            }
            5 => node.private = !node.private,
            6 => node.mac_only = !node.mac_only,
            7 => {
                // A dependency on an earlier package: a cycle, often.
                node.deps.push(label(next(p + 1), next(4)));
            }
            8 => {
                node.alias_of = match node.alias_of {
                    Some(_) => None,
                    None => later(&mut next),
                }
            }
            9 => {
                // A target added, or the last added one removed.
                let nodes = &mut model[p];
                if nodes.len() > 4 {
                    nodes.pop();
                } else {
                    let deps = (p + 1 < packages.len())
                        .then(|| label(p + 1, next(4)))
                        .into_iter()
                        .collect();
                    nodes.push(Node {
                        name: format!("n{round}"),
                        deps,
                        gpu_deps: Vec::new(),
                        private: false,
                        mac_only: false,
                        alias_of: None,
                    });
                    // Someone depends on it, or nobody does.
                    if next(2) == 0 {
                        nodes[t].deps.push(format!("//{}:n{round}", packages[p]));
                    }
                }
            }
            10 => {
                // The conditions change: `on` follows the other value.
                let value = ["yes", "no"][round % 2];
                flags_now =
                    flags.replace("{\":gpu\": \"yes\"}", &format!("{{\":gpu\": \"{value}\"}}"));
                write(root, "flags/BUILD", &flags_now);
            }
            11 => {
                // A BUILD file that does not parse: whoever loads it fails.
                let text = render(&model[p]);
                write(
                    root,
                    &format!("{}/BUILD", packages[p]),
                    &format!("{text}package(name = \n"),
                );
                broken = true;
            }
            _ => {
                // A comment: the package is what it was.
                let text = render(&model[p]);
                write(
                    root,
                    &format!("{}/BUILD", packages[p]),
                    &format!("# {round}\n{text}"),
                );
                continue;
            }
        }
        if !broken {
            write(root, &format!("{}/BUILD", packages[p]), &render(&model[p]));
        }
        let mut fails = false;
        for q in queries {
            let cold = sel(root, &[&["--no-cache"], *q].concat());
            let (cached, phases) = sel_with_phases(root, q);
            assert_eq!(cached, cold, "round {round}, {q:?}\n{model:#?}");
            fails |= cold.0 != 0;
            if phases.contains("recompute answer") {
                recomputed += 1;
                recomputed_queries += usize::from(q[0] == "query");
                recomputed_items += usize::from(q.iter().any(|a| a.starts_with("--output")));
            } else if phases.contains("stale answer") {
                computed_again += 1;
            }
        }
        // An edit that breaks a query is undone next round, so that most
        // rounds start from answers that can be recomputed.
        if fails {
            failed += 1;
            (model[p], flags_now) = before;
            write(root, &format!("{}/BUILD", packages[p]), &render(&model[p]));
            write(root, "flags/BUILD", &flags_now);
        }
    }
    eprintln!("recomputed {recomputed} ({recomputed_queries} queries, {recomputed_items} JSON or label_kind), computed again {computed_again}, failed {failed}");
    assert!(recomputed >= 40, "recomputed {recomputed} times");
    assert!(
        recomputed_queries >= 20,
        "recomputed {recomputed_queries} queries"
    );
    assert!(
        recomputed_items >= 30,
        "recomputed {recomputed_items} JSON or label_kind answers"
    );
    assert!(
        computed_again >= 20,
        "computed again {computed_again} times"
    );
    assert!(failed >= 5, "{failed} edits broke a query");
}

/// A `query`'s answer is kept with the files of the packages it loaded
/// only, so it is recomputed only while the changed packages mention no
/// other: one they newly mention (here by a target the closure does not
/// reach) is loaded, and can fail, by the command itself.
#[test]
fn a_recomputed_query_answer_depends_on_no_package_outside_its_record() {
    let ws = workspace(&[
        (
            "x/BUILD",
            "package(name = \"t\", deps = [\":u\"])\npackage(name = \"u\")\npackage(name = \"lonely\")\n",
        ),
        ("y/BUILD", "package(name = \"y0\")\n"),
    ]);
    let root = ws.path();
    let q = ["query", "deps(//x:t)"];
    assert_eq!(sel(root, &q).1, "//x:t\n//x:u\n");
    // A dependency dropped: recomputed.
    write(
        root,
        "x/BUILD",
        "package(name = \"t\")\npackage(name = \"u\")\npackage(name = \"lonely\")\n",
    );
    let ((_, out, _), how) = sel_with_phases(root, &q);
    assert_eq!(out, "//x:t\n");
    assert!(how.contains("recompute answer"), "{how}");
    // `//x:lonely` now mentions package `y`: the command loads it.
    write(
        root,
        "x/BUILD",
        "package(name = \"t\")\npackage(name = \"u\")\npackage(name = \"lonely\", deps = [\"//y:y0\"])\n",
    );
    let ((_, out, _), how) = sel_with_phases(root, &q);
    assert_eq!(out, "//x:t\n");
    assert!(!how.contains("recompute answer"), "{how}");
    // So that when `y` breaks, the command fails, as without the cache.
    write(root, "x/BUILD", "package(name = \"t\")\npackage(name = \"lonely\", deps = [\"//y:y0\"])\npackage(name = \"u\")\n");
    write(root, "y/BUILD", "package(name = \n");
    let cold = sel(root, &[&["--no-cache"][..], &q].concat());
    assert_ne!(cold.0, 0);
    assert_eq!(sel(root, &q), cold);
}

/// A recomputed closure may reach targets the kept one did not (a
/// dependency put back): their packages are loaded as the walk reaches
/// them, as the command itself would. (A `query` kept with the files of
/// its closure only is computed again instead.)
#[test]
fn a_recomputed_closure_loads_what_it_newly_reaches() {
    let ws = workspace(&[
        ("r/BUILD", "package(name = \"r\", deps = [\"//a:x\"])\n"),
        ("a/BUILD", "package(name = \"x\")\n"),
        ("b/BUILD", "package(name = \"y\", deps = [\"//c:z\"])\n"),
        ("c/BUILD", "package(name = \"z\", deps = [\"//d:w\"])\n"),
        ("d/BUILD", "package(name = \"w\")\n"),
    ]);
    let root = ws.path();
    for q in [&["query", "deps(//r:r)"][..], &["cquery", "deps(//r:r)"]] {
        // Kept without `b`, `c`, `d`; then `//a:x` depends on `//b:y`.
        write(root, "a/BUILD", "package(name = \"x\")\n");
        sel(root, q);
        write(
            root,
            "a/BUILD",
            "package(name = \"x\", deps = [\"//b:y\"])\n",
        );
        let cold = sel(root, &[&["--no-cache"][..], q].concat());
        assert_eq!(cold.1, "//a:x\n//b:y\n//c:z\n//d:w\n//r:r\n");
        let (cached, how) = sel_with_phases(root, q);
        assert_eq!(cached, cold, "{q:?}");
        // A `query` is kept with the files of `r` and `a` only: one that
        // reaches further is computed again (and kept with those files).
        assert_eq!(
            how.contains("recompute answer"),
            q[0] == "cquery",
            "{q:?}: {how}"
        );
        // What it newly reaches is checked as in a full run: `//d:w` is
        // not visible to `//c:z`.
        write(
            root,
            "d/BUILD",
            "package(name = \"w\", visibility = [\"//visibility:private\"])\n",
        );
        let cold = sel(root, &[&["--no-cache"][..], q].concat());
        assert_eq!(sel(root, q), cold, "{q:?}");
        write(root, "d/BUILD", "package(name = \"w\")\n");
    }
}

/// A kept JSON answer is recomputed element by element: the targets of
/// the changed package are written anew (their dependencies, their
/// resolved attributes, the lines they moved to), the others copied, and
/// a target the closure now reaches is added in label order.
#[test]
fn a_recomputed_json_answer_writes_the_changed_targets_anew() {
    let ws = workspace(&[
        (
            "flags/BUILD",
            "selector(name = \"gpu\", values = [\"no\", \"yes\"], default = \"no\")\nconfig_setting(name = \"on\", flag_values = {\":gpu\": \"yes\"})\n",
        ),
        (
            "x/BUILD",
            "package(name = \"t\", deps = [\"//y:u\"], version = select({\"//flags:on\": \"1\", \"//conditions:default\": \"2\"}))\n",
        ),
        ("y/BUILD", "package(name = \"u\")\npackage(name = \"w\")\n"),
    ]);
    let root = ws.path();
    let q = [
        "cquery",
        "deps(//x:t)",
        "--select",
        "gpu=yes",
        "--output=json",
    ];
    let (status, first, _) = sel(root, &q);
    assert_eq!(status, 0);
    assert_eq!(line_of(&first, "//x:t"), 1);
    // Two lines above the target, and a new dependency.
    write(
        root,
        "x/BUILD",
        "# moved\n\npackage(name = \"t\", deps = [\"//y:u\", \"//y:w\"], version = select({\"//flags:on\": \"1\", \"//conditions:default\": \"2\"}))\n",
    );
    let ((status, out, _), how) = sel_with_phases(root, &q);
    assert_eq!(status, 0);
    assert!(how.contains("recompute answer"), "{how}");
    assert_eq!(out, sel(root, &[&["--no-cache"][..], &q].concat()).1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let labels: Vec<&str> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["//x:t", "//y:u", "//y:w"]);
    assert_eq!(line_of(&out, "//x:t"), 3);
    assert_eq!(
        doc["targets"][0]["attributes"]["version"]["value"],
        serde_json::json!("1")
    );
}

/// Random switches between a package's `BUILD` and `BUILD.sel` (issue 16:
/// the cache kept a package under the package's name, so a `BUILD.sel`
/// with the text an old `BUILD` had was answered with that file's
/// locations): copies and moves each way, other content in the file left
/// behind, an error in either, now and then a settled workspace. Every
/// cached answer and error is the one `--no-cache` gives.
#[test]
fn random_build_sel_switches_never_change_an_answer() {
    let macro_build = |name: &str, dep: &str| {
        format!("load(\"//defs:defs.bzl\", \"variant\")\nvariant(name = \"{name}\", cuda = \"{dep}\")\n")
    };
    let ws = start();
    let root = ws.path();
    write(root, "p1/BUILD", &macro_build("one", "//lib:cuda"));
    write(root, "p2/BUILD", &macro_build("two", "//p1:one"));
    let queries: &[&[&str]] = &[
        &["cquery", "//...", "--select", "gpu=yes"],
        &["cquery", "//...", "--output=build"],
        &["query", "//...", "--output=json"],
        &["query", "deps(//app:app)", "--output=build"],
    ];
    let mut state: u64 = std::env::var("SEL_SWITCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xb_5e1);
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    let packages = ["app", "p1", "p2"];
    for round in 0..24 {
        let pkg = packages[next(packages.len())];
        let build = root.join(pkg).join("BUILD");
        let sel_file = root.join(pkg).join("BUILD.sel");
        let name = format!("r{round}");
        match next(6) {
            // The issue's case: BUILD copied to BUILD.sel, other content in BUILD.
            0 => {
                if build.exists() {
                    std::fs::copy(&build, &sel_file).unwrap();
                }
                write(
                    root,
                    &format!("{pkg}/BUILD"),
                    &format!("# other\npackage(name = \"{name}\")\n"),
                );
            }
            // A plain move one way or the other.
            1 => {
                if build.exists() {
                    std::fs::rename(&build, &sel_file).unwrap();
                }
            }
            2 => {
                if sel_file.exists() {
                    std::fs::rename(&sel_file, &build).unwrap();
                }
            }
            // BUILD.sel goes; BUILD (if any) takes over.
            3 => {
                let _ = std::fs::remove_file(&sel_file);
                if !build.exists() {
                    write(
                        root,
                        &format!("{pkg}/BUILD"),
                        &macro_build(&name, "//lib:core"),
                    );
                }
            }
            // An error (a missing dependency, through the macro) in either file.
            4 => {
                let file = if next(2) == 0 { "BUILD" } else { "BUILD.sel" };
                write(
                    root,
                    &format!("{pkg}/{file}"),
                    &macro_build(&name, ":missing"),
                );
            }
            // The same text in both files.
            _ => {
                let text = macro_build(&name, "//lib:cuda");
                write(root, &format!("{pkg}/BUILD"), &text);
                write(root, &format!("{pkg}/BUILD.sel"), &text);
            }
        }
        if round % 8 == 7 {
            std::thread::sleep(Duration::from_millis(2_200));
        }
        for q in queries {
            let cold = sel(root, &[&["--no-cache"], *q].concat());
            for run in ["first", "second"] {
                assert_eq!(sel(root, q), cold, "round {round}, {q:?}, {run} cached run");
            }
        }
    }
}

/// A cache file replaced by a link (to `/dev/zero`, which never ends, or
/// anywhere else) is no cache: sel read `/dev/zero` until memory ran out.
/// Cache files are read only when they are plain files of a bounded size;
/// anything else is a miss, and the answers are those of `--no-cache`.
#[cfg(unix)]
#[test]
fn a_cache_file_that_is_a_link_is_a_miss() {
    let ws = start();
    let root = ws.path();
    let cold = same_with_and_without_cache(root);
    // Settled, the walk is recorded too (`listing.v1`).
    std::thread::sleep(Duration::from_millis(2_200));
    sel(root, &["query", "//..."]);
    let dir = root.join(".sel-cache");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".v1"))
        .collect();
    names.sort();
    for expected in ["packages.v1", "listing.v1", "answers.v1"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    for name in &names {
        for target in [Path::new("/dev/zero").to_path_buf(), root.join("elsewhere")] {
            same_with_and_without_cache(root);
            let file = dir.join(name);
            // Answer files come and go with the answers kept.
            if std::fs::copy(&file, root.join("elsewhere")).is_err() {
                continue;
            }
            std::fs::remove_file(&file).unwrap();
            std::os::unix::fs::symlink(&target, &file).unwrap();
            for q in QUERIES {
                let answer = sel(root, q);
                assert_eq!(
                    answer,
                    sel(root, &[&["--no-cache"], *q].concat()),
                    "{name} -> {target:?}, {q:?}"
                );
            }
            assert_eq!(sel(root, &["query", "//..."]).1, cold);
            let _ = std::fs::remove_file(&file);
        }
    }
}

/// Issue 16's two cases: `a/BUILD` copied to `a/BUILD.sel` with other content
/// left in `a/BUILD` (the cached error pointed into `a/BUILD`), and `a/BUILD`
/// moved to `a/BUILD.sel` (`--output=build` printed `# a/BUILD` with no line).
#[test]
fn a_package_read_from_build_sel_is_not_the_cached_build() {
    let ws = workspace(&[
        (
            "a/m.bzl",
            "def mk(name, dep):\n    package(name = name, deps = [dep])\n",
        ),
        (
            "a/BUILD",
            "load(\":m.bzl\", \"mk\")\nmk(name = \"x\", dep = \":nope\")\n",
        ),
    ]);
    let root = ws.path();
    let cquery = ["cquery", "//..."];
    let run = sel(root, &cquery);
    assert!(run.2.contains("a/BUILD:2:1"), "{}", run.2);
    std::fs::copy(root.join("a/BUILD"), root.join("a/BUILD.sel")).unwrap();
    write(root, "a/BUILD", "# other\npackage(name = \"y\")\n");
    let run = sel(root, &cquery);
    assert_eq!(run, sel(root, &["--no-cache", "cquery", "//..."]));
    assert!(run.2.contains("a/BUILD.sel:2:1"), "{}", run.2);
    // A plain move.
    write(
        root,
        "a/BUILD.sel",
        "load(\":m.bzl\", \"mk\")\nmk(name = \"x\", dep = \":x\")\n",
    );
    std::fs::remove_file(root.join("a/BUILD.sel")).unwrap();
    write(
        root,
        "a/BUILD",
        "load(\":m.bzl\", \"mk\")\nmk(name = \"x\", dep = \":z\")\npackage(name = \"z\")\n",
    );
    let build = ["query", "//...", "--output=build"];
    assert_eq!(sel(root, &build).0, 0);
    std::fs::rename(root.join("a/BUILD"), root.join("a/BUILD.sel")).unwrap();
    let run = sel(root, &build);
    assert_eq!(
        run,
        sel(root, &["--no-cache", "query", "//...", "--output=build"])
    );
    assert!(run.1.contains("# a/BUILD.sel:2:1\n"), "{}", run.1);
}
