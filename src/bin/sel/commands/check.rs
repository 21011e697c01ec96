//! `sel check [PATTERN]`: a static check of every configuration.

use sel::cli::{CheckArgs, ReportFormat};
use sel::error::{Error, ErrorKind};
use sel::output::all_configs;
use sel::Session;

use super::{json_text, request};
use crate::answer::Answer;

/// `sel check`: the findings are the answer; with an error among them they
/// are printed here and the run ends with `sel::check` (exit status 1).
pub fn run(session: &Session, args: CheckArgs) -> Result<String, Error> {
    let request = request(session, &args.config)?;
    let report = session.check(&args.pattern, &request)?;
    let text = match args.output {
        ReportFormat::Text => all_configs::check_text(&report),
        ReportFormat::Json => json_text(&all_configs::check_json(&report)),
    };
    if report.has_errors() {
        Answer::from(text).write().ok();
        return Err(Error::new(ErrorKind::Check, "sel check found errors"));
    }
    Ok(text)
}
