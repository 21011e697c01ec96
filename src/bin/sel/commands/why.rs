//! `sel why FROM TO`: why TO is in `deps(FROM)`, and when.

use sel::cli::{ReportFormat, WhyArgs};
use sel::error::Error;
use sel::output::all_configs;
use sel::Session;

use super::{json_text, request};

/// `sel why`.
pub fn run(session: &Session, args: WhyArgs) -> Result<String, Error> {
    let request = request(session, &args.config)?;
    let why = session.why(&args.from, &args.to, &request)?;
    Ok(match args.output {
        ReportFormat::Text => all_configs::why_text(&why),
        ReportFormat::Json => json_text(&all_configs::why_json(&why)),
    })
}
