//! `sel query` loads only the packages its patterns can reach: a broken or
//! changed package elsewhere does not matter to it, `//...` still loads
//! everything, errors are those of a full load, and the cache stays right
//! across narrow and full runs.

use std::path::Path;

mod common;

use common::{sel, workspace, write};

const APP: &str = r#"
package(name = "app", deps = ["//lib:core"] + select({
    "//flags:gpu": ["//lib:cuda"],
    "//conditions:default": [],
}))
"#;
const LIB: &str = r#"
package(name = "core")
package(name = "cuda")
"#;
const FLAGS: &str = r#"
selector(name = "gpu_on", values = ["no", "yes"], default = "no")
config_setting(name = "gpu", flag_values = {":gpu_on": "yes"})
"#;

#[test]
fn a_broken_package_elsewhere_does_not_stop_a_narrow_query() {
    let ws = workspace(&[
        ("app/BUILD", APP),
        ("lib/BUILD", LIB),
        ("flags/BUILD", FLAGS),
        ("other/BUILD", "package(name = \"x\", deps = [\n"),
    ]);
    let (code, out, err) = sel(ws.path(), &["--no-cache", "query", "deps(//app:app)"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "//app:app\n//lib:core\n//lib:cuda\n");
    // Other functions and package patterns work on the loaded packages.
    let (code, out, _) = sel(
        ws.path(),
        &["--no-cache", "query", "labels(deps, //app:app) + //lib:all"],
    );
    assert_eq!(code, 0);
    assert_eq!(out, "//lib:core\n//lib:cuda\n");
    // The whole workspace is another matter.
    let (code, _, err) = sel(ws.path(), &["--no-cache", "query", "//..."]);
    assert_eq!(code, 1);
    assert!(err.contains("other/BUILD"), "{err}");
    // And so is a subtree pattern that covers the broken package.
    let (code, _, err) = sel(
        ws.path(),
        &["--no-cache", "query", "deps(//app:app) + //other/..."],
    );
    assert_eq!(code, 1);
    assert!(err.contains("other/BUILD"), "{err}");
}

#[test]
fn errors_are_those_of_a_full_load() {
    let ws = workspace(&[
        (
            "app/BUILD",
            "package(name = \"app\", deps = [\"//lbi:core\"])\n",
        ),
        ("lib/BUILD", LIB),
    ]);
    let (code, _, err) = sel(ws.path(), &["--no-cache", "query", "deps(//app:app)"]);
    assert_eq!(code, 1);
    // The suggestion comes from every package of the workspace, as without lazy loading.
    assert!(err.contains("no such package `//lbi`"), "{err}");
    assert!(err.contains("//lib"), "{err}");
    let (code, _, err) = sel(ws.path(), &["--no-cache", "query", "deps(//app:nope)"]);
    assert_eq!(code, 1);
    assert!(err.contains("no such target `//app:nope`"), "{err}");
}

#[test]
fn the_cache_stays_right_across_narrow_and_full_runs() {
    let ws = workspace(&[
        ("app/BUILD", APP),
        ("lib/BUILD", LIB),
        ("flags/BUILD", FLAGS),
        ("other/BUILD", "package(name = \"x\")\n"),
    ]);
    let root = ws.path();
    let narrow = |root: &Path| sel(root, &["query", "deps(//app:app)"]).1;
    let all = |root: &Path| sel(root, &["query", "//..."]).1;
    // A narrow run first: the cache holds only what it loaded.
    assert_eq!(narrow(root), "//app:app\n//lib:core\n//lib:cuda\n");
    let everything = "//app:app\n//flags:gpu\n//flags:gpu_on\n//lib:core\n//lib:cuda\n//other:x\n";
    assert_eq!(all(root), everything);
    // A change outside the narrow closure, then a narrow run that evaluates
    // something (lib changed too): the entry of `other` must be kept fresh.
    write(
        root,
        "other/BUILD",
        "package(name = \"x\")\npackage(name = \"y\")\n",
    );
    write(
        root,
        "lib/BUILD",
        &format!("{LIB}package(name = \"blas\")\n"),
    );
    assert_eq!(narrow(root), "//app:app\n//lib:core\n//lib:cuda\n");
    assert_eq!(
        all(root),
        "//app:app\n//flags:gpu\n//flags:gpu_on\n//lib:blas\n//lib:core\n//lib:cuda\n//other:x\n//other:y\n"
    );
    // A change inside it is seen by the next narrow run.
    write(root, "app/BUILD", &APP.replace("//lib:core", "//lib:blas"));
    assert_eq!(narrow(root), "//app:app\n//lib:blas\n//lib:cuda\n");
    // And every answer equals the answer without the cache.
    for q in ["deps(//app:app)", "//...", "rdeps(//..., //lib:cuda)"] {
        assert_eq!(
            sel(root, &["query", q]).1,
            sel(root, &["--no-cache", "query", q]).1,
            "{q}"
        );
    }
}
