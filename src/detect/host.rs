//! A [`Host`]: the facts of one machine, probed (with the environment's
//! overrides) or replayed from a `sel.host/v1` snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::cpu;
use super::fact::{override_var, probe, Fact, Kind, Source, Version, PROBES};
use super::nvidia;
use super::python;
use super::system;
use crate::error::{Error, ErrorKind, Result};

/// conda's spellings, read when sel's own variable is not set.
const CONDA_OVERRIDES: &[(&str, &str)] = &[
    ("cuda.driver", "CONDA_OVERRIDE_CUDA"),
    ("libc.version", "CONDA_OVERRIDE_GLIBC"),
];

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

/// A snapshot document, as read. Other fields (`selectors`, which `sel
/// detect` adds for people and tools, and any a later sel adds within v1)
/// are not read.
#[derive(Deserialize)]
struct Snapshot {
    schema: String,
    probes: BTreeMap<String, Fact>,
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
