//! `sel export requirements EXPR`: the packages of a query as requirements
//! with PEP 508 markers.

use sel::cli::RequirementsArgs;
use sel::error::Error;
use sel::Session;

use super::{command_line, request};

/// `sel export requirements`.
pub fn requirements(session: &Session, args: RequirementsArgs) -> Result<String, Error> {
    let request = request(session, &args.config)?;
    let requirements = if args.all_configs {
        sel::python::export::requirements_all(session, &args.expr, &request)?
    } else {
        sel::python::export::requirements(session, &args.expr, &request)?
    };
    Ok(sel::python::export::render(&requirements, &command_line()))
}
