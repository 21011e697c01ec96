//! `sel why FROM TO`: why TO is in `deps(FROM)`, in every configuration.
//!
//! The answer is the subgraph of `allpaths(FROM, TO)` with each edge's
//! condition and the select keys that put it there, some paths through it
//! with their conditions, and the condition for the whole.

use crate::condition::Cond;
use crate::error::Result;
use crate::label::Label;
use crate::target_graph::SelectKey;
use crate::{AllConfigsRun, Request, Session};

/// The most paths listed; the edges always cover them all.
pub const MAX_PATHS: usize = 20;

/// One dependency edge on a path from FROM to TO.
#[derive(Clone, Debug)]
pub struct Edge {
    /// The depending target.
    pub from: Label,
    /// The dependency.
    pub to: Label,
    /// Where the edge exists on a path (both ends in the result).
    pub when: Cond,
    /// The select keys that put the edge there; empty when it is unconditional.
    pub keys: Vec<SelectKey>,
}

/// The answer of `sel why`.
pub struct Why<'g> {
    /// The evaluation of `allpaths(FROM, TO)`.
    pub run: AllConfigsRun<'g>,
    /// FROM's label.
    pub from: Label,
    /// TO's label.
    pub to: Label,
    /// Where TO is in `deps(FROM)`.
    pub when: Cond,
    /// The edges among the targets on paths from FROM to TO, sorted.
    pub edges: Vec<Edge>,
    /// Up to [`MAX_PATHS`] paths with their conditions, shortest first.
    pub paths: Vec<(Vec<Label>, Cond)>,
}

impl Session {
    /// `sel why FROM TO`.
    pub fn why(&self, from: &str, to: &str, request: &Request) -> Result<Why<'_>> {
        let expr = format!("allpaths({}, {})", quote(from), quote(to));
        let run = self.all_configs(&expr, request)?;
        let parsed = |text: &str| -> Result<Label> {
            let pattern = crate::label::TargetPattern::parse(text, &self.workspace.cwd_package)
                .map_err(|e| crate::Error::new(crate::ErrorKind::Usage, e.0))?;
            match pattern {
                crate::label::TargetPattern::Target(l) => Ok(self.graph.target(&l)?.label.clone()),
                _ => Err(crate::Error::new(
                    crate::ErrorKind::Usage,
                    format!("`{text}`: sel why takes two labels, not patterns"),
                )),
            }
        };
        let (from, to) = (parsed(from)?, parsed(to)?);
        let alg = run.algebra();
        let when = run.when(&to);
        let mut edges = Vec::new();
        for (a, ca) in &run.targets {
            let t = run.sym.target(a)?;
            let keys_of = self.graph.target(a)?.all_deps();
            for (b, e) in &t.deps {
                let cb = run.when(b);
                if alg.is_never(cb) {
                    continue;
                }
                let c = alg.and(run.free(*e), alg.and(*ca, cb));
                if alg.is_never(c) {
                    continue;
                }
                let keys = keys_of
                    .iter()
                    .find(|(l, _)| l == b)
                    .map(|(_, k)| k.clone())
                    .unwrap_or_default();
                edges.push(Edge {
                    from: a.clone(),
                    to: b.clone(),
                    when: c,
                    keys,
                });
            }
        }
        edges.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
        let paths = paths(&run, &edges, &from, &to);
        Ok(Why {
            run,
            from,
            to,
            when,
            edges,
            paths,
        })
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', ""))
}

/// Breadth-first enumeration of paths, shortest first, at most [`MAX_PATHS`].
fn paths(run: &AllConfigsRun, edges: &[Edge], from: &Label, to: &Label) -> Vec<(Vec<Label>, Cond)> {
    let alg = run.algebra();
    let mut out = Vec::new();
    let mut queue = std::collections::VecDeque::new();
    queue.push_back((vec![from.clone()], run.when(from)));
    while let Some((path, c)) = queue.pop_front() {
        if out.len() >= MAX_PATHS || queue.len() > 100_000 {
            break;
        }
        let last = path.last().expect("paths are never empty");
        if last == to {
            out.push((path, c));
            continue;
        }
        for e in edges.iter().filter(|e| &e.from == last) {
            if path.contains(&e.to) {
                continue;
            }
            let through = alg.and(c, e.when);
            if alg.is_never(through) {
                continue;
            }
            let mut p = path.clone();
            p.push(e.to.clone());
            queue.push_back((p, through));
        }
    }
    out
}
