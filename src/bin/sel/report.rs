//! How the `sel` command reports: panics (a short `sel::internal` report,
//! never a raw backtrace), miette's rendering by `--color`, and a library
//! `Error` as a miette report. The binary's `main.rs` and the wheel's
//! in-process command (python/src/cli.rs) both use it.

use std::io::IsTerminal;

use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report};

use sel::cli::Color;
use sel::error::Error;

/// Panics inside BUILD evaluation become errors (sel::eval), and the
/// condition algebra's bound unwinds to `condition::guard`, which reports it
/// as sel::conditions_too_large: neither is said twice. Any other is a bug:
/// a short report asking for it to be reported (`SEL_BACKTRACE=1` adds a
/// backtrace).
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
        if std::env::var_os("SEL_BACKTRACE").is_some_and(|v| v == "1") {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

/// Renders reports in color or not, as `--color` says (`auto`: when stderr
/// is a terminal and `NO_COLOR` is unset or empty).
pub fn install_miette_hook(choice: Color) {
    let color = match choice {
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
}

/// A sel error as a miette report, with the source text and a caret where there is one.
pub fn to_report(e: Error) -> Report {
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
