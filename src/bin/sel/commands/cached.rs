//! The answer cache around `query` and `cquery`: a kept answer printed again,
//! recomputed after a change where it can be, else computed and kept.

use sel::error::Error;
use sel::workspace::Workspace;
use sel::Session;

use crate::answer::Answer;

/// The answer of this command, which loads the whole of `workspace` and
/// prints `compute`'s answer: the answer kept in the answer cache
/// (`sel::answers`) when the same command ran on the unchanged workspace;
/// else, when packages changed since, the kept answer as `recompute` makes
/// it anew, if it can; else `compute`'s, to be kept once written.
pub fn answered(
    workspace: Workspace,
    recompute: impl FnOnce(&Workspace, sel::cache::answers::Stale) -> Option<String>,
    compute: impl FnOnce(Session) -> Result<Answer, Error>,
) -> Result<Answer, Error> {
    use sel::cache::answers::{Key, Lookup, Pending};
    let key = Key::of_this_process();
    let (dirs, known) = match sel::cache::answers::lookup(&workspace, key)? {
        Lookup::Hit(kept) => return Ok(kept.into()),
        Lookup::Miss { dirs, known, stale } => {
            if let Some(text) = stale.and_then(|stale| recompute(&workspace, *stale)) {
                return Ok(text.into());
            }
            (dirs, known)
        }
    };
    let (graph, inputs) = sel::cache::packages::load_packages(&workspace, &dirs, &known)?;
    let root = workspace.root.clone();
    let mut answer = compute(Session { workspace, graph })?;
    answer.keep = Some(Pending {
        root,
        key,
        inputs,
        closure: false,
        graph: answer.graph.take(),
    });
    Ok(answer)
}

/// For [`answered`]: a command whose answers are never recomputed.
pub fn no_recompute(_: &Workspace, _: sel::cache::answers::Stale) -> Option<String> {
    None
}
