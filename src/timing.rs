//! Phase timings for profiling: with `SEL_TIMINGS=1` in the environment, sel
//! prints to stderr how long each phase of a run took (docs/benchmarks.md)
//! and, on Linux, the resident memory at its end and the peak so far.

use std::sync::OnceLock;
use std::time::Instant;

fn state() -> &'static Option<std::sync::Mutex<Instant>> {
    static STATE: OnceLock<Option<std::sync::Mutex<Instant>>> = OnceLock::new();
    STATE.get_or_init(|| {
        std::env::var_os("SEL_TIMINGS")
            .filter(|v| !v.is_empty() && v != "0")
            .map(|_| std::sync::Mutex::new(Instant::now()))
    })
}

/// Starts the clock (the first phase is measured from here).
pub fn start() {
    let _ = state();
}

/// Ends a phase: prints its name and the time since the previous phase ended.
pub fn phase(name: &str) {
    if let Some(last) = state() {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        eprintln!(
            "sel timing: {name:<12} {:>8.1} ms{}",
            (now - *last).as_secs_f64() * 1e3,
            memory()
        );
        *last = now;
    }
}

/// `  rss N KB  peak N KB` from /proc/self/status, or nothing where it cannot be read.
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().trim_end_matches(" kB").to_string())
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(peak)) => format!("  rss {rss:>7} KB  peak {peak:>7} KB"),
        _ => String::new(),
    }
}
