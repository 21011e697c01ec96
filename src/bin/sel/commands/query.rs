//! `sel query EXPR`: the unconfigured graph. A query that needs the whole
//! workspace answers through the answer cache; one that reaches only some
//! packages loads just those, and keeps its answer with their files.

use std::path::Path;

use sel::cli::QueryArgs;
use sel::error::Error;
use sel::output::{Command as OutputCommand, Options};
use sel::workspace::Workspace;
use sel::Session;

use super::cached;
use crate::answer::{Answer, Body};

/// `sel query`.
pub fn run(dir: &Path, use_cache: bool, args: QueryArgs) -> Result<Answer, Error> {
    sel::timing::start();
    let workspace = Workspace::discover(dir)?;
    if use_cache && sel::query_loads_everything(&workspace, &args.expr) {
        return cached::answered(workspace, cached::no_recompute, |session| {
            let result = session.query(&args.expr)?;
            Ok(Body::Rendered(Box::new(session), result, options(args)).into())
        });
    }
    // `query` loads only the packages its patterns can reach; its
    // answer may be kept, with the files of those packages.
    let key = sel::cache::answers::Key::of_this_process();
    if use_cache {
        use sel::cache::answers::ClosureLookup;
        match sel::cache::answers::lookup_closure(&workspace, key) {
            ClosureLookup::Hit(kept) => return Ok(kept.into()),
            ClosureLookup::Stale(stale) => {
                let covered = stale.covered.unwrap_or_default();
                let mode = sel::cache::recompute::Mode::Unconfigured(&covered);
                if let Some(text) = sel::cache::recompute::recompute(
                    &workspace,
                    &stale.text,
                    &stale.printed,
                    stale.changed,
                    mode,
                ) {
                    return Ok(text.into());
                }
            }
            ClosureLookup::Miss => {}
        }
    }
    let (session, result, inputs) = Session::load_and_query(workspace, use_cache, &args.expr)?;
    // An answer that prints each target of the closure as an item
    // of its own may be recomputed.
    let shape = sel::cache::recompute::Shape::of(args.output, args.order);
    let graph = shape
        .filter(|_| use_cache && inputs.is_some())
        .and_then(|shape| session.kept_graph(&args.expr, &result, shape));
    let root = session.workspace.root.clone();
    Ok(Answer {
        keep: inputs
            .filter(|_| use_cache)
            .map(|inputs| sel::cache::answers::Pending {
                root,
                key,
                inputs,
                closure: true,
                graph,
            }),
        ..Body::Rendered(Box::new(session), result, options(args)).into()
    })
}

/// The options of `sel query`'s output.
fn options(args: QueryArgs) -> Options {
    Options {
        format: args.output,
        order: args.order,
        command: OutputCommand::Query,
        query: args.expr,
    }
}
