//! Capabilities and conflicts: which packages may share one environment.
//!
//! A package says what it provides (`provides = [":cuda-runtime"]`, a
//! select like any attribute); a `capability()` says whether two providers
//! may coexist in one environment (`exclusive = False`: CPU-level builds, one
//! active by priority) or not (a CUDA runtime); a package may also name the
//! packages it `conflicts` with. Two packages *clash* when both provide one
//! exclusive capability, or one conflicts with the other.
//!
//! Two notions of an environment, because two questions are asked:
//! - **A closure** (`cquery`, `check`): each target of a result is installed
//!   with its dependencies, so a target whose closure holds a clashing pair
//!   cannot be installed. [`clashes`] finds them in one configuration,
//!   [`regions`] in every configuration at once (the condition of each pair),
//!   and at every configuration the two agree (tests/properties.rs).
//! - **A set** (`cquery --union`, `images`): an image holds the union of the
//!   results of the machines it serves, as one environment. [`union_pairs`]
//!   finds the pairs that clash in it, [`separating`] the selectors that keep
//!   them apart, and [`images`] the fewest groups of configurations whose
//!   unions hold no clash.
//!
//! Costs follow the providers, not the graph: nothing is computed for a
//! workspace without capabilities or conflicts, and the reach of a provider
//! is computed over the targets that can reach it only.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::condition::{Algebra, Cond};
use crate::configuration::{Configurer, Edges};
use crate::error::{Error, ErrorKind, Result};
use crate::label::Label;
use crate::query::result::{AllConfigsResult, AllConfigsRun};
use crate::target_graph::{Rule, TargetGraph};

/// The answer to `cquery --union`: the targets of every configuration of
/// the free selectors with their conditions (as `--all-configs`), and the
/// clashes the union holds as one environment.
pub struct Union {
    /// The targets and failures, as `--all-configs` gives them.
    pub result: AllConfigsResult,
    /// The pairs of packages of the union that clash, sorted.
    pub clashes: Vec<UnionClash>,
}

/// The answer to `sel images`.
pub struct ImagesResult {
    /// The algebra the conditions live in.
    pub algebra: Algebra,
    /// Selectors fixed by the request, with their values.
    pub fixed: Vec<(Label, String)>,
    /// The images, and what none serves.
    pub images: Images,
}

/// Why two packages clash.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// Both provide this exclusive capability.
    Exclusive(Label),
    /// The first lists the second in its `conflicts`.
    Conflicts,
}

/// Two packages that may not share an environment, and why. For an exclusive
/// capability `a < b`; for a conflict, `a` is the package that declares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pair {
    /// The first package.
    pub a: Label,
    /// The second package.
    pub b: Label,
    /// Why they clash.
    pub reason: Reason,
}

impl Pair {
    /// For people: "`a` and `b` both provide the exclusive capability `c`".
    pub fn describe(&self) -> String {
        match &self.reason {
            Reason::Exclusive(c) => format!(
                "`{}` and `{}` both provide `{c}`, an exclusive capability",
                self.a, self.b
            ),
            Reason::Conflicts => format!("`{}` conflicts with `{}`", self.a, self.b),
        }
    }

    /// The capability, for an exclusive pair.
    pub fn capability(&self) -> Option<&Label> {
        match &self.reason {
            Reason::Exclusive(c) => Some(c),
            Reason::Conflicts => None,
        }
    }
}

/// Whether the graph declares anything that can clash: a capability, or a
/// package with `conflicts`. Without, every check here is skipped.
pub fn declares_any(graph: &TargetGraph) -> bool {
    graph.targets().any(|t| match &t.rule {
        Rule::Capability(_) => true,
        Rule::Package { attrs } => attrs.get("conflicts").is_some(),
        _ => false,
    })
}

/// The exclusive capabilities of the graph, each with the providers its
/// `providers` lists.
fn exclusive(graph: &TargetGraph) -> BTreeMap<Label, Vec<Label>> {
    graph
        .targets()
        .filter_map(|t| match &t.rule {
            Rule::Capability(c) if c.exclusive => Some((t.label.clone(), c.providers.to_vec())),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// One configuration.

/// A clash in one configuration: the pair, a target of the result whose
/// closure holds both, and a path from it to each.
#[derive(Clone, Debug)]
pub struct Clash {
    /// The packages and why.
    pub pair: Pair,
    /// The target of the result (the least by label) whose closure holds both.
    pub root: Label,
    /// A shortest path from `root` to `pair.a`, and one to `pair.b`.
    pub paths: [Vec<Label>; 2],
}

/// The clashes in the closures of `roots` (a configured result) in `cfg`'s
/// configuration, sorted by pair. Errors are those of configuring the closure
/// (the query met them first).
pub fn clashes(cfg: &Configurer, roots: &[Label]) -> Result<Vec<Clash>> {
    let graph = cfg.graph();
    let exclusive = exclusive(graph);
    // The closure, with each target's configured dependencies.
    let mut index_of: HashMap<Label, usize> = HashMap::new();
    let mut nodes: Vec<Label> = Vec::new();
    let mut adj: Vec<Vec<usize>> = Vec::new();
    let mut add = |l: &Label, nodes: &mut Vec<Label>| -> usize {
        *index_of.entry(l.clone()).or_insert_with(|| {
            nodes.push(l.clone());
            nodes.len() - 1
        })
    };
    let root_ids: Vec<usize> = roots.iter().map(|r| add(r, &mut nodes)).collect();
    let mut edges = Edges::default();
    let mut next = 0;
    // Breadth-first: every node below `next` has its edges.
    while next < nodes.len() {
        cfg.edges(graph.target(&nodes[next])?, &mut edges)?;
        let deps: Vec<usize> = edges.deps.iter().map(|d| add(d, &mut nodes)).collect();
        adj.push(deps);
        next += 1;
    }
    let index_of: HashMap<&Label, usize> = nodes.iter().enumerate().map(|(i, l)| (l, i)).collect();
    // Providers of each exclusive capability, and declared conflicts, in the closure.
    let mut providers: BTreeMap<&Label, Vec<usize>> = BTreeMap::new();
    let mut pairs: Vec<(Pair, usize, usize)> = Vec::new();
    for (n, label) in nodes.iter().enumerate() {
        let Rule::Package { attrs } = &graph.target(label)?.rule else {
            continue;
        };
        if let Some(attr) = attrs.get("provides") {
            let (v, _) = cfg.resolve_attr(label, "provides", attr)?;
            for c in v.labels() {
                if let Some((c, _)) = exclusive.get_key_value(c) {
                    providers.entry(c).or_default().push(n);
                }
            }
        }
        if let Some(attr) = attrs.get("conflicts") {
            let (v, _) = cfg.resolve_attr(label, "conflicts", attr)?;
            for q in v.labels() {
                if let Some(&m) = index_of.get(q) {
                    let pair = Pair {
                        a: label.clone(),
                        b: q.clone(),
                        reason: Reason::Conflicts,
                    };
                    pairs.push((pair, n, m));
                }
            }
        }
    }
    for (c, listed) in &exclusive {
        for p in listed {
            if let Some(&n) = index_of.get(p) {
                providers.entry(c).or_default().push(n);
            }
        }
    }
    for (c, mut ps) in providers {
        ps.sort_by(|x, y| nodes[*x].cmp(&nodes[*y]));
        ps.dedup();
        for (i, &p) in ps.iter().enumerate() {
            for &q in &ps[i + 1..] {
                let pair = Pair {
                    a: nodes[p].clone(),
                    b: nodes[q].clone(),
                    reason: Reason::Exclusive(c.clone()),
                };
                pairs.push((pair, p, q));
            }
        }
    }
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    // Who reaches each provider (reverse breadth-first search), computed once each.
    let rev = reversed(&adj);
    let mut ancestors: HashMap<usize, Vec<bool>> = HashMap::new();
    let mut reaching = |p: usize| -> Vec<bool> {
        ancestors
            .entry(p)
            .or_insert_with(|| reaching(&rev, p))
            .clone()
    };
    let mut sorted_roots: Vec<usize> = root_ids.clone();
    sorted_roots.sort_by(|x, y| nodes[*x].cmp(&nodes[*y]));
    sorted_roots.dedup();
    let mut out = Vec::new();
    for (pair, p, q) in pairs {
        let (rp, rq) = (reaching(p), reaching(q));
        let Some(&root) = sorted_roots.iter().find(|&&r| rp[r] && rq[r]) else {
            continue;
        };
        let path = |to: usize| shortest_path(&adj, root, to, &nodes);
        out.push(Clash {
            pair,
            root: nodes[root].clone(),
            paths: [path(p), path(q)],
        });
    }
    out.sort_by(|x, y| x.pair.cmp(&y.pair));
    out.dedup_by(|x, y| x.pair == y.pair);
    Ok(out)
}

/// A shortest path from `from` to `to` over `adj` (breadth-first, edges in
/// written order), as labels.
fn shortest_path(adj: &[Vec<usize>], from: usize, to: usize, nodes: &[Label]) -> Vec<Label> {
    let mut before: Vec<Option<usize>> = vec![None; adj.len()];
    let mut seen = vec![false; adj.len()];
    seen[from] = true;
    let mut queue = VecDeque::from([from]);
    while let Some(n) = queue.pop_front() {
        if n == to {
            break;
        }
        for &d in &adj[n] {
            if !seen[d] {
                seen[d] = true;
                before[d] = Some(n);
                queue.push_back(d);
            }
        }
    }
    let mut path = vec![nodes[to].clone()];
    let mut at = to;
    while let Some(b) = before[at] {
        path.push(nodes[b].clone());
        at = b;
    }
    path.reverse();
    path
}

/// The error of a `cquery` whose result holds clashes.
pub fn clash_error(clashes: &[Clash], config: &crate::configuration::Configuration) -> Error {
    let first = &clashes[0];
    let mut e = Error::new(
        ErrorKind::Clash,
        format!(
            "`{}` cannot be installed in this configuration: {}",
            first.root,
            first.pair.describe()
        ),
    );
    for (i, c) in clashes.iter().enumerate() {
        let paths = format!(
            "path: {}\npath: {}",
            path_text(&c.paths[0]),
            path_text(&c.paths[1])
        );
        e = e.with_note(match i {
            0 => paths,
            _ => format!("also in `{}`: {}\n{paths}", c.root, c.pair.describe()),
        });
    }
    e.with_note(format!("configuration: {}", config.describe(None)))
        .with_help("see where else it happens with `sel check`; `--allow-clashes` prints the result anyway")
}

/// A path as `sel why` prints one: `//a:a -> //b:b`.
pub fn path_text(path: &[Label]) -> String {
    path.iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(" -> ")
}

// ---------------------------------------------------------------------------
// Every configuration: closures.

/// A clash in every configuration where it happens: the pair, and where some
/// target of the result holds both in its closure (over the free selectors).
#[derive(Clone, Debug)]
pub struct Region {
    /// The packages and why.
    pub pair: Pair,
    /// Where it happens.
    pub when: Cond,
}

/// The closure of an `--all-configs` run's result with each edge's condition
/// (over the free selectors), its post-order, and each package's provided
/// capabilities and conflicts with their conditions.
struct Closure {
    nodes: Vec<Label>,
    index: HashMap<Label, usize>,
    adj: Vec<Vec<(usize, Cond)>>,
    rev: Vec<Vec<(usize, Cond)>>,
    /// Deps before dependents.
    post: Vec<usize>,
    /// The candidate pairs with the condition of their reason.
    pairs: Vec<(Pair, usize, usize, Cond)>,
}

impl Closure {
    fn of(run: &AllConfigsRun, roots: &[Label]) -> Result<Closure> {
        let sym = &run.sym;
        let alg = run.algebra();
        let graph = sym.graph();
        let mut c = Closure {
            nodes: Vec::new(),
            index: HashMap::new(),
            adj: Vec::new(),
            rev: Vec::new(),
            post: Vec::new(),
            pairs: Vec::new(),
        };
        // Iterative depth-first post-order.
        let mut state: Vec<u8> = Vec::new(); // 0 new, 1 open, 2 done
        for r in roots {
            let r = c.add(r);
            state.resize(c.nodes.len(), 0);
            if state[r] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(r, 0)];
            state[r] = 1;
            c.expand(run, r)?;
            while let Some((n, i)) = stack.last_mut() {
                let n = *n;
                if *i < c.adj[n].len() {
                    let d = c.adj[n][*i].0;
                    *i += 1;
                    state.resize(c.nodes.len(), 0);
                    if state[d] == 0 {
                        state[d] = 1;
                        c.expand(run, d)?;
                        stack.push((d, 0));
                    }
                    continue;
                }
                stack.pop();
                state[n] = 2;
                c.post.push(n);
            }
        }
        c.rev = vec![Vec::new(); c.nodes.len()];
        for (n, ds) in c.adj.iter().enumerate() {
            for &(d, e) in ds {
                c.rev[d].push((n, e));
            }
        }
        // Providers and conflicts.
        let exclusive = exclusive(graph);
        let mut providers: BTreeMap<&Label, Vec<(usize, Cond)>> = BTreeMap::new();
        for n in 0..c.nodes.len() {
            let label = c.nodes[n].clone();
            let Rule::Package { attrs } = &graph.target(&label)?.rule else {
                continue;
            };
            if let Some(attr) = attrs.get("provides") {
                for (cap, when) in sym.attr_labels(&label, "provides", attr)?.0 {
                    if let Some((cap, _)) = exclusive.get_key_value(&cap) {
                        providers.entry(cap).or_default().push((n, run.free(when)));
                    }
                }
            }
            if let Some(attr) = attrs.get("conflicts") {
                for (q, when) in sym.attr_labels(&label, "conflicts", attr)?.0 {
                    if let Some(&m) = c.index.get(&q) {
                        let pair = Pair {
                            a: label.clone(),
                            b: q,
                            reason: Reason::Conflicts,
                        };
                        c.pairs.push((pair, n, m, run.free(when)));
                    }
                }
            }
        }
        for (cap, listed) in &exclusive {
            for p in listed {
                if let Some(&n) = c.index.get(p) {
                    providers.entry(cap).or_default().push((n, alg.always()));
                }
            }
        }
        for (cap, mut ps) in providers {
            ps.sort_by(|x, y| c.nodes[x.0].cmp(&c.nodes[y.0]));
            // One provider listed twice (by itself and by the capability): or them.
            let mut merged: Vec<(usize, Cond)> = Vec::new();
            for (n, w) in ps {
                match merged.last_mut() {
                    Some((m, old)) if *m == n => *old = alg.or(*old, w),
                    _ => merged.push((n, w)),
                }
            }
            for (i, &(p, wp)) in merged.iter().enumerate() {
                for &(q, wq) in &merged[i + 1..] {
                    let both = alg.and(wp, wq);
                    if alg.is_never(both) {
                        continue;
                    }
                    let pair = Pair {
                        a: c.nodes[p].clone(),
                        b: c.nodes[q].clone(),
                        reason: Reason::Exclusive(cap.clone()),
                    };
                    c.pairs.push((pair, p, q, both));
                }
            }
        }
        c.pairs.sort_by(|x, y| x.0.cmp(&y.0));
        Ok(c)
    }

    fn add(&mut self, l: &Label) -> usize {
        if let Some(&i) = self.index.get(l) {
            return i;
        }
        self.nodes.push(l.clone());
        self.adj.push(Vec::new());
        self.index.insert(l.clone(), self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// Reads the edges of node `n` (those to targets that exist).
    fn expand(&mut self, run: &AllConfigsRun, n: usize) -> Result<()> {
        let t = run.sym.target(&self.nodes[n])?;
        let alg = run.algebra();
        let mut out = Vec::new();
        for (d, e) in &t.deps {
            if run.sym.graph().target(d).is_err() {
                continue;
            }
            let e = run.free(*e);
            if alg.is_never(e) {
                continue;
            }
            out.push((self.add(d), e));
        }
        self.adj[n] = out;
        Ok(())
    }

    /// For each target that can reach `p`, where `p` is in its closure.
    fn reach(&self, alg: &Algebra, p: usize) -> HashMap<usize, Cond> {
        // The targets that reach p at all, then conditions in post-order
        // (dependencies first), again while one grows (only cycles need it).
        let mut seen = vec![false; self.nodes.len()];
        seen[p] = true;
        let mut queue = vec![p];
        while let Some(n) = queue.pop() {
            for &(m, _) in &self.rev[n] {
                if !seen[m] {
                    seen[m] = true;
                    queue.push(m);
                }
            }
        }
        let mut reach: HashMap<usize, Cond> = HashMap::new();
        reach.insert(p, alg.always());
        loop {
            let mut changed = false;
            for &n in self.post.iter().filter(|&&n| seen[n] && n != p) {
                let mut c = alg.never();
                for &(d, e) in &self.adj[n] {
                    if let Some(&r) = reach.get(&d) {
                        c = alg.or(c, alg.and(e, r));
                    }
                }
                let old = reach.get(&n).copied().unwrap_or(alg.never());
                if c != old {
                    reach.insert(n, c);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        reach
    }
}

/// Where a closure of the run's result holds each clashing pair: what a
/// single `cquery` at each configuration reports ([`clashes`]). Over the free
/// selectors, and only where evaluation does not fail (there `cquery` fails
/// first).
pub fn regions(run: &AllConfigsRun) -> Result<Vec<Region>> {
    Ok(findings(run)?.into_iter().map(|f| f.region).collect())
}

/// A clash region as `sel check` reports it: the region, one configuration
/// in it, and a path there from a target of the result to each package.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The pair and where.
    pub region: Region,
    /// The selectors the region mentions, with their values at the example.
    pub example: Vec<(String, String)>,
    /// A path to `pair.a` and one to `pair.b`, at the example configuration.
    pub paths: Vec<Vec<Label>>,
}

/// The clash regions of [`regions`], each with an example configuration
/// and the paths to its two packages there: the closure is computed once.
pub fn findings(run: &AllConfigsRun) -> Result<Vec<Finding>> {
    if !declares_any(run.sym.graph()) {
        return Ok(Vec::new());
    }
    let alg = run.algebra();
    let roots: Vec<Label> = run.targets.iter().map(|(l, _)| l.clone()).collect();
    let closure = Closure::of(run, &roots)?;
    let mut reaches: HashMap<usize, HashMap<usize, Cond>> = HashMap::new();
    let mut out = Vec::new();
    for (pair, p, q, why) in &closure.pairs {
        for n in [*p, *q] {
            reaches.entry(n).or_insert_with(|| closure.reach(alg, n));
        }
        let (rp, rq) = (&reaches[p], &reaches[q]);
        let mut when = alg.never();
        for (l, w) in &run.targets {
            let r = closure.index[l];
            let (Some(&a), Some(&b)) = (rp.get(&r), rq.get(&r)) else {
                continue;
            };
            when = alg.or(when, alg.and(*w, alg.and(a, b)));
        }
        let when = alg.and(when, *why);
        if alg.is_never(when) {
            continue;
        }
        let (example, paths) = match example(run, when) {
            Some((point, shown)) => {
                let paths = closure.paths_at(run, *p, *q, &point);
                (shown, paths.map(|(_, p)| p.to_vec()).unwrap_or_default())
            }
            None => (Vec::new(), Vec::new()),
        };
        out.push(Finding {
            region: Region {
                pair: pair.clone(),
                when,
            },
            example,
            paths,
        });
    }
    Ok(out)
}

impl Closure {
    /// A target of the result whose closure holds nodes `p` and `q` at
    /// configuration `point`, with a shortest path there to each.
    fn paths_at(
        &self,
        run: &AllConfigsRun,
        p: usize,
        q: usize,
        point: &[usize],
    ) -> Option<(Label, [Vec<Label>; 2])> {
        let alg = run.algebra();
        // The closure at `point`, as plain adjacency.
        let adj: Vec<Vec<usize>> = self
            .adj
            .iter()
            .map(|ds| {
                ds.iter()
                    .filter(|(_, e)| alg.eval(*e, point))
                    .map(|(d, _)| *d)
                    .collect()
            })
            .collect();
        let rev = reversed(&adj);
        let (rp, rq) = (reaching(&rev, p), reaching(&rev, q));
        for (l, w) in &run.targets {
            let r = self.index[l];
            if alg.eval(*w, point) && rp[r] && rq[r] {
                let path = |to| shortest_path(&adj, r, to, &self.nodes);
                return Some((l.clone(), [path(p), path(q)]));
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------
// Every configuration: the union, one environment.

/// A pair that clashes in the union of a run's results: where each of the
/// two is there as what makes them clash (a provider of the capability, the
/// package that declares the conflict; the conflicting package).
#[derive(Clone, Debug)]
pub struct UnionPair {
    /// The packages and why.
    pub pair: Pair,
    /// Where `pair.a` is in the result as such.
    pub a: Cond,
    /// Where `pair.b` is.
    pub b: Cond,
}

/// The pairs of packages of the run's result (as one set) that clash.
pub fn union_pairs(run: &AllConfigsRun) -> Result<Vec<UnionPair>> {
    let graph = run.sym.graph();
    if !declares_any(graph) {
        return Ok(Vec::new());
    }
    let alg = run.algebra();
    let sym = &run.sym;
    let exclusive = exclusive(graph);
    let mut providers: BTreeMap<&Label, BTreeMap<Label, Cond>> = BTreeMap::new();
    let mut out = Vec::new();
    for (label, when) in &run.targets {
        let Rule::Package { attrs } = &graph.target(label)?.rule else {
            continue;
        };
        if let Some(attr) = attrs.get("provides") {
            for (cap, c) in sym.attr_labels(label, "provides", attr)?.0 {
                if let Some((cap, _)) = exclusive.get_key_value(&cap) {
                    let here = alg.and(*when, run.free(c));
                    let entry = providers.entry(cap).or_default();
                    let old = entry.get(label).copied().unwrap_or(alg.never());
                    entry.insert(label.clone(), alg.or(old, here));
                }
            }
        }
        if let Some(attr) = attrs.get("conflicts") {
            for (q, c) in sym.attr_labels(label, "conflicts", attr)?.0 {
                let a = alg.and(*when, run.free(c));
                let b = run.when(&q);
                if !alg.is_never(a) && !alg.is_never(b) {
                    out.push(UnionPair {
                        pair: Pair {
                            a: label.clone(),
                            b: q,
                            reason: Reason::Conflicts,
                        },
                        a,
                        b,
                    });
                }
            }
        }
    }
    for (cap, listed) in &exclusive {
        for p in listed {
            let when = run.when(p);
            if !alg.is_never(when) {
                let entry = providers.entry(cap).or_default();
                let old = entry.get(p).copied().unwrap_or(alg.never());
                entry.insert(p.clone(), alg.or(old, when));
            }
        }
    }
    for (cap, ps) in providers {
        let ps: Vec<(Label, Cond)> = ps.into_iter().filter(|(_, c)| !alg.is_never(*c)).collect();
        for (i, (p, wp)) in ps.iter().enumerate() {
            for (q, wq) in &ps[i + 1..] {
                out.push(UnionPair {
                    pair: Pair {
                        a: p.clone(),
                        b: q.clone(),
                        reason: Reason::Exclusive(cap.clone()),
                    },
                    a: *wp,
                    b: *wq,
                });
            }
        }
    }
    out.sort_by(|x, y| x.pair.cmp(&y.pair));
    Ok(out)
}

/// A pair that clashes in a union, with the selectors that keep it apart.
#[derive(Clone, Debug)]
pub struct UnionClash {
    /// The packages and why.
    pub pair: Pair,
    /// Where `pair.a` is in the result as such.
    pub a: Cond,
    /// Where `pair.b` is.
    pub b: Cond,
    /// The selectors whose values keep the two apart ([`separating`]);
    /// `None` when one configuration's result holds both.
    pub separating: Option<Vec<usize>>,
}

/// The clashes of the run's result taken as one set (an image for every
/// configuration of the free selectors).
pub fn union_clashes(run: &AllConfigsRun) -> Result<Vec<UnionClash>> {
    let alg = run.algebra();
    Ok(union_pairs(run)?
        .into_iter()
        .map(|p| UnionClash {
            separating: separating(alg, p.a, p.b),
            pair: p.pair,
            a: p.a,
            b: p.b,
        })
        .collect())
}

/// `c` with the selectors `sels` quantified away (true where some value of
/// them makes it true).
fn exists(alg: &Algebra, c: Cond, sels: &[usize]) -> Cond {
    sels.iter().fold(c, |c, &s| {
        let n = alg.space().selectors()[s].values.len();
        let parts: Vec<Cond> = (0..n).map(|i| alg.restrict(c, s, i)).collect();
        alg.or_all(parts)
    })
}

/// The selectors that keep `a` and `b` apart: a set of them whose values
/// alone decide that the two never meet (fixing them, at most one of the two
/// can hold). Minimal (none can be left out), not always the smallest. `None`
/// when the two meet in some configuration.
pub fn separating(alg: &Algebra, a: Cond, b: Cond) -> Option<Vec<usize>> {
    if !alg.disjoint(a, b) {
        return None;
    }
    let mut keep: Vec<usize> = alg.support(a);
    keep.extend(alg.support(b));
    keep.sort_unstable();
    keep.dedup();
    let mut dropped: Vec<usize> = Vec::new();
    // Try to leave each out, the last first: the selectors of a package
    // declared first (labels sort so) are kept.
    for s in keep.clone().into_iter().rev() {
        dropped.push(s);
        if !alg.disjoint(exists(alg, a, &dropped), exists(alg, b, &dropped)) {
            dropped.pop();
        }
    }
    keep.retain(|s| !dropped.contains(s));
    Some(keep)
}

// ---------------------------------------------------------------------------
// Images: the fewest groups of configurations whose unions hold no clash.

/// The most units (blocks of values of the separating selectors, or classes
/// of configurations) the colouring is searched over exactly.
const EXACT_UNITS: usize = 64;
/// The most steps of the exact search before it settles for the greedy answer.
const EXACT_STEPS: u64 = 1_000_000;
/// The most blocks of values of the separating selectors.
const MAX_BLOCKS: usize = 1024;

/// One image: the configurations it serves and what it holds.
#[derive(Clone, Debug)]
pub struct Image {
    /// Where it serves (over the free selectors).
    pub when: Cond,
    /// Every target of the result in some configuration it serves, with where
    /// (inside `when`), sorted by label.
    pub targets: Vec<(Label, Cond)>,
}

/// The answer of `sel images`.
pub struct Images {
    /// The groups, in the order of their least configuration.
    pub images: Vec<Image>,
    /// Configurations no image can serve: their own result holds a clash.
    pub unserved: Vec<UnionPair>,
    /// Where any configuration's own result clashes.
    pub clashing: Cond,
    /// Where evaluation fails (no image serves it either).
    pub failing: Cond,
    /// The selectors that separate the clashing providers.
    pub separating: Vec<usize>,
    /// A lower bound on the number of images: providers of one exclusive
    /// capability in configurations that pairwise cannot share an image.
    pub lower_bound: usize,
    /// How the images were found: `exact` (the colouring is the fewest) or
    /// `greedy` (DSATUR, when the search is too large).
    pub method: &'static str,
}

/// Partitions the configurations where the run's result is clash-free into
/// the fewest groups whose unions hold no clash. See docs/capabilities.md.
pub fn images(run: &AllConfigsRun, max_classes: usize) -> Result<Images> {
    let alg = run.algebra();
    let pairs = union_pairs(run)?;
    let failing = alg.or_all(run.failures.iter().map(|f| f.when));
    // A configuration whose own result holds both of a pair: no image serves it.
    let mut clashing = alg.never();
    let mut unserved = Vec::new();
    for p in &pairs {
        let both = alg.and(p.a, p.b);
        if !alg.is_never(both) {
            clashing = alg.or(clashing, both);
            unserved.push(p.clone());
        }
    }
    let space = alg.and_not(alg.not(failing), clashing);
    let atoms: Vec<(Cond, Cond)> = pairs
        .iter()
        .map(|p| (alg.and(p.a, space), alg.and(p.b, space)))
        .filter(|(a, b)| !alg.is_never(*a) && !alg.is_never(*b))
        .collect();
    let mut separating_sels: Vec<usize> = Vec::new();
    for (a, b) in &atoms {
        separating_sels.extend(separating(alg, *a, *b).unwrap_or_default());
    }
    separating_sels.sort_unstable();
    separating_sels.dedup();
    let lower_bound = lower_bound(alg, &pairs, space);
    let finish = |units: Vec<Cond>, colour: Vec<usize>, method| -> Images {
        let n = colour.iter().max().map_or(0, |m| m + 1);
        let mut groups: Vec<Cond> = vec![alg.never(); n];
        for (u, c) in units.iter().zip(&colour) {
            groups[*c] = alg.or(groups[*c], *u);
        }
        let mut images: Vec<Image> = groups
            .into_iter()
            .filter(|g| !alg.is_never(*g))
            .map(|g| Image {
                when: g,
                targets: run
                    .targets
                    .iter()
                    .map(|(l, w)| (l.clone(), alg.and(*w, g)))
                    .filter(|(_, w)| !alg.is_never(*w))
                    .collect(),
            })
            .collect();
        images.sort_by_key(|i| alg.example(i.when, &|_| 0));
        Images {
            images,
            unserved: unserved.clone(),
            clashing,
            failing,
            separating: separating_sels.clone(),
            lower_bound,
            method,
        }
    };
    if alg.is_never(space) {
        return Ok(finish(Vec::new(), Vec::new(), "exact"));
    }
    // Blocks: the configurations with the same values of the separating
    // selectors. Within one, no pair is on both sides.
    let colours = |c: &[usize]| c.iter().max().map_or(0, |m| m + 1);
    let by_blocks = blocks(alg, &separating_sels, space).map(|units| {
        let (colour, _) = colour_units(alg, &units, &atoms, lower_bound);
        (units, colour)
    });
    if let Some((units, colour)) = &by_blocks {
        if colours(colour) <= lower_bound {
            return Ok(finish(units.clone(), colour.clone(), "exact"));
        }
    }
    // The classes of configurations by the atoms they meet: the finest
    // grouping that matters, so their fewest colours are the fewest images.
    let units = match classes(alg, &atoms, space, max_classes) {
        Ok(units) => units,
        Err(_) if by_blocks.is_some() => {
            let (units, colour) = by_blocks.expect("checked");
            return Ok(finish(units, colour, "greedy"));
        }
        Err(e) => return Err(e),
    };
    let (colour, exact) = colour_units(alg, &units, &atoms, lower_bound);
    let method = if exact { "exact" } else { "greedy" };
    // Blocks read better: kept when they need no more images.
    let (units, colour) = match by_blocks {
        Some((bu, bc)) if colours(&bc) <= colours(&colour) => (bu, bc),
        _ => (units, colour),
    };
    Ok(finish(units, colour, method))
}

/// The lower bound of [`Images::lower_bound`].
fn lower_bound(alg: &Algebra, pairs: &[UnionPair], space: Cond) -> usize {
    if alg.is_never(space) {
        return 0;
    }
    // Providers of one capability, each somewhere in the space: any two
    // configurations where two of them are pairwise clash.
    let mut by_cap: BTreeMap<&Label, Vec<&Label>> = BTreeMap::new();
    let mut bound = 1;
    for p in pairs {
        let a = !alg.disjoint(p.a, space);
        let b = !alg.disjoint(p.b, space);
        match p.pair.capability() {
            Some(cap) => {
                let v = by_cap.entry(cap).or_default();
                if a {
                    v.push(&p.pair.a);
                }
                if b {
                    v.push(&p.pair.b);
                }
            }
            None if a && b => bound = bound.max(2),
            None => {}
        }
    }
    for v in by_cap.values_mut() {
        v.sort();
        v.dedup();
        bound = bound.max(v.len());
    }
    bound
}

/// The blocks of configurations of `space` with equal values of `sels`, or
/// `None` if there are more than [`MAX_BLOCKS`].
fn blocks(alg: &Algebra, sels: &[usize], space: Cond) -> Option<Vec<Cond>> {
    let mut units = vec![space];
    for &s in sels {
        let n = alg.space().selectors()[s].values.len();
        let mut next = Vec::new();
        for u in &units {
            for i in 0..n {
                let c = alg.and(*u, alg.equals(s, i));
                if !alg.is_never(c) {
                    next.push(c);
                }
            }
        }
        if next.len() > MAX_BLOCKS {
            return None;
        }
        units = next;
    }
    Some(units)
}

/// The classes of configurations of `space` that meet the same atoms, found
/// as `sel matrix` finds its classes; at most `max_classes`.
fn classes(
    alg: &Algebra,
    atoms: &[(Cond, Cond)],
    space: Cond,
    max_classes: usize,
) -> Result<Vec<Cond>> {
    let mut conds: Vec<Cond> = atoms.iter().flat_map(|(a, b)| [*a, *b]).collect();
    conds.sort();
    conds.dedup();
    let mut remaining = space;
    let mut out = Vec::new();
    while let Some(least) = alg.example(remaining, &|_| 0) {
        if out.len() == max_classes {
            return Err(Error::new(
                ErrorKind::TooManyClasses,
                format!(
                    "more than {max_classes} classes of configurations meet different providers of clashing packages"
                ),
            )
            .with_help("fix some selectors with --select, or raise the bound with --max-classes"));
        }
        let mut when = remaining;
        for &c in &conds {
            when = if alg.eval(c, &least) {
                alg.and(when, c)
            } else {
                alg.and_not(when, c)
            };
        }
        remaining = alg.and_not(remaining, when);
        out.push(when);
    }
    Ok(out)
}

/// Colours the units so that no two units of one colour hold the two sides of
/// a pair: exactly (the fewest colours) when the search is small, else by
/// DSATUR. Returns each unit's colour (colours numbered by first use) and
/// whether the colouring is the fewest.
fn colour_units(
    alg: &Algebra,
    units: &[Cond],
    atoms: &[(Cond, Cond)],
    lower_bound: usize,
) -> (Vec<usize>, bool) {
    let n = units.len();
    let meets: Vec<Vec<(bool, bool)>> = units
        .iter()
        .map(|u| {
            atoms
                .iter()
                .map(|(a, b)| (!alg.disjoint(*u, *a), !alg.disjoint(*u, *b)))
                .collect()
        })
        .collect();
    let mut adj = vec![vec![false; n]; n];
    for i in 0..n {
        for j in 0..n {
            if i != j
                && meets[i]
                    .iter()
                    .zip(&meets[j])
                    .any(|(x, y)| (x.0 && y.1) || (x.1 && y.0))
            {
                adj[i][j] = true;
            }
        }
    }
    let greedy = dsatur(&adj);
    let greedy_colours = greedy.iter().max().map_or(0, |m| m + 1);
    if greedy_colours <= lower_bound.max(1) {
        return (renumber(greedy), true);
    }
    if n > EXACT_UNITS {
        return (renumber(greedy), false);
    }
    // Exact: the fewest k below the greedy answer for which a colouring exists.
    let mut best = greedy;
    let mut k = greedy_colours - 1;
    let mut steps = 0u64;
    while k >= lower_bound.max(1) {
        match colour_with(&adj, k, &mut steps) {
            Some(c) => {
                best = c;
                k -= 1;
            }
            None if steps >= EXACT_STEPS => return (renumber(best), false),
            None => break,
        }
        if k == 0 {
            break;
        }
    }
    (renumber(best), true)
}

/// Colours numbered in the order units first use them.
fn renumber(colour: Vec<usize>) -> Vec<usize> {
    let mut map: HashMap<usize, usize> = HashMap::new();
    colour
        .into_iter()
        .map(|c| {
            let next = map.len();
            *map.entry(c).or_insert(next)
        })
        .collect()
}

/// DSATUR (Brélaz): colour next the vertex whose neighbours use the most
/// colours (ties: most neighbours, then first), with the least free colour.
fn dsatur(adj: &[Vec<bool>]) -> Vec<usize> {
    let n = adj.len();
    let mut colour: Vec<Option<usize>> = vec![None; n];
    let degree: Vec<usize> = adj
        .iter()
        .map(|r| r.iter().filter(|&&x| x).count())
        .collect();
    for _ in 0..n {
        let v = (0..n)
            .filter(|&v| colour[v].is_none())
            .max_by_key(|&v| {
                let mut used: Vec<usize> = (0..n)
                    .filter(|&u| adj[v][u])
                    .filter_map(|u| colour[u])
                    .collect();
                used.sort_unstable();
                used.dedup();
                (used.len(), degree[v], std::cmp::Reverse(v))
            })
            .expect("an uncoloured vertex is left");
        let c = (0..)
            .find(|c| (0..n).all(|u| !adj[v][u] || colour[u] != Some(*c)))
            .expect("some colour is free");
        colour[v] = Some(c);
    }
    colour.into_iter().map(|c| c.unwrap_or(0)).collect()
}

/// A colouring with at most `k` colours, by backtracking (vertices in order,
/// a new colour only one past the largest used: no symmetric retries), or
/// `None`; stops after [`EXACT_STEPS`] steps in all (then `None` too).
fn colour_with(adj: &[Vec<bool>], k: usize, steps: &mut u64) -> Option<Vec<usize>> {
    let n = adj.len();
    let mut colour = vec![usize::MAX; n];
    fn go(
        v: usize,
        used: usize,
        adj: &[Vec<bool>],
        k: usize,
        colour: &mut Vec<usize>,
        steps: &mut u64,
    ) -> bool {
        if v == adj.len() {
            return true;
        }
        *steps += 1;
        if *steps >= EXACT_STEPS {
            return false;
        }
        for c in 0..k.min(used + 1) {
            if (0..v).all(|u| !adj[v][u] || colour[u] != c) {
                colour[v] = c;
                if go(v + 1, used.max(c + 1), adj, k, colour, steps) {
                    return true;
                }
            }
        }
        colour[v] = usize::MAX;
        false
    }
    go(0, 0, adj, k, &mut colour, steps).then_some(colour)
}

/// A configuration: each selector's value index, and the selectors a
/// condition mentions with their values (label, value), as reports show it.
pub type Example = (Vec<usize>, Vec<(String, String)>);

/// One configuration where `c` holds (defaults where it does not care), for
/// examples in reports.
pub fn example(run: &AllConfigsRun, c: Cond) -> Option<Example> {
    let alg = run.algebra();
    let graph = run.sym.graph();
    let space = alg.space();
    // Each selector's default, also one of several dimensions (the
    // elements of a multi-valued selector).
    let mut defaults: Vec<usize> = vec![0; space.selectors().len()];
    for s in space.space_selectors() {
        let selector = Label::parse(&s.label)
            .ok()
            .and_then(|l| graph.target(&l).ok())
            .and_then(|t| graph.selector_of(t));
        if let Some(selector) = selector {
            for (d, v) in space
                .assign(&s.label, &selector.default)
                .unwrap_or_default()
            {
                defaults[d] = v;
            }
        }
    }
    let point = alg.example(c, &|s| defaults[s])?;
    // A selector's whole value, also where the condition is about some
    // elements of a multi-valued one.
    let mut selectors: Vec<usize> = alg
        .support(c)
        .into_iter()
        .map(|d| space.selector_of(d))
        .collect();
    selectors.dedup();
    let shown = selectors
        .into_iter()
        .map(|s| {
            (
                space.space_selectors()[s].label.clone(),
                space.value_at(s, &point),
            )
        })
        .collect();
    Some((point, shown))
}

/// The reverse of a graph given by each node's successors.
fn reversed(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut rev: Vec<Vec<usize>> = vec![Vec::new(); adj.len()];
    for (n, ds) in adj.iter().enumerate() {
        for &d in ds {
            rev[d].push(n);
        }
    }
    rev
}

/// The nodes that reach `to` (itself included), found through the reversed
/// graph `rev`.
fn reaching(rev: &[Vec<usize>], to: usize) -> Vec<bool> {
    let mut seen = vec![false; rev.len()];
    seen[to] = true;
    let mut queue = vec![to];
    while let Some(n) = queue.pop() {
        for &m in &rev[n] {
            if !seen[m] {
                seen[m] = true;
                queue.push(m);
            }
        }
    }
    seen
}
