//! `sel matrix EXPR`: the distinct results over every configuration, each
//! class printed as it is found.

use std::io::Write;

use sel::cli::{MatrixArgs, ReportFormat};
use sel::error::Error;
use sel::output::all_configs;
use sel::Session;

use super::{json_text, request};

/// The most operations on decision diagrams `sel matrix` does.
const MATRIX_STEPS: u64 = 1 << 24;

/// `sel matrix`: text is streamed (and the answer left empty), JSON is one document.
pub fn run(session: &Session, args: MatrixArgs) -> Result<String, Error> {
    let request = request(session, &args.config)?;
    // A result whose conditions have no small diagram has astronomically many
    // classes too: give up on it early (about two seconds) rather than after
    // the algebra's whole budget.
    let result =
        sel::condition::with_steps(MATRIX_STEPS, || session.cquery_all(&args.expr, &request))?;
    match args.output {
        ReportFormat::Text => {
            streamed(&result, args.max_classes)?;
            Ok(String::new())
        }
        ReportFormat::Json => {
            let classes = sel::matrix::classes(&result, args.max_classes)?;
            Ok(json_text(&all_configs::matrix_json(
                &result, &classes, &args.expr,
            )))
        }
    }
}

/// `sel matrix` as text, each class printed as soon as it is found (a partition
/// with many classes shows progress, and what was found before the bound stopped
/// it). A reader that goes away ends the search quietly.
fn streamed(result: &sel::AllConfigsResult, max_classes: usize) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    let mut first = true;
    let mut failed: Option<std::io::Error> = None;
    sel::matrix::each_class(result, max_classes, &mut |class| {
        let text = all_configs::matrix_class_text(result, &class, first);
        first = false;
        match stdout
            .write_all(text.as_bytes())
            .and_then(|_| stdout.flush())
        {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    match failed {
        Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("sel: cannot write output: {e}");
            std::process::exit(1)
        }
        _ => Ok(()),
    }
}
