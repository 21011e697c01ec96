//! The Python probes: the PEP 508 marker environment of one interpreter
//! (`python.sys_platform`, `python.python_full_version`, ...), asked once.
//!
//! The interpreter is the one `--python` names, else `python3` or `python`
//! on PATH. It runs isolated (`-I -S`: no site-packages, no user site, no
//! `PYTHON*` variables, no `sitecustomize`), so no installed package's code
//! runs, only PEP 508's own definitions of the variables, and with the same
//! timeout as the driver probe.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::fact::{Fact, PROBES};

/// The variables, as PEP 508 defines them.
const SCRIPT: &str = r#"
import json, os, platform, sys
def v(info):
    s = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        s += info.releaselevel[0] + str(info.serial)
    return s
print(json.dumps({
    "implementation_name": sys.implementation.name,
    "implementation_version": v(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_python_implementation": platform.python_implementation(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
"#;

/// The `python.*` facts, by probe name.
pub fn probe(python: Option<&Path>, timeout: Duration) -> Vec<(String, Fact)> {
    let names: Vec<&str> = PROBES
        .iter()
        .filter_map(|p| p.name.strip_prefix("python."))
        .collect();
    let all = |f: &dyn Fn(&str) -> Fact| {
        names
            .iter()
            .map(|n| (format!("python.{n}"), f(n)))
            .collect::<Vec<_>>()
    };
    let (program, answer) = match python {
        Some(p) => (p.display().to_string(), ask(p, timeout)),
        None => {
            let mut last = Err("no python3 or python on PATH".to_string());
            let mut program = String::from("python3");
            for candidate in ["python3", "python"] {
                program = candidate.to_string();
                last = ask(Path::new(candidate), timeout);
                if last.is_ok() {
                    break;
                }
            }
            (program, last)
        }
    };
    match answer {
        Err(note) => all(&|_| Fact::absent(note.clone())),
        Ok(env) => all(&|n| match env.get(n).and_then(|v| v.as_str()) {
            Some(v) => Fact::probed(v).noted(program.clone()),
            None => Fact::absent(format!("{program} does not say {n}")),
        }),
    }
}

/// Runs the interpreter on [`SCRIPT`]: its variables, or why not.
fn ask(
    python: &Path,
    timeout: Duration,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let shown = python.display();
    let mut child = Command::new(python)
        .args(["-I", "-S", "-c", SCRIPT])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{shown} could not be run: {e}"))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{shown} did not answer within {:.1} s",
                    timeout.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("{shown} could not be waited for: {e}")),
        }
    };
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if !status.success() {
        return Err(format!("{shown} failed ({status})"));
    }
    match serde_json::from_str(out.trim()) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(format!("{shown} gave an unreadable answer")),
    }
}
