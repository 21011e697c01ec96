//! `sel cquery EXPR`: the graph configured by selector values, or with
//! `--all-configs` every configuration at once. Answers go through the answer
//! cache, and a kept closure is recomputed after a dependency change.

use std::path::Path;

use sel::cli::CqueryArgs;
use sel::error::{Error, ErrorKind};
use sel::output::{Command as OutputCommand, Options};
use sel::workspace::Workspace;
use sel::Session;

use super::{cached, json_text, request};
use crate::answer::{Answer, Body};

/// `sel cquery`.
pub fn run(dir: &Path, use_cache: bool, args: CqueryArgs) -> Result<Answer, Error> {
    if !use_cache {
        return configured(Session::open_with(dir, false)?, args, false);
    }
    sel::timing::start();
    let config = args.config.clone();
    let recompute = move |workspace: &Workspace, stale: sel::answers::Stale| {
        // A request that fails fails the full run too, which says why.
        let request = request(workspace, &config).ok()?;
        sel::incremental::recompute(
            workspace,
            &stale.text,
            &stale.graph,
            stale.changed,
            sel::incremental::Mode::Configured(&request),
        )
    };
    cached::answered(Workspace::discover(dir)?, recompute, |session| {
        configured(session, args, true)
    })
}

/// `sel cquery`, on a loaded workspace. `keep`: the answer will be kept
/// (see [`cached::answered`]), with the configured graph it printed if it may be
/// recomputed from it ([`sel::incremental`]).
fn configured(session: Session, args: CqueryArgs, keep: bool) -> Result<Answer, Error> {
    let request = request(&session.workspace, &args.config)?;
    if args.all_configs {
        let result = session.cquery_all(&args.expr, &request);
        super::dismiss(session);
        return all_configs_output(&result?, args.output, &args.expr);
    }
    // Label-only outputs need no resolved attributes.
    let labels_only = matches!(
        args.output,
        sel::output::Format::Label | sel::output::Format::LabelKind | sel::output::Format::Package
    ) && args.order == sel::output::Order::Sorted;
    // An answer that prints each target of the closure as an item of its
    // own may be recomputed.
    let shape = sel::incremental::Shape::of(args.output, args.order);
    let keep = shape.filter(|_| keep);
    let (result, graph) = session.cquery_keeping(&args.expr, &request, !labels_only, keep)?;
    let options = Options {
        format: args.output,
        order: args.order,
        command: OutputCommand::Cquery,
        query: args.expr,
    };
    Ok(Answer {
        graph,
        ..Body::Rendered(Box::new(session), result, options).into()
    })
}

/// Renders `cquery --all-configs`; failures go to stderr in the text formats.
fn all_configs_output(
    result: &sel::AllConfigsResult,
    format: sel::output::Format,
    query: &str,
) -> Result<Answer, Error> {
    use sel::output::{all_configs, Format};
    match format {
        Format::Json => {
            let doc = all_configs::json(result, query);
            Ok(json_text(&doc).into())
        }
        Format::Label => Ok(Answer {
            warnings: all_configs::failures(result),
            ..all_configs::label(result).into()
        }),
        other => Err(Error::new(
            ErrorKind::Usage,
            format!("--all-configs supports --output=label and --output=json, not {other:?}"),
        )),
    }
}
