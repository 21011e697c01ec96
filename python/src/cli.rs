//! The wheel's `sel` command: what `src/bin/sel/main.rs` does, for an
//! argument list handed over by Python (the process's own arguments are
//! the interpreter's). The commands are the binary's (`crate::commands`).

use std::ffi::OsString;
use std::io::IsTerminal;

use clap::{CommandFactory, FromArgMatches};
use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report};

use sel::cli::{Cli, Color};
use sel::error::Error;

use crate::answer::Answer;

/// Reports panics as the binary does: none for the unwinding that BUILD
/// evaluation and the condition algebra's bound turn into errors, and a short
/// `sel::internal` report (not a backtrace) for a bug. Set when the module is
/// imported; a panic in an API call then raises pyo3's PanicException.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if sel::build_file::is_evaluating() || info.payload().is::<sel::condition::TooLarge>() {
            return;
        }
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic");
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "sel::internal\n\n  x internal error: {what}{place}\n  help: this is a bug in sel {}; please report it, with the command and the files it read",
            env!("CARGO_PKG_VERSION")
        );
    }));
}

/// Runs the command line `argv` (program name first) and returns the exit
/// status: 0 ok, 1 a workspace or query error, 2 a wrong command line.
pub fn run(argv: Vec<OsString>) -> i32 {
    #[cfg(unix)]
    crate::last_resort::overflow::install();
    let matches = match Cli::command()
        .color(sel::cli::color_choice(argv.iter().skip(1).cloned()))
        .try_get_matches_from(argv)
    {
        Ok(matches) => matches,
        Err(e) => return print_clap(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return print_clap(e),
    };
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
                .wrap_lines(false)
                .build(),
        )
    }))
    .ok();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sel::condition::guard(|| crate::commands::run(cli).map(Answer::write_out))
    }));
    match outcome {
        Ok(Ok(Ok(()))) => 0,
        Ok(Ok(Err(e))) => {
            eprintln!("sel: cannot write output: {e}");
            1
        }
        Ok(Err(e)) => {
            let code = e.kind.exit_code();
            eprintln!("{:?}", to_report(e));
            code
        }
        // The hook has reported it.
        Err(_) => 1,
    }
}

/// clap's help, version or error, printed; its exit status.
fn print_clap(e: clap::Error) -> i32 {
    e.print().ok();
    e.exit_code()
}

/// A sel error as a miette report, with the source text and a caret where
/// there is one (as `to_report` in src/bin/sel/main.rs).
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
        let end = loc.span().end.min(text.len());
        let start = loc.span().start.min(end);
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
