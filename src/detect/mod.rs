//! Detection: the facts of the machine sel runs on, probed without running
//! any package's code, and the selector values they give (`sel detect`,
//! `--host`, `--host-from`; docs/detect.md).
//!
//! A [`Host`] maps each probe's name (`os`, `libc.version`, `x86_64.level`,
//! `cuda.driver`, `python.sys_platform`, ...) to a [`Fact`]: a value or
//! nothing, and where it came from (probed, overridden in the environment,
//! absent). The probes read the kernel's and the C library's answers
//! (`system.rs`), the CPU's feature flags (`cpu.rs`), the NVIDIA driver
//! (`nvidia.rs`, in a child process: loading a driver library can hang or
//! crash, and neither may take sel with it) and a Python interpreter's marker
//! environment (`python.rs`). A host is also a document, the snapshot
//! (`sel.host/v1`), written by `sel detect --output=json` and replayed with
//! `--host-from`, so a configuration found on one machine is the same
//! anywhere.
//!
//! `bind.rs` turns a fact into the value of a selector declared with
//! `detect = PROBE`; `configuration` uses it for `--host`. This module knows
//! selectors only as the plain data of `target_graph`, and nothing above.

mod bind;
mod cpu;
pub mod nvidia;
mod python;
pub mod render;
mod system;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use bind::{bind, check_binding, Version};
pub use cpu::{aarch64_features, x86_64_level, CpuInfo};

use crate::error::{Error, ErrorKind, Result};
use crate::label::Label;
use crate::target_graph::TargetGraph;

/// What kind of result a probe gives, which decides how it binds to a
/// selector (docs/detect.md, "Binding selectors").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A name (`linux`, `x86_64`): a selector value stands for equal text.
    Text,
    /// A version (`2.39`, `12.4`, `v3`): a selector value stands for it and
    /// every later version; the greatest value the host satisfies is taken.
    Version,
    /// A set of names, space-separated (CPU features): for reading, not binding.
    List,
}

/// One probe of [`PROBES`].
#[derive(Clone, Copy, Debug)]
pub struct Probe {
    /// Its name, as BUILD files and snapshots write it.
    pub name: &'static str,
    /// What kind of result it gives.
    pub kind: Kind,
    /// What it reads, in a few words.
    pub about: &'static str,
}

/// Every probe, in the order `sel detect` prints them.
pub const PROBES: &[Probe] = &[
    Probe {
        name: "os",
        kind: Kind::Text,
        about: "the operating system: linux, macos, windows, freebsd, ...",
    },
    Probe {
        name: "arch",
        kind: Kind::Text,
        about: "the machine's architecture (uname): x86_64, aarch64, ...",
    },
    Probe {
        name: "kernel",
        kind: Kind::Version,
        about: "the kernel release (uname -r)",
    },
    Probe {
        name: "libc",
        kind: Kind::Text,
        about: "the C library: glibc or musl",
    },
    Probe {
        name: "libc.version",
        kind: Kind::Version,
        about: "the C library's version (gnu_get_libc_version)",
    },
    Probe {
        name: "x86_64.level",
        kind: Kind::Version,
        about: "the x86-64 psABI microarchitecture level, v1 to v4, from the CPU's feature flags",
    },
    Probe {
        name: "aarch64.features",
        kind: Kind::List,
        about: "the AArch64 CPU features (/proc/cpuinfo)",
    },
    Probe {
        name: "cuda.driver",
        kind: Kind::Version,
        about: "the highest CUDA version the NVIDIA driver supports (cuDriverGetVersion)",
    },
    Probe {
        name: "cuda.compute_capability",
        kind: Kind::Version,
        about: "the lowest compute capability of the NVIDIA GPUs",
    },
    Probe {
        name: "nvidia.driver",
        kind: Kind::Version,
        about: "the NVIDIA kernel driver's version (/proc/driver/nvidia/version)",
    },
    Probe {
        name: "python.python_full_version",
        kind: Kind::Version,
        about: "PEP 508 marker: platform.python_version()",
    },
    Probe {
        name: "python.python_version",
        kind: Kind::Version,
        about: "PEP 508 marker: the X.Y of the Python version",
    },
    Probe {
        name: "python.implementation_name",
        kind: Kind::Text,
        about: "PEP 508 marker: sys.implementation.name",
    },
    Probe {
        name: "python.implementation_version",
        kind: Kind::Version,
        about: "PEP 508 marker: sys.implementation.version",
    },
    Probe {
        name: "python.os_name",
        kind: Kind::Text,
        about: "PEP 508 marker: os.name",
    },
    Probe {
        name: "python.platform_machine",
        kind: Kind::Text,
        about: "PEP 508 marker: platform.machine()",
    },
    Probe {
        name: "python.platform_python_implementation",
        kind: Kind::Text,
        about: "PEP 508 marker: platform.python_implementation()",
    },
    Probe {
        name: "python.platform_release",
        kind: Kind::Text,
        about: "PEP 508 marker: platform.release()",
    },
    Probe {
        name: "python.platform_system",
        kind: Kind::Text,
        about: "PEP 508 marker: platform.system()",
    },
    Probe {
        name: "python.platform_version",
        kind: Kind::Text,
        about: "PEP 508 marker: platform.version()",
    },
    Probe {
        name: "python.sys_platform",
        kind: Kind::Text,
        about: "PEP 508 marker: sys.platform",
    },
];

/// The probe named `name`, if sel has one.
pub fn probe(name: &str) -> Option<&'static Probe> {
    PROBES.iter().find(|p| p.name == name)
}

/// The environment variable that overrides probe `name`:
/// `SEL_DETECT_` and the name in capitals, `.` as `_` (`SEL_DETECT_CUDA_DRIVER`).
pub fn override_var(name: &str) -> String {
    format!("SEL_DETECT_{}", name.to_ascii_uppercase().replace('.', "_"))
}

/// conda's spellings, read when sel's own variable is not set.
const CONDA_OVERRIDES: &[(&str, &str)] = &[
    ("cuda.driver", "CONDA_OVERRIDE_CUDA"),
    ("libc.version", "CONDA_OVERRIDE_GLIBC"),
];

/// Where a fact comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// sel probed the machine and found it.
    Probed,
    /// An environment variable said it.
    Overridden,
    /// Nothing was found (see the note for why).
    Absent,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Probed => "probed",
            Source::Overridden => "overridden",
            Source::Absent => "absent",
        })
    }
}

/// What one probe found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// The result; `None` when absent.
    pub value: Option<String>,
    /// Where it comes from.
    pub source: Source,
    /// Why it is absent, or where it was read, when that helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Fact {
    /// A probed value.
    pub fn probed(value: impl Into<String>) -> Fact {
        Fact {
            value: Some(value.into()),
            source: Source::Probed,
            note: None,
        }
    }

    /// Nothing found, and why.
    pub fn absent(note: impl Into<String>) -> Fact {
        Fact {
            value: None,
            source: Source::Absent,
            note: Some(note.into()),
        }
    }

    /// With a note.
    pub fn noted(mut self, note: impl Into<String>) -> Fact {
        self.note = Some(note.into());
        self
    }
}

/// How to probe: what the command line and the environment say.
#[derive(Debug, Default)]
pub struct Options {
    /// The Python interpreter to ask (`--python`); else `python3` or
    /// `python` on PATH.
    pub python: Option<PathBuf>,
    /// How to run the isolated NVIDIA probe: a program and its arguments
    /// that call [`nvidia::probe_here`] and print its JSON (the `sel`
    /// binary, re-executed). `None`: the CUDA probes are absent.
    pub driver_probe: Option<(PathBuf, Vec<String>)>,
    /// How long a child process (the NVIDIA probe, Python) may take.
    pub timeout: Option<Duration>,
    /// Overrides by probe name (an empty text: absent), usually
    /// [`Options::overrides_from_env`].
    pub overrides: BTreeMap<String, String>,
}

/// How long a probe's child process may take unless `SEL_DETECT_TIMEOUT` says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

impl Options {
    /// The overrides the environment sets: `SEL_DETECT_*`, then conda's
    /// `CONDA_OVERRIDE_CUDA` and `CONDA_OVERRIDE_GLIBC`.
    pub fn overrides_from_env() -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for p in PROBES {
            if let Some(v) = std::env::var_os(override_var(p.name)) {
                out.insert(p.name.to_string(), v.to_string_lossy().into_owned());
            }
        }
        for (name, var) in CONDA_OVERRIDES {
            if let (false, Some(v)) = (out.contains_key(*name), std::env::var_os(var)) {
                out.insert(name.to_string(), v.to_string_lossy().into_owned());
            }
        }
        out
    }

    /// `SEL_DETECT_TIMEOUT` (seconds, may be fractional), if set.
    pub fn timeout_from_env() -> Result<Option<Duration>> {
        match std::env::var("SEL_DETECT_TIMEOUT") {
            Err(_) => Ok(None),
            Ok(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e6)
                .map(|s| Some(Duration::from_secs_f64(s)))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Usage,
                        format!("SEL_DETECT_TIMEOUT=`{v}`: expected a number of seconds, e.g. 2.5"),
                    )
                }),
        }
    }
}

/// The schema name of a snapshot, as its `schema` field says.
pub const SNAPSHOT_SCHEMA: &str = "sel.host/v1";

/// The facts of one machine: every probe asked for, each with its [`Fact`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Host {
    facts: BTreeMap<String, Fact>,
    /// Where the facts were read from when they were replayed (`--host-from`).
    pub replayed_from: Option<String>,
}

/// A snapshot document.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    schema: String,
    probes: BTreeMap<String, Fact>,
    /// What `sel detect` adds for people and tools: the workspace's bound
    /// selectors. Not read back.
    #[serde(default, skip_serializing)]
    #[allow(dead_code)]
    selectors: Option<serde_json::Value>,
}

impl Host {
    /// Probes this machine for the probes `wanted` (every one if `None`);
    /// overrides win over probing, and a probe whose every fact is
    /// overridden does not run.
    pub fn probe(options: &Options, wanted: Option<&BTreeSet<String>>) -> Result<Host> {
        let want = |name: &str| wanted.is_none_or(|w| w.contains(name));
        let needs = |prefix: &str| {
            PROBES.iter().any(|p| {
                p.name.starts_with(prefix)
                    && want(p.name)
                    && !options.overrides.contains_key(p.name)
            })
        };
        let mut facts: BTreeMap<String, Fact> = BTreeMap::new();
        for (name, fact) in system::probe() {
            facts.insert(name.to_string(), fact);
        }
        let cpuinfo = cpu::read_host();
        facts.insert("x86_64.level".into(), cpu::level_fact(&cpuinfo));
        facts.insert("aarch64.features".into(), cpu::aarch64_fact(&cpuinfo));
        facts.insert("nvidia.driver".into(), nvidia::kernel_driver());
        if needs("cuda.") {
            let timeout = options.timeout.unwrap_or(DEFAULT_TIMEOUT);
            let (driver, capability) =
                nvidia::probe_isolated(options.driver_probe.as_ref(), timeout);
            facts.insert("cuda.driver".into(), driver);
            facts.insert("cuda.compute_capability".into(), capability);
        }
        if needs("python.") {
            let timeout = options.timeout.unwrap_or(DEFAULT_TIMEOUT);
            for (name, fact) in python::probe(options.python.as_deref(), timeout) {
                facts.insert(name, fact);
            }
        }
        for (name, value) in &options.overrides {
            let Some(p) = probe(name) else { continue };
            let fact = if value.trim().is_empty() {
                Fact {
                    value: None,
                    source: Source::Overridden,
                    note: Some(format!("{} is empty", override_var(name))),
                }
            } else {
                if p.kind == Kind::Version && Version::parse(value.trim()).is_none() {
                    return Err(Error::new(
                        ErrorKind::Usage,
                        format!(
                            "{}=`{value}`: probe `{name}` gives a version, such as 12.4",
                            override_var(name)
                        ),
                    )
                    .with_help("an empty value says the probe found nothing"));
                }
                Fact {
                    value: Some(value.trim().to_string()),
                    source: Source::Overridden,
                    note: None,
                }
            };
            facts.insert(name.clone(), fact);
        }
        facts.retain(|name, _| want(name));
        for name in PROBES.iter().map(|p| p.name).filter(|n| want(n)) {
            facts
                .entry(name.to_string())
                .or_insert_with(|| Fact::absent("not probed"));
        }
        Ok(Host {
            facts,
            replayed_from: None,
        })
    }

    /// A host with these facts (tests, and library users with facts of their own).
    pub fn from_facts(facts: impl IntoIterator<Item = (String, Fact)>) -> Host {
        Host {
            facts: facts.into_iter().collect(),
            replayed_from: None,
        }
    }

    /// The fact of probe `name`, if it was asked for.
    pub fn fact(&self, name: &str) -> Option<&Fact> {
        self.facts.get(name)
    }

    /// Every fact, by probe name, in [`PROBES`] order.
    pub fn facts(&self) -> impl Iterator<Item = (&str, &Fact)> {
        PROBES
            .iter()
            .filter_map(|p| self.facts.get_key_value(p.name))
            .map(|(k, f)| (k.as_str(), f))
    }

    /// The snapshot document (`sel.host/v1`, docs/detect.md).
    pub fn snapshot(&self) -> serde_json::Value {
        let probes: serde_json::Map<String, serde_json::Value> = self
            .facts()
            .map(|(k, f)| {
                (
                    k.to_string(),
                    serde_json::to_value(f).expect("facts serialise"),
                )
            })
            .collect();
        serde_json::json!({"schema": SNAPSHOT_SCHEMA, "probes": probes})
    }

    /// The host a snapshot document describes; `file` names it in errors.
    /// Probes it does not list are absent; probes this sel does not know are
    /// ignored (a later sel may add probes within the same schema version).
    pub fn from_snapshot(text: &str, file: &str) -> Result<Host> {
        let bad = |why: String| {
            Error::new(
                ErrorKind::Detect,
                format!("--host-from {file}: not a host snapshot: {why}"),
            )
            .with_help("write one with `sel detect --output=json > FILE`")
        };
        let doc: Snapshot = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if doc.schema != SNAPSHOT_SCHEMA {
            return Err(bad(format!(
                "its schema is `{}`; this sel reads `{SNAPSHOT_SCHEMA}`",
                doc.schema
            )));
        }
        let mut facts = BTreeMap::new();
        for p in PROBES {
            let fact = match doc.probes.get(p.name) {
                Some(f) => {
                    if f.source == Source::Absent && f.value.is_some() {
                        return Err(bad(format!("probe `{}` is absent but has a value", p.name)));
                    }
                    if let (Kind::Version, Some(v)) = (p.kind, &f.value) {
                        if Version::parse(v).is_none() {
                            return Err(bad(format!("probe `{}`: `{v}` is not a version", p.name)));
                        }
                    }
                    f.clone()
                }
                None => Fact::absent("not in the snapshot"),
            };
            facts.insert(p.name.to_string(), fact);
        }
        Ok(Host {
            facts,
            replayed_from: Some(file.to_string()),
        })
    }

    /// The PEP 817 variant properties of the facts (`x86_64 :: level :: v3`,
    /// `nvidia :: cuda_version_lower_bound :: 12.4`), for comparison with a
    /// variant provider's answer.
    pub fn variant_properties(&self) -> Vec<String> {
        let mut out = Vec::new();
        let value = |n: &str| self.fact(n).and_then(|f| f.value.as_deref());
        if let Some(level) = value("x86_64.level") {
            out.push(format!("x86_64 :: level :: {level}"));
        }
        if let Some(features) = value("aarch64.features") {
            for f in features.split_whitespace() {
                out.push(format!("aarch64 :: feature :: {f}"));
            }
        }
        if let Some(cuda) = value("cuda.driver") {
            out.push(format!("nvidia :: cuda_version_lower_bound :: {cuda}"));
        }
        if let Some(cc) = value("cuda.compute_capability") {
            out.push(format!("nvidia :: sm_arch :: {}", cc.replace('.', "")));
        }
        out
    }
}

/// The probes the selectors of `graph` are bound to, for [`Host::probe`].
pub fn bound_probes(graph: &TargetGraph) -> BTreeSet<String> {
    graph
        .selectors()
        .into_iter()
        .filter_map(|t| t.rule.selector()?.detect.as_ref())
        .map(|d| d.probe.clone())
        .collect()
}

/// A selector bound to a probe, and the value it takes on a host.
#[derive(Debug)]
pub struct Bound {
    /// The selector.
    pub selector: Label,
    /// Its probe.
    pub probe: String,
    /// Its value, or why the probe gives it none.
    pub value: Result<String>,
}

/// Every selector of `graph` bound to a probe, in label order, with the
/// value `host` gives it.
pub fn bound_values(graph: &TargetGraph, host: &Host) -> Vec<Bound> {
    graph
        .selectors()
        .into_iter()
        .filter_map(|t| {
            let s = t.rule.selector()?;
            let d = s.detect.as_ref()?;
            let value = bind(host, &t.label, s)
                .map(|v| v.expect("a bound selector has a value or an error"))
                .map_err(|e| e.at(t.location.clone()));
            Some(Bound {
                selector: t.label.clone(),
                probe: d.probe.clone(),
                value,
            })
        })
        .collect()
}
