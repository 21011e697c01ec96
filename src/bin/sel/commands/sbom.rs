//! `sel sbom EXPR`: a CycloneDX or SPDX document of a configured result, or
//! of every configuration.

use sel::cli::{SbomArgs, SbomFormat};
use sel::error::Error;
use sel::Session;

use super::{json_text, request, source_date_epoch};

/// `sel sbom`; regions where evaluation fails are warnings on stderr.
pub fn run(session: &Session, args: SbomArgs) -> Result<String, Error> {
    let request = request(session, &args.config)?;
    let sbom = if args.all_configs {
        session.sbom_all(&args.expr, &request)?
    } else {
        session.sbom(&args.expr, &request)?
    };
    let options = sel::sbom::Options {
        created: source_date_epoch()?,
    };
    if let Some(alg) = &sbom.algebra {
        for f in &sbom.failures {
            eprintln!(
                "warning: evaluation fails where {}: {} [{}]",
                alg.render(f.when),
                f.message,
                f.kind.code()
            );
        }
    }
    Ok(json_text(&match args.format {
        SbomFormat::Cyclonedx => sel::sbom::cyclonedx::document(&sbom, &options),
        SbomFormat::Spdx => sel::sbom::spdx::document(&sbom, &options),
    }))
}
