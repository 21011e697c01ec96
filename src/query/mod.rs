//! Bazel's query language: [`syntax`] parses it, [`eval`] evaluates it against
//! a [`eval::QueryEnv`], and [`env`] provides the unconfigured (`query`) and
//! configured (`cquery`) environments.

pub mod all_configs;
pub mod env;
pub mod eval;
pub mod syntax;

use crate::error::{Error, ErrorKind, Location, Result, Source};

pub use eval::{evaluate, QueryEnv, TargetSet};

/// Parses a query, turning a syntax error into a located sel error.
pub fn parse(query: &str) -> Result<syntax::Expr> {
    syntax::parse(query).map_err(|e| {
        Error::new(ErrorKind::Query, e.message)
            .at(Some(Location {
                source: Source::Query(query.to_string()),
                span: e.span.start..e.span.end,
            }))
            .with_help_opt(e.help)
    })
}
