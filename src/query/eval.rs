//! One evaluator for every kind of query, generic over a [`QueryEnv`].
//!
//! The environment says what the graph is (unconfigured, configured for one
//! configuration, or every configuration at once) and what a "condition" is:
//! `bool` for one configuration, a decision diagram for all of them. A result
//! is a [`TargetSet`]: each target with the condition under which it is in the
//! result; set operators combine conditions (union = or, intersect = and,
//! except = and not) and traversals carry edge conditions along paths.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Debug;

use regex::Regex;

use super::syntax::{Arg, Expr, Func, SetOp, Span};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::label::{Label, TargetPattern};
use crate::target_graph::{TargetGraph, TargetId};

/// A query result: each target with the condition under which it is in it.
pub type TargetSet<C> = BTreeMap<Label, C>;

/// What a query runs against: a graph and a condition algebra.
pub trait QueryEnv {
    /// The condition attached to targets and edges.
    type Cond: Copy + Eq + Debug;

    /// The condition that always holds.
    fn always(&self) -> Self::Cond;
    /// Both conditions.
    fn and(&self, a: Self::Cond, b: Self::Cond) -> Self::Cond;
    /// Either condition.
    fn or(&self, a: Self::Cond, b: Self::Cond) -> Self::Cond;
    /// `a` and not `b`.
    fn and_not(&self, a: Self::Cond, b: Self::Cond) -> Self::Cond;
    /// Whether the condition never holds.
    fn is_never(&self, c: Self::Cond) -> bool;
    /// Whether every condition either always holds or never does (one
    /// configuration): a closure is then plain reachability.
    fn is_boolean(&self) -> bool {
        false
    }

    /// The targets a pattern names (a single label must exist).
    fn pattern(&mut self, pattern: &TargetPattern) -> Result<Vec<(Label, Self::Cond)>>;
    /// The graph: its [`TargetId`]s are how `deps` names targets.
    fn graph(&self) -> &TargetGraph;
    /// Appends the direct dependencies of a target to `out`, each with the
    /// edge's condition. (A buffer rather than a new vector: traversals ask
    /// for every target of a closure.)
    fn deps(&mut self, target: TargetId, out: &mut Vec<(TargetId, Self::Cond)>) -> Result<()>;
    /// The rule class of a target (`package`, `alias`, ...).
    fn kind(&mut self, label: &Label) -> Result<&'static str>;
    /// The labels held by an attribute of a target, each with its condition.
    fn attr_labels(&mut self, label: &Label, attr: &str) -> Result<Vec<(Label, Self::Cond)>>;
    /// Under which condition an attribute's value matches `regex`.
    fn attr_matches(&mut self, label: &Label, attr: &str, regex: &Regex) -> Result<Self::Cond>;
    /// The package a relative pattern in the query resolves in.
    fn relative_package(&self) -> &str;
}

/// Evaluates a parsed query in an environment.
pub fn evaluate<E: QueryEnv>(env: &mut E, query: &str, expr: &Expr) -> Result<TargetSet<E::Cond>> {
    let mut ev = Evaluator {
        env,
        query,
        vars: HashMap::new(),
        buf: Vec::new(),
    };
    ev.eval(expr)
}

struct Evaluator<'e, E: QueryEnv> {
    env: &'e mut E,
    query: &'e str,
    vars: HashMap<String, Vec<TargetSet<E::Cond>>>,
    /// The buffer `QueryEnv::deps` fills.
    buf: Vec<(TargetId, E::Cond)>,
}

impl<E: QueryEnv> Evaluator<'_, E> {
    fn at(&self, span: Span) -> Location {
        Location::in_query(self.query, span.start..span.end)
    }

    /// The direct dependencies of a target, by label.
    fn label_deps(&mut self, label: &Label) -> Result<Vec<(Label, E::Cond)>> {
        let id = self.env.graph().id(label)?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let found = self.env.deps(id, &mut buf);
        let graph = self.env.graph();
        let out = buf
            .iter()
            .map(|(d, c)| (graph.target_by_id(*d).label.clone(), *c))
            .collect();
        self.buf = buf;
        found.map(|()| out)
    }

    fn insert(&self, set: &mut TargetSet<E::Cond>, label: Label, c: E::Cond) -> bool {
        if self.env.is_never(c) {
            return false;
        }
        match set.get_mut(&label) {
            Some(old) => {
                let merged = self.env.or(*old, c);
                if merged == *old {
                    false
                } else {
                    *old = merged;
                    true
                }
            }
            None => {
                set.insert(label, c);
                true
            }
        }
    }

    fn eval(&mut self, expr: &Expr) -> Result<TargetSet<E::Cond>> {
        match expr {
            Expr::Pattern { text, span } => {
                let pattern = TargetPattern::parse(text, self.env.relative_package())
                    .map_err(|e| Error::new(ErrorKind::Query, e.0).at(Some(self.at(*span))))?;
                let found = self
                    .env
                    .pattern(&pattern)
                    .map_err(|e| e.at(Some(self.at(*span))))?;
                let mut set = TargetSet::new();
                for (l, c) in found {
                    self.insert(&mut set, l, c);
                }
                Ok(set)
            }
            Expr::Var { name, span } => self
                .vars
                .get(name)
                .and_then(|v| v.last())
                .cloned()
                .ok_or_else(|| {
                    Error::new(ErrorKind::Query, format!("undefined variable `${name}`"))
                        .at(Some(self.at(*span)))
                }),
            Expr::Let {
                name, value, body, ..
            } => {
                let v = self.eval(value)?;
                self.vars.entry(name.clone()).or_default().push(v);
                let result = self.eval(body);
                self.vars.get_mut(name).and_then(|v| v.pop());
                result
            }
            Expr::SetOp { .. } => self.set_op(expr),
            Expr::Call { func, args, span } => self.call(*func, args, *span),
        }
    }

    /// Set operators, evaluated along the left spine without recursion
    /// (`a + b + ... + z` nests as deep as it is long).
    fn set_op(&mut self, expr: &Expr) -> Result<TargetSet<E::Cond>> {
        let mut spine: Vec<(SetOp, &Expr)> = Vec::new();
        let mut left = expr;
        while let Expr::SetOp {
            op, left: l, right, ..
        } = left
        {
            spine.push((*op, right));
            left = l;
        }
        let mut acc = self.eval(left)?;
        for (op, right) in spine.into_iter().rev() {
            let r = self.eval(right)?;
            acc = match op {
                SetOp::Union => {
                    for (l, c) in r {
                        self.insert(&mut acc, l, c);
                    }
                    acc
                }
                SetOp::Intersect => acc
                    .into_iter()
                    .filter_map(|(l, c)| {
                        let rc = r.get(&l)?;
                        let both = self.env.and(c, *rc);
                        (!self.env.is_never(both)).then_some((l, both))
                    })
                    .collect(),
                SetOp::Except => acc
                    .into_iter()
                    .filter_map(|(l, c)| {
                        let left = match r.get(&l) {
                            Some(rc) => self.env.and_not(c, *rc),
                            None => c,
                        };
                        (!self.env.is_never(left)).then_some((l, left))
                    })
                    .collect(),
            };
        }
        Ok(acc)
    }

    fn expr_arg(&mut self, arg: &Arg) -> Result<TargetSet<E::Cond>> {
        match arg {
            Arg::Expr(e) => self.eval(e),
            other => Err(Error::new(ErrorKind::Query, "expected an expression")
                .at(Some(self.at(other.span())))),
        }
    }

    fn word_arg<'a>(&self, arg: &'a Arg) -> Result<&'a str> {
        match arg {
            Arg::Word { text, .. } => Ok(text),
            Arg::Expr(Expr::Pattern { text, .. }) => Ok(text),
            other => {
                Err(Error::new(ErrorKind::Query, "expected a word").at(Some(self.at(other.span()))))
            }
        }
    }

    fn regex_arg(&self, arg: &Arg) -> Result<Regex> {
        let text = self.word_arg(arg)?;
        Regex::new(text).map_err(|e| {
            Error::new(
                ErrorKind::Query,
                format!("invalid regular expression `{text}`"),
            )
            .at(Some(self.at(arg.span())))
            .with_help(e.to_string())
        })
    }

    fn depth_arg(&self, arg: Option<&Arg>) -> Option<u32> {
        match arg {
            Some(Arg::Int { value, .. }) => Some(*value),
            _ => None,
        }
    }

    fn call(&mut self, func: Func, args: &[Arg], span: Span) -> Result<TargetSet<E::Cond>> {
        let located = |e: Error, ev: &Self| e.at(Some(ev.at(span)));
        match func {
            Func::Deps => {
                let x = self.expr_arg(&args[0])?;
                let depth = self.depth_arg(args.get(1));
                self.deps(x, depth).map_err(|e| located(e, self))
            }
            Func::Rdeps => {
                let u = self.expr_arg(&args[0])?;
                let x = self.expr_arg(&args[1])?;
                let depth = self.depth_arg(args.get(2));
                let universe = self.deps(u, None).map_err(|e| located(e, self))?;
                self.rdeps(&universe, x, depth)
                    .map_err(|e| located(e, self))
            }
            Func::Allpaths => {
                let a = self.expr_arg(&args[0])?;
                let b = self.expr_arg(&args[1])?;
                let forward = self.deps(a, None).map_err(|e| located(e, self))?;
                let backward = self
                    .rdeps(&forward, b, None)
                    .map_err(|e| located(e, self))?;
                Ok(backward
                    .into_iter()
                    .filter_map(|(l, c)| {
                        let both = self.env.and(c, forward[&l]);
                        (!self.env.is_never(both)).then_some((l, both))
                    })
                    .collect())
            }
            Func::Somepath => {
                let a = self.expr_arg(&args[0])?;
                let b = self.expr_arg(&args[1])?;
                self.somepath(a, b).map_err(|e| located(e, self))
            }
            Func::Kind => {
                let re = self.regex_arg(&args[0])?;
                let x = self.expr_arg(&args[1])?;
                let mut out = TargetSet::new();
                for (l, c) in x {
                    let kind = self.env.kind(&l).map_err(|e| located(e, self))?;
                    if re.is_match(&format!("{kind} rule")) {
                        out.insert(l, c);
                    }
                }
                Ok(out)
            }
            Func::Filter => {
                let re = self.regex_arg(&args[0])?;
                let x = self.expr_arg(&args[1])?;
                Ok(x.into_iter()
                    .filter(|(l, _)| re.is_match(l.as_str()))
                    .collect())
            }
            Func::Attr => {
                let name = self.word_arg(&args[0])?.to_string();
                let re = self.regex_arg(&args[1])?;
                let x = self.expr_arg(&args[2])?;
                let mut out = TargetSet::new();
                for (l, c) in x {
                    let m = self
                        .env
                        .attr_matches(&l, &name, &re)
                        .map_err(|e| located(e, self))?;
                    let both = self.env.and(c, m);
                    self.insert(&mut out, l, both);
                }
                Ok(out)
            }
            Func::Labels => {
                let name = self.word_arg(&args[0])?.to_string();
                let x = self.expr_arg(&args[1])?;
                let mut out = TargetSet::new();
                for (l, c) in x {
                    for (m, e) in self
                        .env
                        .attr_labels(&l, &name)
                        .map_err(|e| located(e, self))?
                    {
                        let both = self.env.and(c, e);
                        self.insert(&mut out, m, both);
                    }
                }
                Ok(out)
            }
            Func::Siblings => {
                let x = self.expr_arg(&args[0])?;
                let mut packages: BTreeMap<String, E::Cond> = BTreeMap::new();
                for (l, c) in &x {
                    let p = packages.entry(l.package().to_string()).or_insert(*c);
                    *p = self.env.or(*p, *c);
                }
                let mut out = TargetSet::new();
                for (pkg, c) in packages {
                    let found = self
                        .env
                        .pattern(&TargetPattern::Package(pkg))
                        .map_err(|e| located(e, self))?;
                    for (l, tc) in found {
                        let both = self.env.and(c, tc);
                        self.insert(&mut out, l, both);
                    }
                }
                Ok(out)
            }
        }
    }

    /// The transitive closure, up to `depth` edges away.
    fn deps(
        &mut self,
        start: TargetSet<E::Cond>,
        depth: Option<u32>,
    ) -> Result<TargetSet<E::Cond>> {
        if depth.is_none() {
            return self.closure(start);
        }
        let mut result = start.clone();
        let mut frontier: Vec<(Label, E::Cond)> = start.into_iter().collect();
        let mut level = 0;
        while !frontier.is_empty() && depth.is_none_or(|d| level < d) {
            level += 1;
            let mut next: TargetSet<E::Cond> = TargetSet::new();
            for (n, c) in frontier {
                for (m, e) in self.label_deps(&n)? {
                    let through = self.env.and(c, e);
                    if self.insert(&mut result, m.clone(), through) {
                        let now = result[&m];
                        next.insert(m, now);
                    }
                }
            }
            frontier = next.into_iter().collect();
        }
        Ok(result)
    }

    /// The targets of `universe` from which `x` can be reached, up to `depth` edges.
    fn rdeps(
        &mut self,
        universe: &TargetSet<E::Cond>,
        x: TargetSet<E::Cond>,
        depth: Option<u32>,
    ) -> Result<TargetSet<E::Cond>> {
        // The universe as a graph of its own, its edges reversed (`m -> n`
        // when `n` depends on `m`), each with the condition of `n` and of the edge.
        let mut graph = Indexed::new(self.env.graph().len());
        let mut forward: Vec<(u32, u32, E::Cond)> = Vec::new();
        let mut buf = std::mem::take(&mut self.buf);
        for (n, nc) in universe {
            let id = self.env.graph().id(n)?;
            let from = graph.node(id);
            buf.clear();
            self.env.deps(id, &mut buf)?;
            for (m, e) in &buf {
                let label = &self.env.graph().target_by_id(*m).label;
                if universe.contains_key(label) {
                    let to = graph.node(*m);
                    forward.push((from, to, self.env.and(*nc, *e)));
                }
            }
        }
        self.buf = buf;
        graph.set_reversed(&forward);
        let mut init = vec![None; graph.nodes.len()];
        let mut result = TargetSet::new();
        let mut frontier = Vec::new();
        for (l, c) in x {
            if let Some(uc) = universe.get(&l) {
                let both = self.env.and(c, *uc);
                let i = graph.local(self.env.graph().id(&l)?);
                if let Some(i) = i {
                    init[i as usize] = Some(both);
                }
                if self.insert(&mut result, l.clone(), both) {
                    frontier.push((l, both));
                }
            }
        }
        if depth.is_none() {
            for (i, c) in propagate(self.env, &graph, init).into_iter().enumerate() {
                if let Some(c) = c {
                    let label = self.env.graph().target_by_id(graph.nodes[i]).label.clone();
                    self.insert(&mut result, label, c);
                }
            }
            return Ok(result);
        }
        let mut level = 0;
        while !frontier.is_empty() && depth.is_none_or(|d| level < d) {
            level += 1;
            let mut next: TargetSet<E::Cond> = TargetSet::new();
            for (m, c) in frontier {
                let Some(i) = graph.local(self.env.graph().id(&m)?) else {
                    continue;
                };
                for (n, e) in graph.edges(i) {
                    let through = self.env.and(c, *e);
                    let n = self
                        .env
                        .graph()
                        .target_by_id(graph.nodes[*n as usize])
                        .label
                        .clone();
                    if self.insert(&mut result, n.clone(), through) {
                        let now = result[&n];
                        next.insert(n, now);
                    }
                }
            }
            frontier = next.into_iter().collect();
        }
        Ok(result)
    }

    /// The whole transitive closure: collected once, then conditions flow
    /// along it in topological order (strongly connected components iterate
    /// to a fixpoint), so each edge is followed a bounded number of times
    /// however many paths reach a target.
    fn closure(&mut self, start: TargetSet<E::Cond>) -> Result<TargetSet<E::Cond>> {
        if self.env.is_boolean() {
            return self.reachable(start);
        }
        let mut graph = Indexed::new(self.env.graph().len());
        let mut init = Vec::with_capacity(start.len());
        let always = self.env.always();
        let mut unconditional = start.values().all(|c| *c == always);
        let mut expanded: Vec<bool> = Vec::new();
        let mut todo: Vec<u32> = Vec::new();
        let mut buf = std::mem::take(&mut self.buf);
        // Depth-first from each start target, the last first (as one stack
        // holding them all would): errors come in the same order whatever
        // the representation.
        for (l, c) in start.iter().rev() {
            let i = graph.node(self.env.graph().id(l)?);
            init.push((i, *c));
            todo.push(i);
            while let Some(i) = todo.pop() {
                if expanded.len() <= i as usize {
                    expanded.resize(graph.nodes.len(), false);
                }
                if expanded[i as usize] {
                    continue;
                }
                expanded[i as usize] = true;
                buf.clear();
                self.env.deps(graph.nodes[i as usize], &mut buf)?;
                let first = graph.edges.len();
                for (m, e) in &buf {
                    if self.env.is_never(*e) {
                        continue;
                    }
                    unconditional &= *e == always;
                    let j = graph.node(*m);
                    graph.edges.push((j, *e));
                    if expanded.len() <= j as usize || !expanded[j as usize] {
                        todo.push(j);
                    }
                }
                graph.ranges[i as usize] = (first as u32, graph.edges.len() as u32);
            }
        }
        self.buf = buf;
        let found: Vec<(TargetId, E::Cond)> = if unconditional {
            // Nothing is conditional (one configuration, or an unconditional
            // graph): everything collected is reachable, and holds always.
            graph.nodes.iter().map(|id| (*id, always)).collect()
        } else {
            let mut cond = vec![None; graph.nodes.len()];
            for (i, c) in init {
                cond[i as usize] = Some(c);
            }
            let cond = propagate(self.env, &graph, cond);
            graph
                .nodes
                .iter()
                .zip(cond)
                .filter_map(|(id, c)| c.filter(|c| !self.env.is_never(*c)).map(|c| (*id, c)))
                .collect()
        };
        Ok(self.sorted(found))
    }

    /// The closure when conditions are booleans: what is reachable holds
    /// always, and only which targets are reached needs computing. The
    /// traversal is `closure`'s, so errors come in the same order.
    fn reachable(&mut self, start: TargetSet<E::Cond>) -> Result<TargetSet<E::Cond>> {
        let mut reached = vec![false; self.env.graph().len()];
        let mut found: Vec<(TargetId, E::Cond)> = Vec::new();
        let always = self.env.always();
        let mut todo: Vec<TargetId> = Vec::new();
        let mut buf = std::mem::take(&mut self.buf);
        for l in start.keys().rev() {
            todo.push(self.env.graph().id(l)?);
            while let Some(id) = todo.pop() {
                if reached[id.index()] {
                    continue;
                }
                reached[id.index()] = true;
                found.push((id, always));
                buf.clear();
                self.env.deps(id, &mut buf)?;
                for (m, e) in &buf {
                    if !self.env.is_never(*e) && !reached[m.index()] {
                        todo.push(*m);
                    }
                }
            }
        }
        self.buf = buf;
        Ok(self.sorted(found))
    }

    /// A result from targets by id. Ids are in label order: sorting them
    /// sorts the result, so building the map compares no labels but
    /// neighbours.
    fn sorted(&self, mut found: Vec<(TargetId, E::Cond)>) -> TargetSet<E::Cond> {
        found.sort_unstable_by_key(|(id, _)| *id);
        let graph = self.env.graph();
        found
            .into_iter()
            .map(|(id, c)| (graph.target_by_id(id).label.clone(), c))
            .collect()
    }

    /// One shortest path from a target of `a` to a target of `b` (breadth-first,
    /// in label order, so the answer is deterministic).
    fn somepath(
        &mut self,
        a: TargetSet<E::Cond>,
        b: TargetSet<E::Cond>,
    ) -> Result<TargetSet<E::Cond>> {
        let mut parent: HashMap<Label, Option<(Label, E::Cond)>> = HashMap::new();
        let mut queue: VecDeque<(Label, E::Cond)> = VecDeque::new();
        for (l, c) in a {
            parent.insert(l.clone(), None);
            queue.push_back((l, c));
        }
        while let Some((n, c)) = queue.pop_front() {
            if let Some(bc) = b.get(&n) {
                let end = self.env.and(c, *bc);
                if !self.env.is_never(end) {
                    let mut out = TargetSet::new();
                    let mut cur = Some((n, end));
                    while let Some((l, lc)) = cur {
                        cur = parent.get(&l).cloned().flatten().map(|(p, _)| (p, lc));
                        out.insert(l, lc);
                    }
                    return Ok(out);
                }
            }
            for (m, e) in self.label_deps(&n)? {
                if parent.contains_key(&m) {
                    continue;
                }
                let through = self.env.and(c, e);
                if self.env.is_never(through) {
                    continue;
                }
                parent.insert(m.clone(), Some((n.clone(), through)));
                queue.push_back((m, through));
            }
        }
        Ok(TargetSet::new())
    }
}

/// A part of the graph numbered densely (local numbers, `u32`), with the
/// edges of each node in one vector, for traversals and propagation.
struct Indexed<C> {
    /// Local number -> graph id.
    nodes: Vec<TargetId>,
    /// Graph id -> local number, `u32::MAX` if not a node.
    local: Vec<u32>,
    /// Local number -> its edges' range in `edges`.
    ranges: Vec<(u32, u32)>,
    /// The edges, each to a local number with its condition.
    edges: Vec<(u32, C)>,
}

impl<C: Copy> Indexed<C> {
    /// No nodes yet, in a graph of `len` targets.
    fn new(len: usize) -> Self {
        Indexed {
            nodes: Vec::new(),
            local: vec![u32::MAX; len],
            ranges: Vec::new(),
            edges: Vec::new(),
        }
    }

    /// The local number of a target, added if new.
    fn node(&mut self, id: TargetId) -> u32 {
        let slot = &mut self.local[id.index()];
        if *slot == u32::MAX {
            *slot = self.nodes.len() as u32;
            self.nodes.push(id);
            self.ranges.push((0, 0));
        }
        *slot
    }

    /// The local number of a target, if it is a node.
    fn local(&self, id: TargetId) -> Option<u32> {
        Some(self.local[id.index()]).filter(|i| *i != u32::MAX)
    }

    /// The edges of a node.
    fn edges(&self, i: u32) -> &[(u32, C)] {
        let (from, to) = self.ranges[i as usize];
        &self.edges[from as usize..to as usize]
    }

    /// Sets the edges to these `(from, to, condition)`, reversed: each node's
    /// edges lead to the nodes that have an edge to it, in the given order.
    fn set_reversed(&mut self, forward: &[(u32, u32, C)]) {
        let mut count = vec![0u32; self.nodes.len() + 1];
        for (_, to, _) in forward {
            count[*to as usize + 1] += 1;
        }
        for i in 1..count.len() {
            count[i] += count[i - 1];
        }
        for (i, range) in self.ranges.iter_mut().enumerate() {
            *range = (count[i], count[i + 1]);
        }
        let mut next = count;
        self.edges.clear();
        self.edges.reserve(forward.len());
        let mut slots: Vec<Option<(u32, C)>> = vec![None; forward.len()];
        for (from, to, c) in forward {
            let at = &mut next[*to as usize];
            slots[*at as usize] = Some((*from, *c));
            *at += 1;
        }
        self.edges.extend(slots.into_iter().flatten());
    }
}

/// Conditions flowing from `init` along the edges: each node's condition is
/// its initial one or-ed with (predecessor's condition and edge condition).
fn propagate<E: QueryEnv>(
    env: &E,
    graph: &Indexed<E::Cond>,
    mut cond: Vec<Option<E::Cond>>,
) -> Vec<Option<E::Cond>> {
    let always = env.always();
    if cond.iter().flatten().all(|c| *c == always) && graph.edges.iter().all(|(_, e)| *e == always)
    {
        // Nothing is conditional: what is reachable holds always, and plain
        // reachability is all there is to compute.
        let mut todo: Vec<u32> = (0..cond.len() as u32)
            .filter(|n| cond[*n as usize].is_some())
            .collect();
        while let Some(n) = todo.pop() {
            for (m, _) in graph.edges(n) {
                if cond[*m as usize].is_none() {
                    cond[*m as usize] = Some(always);
                    todo.push(*m);
                }
            }
        }
        return cond;
    }
    let mut g = petgraph::graph::DiGraph::<(), ()>::with_capacity(graph.nodes.len(), 0);
    for _ in &graph.nodes {
        g.add_node(());
    }
    for from in 0..graph.nodes.len() as u32 {
        for (to, _) in graph.edges(from) {
            g.add_edge(from.into(), (*to).into(), ());
        }
    }
    // Kosaraju (iterative, graphs are deep) lists components in reverse topological order.
    let components = petgraph::algo::kosaraju_scc(&g);
    let flow = |n: usize, cond: &mut Vec<Option<E::Cond>>| -> bool {
        let Some(c) = cond[n] else { return false };
        let mut changed = false;
        for (m, e) in graph.edges(n as u32) {
            let through = env.and(c, *e);
            if env.is_never(through) {
                continue;
            }
            let new = match cond[*m as usize] {
                Some(old) => env.or(old, through),
                None => through,
            };
            if cond[*m as usize] != Some(new) {
                cond[*m as usize] = Some(new);
                changed = true;
            }
        }
        changed
    };
    for component in components.iter().rev() {
        if component.len() == 1 {
            flow(component[0].index(), &mut cond);
            // A self-loop changes nothing: c | (c & e) == c.
            continue;
        }
        loop {
            let mut changed = false;
            for n in component {
                changed |= flow(n.index(), &mut cond);
            }
            if !changed {
                break;
            }
        }
    }
    cond
}
