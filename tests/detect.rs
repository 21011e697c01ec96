//! `sel detect` and `--host`: the probes on recorded CPUs, on this machine
//! (checked against /proc/cpuinfo and `ldd --version`), under overrides, with
//! stand-in NVIDIA driver libraries compiled here (one that answers, one that
//! hangs, one that crashes), and the spam example's bound selectors, live and
//! replayed from a snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value as Json;

use sel::detect::{x86_64_level, CpuInfo};

/// The probes' environment variables, cleared so the tests see this machine.
const CLEARED: &[&str] = &[
    "CONDA_OVERRIDE_CUDA",
    "CONDA_OVERRIDE_GLIBC",
    "SEL_DETECT_TIMEOUT",
    "SEL_DETECT_LIBCUDA",
    "SEL_DETECT_LIBNVML",
];

/// A workspace in a temporary directory: an empty `sel.toml` and these files.
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sel.toml"), "").unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// (exit code, stdout, stderr) of sel in `dir` with `env`, every other
/// override of a probe removed.
fn sel(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("sel").unwrap();
    cmd.arg("-C").arg(dir).args(["--color", "never"]).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("SEL_DETECT_") || CLEARED.contains(&k.as_str()) {
            cmd.env_remove(&k);
        }
    }
    let out = cmd.envs(env.iter().copied()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `sel detect --output=json` in `dir`, parsed.
fn detect(dir: &Path, env: &[(&str, &str)]) -> Json {
    let (code, out, err) = sel(dir, &["detect", "--output=json"], env);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn spam() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spam")
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cpuinfo")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn recorded_x86_64_cpus_get_their_psabi_level() {
    for (file, level) in [
        ("linux-scientific7-k10", "v1"),
        ("linux-rhel6-piledriver", "v2"),
        ("linux-rhel7-ivybridge", "v2"),
        ("linux-rhel7-haswell", "v3"),
        ("linux-ubuntu20.04-zen3", "v3"),
        ("linux-ubuntu24.04-alderlake", "v3"),
        ("linux-rhel7-skylake_avx512", "v4"),
        ("linux-rocky8.5-zen4", "v4"),
        ("linux-debian12-sapphirerapids-vm", "v4"),
        ("darwin-mojave-haswell", "v3"),
    ] {
        let info = CpuInfo::parse(&fixture(file));
        assert_eq!(x86_64_level(&info.flags), Some(level), "{file}");
        assert!(info.features.is_empty(), "{file}");
    }
}

#[test]
fn recorded_aarch64_cpus_list_their_features_and_no_x86_level() {
    for (file, has, lacks) in [
        ("linux-amazon-neoverse_n1", "atomics", "sve"),
        ("linux-rhel9-neoverse_n2", "sve2", "avx"),
    ] {
        let info = CpuInfo::parse(&fixture(file));
        assert_eq!(x86_64_level(&info.flags), None, "{file}");
        let features = sel::detect::aarch64_features(&info).unwrap();
        let words: BTreeSet<&str> = features.split(' ').collect();
        assert!(
            words.contains("asimd") && words.contains(has),
            "{file}: {features}"
        );
        assert!(!words.contains(lacks), "{file}: {features}");
    }
}

/// The x86-64 level of this machine, computed here from /proc/cpuinfo's
/// first `flags` line with the psABI's lists.
fn level_from_proc_cpuinfo() -> Option<&'static str> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("flags"))?;
    let flags: BTreeSet<&str> = line.split(':').nth(1)?.split_whitespace().collect();
    let has = |s: &str| s.split(' ').all(|f| flags.contains(f));
    if !has("lm cmov cx8 fpu fxsr mmx sse sse2") {
        return None;
    }
    let mut level = "v1";
    for (next, needs) in [
        ("v2", "cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3"),
        ("v3", "avx avx2 bmi1 bmi2 f16c fma abm movbe xsave"),
        ("v4", "avx512f avx512bw avx512cd avx512dq avx512vl"),
    ] {
        if !has(needs) {
            break;
        }
        level = next;
    }
    Some(level)
}

/// glibc's version as `ldd --version` prints it (`ldd (Debian GLIBC 2.36-9) 2.36`).
fn glibc_from_ldd() -> Option<String> {
    let out = std::process::Command::new("ldd")
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let first = text.lines().next()?;
    if !(first.contains("GLIBC") || first.contains("GNU libc")) {
        return None;
    }
    first.split_whitespace().last().map(str::to_string)
}

fn probe<'a>(doc: &'a Json, name: &str) -> &'a Json {
    &doc["probes"][name]
}

#[test]
fn detect_reports_this_machine() {
    let outside = tempfile::tempdir().unwrap();
    let doc = detect(outside.path(), &[]);
    assert_eq!(doc["schema"], "sel.host/v1");
    assert_eq!(probe(&doc, "os")["value"], std::env::consts::OS);
    assert_eq!(probe(&doc, "os")["source"], "probed");
    let machine = std::process::Command::new("uname")
        .arg("-m")
        .output()
        .unwrap();
    let machine = String::from_utf8(machine.stdout).unwrap();
    let machine = match machine.trim() {
        "arm64" => "aarch64",
        m => m,
    };
    assert_eq!(probe(&doc, "arch")["value"], machine);
    if cfg!(target_os = "linux") && std::env::consts::ARCH == "x86_64" {
        let level = level_from_proc_cpuinfo().expect("an x86-64 CPU in /proc/cpuinfo");
        assert_eq!(probe(&doc, "x86_64.level")["value"], level);
    }
    if let Some(glibc) = glibc_from_ldd() {
        assert_eq!(probe(&doc, "libc")["value"], "glibc");
        assert_eq!(probe(&doc, "libc.version")["value"], glibc.as_str());
    }
    if !Path::new("/proc/driver/nvidia").exists() {
        assert_eq!(probe(&doc, "cuda.driver")["source"], "absent");
        assert_eq!(probe(&doc, "cuda.driver")["value"], Json::Null);
        assert_eq!(probe(&doc, "nvidia.driver")["source"], "absent");
    }
    // Outside a workspace there are no selectors.
    assert_eq!(doc["selectors"], serde_json::json!({}));
    // The text output lists every probe with its source.
    let (code, text, _) = sel(outside.path(), &["detect"], &[]);
    assert_eq!(code, 0);
    for name in [
        "os",
        "arch",
        "kernel",
        "libc.version",
        "x86_64.level",
        "cuda.driver",
        "python.sys_platform",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} in:\n{text}"
        );
    }
}

#[test]
fn overrides_win_and_an_empty_one_means_absent() {
    let outside = tempfile::tempdir().unwrap();
    let doc = detect(
        outside.path(),
        &[
            ("SEL_DETECT_CUDA_DRIVER", "12.4"),
            ("SEL_DETECT_X86_64_LEVEL", "v2"),
            ("SEL_DETECT_LIBC_VERSION", ""),
            ("CONDA_OVERRIDE_GLIBC", "2.17"),
        ],
    );
    assert_eq!(probe(&doc, "cuda.driver")["value"], "12.4");
    assert_eq!(probe(&doc, "cuda.driver")["source"], "overridden");
    assert_eq!(probe(&doc, "x86_64.level")["value"], "v2");
    // sel's own variable wins over conda's.
    assert_eq!(probe(&doc, "libc.version")["value"], Json::Null);
    assert_eq!(probe(&doc, "libc.version")["source"], "overridden");
    // conda's spelling alone is read.
    let doc = detect(outside.path(), &[("CONDA_OVERRIDE_CUDA", "11.8")]);
    assert_eq!(probe(&doc, "cuda.driver")["value"], "11.8");
    // A version probe is given a version.
    let (code, _, err) = sel(
        outside.path(),
        &["detect"],
        &[("SEL_DETECT_CUDA_DRIVER", "twelve")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SEL_DETECT_CUDA_DRIVER=`twelve`"), "{err}");
}

/// Compiles `source` into a shared library in `dir`; `None` without a C compiler.
fn stand_in(dir: &Path, name: &str, source: &str) -> Option<PathBuf> {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).unwrap();
    let lib = dir.join(format!("lib{name}.so"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let ok = std::process::Command::new(cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&c)
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(lib)
}

const ANSWERS: &str = r#"
int cuInit(unsigned int flags) { return 0; }
int cuDriverGetVersion(int *v) { *v = 12040; return 0; }
int cuDeviceGetCount(int *n) { *n = 2; return 0; }
int cuDeviceGet(int *dev, int i) { *dev = i; return 0; }
/* Device 0 is compute capability 8.6, device 1 is 7.5. */
int cuDeviceGetAttribute(int *out, int attr, int dev) {
    if (attr == 75) { *out = dev == 0 ? 8 : 7; return 0; }
    if (attr == 76) { *out = dev == 0 ? 6 : 5; return 0; }
    return 1;
}
"#;

const HANGS: &str = r#"
#include <unistd.h>
int cuInit(unsigned int flags) { for (;;) pause(); return 0; }
int cuDriverGetVersion(int *v) { *v = 12040; return 0; }
"#;

/// Crashes while it is being loaded, before sel could ask it anything.
const CRASHES: &str = r#"
__attribute__((constructor)) static void wedged(void) { *(volatile int *)0 = 1; }
int cuInit(unsigned int flags) { return 0; }
int cuDriverGetVersion(int *v) { *v = 12040; return 0; }
"#;

const NO_DEVICE: &str = r#"
int cuInit(unsigned int flags) { return 100; }
int cuDriverGetVersion(int *v) { *v = 12040; return 0; }
"#;

#[test]
fn the_driver_probe_survives_stand_in_libraries() {
    let dir = tempfile::tempdir().unwrap();
    let Some(answers) = stand_in(dir.path(), "answers", ANSWERS) else {
        eprintln!("no C compiler (cc): the stand-in driver libraries are not tested");
        return;
    };
    let hangs = stand_in(dir.path(), "hangs", HANGS).unwrap();
    let crashes = stand_in(dir.path(), "crashes", CRASHES).unwrap();
    let no_device = stand_in(dir.path(), "nodevice", NO_DEVICE).unwrap();
    let run = |lib: &Path| {
        let started = Instant::now();
        let doc = detect(
            dir.path(),
            &[
                ("SEL_DETECT_LIBCUDA", lib.to_str().unwrap()),
                ("SEL_DETECT_TIMEOUT", "2"),
            ],
        );
        (doc, started.elapsed())
    };

    let (doc, _) = run(&answers);
    assert_eq!(probe(&doc, "cuda.driver")["value"], "12.4");
    assert_eq!(probe(&doc, "cuda.driver")["source"], "probed");
    assert_eq!(probe(&doc, "cuda.compute_capability")["value"], "7.5");

    let (doc, took) = run(&hangs);
    let fact = probe(&doc, "cuda.driver");
    assert_eq!(fact["source"], "absent", "{fact}");
    assert!(
        fact["note"]
            .as_str()
            .unwrap()
            .contains("did not answer within 2.0 s"),
        "{fact}"
    );
    assert!(took < Duration::from_secs(30), "{took:?}");

    let (doc, _) = run(&crashes);
    let fact = probe(&doc, "cuda.driver");
    assert_eq!(fact["source"], "absent", "{fact}");
    let note = fact["note"].as_str().unwrap();
    assert!(note.contains("killed by signal 11"), "{fact}");
    assert_eq!(probe(&doc, "cuda.compute_capability")["source"], "absent");

    let (doc, _) = run(&no_device);
    let note = probe(&doc, "cuda.driver")["note"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(note.contains("no CUDA-capable device"), "{note}");

    let (doc, _) = run(&dir.path().join("libmissing.so"));
    let note = probe(&doc, "cuda.driver")["note"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        note.contains("no NVIDIA driver library found (tried"),
        "{note}"
    );
}

fn cquery(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut all = vec!["cquery", "deps(//spam)"];
    all.extend_from_slice(args);
    let (code, out, err) = sel(&spam(), &all, env);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

#[test]
fn host_equals_the_values_typed_by_hand() {
    // This machine: the values `sel detect` says, typed by hand.
    let doc = detect(&spam(), &[]);
    let value = |s: &str| doc["selectors"][s]["value"].as_str().unwrap().to_string();
    let (cuda, cpu) = (value("//flags:cuda"), value("//flags:cpu"));
    assert_eq!(doc["selectors"]["//flags:cuda"]["probe"], "cuda.driver");
    if !Path::new("/proc/driver/nvidia").exists() {
        assert_eq!(cuda, "none");
    }
    let by_hand = cquery(
        &[
            "--select",
            &format!("cuda={cuda}"),
            "--select",
            &format!("cpu={cpu}"),
        ],
        &[],
    );
    assert_eq!(cquery(&["--host"], &[]), by_hand);

    // A CUDA 12.4 machine at x86-64-v4 and one at v2 without CUDA.
    let gpu = [
        ("SEL_DETECT_CUDA_DRIVER", "12.4"),
        ("SEL_DETECT_X86_64_LEVEL", "v4"),
    ];
    let hand = cquery(&["--select", "cuda=12", "--select", "cpu=x86-64-v3"], &[]);
    assert_eq!(cquery(&["--host"], &gpu), hand);
    assert!(hand.contains("//spam:spam-cu12-avx2"), "{hand}");
    let old = [
        ("SEL_DETECT_CUDA_DRIVER", ""),
        ("SEL_DETECT_X86_64_LEVEL", "v2"),
    ];
    assert_eq!(
        cquery(&["--host"], &old),
        cquery(&["--select", "cuda=none", "--select", "cpu=x86-64"], &[])
    );
    // --select wins over the host.
    assert_eq!(
        cquery(&["--host", "--select", "cuda=11"], &gpu),
        cquery(&["--select", "cuda=11", "--select", "cpu=x86-64-v3"], &[])
    );
    // The configuration says which values came from the host.
    let json: Json = serde_json::from_str(&cquery(&["--host", "--output=json"], &gpu)).unwrap();
    let selectors = &json["configuration"]["selectors"];
    assert_eq!(selectors["//flags:cuda"]["source"], "host");
    assert_eq!(selectors["//flags:cuda"]["host"], "cuda.driver");
    assert_eq!(selectors["//flags:cpu"]["host"], "x86_64.level");
    assert_eq!(selectors["//flags:license"]["source"], "default");
}

#[test]
fn host_fixes_the_bound_selectors_of_every_configuration_commands() {
    let gpu = [
        ("SEL_DETECT_CUDA_DRIVER", "12.4"),
        ("SEL_DETECT_X86_64_LEVEL", "v3"),
    ];
    let (code, host, err) = sel(&spam(), &["matrix", "deps(//spam)", "--host"], &gpu);
    assert_eq!(code, 0, "{err}");
    let (_, hand, _) = sel(
        &spam(),
        &[
            "matrix",
            "deps(//spam)",
            "--select",
            "cuda=12",
            "--select",
            "cpu=x86-64-v3",
        ],
        &[],
    );
    assert_eq!(host, hand);
    // Only the free selector, license, is left to vary.
    assert!(
        host.contains("license = copyleft") && !host.contains("cuda ="),
        "{host}"
    );
    for command in [
        vec!["licenses", "deps(//spam)"],
        vec!["sbom", "deps(//spam)"],
        vec!["cquery", "deps(//spam)", "--all-configs"],
    ] {
        let mut with_host = command.clone();
        with_host.push("--host");
        let mut typed = command.clone();
        typed.extend(["--select", "cuda=12", "--select", "cpu=x86-64-v3"]);
        let (code, a, err) = sel(&spam(), &with_host, &gpu);
        assert_eq!(code, 0, "{command:?}: {err}");
        let (_, b, _) = sel(&spam(), &typed, &[]);
        if command[0] == "licenses" {
            // Its JSON and text name where each value came from; the packages agree.
            assert_eq!(
                a.lines().filter(|l| l.contains("//")).count(),
                b.lines().filter(|l| l.contains("//")).count()
            );
        } else if command[0] != "sbom" {
            assert_eq!(a, b, "{command:?}");
        } else {
            assert!(a.contains("spam-cu12") && b.contains("spam-cu12"));
        }
    }
}

#[test]
fn a_snapshot_replays_the_same_configuration_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let gpu = [
        ("SEL_DETECT_CUDA_DRIVER", "12.4"),
        ("SEL_DETECT_X86_64_LEVEL", "v3"),
    ];
    let (code, snapshot, err) = sel(&spam(), &["detect", "--output=json"], &gpu);
    assert_eq!(code, 0, "{err}");
    let file = dir.path().join("host.json");
    std::fs::write(&file, &snapshot).unwrap();
    let file = file.to_str().unwrap();
    // Replayed where the environment says otherwise: the snapshot decides.
    let elsewhere = [
        ("SEL_DETECT_CUDA_DRIVER", ""),
        ("SEL_DETECT_X86_64_LEVEL", "v1"),
    ];
    let replayed = cquery(&["--host-from", file], &elsewhere);
    assert_eq!(replayed, cquery(&["--host"], &gpu));
    assert_eq!(
        replayed,
        cquery(&["--select", "cuda=12", "--select", "cpu=x86-64-v3"], &[])
    );
    // `sel detect --host-from` shows the snapshot's facts.
    let doc: Json = {
        let (code, out, err) = sel(
            &spam(),
            &["detect", "--host-from", file, "--output=json"],
            &elsewhere,
        );
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let original: Json = serde_json::from_str(&snapshot).unwrap();
    assert_eq!(doc, original);

    // A file that is no snapshot is an error that says so.
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"schema": "sel.host/v9", "probes": {}}"#,
    )
    .unwrap();
    let bad = dir.path().join("bad.json");
    let (code, _, err) = sel(
        &spam(),
        &["cquery", "//spam", "--host-from", bad.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("sel::detect") && err.contains("sel.host/v9"),
        "{err}"
    );
}

#[test]
fn a_probe_that_gives_no_allowed_value_is_an_error_naming_it() {
    let ws = workspace(&[(
        "flags/BUILD",
        r#"
selector(
    name = "cuda",
    values = ["11", "12"],
    default = "11",
    detect = "cuda.driver",
)

selector(
    name = "glibc",
    values = ["2.28", "2.34"],
    default = "2.28",
    detect = "libc.version",
    detect_default = True,
)
"#,
    )]);
    let env = [
        ("SEL_DETECT_CUDA_DRIVER", "10.2"),
        ("SEL_DETECT_LIBC_VERSION", "2.17"),
    ];
    let (code, _, err) = sel(ws.path(), &["cquery", "//flags:all", "--host"], &env);
    assert_eq!(code, 1);
    assert!(err.contains("sel::detect"), "{err}");
    assert!(
        err.contains("probe `cuda.driver`, which found `10.2` (overridden)"),
        "{err}"
    );
    assert!(err.contains("11 (11 or later), 12 (12 or later)"), "{err}");
    assert!(err.contains("flags/BUILD"), "{err}");
    // --select settles it; glibc 2.17 takes the default, as the file says.
    let (code, out, err) = sel(
        ws.path(),
        &[
            "cquery",
            "//flags:all",
            "--host",
            "--select",
            "cuda=12",
            "--output=json",
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let json: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(
        json["configuration"]["selectors"]["//flags:glibc"]["value"],
        "2.28"
    );
    // `sel detect` shows the error with the selector, and still succeeds.
    let (code, out, _) = sel(ws.path(), &["detect"], &env);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with("//flags:cuda") && l.contains("error:")),
        "{out}"
    );
}

#[test]
fn bindings_are_checked_when_files_load() {
    for (build, says) in [
        (
            r#"selector(name = "x", values = ["a"], default = "a", detect = "cuda.drivers")"#,
            "did you mean `cuda.driver`",
        ),
        (
            r#"selector(name = "x", values = ["none", "12"], default = "none", detect = "cuda.driver")"#,
            "its value `none` stands for `none`, but probe `cuda.driver` gives versions",
        ),
        (
            r#"selector(name = "x", values = ["a"], default = "a", detect = "os", detect_values = {"b": "linux"})"#,
            "`detect_values` names `b`, which is not one of its values",
        ),
        (
            r#"selector(name = "x", values = ["a"], default = "a", detect_values = {"a": "linux"})"#,
            "need `detect = \"PROBE\"`",
        ),
        (
            r#"selector(name = "x", values = ["a"], default = "a", detect = "aarch64.features")"#,
            "cannot choose one value",
        ),
    ] {
        let ws = workspace(&[("flags/BUILD", build)]);
        let (code, _, err) = sel(ws.path(), &["query", "//..."], &[]);
        assert_eq!(code, 1, "{build}");
        assert!(
            err.contains("sel::attribute") && err.contains(says),
            "{build}:\n{err}"
        );
    }
}

#[test]
fn variants_are_written_as_pep_817_properties() {
    let outside = tempfile::tempdir().unwrap();
    let env = [
        ("SEL_DETECT_CUDA_DRIVER", "12.4"),
        ("SEL_DETECT_X86_64_LEVEL", "v3"),
        ("SEL_DETECT_CUDA_COMPUTE_CAPABILITY", "8.6"),
    ];
    let (code, out, err) = sel(outside.path(), &["detect", "--output=variants"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("x86_64 :: level :: v3\n"), "{out}");
    assert!(
        out.contains("nvidia :: cuda_version_lower_bound :: 12.4\n"),
        "{out}"
    );
    assert!(out.contains("nvidia :: sm_arch :: 86\n"), "{out}");
}

#[test]
fn an_imported_lock_binds_its_marker_selectors() {
    let dir = tempfile::tempdir().unwrap();
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-gpu/uv.lock");
    let ws = dir.path().join("ws");
    let (code, _, err) = sel(
        dir.path(),
        &[
            "import",
            lock.to_str().unwrap(),
            "--out",
            ws.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let markers = std::fs::read_to_string(ws.join("markers/BUILD")).unwrap();
    assert!(
        markers.contains("detect = \"python.python_full_version\""),
        "{markers}"
    );
    assert!(
        markers.contains("detect = \"python.sys_platform\""),
        "{markers}"
    );
    // A Linux x86-64 CPython 3.12.4, as the platform and the version say.
    let linux = [
        ("SEL_DETECT_PYTHON_PYTHON_FULL_VERSION", "3.12.4"),
        ("SEL_DETECT_PYTHON_SYS_PLATFORM", "linux"),
        ("SEL_DETECT_PYTHON_PLATFORM_MACHINE", "x86_64"),
        ("SEL_DETECT_PYTHON_PLATFORM_SYSTEM", "Linux"),
        ("SEL_DETECT_PYTHON_OS_NAME", "posix"),
        ("SEL_DETECT_PYTHON_IMPLEMENTATION_NAME", "cpython"),
        (
            "SEL_DETECT_PYTHON_PLATFORM_PYTHON_IMPLEMENTATION",
            "CPython",
        ),
    ];
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["cquery", "deps(//:root)"];
        all.extend_from_slice(args);
        let (code, out, err) = sel(&ws, &all, env);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    let by_hand = run(
        &[
            "--platform",
            "//platforms:linux-x86_64",
            "--select",
            "python_full_version=3.12",
        ],
        &[],
    );
    assert_eq!(run(&["--host"], &linux), by_hand);
    // A platform no marker names is `other`: no nvidia packages there.
    let mut bsd = linux;
    bsd[1] = ("SEL_DETECT_PYTHON_SYS_PLATFORM", "freebsd14");
    let out = run(&["--host"], &bsd);
    assert!(!out.contains("nvidia"), "{out}");
    assert!(by_hand.contains("nvidia"), "{by_hand}");
}
