//! The NVIDIA probes: `cuda.driver` (the highest CUDA version the driver
//! supports), `cuda.compute_capability` (the lowest of the GPUs) and
//! `nvidia.driver` (the kernel module's version).
//!
//! The first two come from the driver's user-space library: libcuda
//! (`cuInit`, `cuDriverGetVersion`, the devices' compute capability
//! attributes), else NVML (`nvmlSystemGetCudaDriverVersion_v2`). Loading a
//! driver library runs its initialisers, which can hang (a wedged GPU, a
//! driver mismatch) or crash; conda moved its probe into a subprocess for
//! that reason, and so does sel: [`probe_isolated`] runs a child process
//! that calls [`probe_here`] and prints its [`Answer`] as JSON, waits for it
//! at most a timeout, and turns a hang, a crash or a failure into an absent
//! fact with a note. sel's own process never loads the library.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::fact::Fact;

/// What the child process found, printed as JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The highest CUDA version the driver supports, `12.4`.
    pub cuda_driver: Option<String>,
    /// The lowest compute capability of the GPUs, `8.6`.
    pub compute_capability: Option<String>,
    /// The library that answered, or why none did.
    pub note: String,
    /// Why the compute capability is unknown, if it is.
    pub capability_note: Option<String>,
}

/// The libraries to try: `SEL_DETECT_LIBCUDA` and `SEL_DETECT_LIBNVML` name
/// one each (paths or names for the dynamic loader) and then nothing else is
/// tried; else the driver's usual names.
pub fn libraries() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let named = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let (cuda, nvml) = (named("SEL_DETECT_LIBCUDA"), named("SEL_DETECT_LIBNVML"));
    if cuda.is_some() || nvml.is_some() {
        return (cuda.into_iter().collect(), nvml.into_iter().collect());
    }
    let names: (&[&str], &[&str]) = if cfg!(windows) {
        (&["nvcuda.dll"], &["nvml.dll"])
    } else if cfg!(target_os = "macos") {
        // NVIDIA has shipped no CUDA driver for macOS since 10.13.
        (&[], &[])
    } else {
        (&["libcuda.so.1", "libcuda.so"], &["libnvidia-ml.so.1"])
    };
    let paths = |n: &[&str]| n.iter().map(PathBuf::from).collect();
    (paths(names.0), paths(names.1))
}

/// The CUDA version of a driver version number: 12040 is `12.4`.
fn cuda_version(v: i32) -> String {
    format!("{}.{}", v / 1000, (v % 1000) / 10)
}

/// Loads the driver's library and asks it, in this process: call it only in
/// a process that may hang or die (the child of [`probe_isolated`]).
pub fn probe_here() -> Answer {
    let (cuda, nvml) = libraries();
    let mut notes = Vec::new();
    let mut missing = Vec::new();
    for lib in &cuda {
        match libcuda(lib) {
            Ok(answer) => return answer,
            Err(Failure::Missing) => missing.push(lib.display().to_string()),
            Err(Failure::Failed(e)) => notes.push(e),
        }
    }
    for lib in &nvml {
        match libnvml(lib) {
            Ok(answer) => return answer,
            Err(Failure::Missing) => missing.push(lib.display().to_string()),
            Err(Failure::Failed(e)) => notes.push(e),
        }
    }
    if !missing.is_empty() {
        notes.push(format!(
            "no NVIDIA driver library found (tried {})",
            missing.join(", ")
        ));
    }
    Answer {
        note: if notes.is_empty() {
            "no NVIDIA driver library on this system".into()
        } else {
            notes.join("; ")
        },
        ..Answer::default()
    }
}

/// Why a library gave no answer.
enum Failure {
    /// It is not there.
    Missing,
    /// It is there, and failed: why.
    Failed(String),
}

impl From<String> for Failure {
    fn from(why: String) -> Failure {
        Failure::Failed(why)
    }
}

fn load(lib: &PathBuf) -> Result<libloading::Library, Failure> {
    // SAFETY: loading runs the library's initialisers; this runs in the
    // probe's child process, which may crash or hang without harm to sel.
    unsafe { libloading::Library::new(lib) }.map_err(|e| {
        let why = e.to_string();
        if why.contains("No such file") || why.contains("not found") {
            Failure::Missing
        } else {
            Failure::Failed(format!("{} cannot be loaded: {why}", lib.display()))
        }
    })
}

fn libcuda(path: &PathBuf) -> Result<Answer, Failure> {
    type Init = unsafe extern "C" fn(u32) -> i32;
    type IntOut = unsafe extern "C" fn(*mut i32) -> i32;
    type DeviceGet = unsafe extern "C" fn(*mut i32, i32) -> i32;
    type Attribute = unsafe extern "C" fn(*mut i32, i32, i32) -> i32;
    let lib = load(path)?;
    let shown = path.display();
    // SAFETY: the signatures are those of the CUDA driver API (cuda.h).
    let answer = unsafe {
        let sym = |name: &[u8]| {
            let text = String::from_utf8_lossy(&name[..name.len() - 1]).into_owned();
            (text, name.to_vec())
        };
        let (n, s) = sym(b"cuInit\0");
        let init: libloading::Symbol<Init> =
            lib.get(&s).map_err(|_| format!("{shown} has no {n}"))?;
        let r = init(0);
        if r != 0 {
            return Err(format!(
                "{shown}: cuInit failed with error {r}{}",
                if r == 100 {
                    " (no CUDA-capable device)"
                } else {
                    ""
                }
            )
            .into());
        }
        let (n, s) = sym(b"cuDriverGetVersion\0");
        let version: libloading::Symbol<IntOut> =
            lib.get(&s).map_err(|_| format!("{shown} has no {n}"))?;
        let mut v = 0;
        let r = version(&mut v);
        if r != 0 || v <= 0 {
            return Err(format!("{shown}: cuDriverGetVersion failed with error {r}").into());
        }
        let mut answer = Answer {
            cuda_driver: Some(cuda_version(v)),
            note: format!("cuDriverGetVersion of {shown}"),
            ..Answer::default()
        };
        // The lowest compute capability of the devices, when the library says.
        let lowest = (|| -> Result<Option<(i32, i32)>, String> {
            let count: libloading::Symbol<IntOut> = lib
                .get(b"cuDeviceGetCount\0")
                .map_err(|_| "no cuDeviceGetCount")?;
            let get: libloading::Symbol<DeviceGet> =
                lib.get(b"cuDeviceGet\0").map_err(|_| "no cuDeviceGet")?;
            let attr: libloading::Symbol<Attribute> = lib
                .get(b"cuDeviceGetAttribute\0")
                .map_err(|_| "no cuDeviceGetAttribute")?;
            let mut n = 0;
            if count(&mut n) != 0 {
                return Err("cuDeviceGetCount failed".into());
            }
            let mut lowest: Option<(i32, i32)> = None;
            for i in 0..n {
                let (mut dev, mut major, mut minor) = (0, 0, 0);
                // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR and _MINOR.
                if get(&mut dev, i) != 0
                    || attr(&mut major, 75, dev) != 0
                    || attr(&mut minor, 76, dev) != 0
                {
                    return Err(format!("device {i} does not say its compute capability"));
                }
                lowest = Some(lowest.map_or((major, minor), |l| l.min((major, minor))));
            }
            Ok(lowest)
        })();
        match lowest {
            Ok(Some((major, minor))) => {
                answer.compute_capability = Some(format!("{major}.{minor}"))
            }
            Ok(None) => answer.capability_note = Some(format!("{shown} lists no devices")),
            Err(e) => answer.capability_note = Some(format!("{shown}: {e}")),
        }
        answer
    };
    // Unloading a driver library can crash; the process ends soon anyway.
    std::mem::forget(lib);
    Ok(answer)
}

fn libnvml(path: &PathBuf) -> Result<Answer, Failure> {
    type Init = unsafe extern "C" fn() -> i32;
    type IntOut = unsafe extern "C" fn(*mut i32) -> i32;
    let lib = load(path)?;
    let shown = path.display();
    // SAFETY: the signatures are those of NVML (nvml.h).
    let answer = unsafe {
        let init: libloading::Symbol<Init> = lib
            .get(b"nvmlInit_v2\0")
            .map_err(|_| format!("{shown} has no nvmlInit_v2"))?;
        let r = init();
        if r != 0 {
            return Err(format!("{shown}: nvmlInit_v2 failed with error {r}").into());
        }
        let version: libloading::Symbol<IntOut> =
            lib.get(b"nvmlSystemGetCudaDriverVersion_v2\0")
                .map_err(|_| format!("{shown} has no nvmlSystemGetCudaDriverVersion_v2"))?;
        let mut v = 0;
        let r = version(&mut v);
        if r != 0 || v <= 0 {
            return Err(format!(
                "{shown}: nvmlSystemGetCudaDriverVersion_v2 failed with error {r}"
            )
            .into());
        }
        Answer {
            cuda_driver: Some(cuda_version(v)),
            note: format!("nvmlSystemGetCudaDriverVersion_v2 of {shown}"),
            capability_note: Some("NVML was asked (libcuda was not loaded)".into()),
            ..Answer::default()
        }
    };
    std::mem::forget(lib);
    Ok(answer)
}

/// Runs `program args` (a process that prints [`probe_here`]'s answer as
/// JSON) and waits at most `timeout`: the `cuda.driver` and
/// `cuda.compute_capability` facts. A hang, a crash, a failure or an
/// unreadable answer make both absent, with a note saying which.
pub fn probe_isolated(command: Option<&(PathBuf, Vec<String>)>, timeout: Duration) -> (Fact, Fact) {
    let absent = |note: String| (Fact::absent(note.clone()), Fact::absent(note));
    if cfg!(target_os = "macos") && std::env::var_os("SEL_DETECT_LIBCUDA").is_none() {
        return absent("macOS has no CUDA driver".into());
    }
    let Some((program, args)) = command else {
        return absent("no way to run the driver probe in a separate process".into());
    };
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return absent(format!("the driver probe could not start: {e}")),
    };
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return absent(format!(
                    "the driver probe did not answer within {:.1} s and was stopped (SEL_DETECT_TIMEOUT)",
                    timeout.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return absent(format!("the driver probe could not be waited for: {e}")),
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    if !status.success() {
        let how = signal_of(&status)
            .map(|s| format!("was killed by signal {s}"))
            .unwrap_or_else(|| format!("failed ({status})"));
        let last = err.lines().rev().find(|l| !l.trim().is_empty());
        return absent(match last {
            Some(l) => format!("the driver probe {how}: {}", l.trim()),
            None => format!("the driver probe {how}"),
        });
    }
    let answer: Answer = match serde_json::from_str(out.trim()) {
        Ok(a) => a,
        Err(e) => return absent(format!("the driver probe's answer is unreadable: {e}")),
    };
    let fact = |value: Option<String>, note: Option<String>| match value {
        Some(v) => Fact::probed(v).noted(answer.note.clone()),
        None => Fact::absent(note.unwrap_or_else(|| answer.note.clone())),
    };
    (
        fact(answer.cuda_driver.clone(), None),
        fact(
            answer.compute_capability.clone(),
            answer
                .capability_note
                .clone()
                .filter(|_| answer.cuda_driver.is_some()),
        ),
    )
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

#[cfg(not(unix))]
fn signal_of(_: &std::process::ExitStatus) -> Option<i32> {
    None
}

/// The `nvidia.driver` fact: the kernel module's version, from
/// `/proc/driver/nvidia/version` (Linux).
pub fn kernel_driver() -> Fact {
    const FILE: &str = "/proc/driver/nvidia/version";
    match std::fs::read_to_string(FILE) {
        Err(_) => Fact::absent(format!("no {FILE}: no NVIDIA kernel driver loaded")),
        Ok(text) => match kernel_driver_version(&text) {
            Some(v) => Fact::probed(v).noted(FILE),
            None => Fact::absent(format!("{FILE} names no version")),
        },
    }
}

/// The version in the text of `/proc/driver/nvidia/version`: the first word
/// of the `NVRM version` line that looks like one (`550.54.14`).
pub fn kernel_driver_version(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.starts_with("NVRM version"))?;
    line.split_whitespace()
        .find(|w| {
            w.contains('.')
                && w.split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_versions_read_as_cuda_versions() {
        assert_eq!(cuda_version(12040), "12.4");
        assert_eq!(cuda_version(11080), "11.8");
        assert_eq!(cuda_version(13000), "13.0");
    }

    #[test]
    fn the_kernel_modules_version_is_read() {
        let text = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";
        assert_eq!(kernel_driver_version(text).as_deref(), Some("550.54.14"));
        let open =
            "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release Build\n";
        assert_eq!(kernel_driver_version(open).as_deref(), Some("570.86.15"));
    }
}
