//! The `sel` binary: parse the command line, hand it to the command it names
//! (`commands/`, one module each, as cargo keeps its own), write the answer
//! (`answer.rs`), and report errors with miette, exiting with SPEC's status
//! (0 ok, 1 workspace/query error, 2 command-line error). Everything a
//! command computes is the library's; what is here is plumbing.

mod answer;
mod commands;
mod last_resort;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report};

use sel::cli::{Cli, Color};
use sel::error::Error;

use answer::Answer;

#[global_allocator]
static GLOBAL: sel::build_file::memory::Budgeted<mimalloc::MiMalloc> =
    sel::build_file::memory::Budgeted::new(mimalloc::MiMalloc, last_resort::too_large);

fn main() -> ExitCode {
    #[cfg(unix)]
    last_resort::overflow::install();
    // Panics inside BUILD evaluation become errors (sel::eval); say nothing
    // twice. Any other is a bug: a short report asking for it to be
    // reported, never a raw backtrace (`SEL_BACKTRACE=1` adds one), and
    // exit 1 (see `guarded`).
    std::panic::set_hook(Box::new(|info| {
        // The condition algebra's bound unwinds to `condition::guard`, which
        // reports it as sel::conditions_too_large.
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
        if std::env::var_os("SEL_BACKTRACE").is_some_and(|v| v == "1") {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
    // clap prints its own help and errors before `--color` is parsed: look for
    // the flag first, so `--color never` holds for them too.
    let matches = Cli::command()
        .color(sel::cli::color_choice(std::env::args_os()))
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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
                // Wrapping would break labels at `/` and `-` (`//pkg:linux-` / `only`),
                // which reads as a different label; terminals wrap long lines anyway.
                .wrap_lines(false)
                .build(),
        )
    }))
    .ok();
    // Output renders conditions too, so the algebra's bound is guarded through it.
    last_resort::guarded(|| {
        match sel::condition::guard(|| commands::run(cli).map(Answer::write_out)) {
            Ok(Ok(())) => ExitCode::SUCCESS,
            Ok(Err(e)) => {
                eprintln!("sel: cannot write output: {e}");
                ExitCode::from(1)
            }
            Err(e) => {
                let code = e.kind.exit_code();
                eprintln!("{:?}", to_report(e));
                ExitCode::from(code as u8)
            }
        }
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
