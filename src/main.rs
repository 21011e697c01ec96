//! The `sel` binary: parse the command line, call the library, render errors
//! with miette, and exit with SPEC's status (0 ok, 1 workspace/query error,
//! 2 command-line error).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report};

use sel::cli::{Cli, Color, Command, ConfigArgs};
use sel::error::{Error, ErrorKind};
use sel::{Request, Session};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .build(),
        )
    }))
    .ok();
    match run(cli) {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                // `sel query ... | head` closes the pipe early: not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("sel: cannot write output: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Err(e) => {
            let code = e.kind.exit_code();
            eprintln!("{:?}", to_report(e));
            ExitCode::from(code as u8)
        }
    }
}

fn run(cli: Cli) -> Result<String, Error> {
    let dir = cli.directory.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("-C {}: no such directory", dir.display()),
        ));
    }
    match cli.command {
        Command::Query(args) => {
            let session = Session::open(&dir)?;
            let result = session.query(&args.expr)?;
            Ok(sel::output::render(
                args.output,
                &session.graph,
                &result,
                "query",
                &args.expr,
            ))
        }
        Command::Cquery(args) => {
            let session = Session::open(&dir)?;
            let request = request(&session, &args.config)?;
            let result = session.cquery(&args.expr, &request)?;
            Ok(sel::output::render(
                args.output,
                &session.graph,
                &result,
                "cquery",
                &args.expr,
            ))
        }
    }
}

fn request(session: &Session, args: &ConfigArgs) -> Result<Request, Error> {
    let config = match &args.config {
        None => None,
        Some(name) => {
            let named = session
                .workspace
                .settings
                .config
                .get(name)
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<&str> = session
                        .workspace
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
    })
}

/// A sel error as a miette report, with the source text and a caret where there is one.
fn to_report(e: Error) -> Report {
    let mut diag = MietteDiagnostic::new(e.message.clone()).with_code(e.kind.code());
    let mut help: Vec<String> = e.notes.clone();
    if let Some(h) = &e.help {
        help.push(h.clone());
    }
    if !help.is_empty() {
        diag = diag.with_help(help.join("\n"));
    }
    let source = e.location.as_ref().and_then(|loc| {
        let text = loc.text()?;
        let end = loc.span.end.min(text.len());
        let start = loc.span.start.min(end);
        diag.labels = Some(vec![LabeledSpan::new_with_span(
            e.label.clone(),
            start..end,
        )]);
        Some(NamedSource::new(loc.name(), text))
    });
    let report = Report::new(diag);
    match source {
        Some(s) => report.with_source_code(s),
        None => report,
    }
}
