//! `sel images EXPR`: the fewest images that serve every configuration.

use sel::cli::{ImagesArgs, ReportFormat};
use sel::error::Error;
use sel::output::all_configs;
use sel::Session;

use super::{json_text, request};

/// `sel images`.
pub fn run(session: &Session, args: ImagesArgs) -> Result<String, Error> {
    let request = request(session, &args.config)?;
    let images = session.images(&args.expr, &request, args.max_classes)?;
    Ok(match args.output {
        ReportFormat::Text => all_configs::images_text(&images),
        ReportFormat::Json => json_text(&all_configs::images_json(&images, &args.expr)),
    })
}
