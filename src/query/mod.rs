//! Bazel's query language: [`syntax`] parses it, [`eval`] evaluates it against
//! a [`eval::QueryEnv`], and [`mod@env`] provides the unconfigured (`query`) and
//! configured (`cquery`) environments.

pub mod all_configs;
pub mod env;
pub mod eval;
pub mod result;
pub mod syntax;

use crate::error::{Error, ErrorKind, Location, Result};

pub use eval::{evaluate, QueryEnv, TargetSet};

/// Parses a query, turning a syntax error into a located sel error.
pub fn parse(query: &str) -> Result<syntax::Expr> {
    syntax::parse(query).map_err(|e| {
        Error::new(ErrorKind::Query, e.message)
            .at(Some(Location::in_query(query, e.span.start..e.span.end)))
            .with_help_opt(e.help)
    })
}

/// The target patterns written in a query, as written: everything a query can
/// reach starts from these (`deps`, `rdeps`, `siblings`, ... only follow the
/// graph from them).
pub fn patterns(expr: &syntax::Expr) -> Vec<&str> {
    use syntax::{Arg, Expr};
    fn walk<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
        match e {
            Expr::Pattern { text, .. } => out.push(text),
            Expr::Var { .. } => {}
            Expr::Let { value, body, .. } => {
                walk(value, out);
                walk(body, out);
            }
            Expr::SetOp { left, right, .. } => {
                walk(left, out);
                walk(right, out);
            }
            Expr::Call { args, .. } => {
                for a in args {
                    if let Arg::Expr(e) = a {
                        walk(e, out);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(expr, &mut out);
    out
}
