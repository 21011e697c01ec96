//! `sel why FROM TO`: why TO is in `deps(FROM)`, in every configuration.
//!
//! The answer is the subgraph of `allpaths(FROM, TO)` with each edge's
//! condition and the select keys that put it there, some paths through it
//! with their conditions, and the condition for the whole.

use std::collections::HashMap;

use crate::condition::Cond;
use crate::configuration::Request;
use crate::error::Result;
use crate::label::Label;
use crate::query::result::AllConfigsRun;
use crate::target_graph::SelectKey;
use crate::Session;

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
///
/// Paths share their prefixes (each step points to the one before), edges are
/// found through an index by their source, and a path is checked for a repeated
/// target only where the edges have a cycle: on a chain of 100,000 targets this is
/// linear, not quadratic.
fn paths(run: &AllConfigsRun, edges: &[Edge], from: &Label, to: &Label) -> Vec<(Vec<Label>, Cond)> {
    let alg = run.algebra();
    let mut out_of: HashMap<&Label, Vec<&Edge>> = HashMap::new();
    for e in edges {
        out_of.entry(&e.from).or_default().push(e);
    }
    let cyclic = has_cycle(&out_of);
    // Steps of paths: (target, the step before, the path's condition).
    let mut steps: Vec<(&Label, Option<usize>, Cond)> = vec![(from, None, run.when(from))];
    let on_path = |steps: &[(&Label, Option<usize>, Cond)], mut at: Option<usize>, l: &Label| {
        while let Some(i) = at {
            if steps[i].0 == l {
                return true;
            }
            at = steps[i].1;
        }
        false
    };
    let mut out = Vec::new();
    let mut next = 0;
    while next < steps.len() {
        if out.len() >= MAX_PATHS || steps.len() - next > 100_000 {
            break;
        }
        let (last, _, c) = steps[next];
        let at = next;
        next += 1;
        if last == to {
            let mut path = Vec::new();
            let mut i = Some(at);
            while let Some(k) = i {
                path.push(steps[k].0.clone());
                i = steps[k].1;
            }
            path.reverse();
            out.push((path, c));
            continue;
        }
        for e in out_of.get(last).into_iter().flatten() {
            if cyclic && on_path(&steps, Some(at), &e.to) {
                continue;
            }
            let through = alg.and(c, e.when);
            if alg.is_never(through) {
                continue;
            }
            steps.push((&e.to, Some(at), through));
        }
    }
    out
}

/// Whether the edges have a cycle (Kahn's algorithm).
fn has_cycle(out_of: &HashMap<&Label, Vec<&Edge>>) -> bool {
    let mut indegree: HashMap<&Label, usize> = HashMap::new();
    for (from, edges) in out_of {
        indegree.entry(from).or_insert(0);
        for e in edges {
            *indegree.entry(&e.to).or_insert(0) += 1;
        }
    }
    let mut ready: Vec<&Label> = indegree
        .iter()
        .filter(|(_, &n)| n == 0)
        .map(|(&l, _)| l)
        .collect();
    let mut seen = 0;
    while let Some(l) = ready.pop() {
        seen += 1;
        for e in out_of.get(l).into_iter().flatten() {
            let n = indegree.get_mut(&e.to).expect("every target is counted");
            *n -= 1;
            if *n == 0 {
                ready.push(&e.to);
            }
        }
    }
    seen < indegree.len()
}
