//! `sel cquery EXPR`: the graph configured by selector values, or with
//! `--all-configs` every configuration at once. Answers go through the answer
//! cache, and a kept closure is recomputed after a dependency change.

use std::path::Path;

use sel::cli::CqueryArgs;
use sel::error::{Error, ErrorKind};
use sel::output::{Command as OutputCommand, Options};
use sel::workspace::Workspace;
use sel::Session;

use super::{base_request, cached, json_text, request};
use crate::answer::{Answer, Body};

/// `sel cquery`.
pub fn run(dir: &Path, use_cache: bool, args: CqueryArgs) -> Result<Answer, Error> {
    if !use_cache {
        return configured(Session::open_with(dir, false)?, args, false);
    }
    // The host's facts are no input the answer cache knows of.
    if args.config.host || args.config.host_from.is_some() {
        return configured(Session::open_with(dir, true)?, args, false);
    }
    sel::timing::start();
    let config = args.config.clone();
    let recompute = move |workspace: &Workspace, stale: sel::cache::answers::Stale| {
        // A request that fails fails the full run too, which says why.
        let request = base_request(workspace, &config).ok()?;
        sel::cache::recompute::recompute(
            workspace,
            &stale.text,
            &stale.printed,
            stale.changed,
            sel::cache::recompute::Mode::Configured(&request),
        )
    };
    cached::answered(Workspace::discover(dir)?, recompute, |session| {
        configured(session, args, true)
    })
}

/// `sel cquery`, on a loaded workspace. `keep`: the answer will be kept
/// (see [`cached::answered`]), with the configured graph it printed if it may be
/// recomputed from it ([`sel::cache::recompute`]).
fn configured(session: Session, args: CqueryArgs, keep: bool) -> Result<Answer, Error> {
    let request = request(&session, &args.config)?;
    if args.all_configs {
        let answer = every_configuration(&session, &args, &request);
        super::dismiss(session);
        return answer;
    }
    if args.union {
        let answer = union(&session, &args, &request);
        super::dismiss(session);
        return answer;
    }
    // Label-only outputs need no resolved attributes.
    let labels_only = matches!(
        args.output,
        sel::output::Format::Label | sel::output::Format::LabelKind | sel::output::Format::Package
    ) && args.order == sel::output::Order::Sorted;
    // An answer that prints each target of the closure as an item of its
    // own may be recomputed.
    let shape = sel::cache::recompute::Shape::of(args.output, args.order);
    let keep = shape.filter(|_| keep);
    let (result, graph) =
        session.cquery_keeping(&args.expr, &request, !labels_only, keep, args.allow_clashes)?;
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

/// `cquery --union`: the targets with their conditions, as `--all-configs`
/// prints them, and the clashes of the union (in the text formats, on stderr).
fn union(session: &Session, args: &CqueryArgs, request: &sel::Request) -> Result<Answer, Error> {
    use sel::output::all_configs;
    let union = session.union(&args.expr, request)?;
    every_configuration_output(
        args.output,
        || all_configs::union_json(&union, &args.expr),
        || all_configs::label(&union.result),
        || all_configs::failures(&union.result) + &all_configs::union_clashes(&union),
    )
}

/// The most operations on decision diagrams a `deps(PATTERN)` query tries
/// before it is answered with sums of products: three times what the largest
/// runs of docs/benchmarks.md need (1.4 million), half a second or so.
const FIRST_ATTEMPT_STEPS: u64 = 1 << 22;

/// `cquery --all-configs`. A `deps(PATTERN)` query whose conditions turn out to
/// have no small decision diagram (many paths under many unrelated selectors)
/// is answered again with sums of products, whose cost follows the covers.
fn every_configuration(
    session: &Session,
    args: &CqueryArgs,
    request: &sel::Request,
) -> Result<Answer, Error> {
    let covers_apply = sel::deps_of_pattern(&args.expr).is_some();
    // SEL_DIAGRAM_ATTEMPT_STEPS sets the first attempt's bound (tests use a
    // tiny one to take the second way).
    let attempt = std::env::var("SEL_DIAGRAM_ATTEMPT_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FIRST_ATTEMPT_STEPS);
    let diagrams = if covers_apply {
        sel::condition::with_steps(attempt, || session.cquery_all(&args.expr, request))
    } else {
        session.cquery_all(&args.expr, request)
    };
    match diagrams {
        Ok(result) => all_configs_output(&result, args.output, &args.expr),
        Err(e) if covers_apply && e.kind == ErrorKind::ConditionsTooLarge => {
            sel::timing::phase("diagrams given up");
            let covers = session
                .cquery_all_covers(&args.expr, request)?
                .expect("a deps(PATTERN) query");
            covers_output(&covers, args.output, &args.expr)
        }
        Err(e) => Err(e),
    }
}

/// Renders a `cquery --all-configs` answered with sums of products, as
/// [`all_configs_output`] does.
fn covers_output(
    result: &sel::CoversResult,
    format: sel::output::Format,
    query: &str,
) -> Result<Answer, Error> {
    use sel::output::all_configs;
    every_configuration_output(
        format,
        || all_configs::covers_json(result, query),
        || all_configs::covers_label(result),
        || all_configs::covers_failures(result),
    )
}

/// Renders `cquery --all-configs`; failures go to stderr in the text formats.
fn all_configs_output(
    result: &sel::AllConfigsResult,
    format: sel::output::Format,
    query: &str,
) -> Result<Answer, Error> {
    use sel::output::all_configs;
    every_configuration_output(
        format,
        || all_configs::json(result, query),
        || all_configs::label(result),
        || all_configs::failures(result),
    )
}

/// An every-configuration answer in `format`: the JSON document, or the text
/// with the failures as warnings for stderr.
fn every_configuration_output(
    format: sel::output::Format,
    json: impl FnOnce() -> serde_json::Value,
    text: impl FnOnce() -> String,
    warnings: impl FnOnce() -> String,
) -> Result<Answer, Error> {
    use sel::output::Format;
    match format {
        Format::Json => Ok(json_text(&json()).into()),
        Format::Label => Ok(Answer {
            warnings: warnings(),
            ..text().into()
        }),
        other => Err(Error::new(
            ErrorKind::Usage,
            format!(
                "--all-configs and --union support --output=label and --output=json, not {other:?}"
            ),
        )),
    }
}
