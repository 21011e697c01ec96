//! The commands, one module each: each turns its parsed arguments into calls
//! of the library and returns what to print (an [`Answer`]), or an error.
//! `run` dispatches; the helpers here are what several commands share.

mod cached;
mod check;
mod cquery;
mod detect;
mod export;
mod images;
mod import;
mod licenses;
mod man;
mod matrix;
mod query;
mod sbom;
mod why;

use std::path::PathBuf;

use sel::cli::{Cli, Command, ConfigArgs, ExportCommand};
use sel::error::{Error, ErrorKind};
use sel::workspace::Workspace;
use sel::{Request, Session};

use crate::answer::Answer;

/// Runs the command the command line names.
pub fn run(mut cli: Cli) -> Result<Answer, Error> {
    if let Some(dir) = &cli.directory {
        files_under(dir, &mut cli.command);
    }
    // Commands about sel itself need no workspace.
    match &cli.command {
        Command::Completions(args) => return Ok(man::completions(args.shell).into()),
        Command::Man(args) => return man::run(args).map(Answer::from),
        Command::Import(args) => {
            return import::run(cli.directory.as_deref(), args).map(Answer::from)
        }
        Command::DetectNvidia => return Ok(detect::driver_probe().into()),
        _ => {}
    }
    let dir = cli.directory.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("-C {}: no such directory", dir.display()),
        ));
    }
    let use_cache = !cli.no_cache;
    // `query` and `cquery` may answer from the answer cache; the others
    // answer from the loaded workspace.
    let open = || Session::open_with(&dir, use_cache);
    match cli.command {
        Command::Query(args) => query::run(&dir, use_cache, args),
        Command::Cquery(args) => cquery::run(&dir, use_cache, args),
        Command::Matrix(args) => with_session(open, |s| matrix::run(s, args)),
        Command::Why(args) => with_session(open, |s| why::run(s, args)),
        Command::Check(args) => with_session(open, |s| check::run(s, args)),
        Command::Images(args) => with_session(open, |s| images::run(s, args)),
        Command::Licenses(args) => with_session(open, |s| licenses::run(s, args)),
        Command::Sbom(args) => with_session(open, |s| sbom::run(s, args)),
        Command::Export(ExportCommand::Requirements(args)) => {
            with_session(open, |s| export::requirements(s, args))
        }
        Command::Detect(args) => detect::run(&dir, use_cache, args).map(Answer::from),
        Command::Completions(_) | Command::Man(_) | Command::Import(_) | Command::DetectNvidia => {
            unreachable!("answered above")
        }
    }
}

/// Files named on the command line are read from `-C DIR`, as if sel had
/// been started there (`import` joins its own).
fn files_under(dir: &std::path::Path, command: &mut Command) {
    let config = match command {
        Command::Cquery(a) => &mut a.config,
        Command::Matrix(a) => &mut a.config,
        Command::Images(a) => &mut a.config,
        Command::Why(a) => &mut a.config,
        Command::Check(a) => &mut a.config,
        Command::Licenses(a) => &mut a.config,
        Command::Sbom(a) => &mut a.config,
        Command::Export(ExportCommand::Requirements(a)) => &mut a.config,
        Command::Detect(a) => {
            detect::files_under(dir, &mut a.host_from, &mut a.python);
            return;
        }
        _ => return,
    };
    detect::files_under(dir, &mut config.host_from, &mut config.python);
}

/// A command's text, computed from the workspace `open` loads.
fn with_session(
    open: impl FnOnce() -> Result<Session, Error>,
    command: impl FnOnce(&Session) -> Result<String, Error>,
) -> Result<Answer, Error> {
    let session = open()?;
    let text = command(&session);
    dismiss(session);
    text.map(Answer::from)
}

/// Lets a loaded session go without freeing it: sel exits once the answer
/// is written, and freeing a large graph piece by piece (tens of
/// milliseconds for 100,000 targets) would only delay that.
pub fn dismiss(session: Session) {
    std::mem::forget(session);
}

/// The configuration the selector flags ask for, the host's facts
/// (`--host`, `--host-from`) included.
pub fn request(session: &Session, args: &ConfigArgs) -> Result<Request, Error> {
    let mut request = base_request(&session.workspace, args)?;
    request.host = detect::host(&session.graph, args)?;
    Ok(request)
}

/// The configuration the selector flags but `--host` ask for.
pub fn base_request(workspace: &Workspace, args: &ConfigArgs) -> Result<Request, Error> {
    let config = match &args.config {
        None => None,
        Some(name) => {
            let named = workspace
                .settings
                .config
                .get(name)
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<&str> = workspace
                        .settings
                        .config
                        .keys()
                        .map(|s| s.as_str())
                        .collect();
                    Error::new(
                        ErrorKind::Usage,
                        format!("--config {name}: sel.toml has no [config.{name}]"),
                    )
                    .with_help_opt(
                        sel::error::did_you_mean(name, names.iter().copied()).or_else(|| {
                            (!names.is_empty())
                                .then(|| format!("named configurations: {}", names.join(", ")))
                        }),
                    )
                })?;
            Some((name.clone(), named))
        }
    };
    Ok(Request {
        selects: args.selects.clone(),
        platform: args.platform.clone(),
        config,
        host: None,
    })
}

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org): the time to write into documents.
pub fn source_date_epoch() -> Result<Option<i64>, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(_) => Ok(None),
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
            Error::new(
                ErrorKind::Usage,
                format!("SOURCE_DATE_EPOCH=`{v}`: expected a number of seconds since 1970-01-01"),
            )
        }),
    }
}

/// A JSON document as printed: pretty, with a final newline.
pub fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON values serialise") + "\n"
}

/// The command line as typed, for headers of generated files.
pub fn command_line() -> String {
    let quote = |arg: String| {
        if !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_:.=-,@+%".contains(c))
        {
            arg
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    std::iter::once("sel".to_string())
        .chain(std::env::args().skip(1).map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}
