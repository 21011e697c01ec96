//! `sel detect`: this machine's facts (or a snapshot's) and the value each
//! selector bound to a probe takes; the host of `--host` and `--host-from`;
//! and the hidden `__detect-nvidia`, the child process that loads the
//! NVIDIA driver's library so that sel's own process never does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sel::cli::{ConfigArgs, DetectArgs, DetectFormat};
use sel::detect::{Host, Options};
use sel::error::{Error, ErrorKind};
use sel::target_graph::TargetGraph;
use sel::workspace::Workspace;
use sel::Session;

use super::json_text;

/// `sel detect`.
pub fn run(dir: &Path, use_cache: bool, args: DetectArgs) -> Result<String, Error> {
    let host = match &args.host_from {
        Some(file) => snapshot(file)?,
        None => Host::probe(&options(args.python.clone())?, None)?,
    };
    // Outside a workspace there are no selectors, only facts.
    let session = match Workspace::discover(dir) {
        Ok(_) => Some(Session::open_with(dir, use_cache)?),
        Err(_) => None,
    };
    let bound = session
        .as_ref()
        .map(|s| sel::detect::bound_values(&s.graph, &host))
        .unwrap_or_default();
    let text = match args.output {
        DetectFormat::Text => sel::detect::render::text(&host, &bound),
        DetectFormat::Json => json_text(&sel::detect::render::json(&host, &bound)),
        DetectFormat::Variants => {
            let mut s = String::new();
            for p in host.variant_properties() {
                s.push_str(&p);
                s.push('\n');
            }
            s
        }
    };
    if let Some(s) = session {
        super::dismiss(s);
    }
    Ok(text)
}

/// `sel __detect-nvidia`: what the driver's library says, as JSON.
pub fn driver_probe() -> String {
    json_text(&serde_json::to_value(sel::detect::nvidia::probe_here()).expect("answers serialise"))
}

/// How to probe: the flags, the environment, and this binary as the
/// driver probe's child process.
fn options(python: Option<PathBuf>) -> Result<Options, Error> {
    Ok(Options {
        python,
        driver_probe: std::env::current_exe()
            .ok()
            .map(|exe| (exe, vec!["__detect-nvidia".to_string()])),
        timeout: Options::timeout_from_env()?,
        overrides: Options::overrides_from_env(),
    })
}

/// `--host-from` and `--python` as seen from `dir` (`-C DIR`); a `--python`
/// without a `/` is a name to look up on PATH, and stays one.
pub fn files_under(dir: &Path, host_from: &mut Option<PathBuf>, python: &mut Option<PathBuf>) {
    if let Some(f) = host_from {
        *f = dir.join(&*f);
    }
    if let Some(p) = python.as_mut().filter(|p| p.components().count() > 1) {
        *p = dir.join(&*p);
    }
}

/// The host a snapshot file describes.
fn snapshot(file: &Path) -> Result<Host, Error> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        Error::new(
            ErrorKind::Usage,
            format!("--host-from {}: cannot read it: {e}", file.display()),
        )
    })?;
    Host::from_snapshot(&text, &file.display().to_string())
}

/// The host of `--host` (the probes `graph`'s bound selectors need) or
/// `--host-from`, if the flags ask for one.
pub fn host(graph: &TargetGraph, args: &ConfigArgs) -> Result<Option<Arc<Host>>, Error> {
    if let Some(file) = &args.host_from {
        return Ok(Some(Arc::new(snapshot(file)?)));
    }
    if !args.host {
        return Ok(None);
    }
    let wanted = sel::detect::bound_probes(graph);
    let host = Host::probe(&options(args.python.clone())?, Some(&wanted))?;
    Ok(Some(Arc::new(host)))
}
