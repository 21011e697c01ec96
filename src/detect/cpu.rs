//! The CPU probes: the x86-64 microarchitecture level (`x86_64.level`) and
//! the AArch64 features (`aarch64.features`), from the feature flags the
//! operating system reports: Linux's `/proc/cpuinfo` (its first CPU block;
//! the kernel lists the flags it and the CPU both support, so a hypervisor's
//! masking is seen), macOS's `sysctl machdep.cpu.*`.
//!
//! The levels are those of the x86-64 psABI (the same sets glibc's
//! `ld.so --help` and compilers' `-march=x86-64-vN` use):
//!
//! - v1: the baseline of every x86-64 CPU (CMOV, CX8, FPU, FXSR, MMX, SSE, SSE2);
//! - v2: v1 and CMPXCHG16B, LAHF/SAHF, POPCNT, SSE3, SSE4.1, SSE4.2, SSSE3;
//! - v3: v2 and AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT, MOVBE, XSAVE;
//! - v4: v3 and AVX512F, AVX512BW, AVX512CD, AVX512DQ, AVX512VL.

use std::collections::BTreeSet;

use super::fact::Fact;

/// The flags of each level beyond the one below, as Linux's `/proc/cpuinfo`
/// names them (SSE3 is `pni`, LZCNT is `abm`).
const LEVELS: [(&str, &[&str]); 4] = [
    ("v1", &["cmov", "cx8", "fpu", "fxsr", "mmx", "sse", "sse2"]),
    (
        "v2",
        &[
            "cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3",
        ],
    ),
    (
        "v3",
        &[
            "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
        ],
    ),
    (
        "v4",
        &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"],
    ),
];

/// A CPU's description as the operating system gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuInfo {
    /// The x86 feature flags, in `/proc/cpuinfo`'s names; empty on other CPUs.
    pub flags: BTreeSet<String>,
    /// The AArch64 features (`Features` of `/proc/cpuinfo`); empty on other CPUs.
    pub features: BTreeSet<String>,
    /// Where it was read, for notes: `/proc/cpuinfo` or `sysctl`.
    pub read_from: String,
}

impl CpuInfo {
    /// Parses the text of `/proc/cpuinfo` (its first CPU block: every CPU of
    /// a machine reports the same flags to user space) or of the
    /// `machdep.cpu.*` lines of macOS's `sysctl -a`.
    pub fn parse(text: &str) -> CpuInfo {
        let mut info = CpuInfo {
            read_from: "/proc/cpuinfo".into(),
            ..CpuInfo::default()
        };
        for line in text.lines() {
            if line.trim().is_empty() && !(info.flags.is_empty() && info.features.is_empty()) {
                break;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let words = value.split_whitespace();
            match key.trim() {
                "flags" => info.flags.extend(words.map(str::to_string)),
                "Features" => info.features.extend(words.map(str::to_string)),
                "machdep.cpu.features"
                | "machdep.cpu.leaf7_features"
                | "machdep.cpu.extfeatures" => {
                    info.read_from = "sysctl machdep.cpu".into();
                    info.flags.extend(words.map(darwin_flag));
                }
                _ => {}
            }
        }
        info
    }
}

/// A macOS `machdep.cpu` feature as `/proc/cpuinfo` names it.
fn darwin_flag(word: &str) -> String {
    match word {
        "SSE3" => "pni".into(),
        "LAHF" => "lahf_lm".into(),
        "AVX1.0" => "avx".into(),
        "LZCNT" => "abm".into(),
        "EM64T" => "lm".into(),
        w => w.to_ascii_lowercase().replace('.', "_"),
    }
}

/// The x86-64 psABI level (`v1` to `v4`) a CPU with these flags meets, or
/// `None` if it is no x86-64 CPU (no long mode, `lm`) or lacks a v1 flag.
pub fn x86_64_level(flags: &BTreeSet<String>) -> Option<&'static str> {
    if !flags.contains("lm") {
        return None;
    }
    let mut level = None;
    for (name, needs) in LEVELS {
        if !needs.iter().all(|f| flags.contains(*f)) {
            break;
        }
        level = Some(name);
    }
    level
}

/// The flags `level` needs that `flags` lacks: why a CPU is not at it.
pub fn missing_for(level: &str, flags: &BTreeSet<String>) -> Vec<&'static str> {
    LEVELS
        .iter()
        .take_while(|(name, _)| *name <= level)
        .flat_map(|(_, needs)| needs.iter().copied())
        .filter(|f| !flags.contains(*f))
        .collect()
}

/// The AArch64 features, sorted and space-separated, if there are any.
pub fn aarch64_features(info: &CpuInfo) -> Option<String> {
    (!info.features.is_empty()).then(|| info.features.iter().cloned().collect::<Vec<_>>().join(" "))
}

/// This machine's CPU description, if its operating system gives one.
pub fn read_host() -> Option<CpuInfo> {
    if cfg!(target_os = "linux") {
        return std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .map(|t| CpuInfo::parse(&t));
    }
    darwin()
}

#[cfg(target_os = "macos")]
fn darwin() -> Option<CpuInfo> {
    let mut text = String::new();
    for key in [
        "machdep.cpu.features",
        "machdep.cpu.leaf7_features",
        "machdep.cpu.extfeatures",
    ] {
        if let Some(v) = sysctl_string(key) {
            text.push_str(&format!("{key}: {v}\n"));
        }
    }
    (!text.is_empty()).then(|| CpuInfo::parse(&text))
}

#[cfg(target_os = "macos")]
fn sysctl_string(key: &str) -> Option<String> {
    let name = std::ffi::CString::new(key).ok()?;
    let mut len: libc::size_t = 0;
    // SAFETY: the first call asks for the size, the second fills a buffer of it.
    let r = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            std::ptr::null_mut(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if r != 0 || len == 0 {
        return None;
    }
    let mut buf = vec![0u8; len];
    let r = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if r != 0 {
        return None;
    }
    buf.truncate(len);
    let text = String::from_utf8_lossy(&buf);
    Some(text.trim_end_matches('\0').to_string())
}

#[cfg(not(target_os = "macos"))]
fn darwin() -> Option<CpuInfo> {
    None
}

/// The `x86_64.level` fact of a CPU description.
pub fn level_fact(info: &Option<CpuInfo>) -> Fact {
    match info {
        None => Fact::absent("the operating system gives no CPU flags sel can read"),
        Some(info) if info.flags.is_empty() => Fact::absent(format!(
            "not an x86-64 CPU ({} lists no x86 flags)",
            info.read_from
        )),
        Some(info) => match x86_64_level(&info.flags) {
            Some(level) => Fact::probed(level).noted(format!("flags of {}", info.read_from)),
            None => Fact::absent(format!(
                "{} shows no x86-64 CPU (missing: {})",
                info.read_from,
                std::iter::once("lm")
                    .filter(|f| !info.flags.contains(*f))
                    .chain(missing_for("v1", &info.flags))
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
        },
    }
}

/// The `aarch64.features` fact of a CPU description.
pub fn aarch64_fact(info: &Option<CpuInfo>) -> Fact {
    match info.as_ref().and_then(aarch64_features) {
        Some(f) => Fact::probed(f).noted(format!(
            "Features of {}",
            info.as_ref().map_or("", |i| i.read_from.as_str())
        )),
        None => Fact::absent("not an AArch64 CPU, or its features are not listed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(s: &str) -> BTreeSet<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn levels_need_every_flag_of_the_levels_below() {
        let v1 = "lm cmov cx8 fpu fxsr mmx sse sse2";
        assert_eq!(x86_64_level(&flags(v1)), Some("v1"));
        let v2 = format!("{v1} cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3");
        assert_eq!(x86_64_level(&flags(&v2)), Some("v2"));
        // AVX-512 without AVX2 (no real CPU) is still v2.
        let odd = format!("{v2} avx512f avx512bw avx512cd avx512dq avx512vl");
        assert_eq!(x86_64_level(&flags(&odd)), Some("v2"));
        assert_eq!(x86_64_level(&flags("cmov cx8 fpu")), None);
        assert_eq!(missing_for("v2", &flags(v1)).len(), 7);
    }

    #[test]
    fn only_the_first_cpu_block_counts() {
        let text = "processor : 0\nflags : lm cmov cx8 fpu fxsr mmx sse sse2\n\nprocessor : 1\nflags : pni\n";
        let info = CpuInfo::parse(text);
        assert!(!info.flags.contains("pni"));
        assert_eq!(x86_64_level(&info.flags), Some("v1"));
    }
}
