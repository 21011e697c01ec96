//! The probes sel knows, and what one of them found: a [`Fact`] (a value
//! or nothing, and where it came from), and the [`Version`]s version probes
//! give.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

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

/// A version as probes give them and bound values name them: numbers
/// separated by dots, after an optional `v` (`v3`, `12.4`, `2.39`); anything
/// after the numbers (`-45-generic`, `rc1`) is ignored. Missing numbers are
/// zeros: `12` is `12.0`.
#[derive(Clone, Debug)]
pub struct Version(Vec<u64>);

impl Version {
    /// Reads a version; `None` if `text` does not start with a number.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let mut parts = Vec::new();
        for part in text.split('.') {
            let digits: &str = &part[..part.bytes().take_while(u8::is_ascii_digit).count()];
            if digits.is_empty() {
                break;
            }
            parts.push(digits.parse().ok()?);
            if digits.len() != part.len() {
                break;
            }
        }
        (!parts.is_empty()).then_some(Version(parts))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.0.len().max(other.0.len());
        let at = |v: &Version, i: usize| v.0.get(i).copied().unwrap_or(0);
        (0..n)
            .map(|i| at(self, i).cmp(&at(other, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}
