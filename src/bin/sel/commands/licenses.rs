//! `sel licenses EXPR`: the licenses of a configured result, or of every
//! configuration, judged by sel.toml's policy with `--check`.

use sel::cli::{LicensesArgs, ReportFormat};
use sel::error::{Error, ErrorKind};
use sel::Session;

use super::{json_text, request};
use crate::answer::Answer;

/// `sel licenses`: with violations, they are printed here and the run ends
/// with `sel::license_violation` (exit status 1).
pub fn run(session: &Session, args: LicensesArgs) -> Result<String, Error> {
    let request = request(session, &args.config)?;
    let report = if args.all_configs {
        session.licenses_all(&args.expr, &request, args.check)?
    } else {
        session.licenses(&args.expr, &request, args.check)?
    };
    let text = match args.output {
        ReportFormat::Text => sel::license::render::text(&report),
        ReportFormat::Json => json_text(&sel::license::render::json(&report)),
    };
    if report.failed() {
        Answer::from(text).write().ok();
        return Err(Error::new(
            ErrorKind::LicenseViolation,
            "the licenses break the policy of sel.toml",
        ));
    }
    Ok(text)
}
