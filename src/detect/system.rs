//! The system probes: `os`, `arch`, `kernel`, `libc`, `libc.version`. They
//! ask the kernel (`uname`) and the C library sel runs on
//! (`gnu_get_libc_version`); a statically linked sel, which has no C library
//! to ask, looks for musl's dynamic loader instead.

use super::fact::Fact;

/// Every system fact, by probe name.
pub fn probe() -> Vec<(&'static str, Fact)> {
    let uname = uname();
    let os = match std::env::consts::OS {
        "" => Fact::absent("unknown operating system"),
        os => Fact::probed(os),
    };
    let arch = match &uname {
        Some(u) if !u.machine.is_empty() => Fact::probed(normal_arch(&u.machine)),
        _ => Fact::probed(std::env::consts::ARCH).noted("as sel was built: uname gave no machine"),
    };
    let kernel = match &uname {
        Some(u) if !u.release.is_empty() => Fact::probed(u.release.clone()),
        _ => Fact::absent("uname gave no release"),
    };
    let (libc, version) = libc();
    vec![
        ("os", os),
        ("arch", arch),
        ("kernel", kernel),
        ("libc", libc),
        ("libc.version", version),
    ]
}

/// The architecture as Linux and Python's `platform_machine` on Linux name
/// it: macOS's `arm64` is `aarch64`, Windows' `AMD64` is `x86_64`.
fn normal_arch(machine: &str) -> String {
    match machine {
        "arm64" | "ARM64" => "aarch64".to_string(),
        "amd64" | "AMD64" | "x64" => "x86_64".to_string(),
        m => m.to_string(),
    }
}

/// What `uname(2)` says.
struct Uname {
    release: String,
    machine: String,
}

#[cfg(unix)]
fn uname() -> Option<Uname> {
    // SAFETY: uname fills the struct it is given; zeroed is a valid utsname.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let text = |field: &[libc::c_char]| {
        let bytes: Vec<u8> = field
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some(Uname {
        release: text(&u.release),
        machine: text(&u.machine),
    })
}

#[cfg(not(unix))]
fn uname() -> Option<Uname> {
    None
}

/// The C library and its version.
fn libc() -> (Fact, Fact) {
    if let Some(version) = glibc_version() {
        return (
            Fact::probed("glibc"),
            Fact::probed(version).noted("gnu_get_libc_version()"),
        );
    }
    if cfg!(target_os = "linux") {
        if let Some(loader) = musl_loader() {
            let note = format!("{} exists", loader.display());
            return (
                Fact::probed("musl").noted(note.clone()),
                Fact::absent(format!("{note}; musl does not say its version")),
            );
        }
        return (
            Fact::absent("neither glibc nor musl's loader found"),
            Fact::absent("no C library found"),
        );
    }
    (
        Fact::absent("not Linux: no glibc or musl"),
        Fact::absent("not Linux: no glibc or musl"),
    )
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn glibc_version() -> Option<String> {
    // SAFETY: gnu_get_libc_version returns a static NUL-terminated string.
    let p = unsafe { libc::gnu_get_libc_version() };
    if p.is_null() {
        return None;
    }
    let text = unsafe { std::ffi::CStr::from_ptr(p) }.to_str().ok()?;
    Some(text.trim().to_string())
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn glibc_version() -> Option<String> {
    None
}

/// musl's dynamic loader, `/lib/ld-musl-ARCH.so.1`, if there is one.
fn musl_loader() -> Option<std::path::PathBuf> {
    let entries = std::fs::read_dir("/lib").ok()?;
    let mut found: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("ld-musl-") && n.ends_with(".so.1"))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures_are_named_as_linux_names_them() {
        assert_eq!(normal_arch("arm64"), "aarch64");
        assert_eq!(normal_arch("AMD64"), "x86_64");
        assert_eq!(normal_arch("x86_64"), "x86_64");
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn glibc_says_its_version() {
        let v = glibc_version().expect("glibc");
        assert!(super::super::Version::parse(&v).is_some(), "{v}");
    }
}
