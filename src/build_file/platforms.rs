//! The built-in `@platforms` repository: Bazel's standard constraint
//! settings and values (bazelbuild/platforms 1.1.0), so that
//! `select({"@platforms//os:linux": ...})` works as written.
//!
//! | package | targets |
//! |---|---|
//! | `@platforms//os` | `constraint_setting(name = "os")`, a `constraint_value` per OS, `alias(name = "macos", actual = ":osx")` |
//! | `@platforms//cpu` | `constraint_setting(name = "cpu")`, a `constraint_value` per CPU, `arm` and `arm64` aliases |
//! | `@platforms//` | `constraint_setting(name = "incompatible_setting")`, `constraint_value(name = "incompatible")` |
//! | `@platforms//host` | `platform(name = "host")`: the machine sel runs on ([`host_constraints`]) |
//!
//! None of the settings has a default: where no platform gives one a value,
//! it has none ([`UNSET`](crate::target_graph::UNSET)), as in Bazel.
//!
//! The repository is part of a workspace whose packages name one of its
//! labels (`needed`): a workspace that does not use it sees no trace of it
//! (no selectors in its configurations, no packages).

use crate::label::{platforms_package, Label};
use crate::target_graph::{Attr, Package, Platform, Rule, Target, Value};

/// `@platforms//os`'s constraint values, as bazelbuild/platforms declares them.
const OS: &[&str] = &[
    "freebsd",
    "netbsd",
    "openbsd",
    "haiku",
    "android",
    "linux",
    "windows",
    "vxworks",
    "none",
    "ios",
    "osx",
    "tvos",
    "watchos",
    "visionos",
    "qnx",
    "nixos",
    "emscripten",
    "wasi",
    "fuchsia",
    "chromiumos",
    "uefi",
    "aix",
];

/// `@platforms//os`'s aliases: (name, actual).
const OS_ALIASES: &[(&str, &str)] = &[("macos", "osx")];

/// `@platforms//cpu`'s constraint values.
const CPU: &[&str] = &[
    "all",
    "aarch32",
    "aarch64",
    "armv6",
    "armv6-m",
    "armv7-m",
    "armv7e-m",
    "armv7e-mf",
    "armv8-m",
    "arm64_32",
    "arm64e",
    "armv7",
    "armv7k",
    "cortex-r52",
    "cortex-r82",
    "i386",
    "ppc",
    "ppc32",
    "ppc64le",
    "s390x",
    "x86_32",
    "x86_64",
    "wasm32",
    "wasm64",
    "mips32",
    "mips64",
    "riscv32",
    "riscv64",
    "loongarch64",
    "avr",
    "hexagon",
    "bpfel",
    "bpfeb",
    "sparc64",
    "xtensa",
];

/// `@platforms//cpu`'s aliases: (name, actual).
const CPU_ALIASES: &[(&str, &str)] = &[("arm", "aarch32"), ("arm64", "aarch64")];

/// The constraint values of `@platforms//host:host`: the OS and CPU of the
/// machine sel runs on, named as bazelbuild/platforms' `host_platform_repo`
/// names them (and, like it, nothing for an OS or CPU it does not know).
///
/// This is the seam for host detection: until sel detects the host, the
/// target it was compiled for stands for it (a sel binary runs where it
/// was built for).
pub fn host_constraints() -> Vec<String> {
    let cpu = match std::env::consts::ARCH {
        "x86" => Some("x86_32"),
        "x86_64" => Some("x86_64"),
        "powerpc" => Some("ppc"),
        "powerpc64" if cfg!(target_endian = "little") => Some("ppc64le"),
        "powerpc64" => Some("ppc"),
        "arm" => Some("aarch32"),
        "aarch64" => Some("aarch64"),
        "s390x" => Some("s390x"),
        "mips64" => Some("mips64"),
        "riscv64" => Some("riscv64"),
        _ => None,
    };
    let os = match std::env::consts::OS {
        "macos" => Some("osx"),
        "freebsd" => Some("freebsd"),
        "openbsd" => Some("openbsd"),
        "linux" => Some("linux"),
        "windows" => Some("windows"),
        _ => None,
    };
    let cpu = cpu.map(|c| format!("@platforms//cpu:{c}"));
    let os = os.map(|o| format!("@platforms//os:{o}"));
    cpu.into_iter().chain(os).collect()
}

/// The packages of the built-in repository.
pub fn packages() -> Vec<Package> {
    let settings = |path: &str, setting: &str, values: &[&str], aliases: &[(&str, &str)]| {
        let package = platforms_package(path);
        let at = |name: &str| Label::new(&package, name);
        let mut targets = vec![target(
            at(setting),
            Rule::ConstraintSetting { default: None },
        )];
        targets.extend(values.iter().map(|v| {
            target(
                at(v),
                Rule::ConstraintValue {
                    setting: at(setting),
                },
            )
        }));
        targets.extend(aliases.iter().map(|(name, actual)| {
            target(
                at(name),
                Rule::Alias {
                    actual: Attr::Plain(Value::Label(at(actual))),
                },
            )
        }));
        Package {
            build_file: format!("{package}:BUILD"),
            name: package,
            targets,
        }
    };
    let host = platforms_package("host");
    let constraint_values = host_constraints()
        .iter()
        .map(|l| Label::parse(l).expect("the host's constraint values are labels"))
        .collect();
    let host_platform = Platform {
        flag_values: Box::default(),
        constraint_values,
        parent: None,
    };
    vec![
        settings("", "incompatible_setting", &["incompatible"], &[]),
        settings("os", "os", OS, OS_ALIASES),
        settings("cpu", "cpu", CPU, CPU_ALIASES),
        Package {
            build_file: format!("{host}:BUILD"),
            targets: vec![target(
                Label::new(&host, "host"),
                Rule::Platform(Box::new(host_platform)),
            )],
            name: host,
        },
    ]
}

/// A public target without tags or location, as the repository declares them.
fn target(label: Label, rule: Rule) -> Target {
    Target::new(
        label,
        rule,
        vec![Label::new("visibility", "public")],
        Vec::new(),
        None,
    )
}

/// Whether a package names a label of the built-in repository, so that
/// the repository must be part of the workspace.
pub fn needed(package: &Package) -> bool {
    let mut named = false;
    super::each_mentioned_label(package, &mut |l| named |= l.is_external());
    named
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target_graph::TargetGraph;

    #[test]
    fn the_repository_is_bazels() {
        let graph = TargetGraph::new(packages());
        let os = graph
            .target(&Label::parse("@platforms//os:os").unwrap())
            .unwrap();
        let values = &graph.selector_of(os).unwrap().values;
        assert!(values.contains(&"@platforms//os:linux".to_string()));
        assert_eq!(values.last().unwrap(), crate::target_graph::UNSET);
        assert_eq!(values.len(), OS.len() + 1);
        // An alias stands for its value.
        assert_eq!(
            graph
                .constraint(&Label::parse("@platforms//cpu:arm64").unwrap())
                .unwrap(),
            (
                Label::parse("@platforms//cpu:cpu").unwrap(),
                "@platforms//cpu:aarch64".to_string()
            )
        );
        // The host's values are values of the repository's settings.
        for l in host_constraints() {
            graph.constraint(&Label::parse(&l).unwrap()).unwrap();
        }
        crate::configuration::validate(&graph).unwrap();
    }
}
