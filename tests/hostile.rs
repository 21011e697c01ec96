//! Hostile and huge inputs (issue 16): names longer than a format width,
//! nesting deeper than a stack, repetitions larger than memory, runaway
//! comprehensions, tens of thousands of targets in one file, long chains.
//! Each must end with an answer or a clear `sel::` error (exit 1 or 2):
//! never a panic (101), an abort (134) or a hang. The inputs are generated
//! here; none is timed, and each runs in seconds in a debug build.

mod common;

use common::{sel, workspace};

/// Asserts a run ended with a `sel::` error of `code` (exit 1), not a crash.
fn assert_error(run: &(i32, String, String), code: &str) {
    let (status, _, stderr) = run;
    assert_eq!(*status, 1, "exit 1 expected; stderr: {}", head(stderr));
    assert!(
        stderr.contains(code),
        "`{code}` expected; stderr: {}",
        head(stderr)
    );
    assert!(!stderr.contains("panicked"), "{}", head(stderr));
}

/// The first 2,000 characters of a long text, for assertion messages.
fn head(s: &str) -> &str {
    &s[..s.char_indices().nth(2000).map_or(s.len(), |(i, _)| i)]
}

#[test]
fn a_name_longer_than_a_format_width_is_aligned_by_hand() {
    let long = "a".repeat(70_000);
    let ws = workspace(&[(
        "BUILD",
        &format!(
            "package(name = \"{long}\", version = \"1.0\", license = \"MIT\")\npackage(name = \"b\", version = \"1.0\", license = \"MIT\")\n"
        ),
    )]);
    let (status, out, err) = sel(ws.path(), &["cquery", "//...", "--all-configs"]);
    assert_eq!(status, 0, "{}", head(&err));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    // The short label is padded to the long one's width, two spaces after.
    let width = format!("//:{long}").len();
    assert!(
        lines[0].starts_with(&format!("//:{long}  ")),
        "{}",
        head(lines[0])
    );
    assert!(lines[1].starts_with("//:b "));
    assert!(lines[1][4..width + 2].trim().is_empty());
    assert_eq!(lines[0][width + 2..], lines[1][width + 2..]);
    let (status, out, err) = sel(ws.path(), &["licenses", "//..."]);
    assert_eq!(status, 0, "{}", head(&err));
    assert!(out.contains(&long));
}

/// A workspace whose package `a` has this BUILD file, beside a plain
/// package `b` (so that packages load on several threads).
fn two_packages(build: &str) -> tempfile::TempDir {
    workspace(&[("a/BUILD", build), ("b/BUILD", "package(name = \"b\")\n")])
}

#[test]
fn nesting_deeper_than_the_limit_is_a_syntax_error_with_a_place() {
    let n = 12_000;
    for (open, close) in [("(", ")"), ("[", "]"), ("{1: ", "}")] {
        let build = format!("x = {}1{}\n", open.repeat(n), close.repeat(n));
        let ws = two_packages(&build);
        let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
        assert_error(&run, "sel::syntax");
        assert!(
            run.2.contains("more than 10000 levels deep"),
            "{}",
            head(&run.2)
        );
        assert!(run.2.contains("a/BUILD:1:"), "{}", head(&run.2));
    }
    // Chains without brackets nest as deeply.
    for build in [
        format!("x = {}1\n", "-".repeat(20_000)),
        format!("x = {}\n", vec!["1"; 20_000].join(" + ")),
        format!("x = {}1\n", "lambda: ".repeat(20_000)),
        format!("x = f{}\n", "()".repeat(20_000)),
    ] {
        let run = sel(
            two_packages(&build).path(),
            &["query", "//...", "--no-cache"],
        );
        assert_error(&run, "sel::syntax");
    }
    // Also in a .bzl file.
    let ws = workspace(&[
        (
            "a/BUILD",
            "load(\":m.bzl\", \"x\")\npackage(name = \"a\")\n",
        ),
        (
            "a/m.bzl",
            &format!("x = {}1{}\n", "[".repeat(n), "]".repeat(n)),
        ),
    ]);
    let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
    assert_error(&run, "sel::syntax");
    assert!(run.2.contains("a/m.bzl:1:"), "{}", head(&run.2));
}

#[test]
fn nesting_within_the_limit_loads_on_any_thread() {
    // 7,000 levels overflowed the main thread's 8 MiB stack, and 1,000 a
    // rayon thread's 2 MiB; within the limit, every shape loads.
    let n = 9_000;
    for build in [
        format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n)),
        format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)),
        format!("x = {}1\n", "- ".repeat(n)),
        format!("x = {}\n", vec!["1"; n].join("+")),
        format!("x = {}1\n", "not ".repeat(n)),
        format!("x = {}1\n", "lambda: ".repeat(n / 2)),
        format!("x = {}\n", vec!["1"; n / 2].join(" if True else ")),
    ] {
        let ws = two_packages(&format!("{build}package(name = \"a\")\n"));
        let (status, out, err) = sel(ws.path(), &["query", "//...", "--no-cache"]);
        assert_eq!(
            (status, out.as_str()),
            (0, "//a:a\n//b:b\n"),
            "{}",
            head(&err)
        );
    }
}

#[test]
fn values_nested_deeper_than_the_limit_are_an_error() {
    let ws = two_packages(
        "x = []\nfor i in range(30000):\n    x = [x]\npackage(name = \"a\", metadata = {\"k\": x})\n",
    );
    let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
    assert_error(&run, "sel::");
    assert!(
        run.2.contains("more than 1000 levels deep"),
        "{}",
        head(&run.2)
    );
    assert!(run.2.contains("a/BUILD:4:1"), "{}", head(&run.2));
    // Written as a literal (which sel reads without Starlark when it can): the same.
    for n in [1_001, 1_500] {
        let literal = format!("{}{}", "[".repeat(n), "]".repeat(n));
        let ws = two_packages(&format!(
            "package(name = \"a\", metadata = {{\"k\": {literal}}})\n"
        ));
        let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
        assert_error(&run, "sel::");
        assert!(
            run.2.contains("more than 1000 levels deep"),
            "{}",
            head(&run.2)
        );
    }
    let literal = format!("{}{}", "[".repeat(999), "]".repeat(999));
    let ws = two_packages(&format!(
        "package(name = \"a\", metadata = {{\"k\": {literal}}})\n"
    ));
    let (status, out, err) = sel(ws.path(), &["cquery", "//...", "--output=json"]);
    assert_eq!(status, 0, "{}", head(&err));
    assert!(out.contains("\"//a:a\""));
    // A list that holds itself twice, 40 times over: small in Starlark, 2^40 elements copied out.
    let ws = two_packages(
        "x = [1]\nfor i in range(40):\n    x = [x, x]\npackage(name = \"a\", metadata = {\"k\": x})\n",
    );
    let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
    assert_error(&run, "sel::");
    assert!(
        run.2.contains("more than 10000000 elements"),
        "{}",
        head(&run.2)
    );
    // Deep values Starlark itself handles: str() and ==.
    let ws = two_packages(
        "x = []\ny = []\nfor i in range(30000):\n    x = [x]\n    y = [y]\ns = str(x)\npackage(name = \"a\")\nz = (x == y)\n",
    );
    let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
    assert_error(&run, "sel::eval");
    assert!(run.2.contains("a/BUILD:8:"), "{}", head(&run.2));
}

/// A BUILD file of `n` targets `t0` … `t{n-1}`, each depending on the next.
fn chain(n: usize) -> String {
    let mut build = String::new();
    for i in 0..n {
        let deps = if i + 1 < n {
            format!(", deps = [\":t{}\"]", i + 1)
        } else {
            String::new()
        };
        build.push_str(&format!("package(name = \"t{i}\"{deps})\n"));
    }
    build
}

#[test]
fn a_long_chain_is_ordered_without_recursion() {
    // 30,000 overflowed the main thread's stack in a debug build (100,000 in a release one).
    let n = 30_000;
    let ws = workspace(&[("BUILD", &chain(n))]);
    for command in ["query", "cquery"] {
        let (status, out, err) = sel(ws.path(), &[command, "deps(//:t0)", "--order", "deps"]);
        assert_eq!(status, 0, "{}", head(&err));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), n);
        assert_eq!(lines[0], format!("//:t{}", n - 1));
        assert_eq!(lines[n - 1], "//:t0");
    }
}

/// Symbolic links to directories are followed, as Bazel follows them: the
/// package behind one is found by labels, by `//...`, by `query` and by
/// `cquery` alike, wherever the link points.
#[cfg(unix)]
#[test]
fn a_linked_directory_is_a_package_for_every_command() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("BUILD"), "package(name = \"o\")\n").unwrap();
    let ws = workspace(&[(
        "app/BUILD",
        "package(name = \"app\", deps = [\"//ext:o\"])\n",
    )]);
    std::os::unix::fs::symlink(outside.path(), ws.path().join("ext")).unwrap();
    for args in [
        &["query", "deps(//app)"][..],
        &["cquery", "deps(//app)"],
        &["query", "deps(//app)", "--no-cache"],
        &["cquery", "deps(//app)", "--no-cache"],
    ] {
        let (status, out, err) = sel(ws.path(), args);
        assert_eq!(
            (status, out.as_str()),
            (0, "//app:app\n//ext:o\n"),
            "{args:?}: {err}"
        );
    }
    for args in [&["query", "//..."][..], &["cquery", "//..."]] {
        let (status, out, err) = sel(ws.path(), args);
        assert_eq!(
            (status, out.as_str()),
            (0, "//app:app\n//ext:o\n"),
            "{args:?}: {err}"
        );
    }
    // Bazel's links into its output base are not followed, as Bazel does
    // not: their BUILD files are outputs and external repositories.
    let base = tempfile::tempdir().unwrap();
    let main = base.path().join("execroot/_main");
    std::fs::create_dir_all(main.join("bazel-out/k8-fastbuild/bin/gen")).unwrap();
    std::fs::write(main.join("DO_NOT_BUILD_HERE"), "").unwrap();
    std::fs::write(main.join("BUILD"), "package(name = \"copy\")\n").unwrap();
    let out_build = main.join("bazel-out/k8-fastbuild/bin/gen/BUILD");
    std::fs::write(out_build, "package(name = \"out\")\n").unwrap();
    let bin = main.join("bazel-out/k8-fastbuild/bin");
    std::os::unix::fs::symlink(&main, ws.path().join("bazel-ws")).unwrap();
    std::os::unix::fs::symlink(bin, ws.path().join("bazel-bin")).unwrap();
    for args in [&["query", "//..."][..], &["cquery", "//..."]] {
        let (status, out, err) = sel(ws.path(), args);
        assert_eq!(
            (status, out.as_str()),
            (0, "//app:app\n//ext:o\n"),
            "{args:?}: {err}"
        );
    }
    let run = sel(ws.path(), &["query", "//bazel-bin/gen:out"]);
    assert_error(&run, "sel::unknown_package");
}

/// A link to a directory that contains it (`d/up -> ..`) would make
/// infinitely many packages: every command that meets it, through `//...`,
/// the whole workspace or a label, reports it, and none loops.
#[cfg(unix)]
#[test]
fn a_link_back_into_its_own_ancestors_is_an_error_not_a_loop() {
    let ws = workspace(&[
        (
            "app/BUILD",
            "package(name = \"app\", deps = [\"//d/up/app:app2\"])\npackage(name = \"app2\")\n",
        ),
        ("d/BUILD", "package(name = \"d\")\n"),
    ]);
    std::os::unix::fs::symlink("..", ws.path().join("d/up")).unwrap();
    for args in [
        &["query", "//..."][..],
        &["cquery", "//..."],
        &["query", "deps(//app)"],
        &["cquery", "deps(//app)"],
        &["query", "//d/up/app:app2", "--no-cache"],
    ] {
        let run = sel(ws.path(), args);
        assert_error(&run, "sel::workspace");
        assert!(
            run.2
                .contains("infinite symlink expansion: `d/up` links to `..`"),
            "{args:?}: {}",
            run.2
        );
    }
    // Ignored, the link is not followed; a label through it names no package.
    std::fs::write(ws.path().join("sel.toml"), "ignore = [\"d/up\"]\n").unwrap();
    let (status, out, err) = sel(ws.path(), &["query", "//..."]);
    assert_eq!(
        (status, out.as_str()),
        (0, "//app:app\n//app:app2\n//d:d\n"),
        "{err}"
    );
    let run = sel(ws.path(), &["cquery", "deps(//app)"]);
    assert_error(&run, "sel::unknown_package");
    // A cycle through a directory outside the workspace is found too.
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(ws.path(), outside.path().join("back")).unwrap();
    std::os::unix::fs::symlink(outside.path(), ws.path().join("x")).unwrap();
    let run = sel(ws.path(), &["cquery", "//..."]);
    assert_error(&run, "sel::workspace");
    assert!(run.2.contains("`x/back` links to"), "{}", run.2);
}

#[test]
fn a_repetition_larger_than_memory_is_an_error_not_an_abort() {
    for build in [
        "x = \"abcdefgh\" * 1000000000\n",
        "x = [1, 2] * 1000000000\n",
        "x = (\"a\" * 100000000).replace(\"a\", \"bbbbbbbb\")\n",
    ] {
        let ws = two_packages(&format!("{build}package(name = \"a\")\n"));
        let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
        assert_error(&run, "sel::eval");
        assert!(run.2.contains("`a/BUILD`"), "{}", run.2);
        assert!(run.2.contains("memory budget"), "{}", run.2);
    }
}

#[test]
fn a_runaway_comprehension_stops_on_its_memory_budget() {
    // Starlark counted neither the dict's table (in the Rust heap) nor its
    // growth: 20 million entries ran for minutes and took 1.7 GB.
    let ws = two_packages("d = {str(i): i for i in range(20000000)}\npackage(name = \"a\")\n");
    let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
    assert_error(&run, "sel::eval");
    assert!(
        run.2
            .contains("`a/BUILD` needs more memory than its budget"),
        "{}",
        run.2
    );
    // Within the budget, a large one is fine.
    let ws = two_packages("d = {str(i): i for i in range(200000)}\npackage(name = \"a\")\n");
    let (status, out, err) = sel(ws.path(), &["query", "//...", "--no-cache"]);
    assert_eq!((status, out.as_str()), (0, "//a:a\n//b:b\n"), "{err}");
}

/// 40,000 targets in one BUILD file: every output that shows where a target
/// is written gives its own line (computed once per file now, not by
/// counting the newlines before each target: that was quadratic, 7 s for
/// JSON against 0.04 s for labels).
#[test]
fn many_targets_in_one_file_are_placed_by_line() {
    let n = 40_000;
    let mut build = String::new();
    for i in 0..n {
        build.push_str(&format!("package(name = \"t{i}\")  # {i}\n"));
    }
    let ws = workspace(&[("BUILD", &build)]);
    let (status, out, err) = sel(ws.path(), &["query", "//...", "--output=json"]);
    assert_eq!(status, 0, "{}", head(&err));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), n);
    for t in targets {
        let name = t["label"].as_str().unwrap();
        let i: usize = name.trim_start_matches("//:t").parse().unwrap();
        let at = &t["location"];
        assert_eq!(
            (&at["file"], &at["line"], &at["column"]),
            (&"BUILD".into(), &(i + 1).into(), &1.into()),
            "{name}"
        );
    }
    let (status, out, err) = sel(ws.path(), &["cquery", "//...", "--output=build"]);
    assert_eq!(status, 0, "{}", head(&err));
    assert!(out.contains(&format!(
        "# BUILD:{n}:1\npackage(\n    name = \"t{}\",",
        n - 1
    )));
}

/// "did you mean" compared every candidate with a missing label in time
/// proportional to the product of their lengths: 100,000 characters took
/// seconds, 1 MB minutes. A suggestion is still made.
#[test]
fn a_long_unknown_label_is_reported_with_a_suggestion() {
    let name = "a".repeat(100_000);
    let missing = format!("{}b", &name[1..]);
    let ws = workspace(&[(
        "BUILD",
        &format!(
            "package(name = \"{name}\", deps = [\":{missing}\"])\npackage(name = \"{}\")\n",
            "c".repeat(100_000)
        ),
    )]);
    let run = sel(ws.path(), &["cquery", "//..."]);
    assert_error(&run, "sel::unknown_target");
    assert!(
        run.2.contains(&format!("did you mean `{name}`?")),
        "{}",
        head(&run.2)
    );
    let run = sel(ws.path(), &["query", &format!("//:{missing}")]);
    assert_error(&run, "sel::unknown_target");
    assert!(
        run.2.contains(&format!("did you mean `{name}`?")),
        "{}",
        head(&run.2)
    );
}

/// A panic, were one left, is reported as a bug in sel with exit 1: never a
/// raw backtrace, never exit 101. (A debug build panics on purpose when
/// `SEL_PANIC_FOR_TESTS` is set.)
#[test]
fn a_panic_is_an_internal_error_report() {
    let ws = two_packages("package(name = \"a\")\n");
    let run = common::sel_with_env(
        ws.path(),
        &["query", "//..."],
        &[("SEL_PANIC_FOR_TESTS", "1"), ("RUST_BACKTRACE", "1")],
    );
    assert_error(&run, "sel::internal");
    assert!(run.2.contains("please report it"), "{}", run.2);
    assert!(!run.2.contains("stack backtrace"), "{}", run.2);
    assert!(run.1.is_empty());
}

/// A value nested millions of levels deep at run time (within the step and
/// memory budgets) overflows even the evaluation threads' stacks when
/// Starlark prints, hashes or freezes it; the binary reports that as
/// `sel::eval` with the file and exits 1, instead of aborting.
#[cfg(unix)]
#[test]
fn a_value_too_deep_for_the_stack_is_an_error_not_an_abort() {
    let deep = "x = []\nfor i in range(3000000):\n    x = [x]\n";
    let ws = two_packages(&format!("{deep}y = str(x)\npackage(name = \"a\")\n"));
    let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
    assert_error(&run, "sel::eval");
    assert!(
        run.2
            .contains("evaluation of `a/BUILD` recursed deeper than the stack holds"),
        "{}",
        run.2
    );
    let ws = workspace(&[
        (
            "a/BUILD",
            "load(\":m.bzl\", \"x\")\npackage(name = \"a\")\n",
        ),
        ("a/m.bzl", deep),
    ]);
    let run = sel(ws.path(), &["query", "//...", "--no-cache"]);
    assert_error(&run, "sel::eval");
    assert!(run.2.contains("`a/m.bzl`"), "{}", run.2);
}
