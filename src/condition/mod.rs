//! The condition algebra for the multi-dimensional graph.
//!
//! `cquery --all-configs` answers for every configuration at once, so every target, edge
//! and error carries a *condition*: the set of configurations in which it holds. A
//! configuration assigns each selector one of its values, and a workspace with 30
//! selectors of 10 values each has 10^30 of them, so conditions can never be sets of
//! configurations, nor formulas that are compared by trying configurations.
//!
//! Conditions are instead reduced, ordered, hash-consed *multi-valued decision diagrams*
//! (MDDs), the many-valued cousin of the binary decision diagram, in the style of uv's
//! PEP 508 marker algebra. Each internal node tests one selector and has one child per
//! value of that selector; the leaves are *never* and *always*. The representation is
//! canonical, which is what the rest of sel leans on: two conditions denote the same set
//! of configurations exactly when their [`Cond`] handles are equal, so "is this edge
//! unconditional?", "do these two keys overlap?" and "is key A more specific than key
//! B?" are a comparison or a single memoized operation, and a condition is a plain
//! `Copy` value that can be hashed, sorted and used as a map key.
//!
//! The invariants that make it canonical, kept by the single node constructor:
//!
//! - *Ordered*: selectors are tested in the order of the [`Space`] (their index); below a
//!   node testing selector `s`, only selectors after `s` are tested.
//! - *Reduced*: no node has all its children equal (such a node is its child), so a node
//!   tests a selector only if the condition depends on it. Every node other than *never*
//!   is satisfiable.
//! - *Hash-consed*: a node is stored once per (selector, children), so equal sub-diagrams
//!   are the same node and handles compare by identity.
//!
//! Node 0 is *never* and node 1 is *always*. `and`, `or`, `not` and `restrict` are
//! memoized, so repeated combinations along a large graph cost a hash lookup. Nodes are
//! never freed: an [`Algebra`] lives for one evaluation, and handles from one algebra mean
//! nothing in another.
//!
//! For output, a condition is written as a *cover*: cubes (a cube allows, for some
//! selectors, a set of values each) whose union is the condition, none implied by the
//! others and none that could lose or widen a term and stay inside (`cover.rs`, an ISOP
//! for multi-valued selectors). It is computed from the diagram, at a cost that follows
//! the diagram and the cover, never the number of paths. [`Algebra::to_json`] writes it
//! in the JSON of the contract; [`Algebra::render`] writes it for people.

mod cover;
pub mod sop;
mod space;
#[cfg(test)]
mod tests;
mod text;

pub use space::{SelectorDim, Space, SpaceSelector, HAS, LACKS};

use crate::error::{Error, ErrorKind, Result};

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// Handle to a canonical condition; Copy + Eq + Hash + Ord. Equal conditions have equal
/// handles (within one [`Algebra`]).
///
/// The order is the order in which the algebra first built the conditions: arbitrary but
/// deterministic for a deterministic sequence of operations.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Cond(u32);

impl Cond {
    /// *Always*, the same handle in every algebra.
    pub const ALWAYS: Cond = Cond(ALWAYS);
    /// *Never*, the same handle in every algebra.
    pub const NEVER: Cond = Cond(NEVER);
}

/// A comparison of a selector's value with one of its values, by declared order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CompareOp {
    /// `x = v`
    Eq,
    /// `x != v`
    Ne,
    /// `x < v`
    Lt,
    /// `x <= v`
    Le,
    /// `x > v`
    Gt,
    /// `x >= v`
    Ge,
}

/// A conjunction of per-selector value sets: selector index -> allowed value indices
/// (sorted, non-empty). A selector absent from the map is unconstrained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cube(pub BTreeMap<usize, Vec<usize>>);

impl Cube {
    /// Whether the configuration (one value index per selector) lies in the cube.
    pub fn contains(&self, config: &[usize]) -> bool {
        self.0
            .iter()
            .all(|(&sel, values)| values.binary_search(&config[sel]).is_ok())
    }
}

const NEVER: u32 = 0;
const ALWAYS: u32 = 1;
/// The selector "tested" by the two terminals: after every real selector.
const TERMINAL: u32 = u32::MAX;
/// An empty slot of the `not` cache.
const UNKNOWN: u32 = u32::MAX;

/// The arena of condition nodes and the operations on them. Uses interior mutability
/// (`RefCell`), so that all operations take `&self`.
///
/// Not `Sync`: one algebra belongs to one thread.
pub struct Algebra {
    space: Space,
    store: RefCell<Store>,
    /// Covers already made: output writes a condition's cover as JSON and as text, and
    /// often for many targets.
    covers: RefCell<HashMap<Cond, Rc<Vec<Cube>>>>,
    /// Renderings already made.
    rendered: RefCell<HashMap<Cond, String>>,
}

impl std::fmt::Debug for Algebra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Algebra")
            .field("selectors", &self.space.selectors().len())
            .field("nodes", &self.node_count())
            .finish()
    }
}

impl Algebra {
    /// An algebra over `space`, holding only *never* and *always*.
    pub fn new(space: Space) -> Self {
        let domain = space
            .selectors()
            .iter()
            .map(|dim| dim.values.len() as u32)
            .collect();
        let store = Store::new(domain);
        Algebra {
            space,
            store: RefCell::new(store),
            covers: RefCell::new(HashMap::new()),
            rendered: RefCell::new(HashMap::new()),
        }
    }

    /// The space the conditions range over.
    pub fn space(&self) -> &Space {
        &self.space
    }

    /// The condition true in every configuration.
    pub fn always(&self) -> Cond {
        Cond(ALWAYS)
    }

    /// The condition true in no configuration.
    pub fn never(&self) -> Cond {
        Cond(NEVER)
    }

    /// Whether `c` holds in every configuration.
    pub fn is_always(&self, c: Cond) -> bool {
        c.0 == ALWAYS
    }

    /// Whether `c` holds in no configuration.
    pub fn is_never(&self, c: Cond) -> bool {
        c.0 == NEVER
    }

    /// Selector `sel` has one of the values (indices) in `values`.
    ///
    /// # Panics
    ///
    /// If `sel` or one of `values` is out of range.
    pub fn one_of(&self, sel: usize, values: &[usize]) -> Cond {
        let n = self.domain_size(sel);
        let mut store = self.store.borrow_mut();
        let base = store.scratch.len();
        store.scratch.push(sel as u32);
        store.scratch.resize(base + n + 1, NEVER);
        for &value in values {
            if value >= n {
                store.scratch.truncate(base);
                panic!("value index {value} out of range for selector {sel}");
            }
            store.scratch[base + value + 1] = ALWAYS;
        }
        Cond(store.mk(base))
    }

    /// Selector `sel` has value `value` (an index).
    pub fn equals(&self, sel: usize, value: usize) -> Cond {
        self.one_of(sel, &[value])
    }

    /// Range conditions for ordered selectors: the value index of `sel` compared with
    /// `value` by the declared order (index order). Works on any selector; only on an
    /// ordered one do `Lt`, `Le`, `Gt` and `Ge` mean something to a person.
    ///
    /// # Panics
    ///
    /// If `sel` or `value` is out of range.
    pub fn compare(&self, sel: usize, op: CompareOp, value: usize) -> Cond {
        let n = self.domain_size(sel);
        assert!(
            value < n,
            "value index {value} out of range for selector {sel}"
        );
        let holds = |x: usize| match op {
            CompareOp::Eq => x == value,
            CompareOp::Ne => x != value,
            CompareOp::Lt => x < value,
            CompareOp::Le => x <= value,
            CompareOp::Gt => x > value,
            CompareOp::Ge => x >= value,
        };
        let values: Vec<usize> = (0..n).filter(|&x| holds(x)).collect();
        self.one_of(sel, &values)
    }

    /// Both `a` and `b`.
    pub fn and(&self, a: Cond, b: Cond) -> Cond {
        Cond(self.store.borrow_mut().and(a.0, b.0))
    }

    /// Either `a` or `b`.
    pub fn or(&self, a: Cond, b: Cond) -> Cond {
        Cond(self.store.borrow_mut().or(a.0, b.0))
    }

    /// Not `a`. Memoized both ways, so `not(not(a))` is a lookup.
    pub fn not(&self, a: Cond) -> Cond {
        Cond(self.store.borrow_mut().not(a.0))
    }

    /// `a` and not `b`.
    pub fn and_not(&self, a: Cond, b: Cond) -> Cond {
        let mut store = self.store.borrow_mut();
        let not_b = store.not(b.0);
        Cond(store.and(a.0, not_b))
    }

    /// All of the conditions; *always* for none.
    pub fn and_all(&self, conds: impl IntoIterator<Item = Cond>) -> Cond {
        let mut store = self.store.borrow_mut();
        let mut acc = ALWAYS;
        for c in conds {
            acc = store.and(acc, c.0);
            if acc == NEVER {
                break;
            }
        }
        Cond(acc)
    }

    /// Any of the conditions; *never* for none.
    pub fn or_all(&self, conds: impl IntoIterator<Item = Cond>) -> Cond {
        let mut store = self.store.borrow_mut();
        let mut acc = NEVER;
        for c in conds {
            acc = store.or(acc, c.0);
            if acc == ALWAYS {
                break;
            }
        }
        Cond(acc)
    }

    /// Whether every configuration satisfying `a` satisfies `b` (`a and not b` is never).
    pub fn implies(&self, a: Cond, b: Cond) -> bool {
        self.is_never(self.and_not(a, b))
    }

    /// Whether no configuration satisfies both `a` and `b`.
    pub fn disjoint(&self, a: Cond, b: Cond) -> bool {
        self.is_never(self.and(a, b))
    }

    /// Evaluates `c` at a full configuration given as one value index per selector.
    ///
    /// # Panics
    ///
    /// If `config` does not have one entry per selector, or an entry is out of range.
    pub fn eval(&self, c: Cond, config: &[usize]) -> bool {
        assert_eq!(
            config.len(),
            self.space.selectors().len(),
            "a configuration needs one value per selector"
        );
        let store = self.store.borrow();
        let mut node = c.0;
        while node > ALWAYS {
            let var = store.var(node) as usize;
            node = store.children(node)[config[var]];
        }
        node == ALWAYS
    }

    /// Restricts (cofactors) `c` to selector `sel` having `value`: the result no longer
    /// depends on `sel`. Used when `--select` fixes a selector.
    ///
    /// # Panics
    ///
    /// If `sel` or `value` is out of range.
    pub fn restrict(&self, c: Cond, sel: usize, value: usize) -> Cond {
        let n = self.domain_size(sel);
        assert!(
            value < n,
            "value index {value} out of range for selector {sel}"
        );
        Cond(
            self.store
                .borrow_mut()
                .restrict(c.0, sel as u32, value as u32),
        )
    }

    /// One satisfying configuration, or `None` if `c` is never. Selectors the condition
    /// does not constrain get `default_of(sel)`; where it does, the default value is kept
    /// if that still satisfies `c`, else the first value that does.
    pub fn example(&self, c: Cond, default_of: &dyn Fn(usize) -> usize) -> Option<Vec<usize>> {
        if c.0 == NEVER {
            return None;
        }
        let mut config: Vec<usize> = (0..self.space.selectors().len()).map(default_of).collect();
        let store = self.store.borrow();
        let mut node = c.0;
        while node > ALWAYS {
            let var = store.var(node) as usize;
            let children = store.children(node);
            // Every node other than never is satisfiable, so any non-never child will do.
            let value = match children.get(config[var]) {
                Some(&child) if child != NEVER => config[var],
                _ => children
                    .iter()
                    .position(|&child| child != NEVER)
                    .expect("a reduced node has a satisfiable child"),
            };
            config[var] = value;
            node = children[value];
        }
        Some(config)
    }

    /// The selectors the condition depends on (its support), sorted.
    pub fn support(&self, c: Cond) -> Vec<usize> {
        let store = self.store.borrow();
        let mut seen = HashSet::new();
        let mut vars = BTreeSet::new();
        let mut stack = vec![c.0];
        while let Some(node) = stack.pop() {
            if node <= ALWAYS || !seen.insert(node) {
                continue;
            }
            vars.insert(store.var(node) as usize);
            stack.extend_from_slice(store.children(node));
        }
        vars.into_iter().collect()
    }

    /// The condition of one cube: each listed selector has one of its listed values.
    ///
    /// # Panics
    ///
    /// If a selector or value index is out of range.
    pub fn from_cube(&self, cube: &Cube) -> Cond {
        self.and_all(
            cube.0
                .iter()
                .map(|(&sel, values)| self.one_of(sel, values))
                .collect::<Vec<_>>(),
        )
    }

    /// Forgets the operation caches (keeping their size), between the phases of a run:
    /// what one phase combined is seldom combined again by the next.
    pub fn clear_caches(&self) {
        let mut store = self.store.borrow_mut();
        store.and_cache.clear();
        store.or_cache.clear();
        store.restrict_cache.clear();
    }

    /// The operations computed so far (not found in a cache): the work done.
    pub fn steps(&self) -> u64 {
        self.store.borrow().steps
    }

    /// Number of nodes in the arena, the two terminals included; nodes are never freed.
    pub fn node_count(&self) -> usize {
        self.store.borrow().len()
    }

    fn domain_size(&self, sel: usize) -> usize {
        match self.space.selectors().get(sel) {
            Some(dim) => dim.values.len(),
            None => panic!("selector index {sel} out of range"),
        }
    }
}

thread_local! {
    /// A bound on the steps of the algebras this thread makes, set by [`with_steps`].
    static STEPS: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with the algebras it makes bounded to `steps` operations (unless
/// `SEL_MAX_CONDITION_STEPS` is set): a first attempt that gives up early when
/// another way to the answer exists, or a command that needs small diagrams.
pub fn with_steps<T>(steps: u64, f: impl FnOnce() -> T) -> T {
    let before = STEPS.with(|s| s.replace(Some(steps)));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    STEPS.with(|s| s.set(before));
    result.unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// A bound of the algebra: the environment variable `name` if it is a number, else
/// `default`.
fn bound(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(default)
        .max(16)
}

/// The payload of the panic that an operation raises when the algebra would pass one of
/// its bounds: some conditions have no small decision diagram, and a run that needs them
/// would otherwise take all the memory there is, or run for hours. The bounds are on
/// the arena's nodes (`SEL_MAX_CONDITION_NODES`, 2^24 unless set: about 1.5 GiB with
/// the tables that index them) and on the operations computed rather than found in a
/// cache (`SEL_MAX_CONDITION_STEPS`, 2^27 unless set: about 15 seconds of work; the
/// largest runs of docs/benchmarks.md compute under 2^21). Operations return plain
/// handles, so the bound unwinds; [`guard`] catches it where a command runs and turns it
/// into a `sel::conditions_too_large` error. The algebra that raised it must not be
/// used again.
#[derive(Debug, Clone, Copy)]
pub enum TooLarge {
    /// The arena would hold more nodes than this.
    Nodes(u64),
    /// More operations than this were computed.
    Steps(u64),
    /// A sum of products would hold more cubes than this.
    Cubes(u64),
}

impl TooLarge {
    /// The error to report.
    pub fn error(self) -> Error {
        let (what, variable) = match self {
            TooLarge::Nodes(n) => (
                format!("more than {n} decision-diagram nodes"),
                "SEL_MAX_CONDITION_NODES (each node takes about 100 bytes)",
            ),
            TooLarge::Steps(n) => (
                format!("more than {n} operations on decision diagrams"),
                "SEL_MAX_CONDITION_STEPS",
            ),
            TooLarge::Cubes(n) => {
                return Error::new(
                    ErrorKind::ConditionsTooLarge,
                    format!("the conditions of this query have no small decision diagram, and where evaluation fails is too large to take away from them as sums of products (more than {n} cubes)"),
                )
                .with_help("fix some selectors with --select (every fixed selector makes the conditions smaller), or the selects that fail (`sel check` lists them)");
            }
        };
        Error::new(
            ErrorKind::ConditionsTooLarge,
            format!("the conditions of this query need {what}, more than sel allows itself"),
        )
        .with_help(format!(
            "fix some selectors with --select (every fixed selector makes the conditions smaller), or raise the bound with the environment variable {variable}"
        ))
    }
}

/// Runs `f`, turning the unwinding of [`TooLarge`] into its error; other panics go on.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => match payload.downcast::<TooLarge>() {
            Ok(too_large) => Err(too_large.error()),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

/// FxHash (rustc's hasher): the keys are small integers we made ourselves, so there is
/// nothing to defend against, and SipHash would dominate the cost of `and` and `or`.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The nodes, the unique table and the operation caches.
struct Store {
    /// Number of values of each selector.
    domain: Vec<u32>,
    /// The nodes, one after the other: node `i` is `data[start[i]..start[i + 1]]`, that
    /// is `[selector, child for value 0, child for value 1, ...]`; the terminals are
    /// `[TERMINAL]`. One flat vector rather than an allocation per node.
    data: Vec<u32>,
    start: Vec<usize>,
    /// The unique table, so that a node is never stored twice: the hash of a node's
    /// contents -> the latest node with that hash; `next` chains the earlier ones.
    unique: FxMap<u64, u32>,
    next: Vec<u32>,
    /// `and` and `or` are commutative: keyed on (smaller, larger).
    and_cache: OpCache,
    or_cache: OpCache,
    /// `not`, indexed by node; `UNKNOWN` where not computed yet.
    not_cache: Vec<u32>,
    /// (node, selector, value) -> node.
    restrict_cache: OpCache,
    /// The children being built, see `mk`.
    scratch: Vec<u32>,
    /// The most nodes the arena may hold (see [`TooLarge`]).
    max_nodes: usize,
    /// Operations computed (not found in a cache), and how many may be.
    steps: u64,
    max_steps: u64,
}

/// A memo of one operation, bounded as CUDD's computed table is: a direct-mapped table
/// in which a new entry overwrites whatever shared its slot. It grows with the arena
/// (a slot per two nodes) up to `MAX_SLOTS`, and never beyond, so a long run's caches
/// stay within a fixed size however many operations it does; a lost entry only means
/// that an operation is computed again.
struct OpCache {
    slots: Vec<[u32; 4]>,
}

/// 2^22 slots of 16 bytes: 64 MiB per cache at most.
const MAX_SLOTS: usize = 1 << 22;
const FIRST_SLOTS: usize = 1 << 12;
/// A slot that holds nothing (no operand is ever `u32::MAX`).
const EMPTY_SLOT: [u32; 4] = [u32::MAX; 4];

impl OpCache {
    fn new() -> OpCache {
        OpCache {
            slots: vec![EMPTY_SLOT; FIRST_SLOTS],
        }
    }

    #[inline]
    fn slot(&self, a: u32, b: u32, c: u32) -> usize {
        let mut hasher = FxHasher::default();
        hasher.add(u64::from(a) | (u64::from(b) << 32));
        hasher.add(u64::from(c));
        (hasher.finish() >> 20) as usize & (self.slots.len() - 1)
    }

    #[inline]
    fn get(&self, a: u32, b: u32, c: u32) -> Option<u32> {
        let slot = &self.slots[self.slot(a, b, c)];
        (slot[0] == a && slot[1] == b && slot[2] == c).then_some(slot[3])
    }

    /// Remembers `(a, b, c) -> result`; `nodes` is the arena's size, which the table
    /// follows while it is small.
    #[inline]
    fn insert(&mut self, a: u32, b: u32, c: u32, result: u32, nodes: usize) {
        if self.slots.len() < MAX_SLOTS && nodes > 2 * self.slots.len() {
            self.grow();
        }
        let at = self.slot(a, b, c);
        self.slots[at] = [a, b, c, result];
    }

    fn grow(&mut self) {
        let wider = vec![EMPTY_SLOT; self.slots.len() * 4];
        let old = std::mem::replace(&mut self.slots, wider);
        let old_len = old.len();
        for entry in old {
            if entry != EMPTY_SLOT {
                let at = self.slot(entry[0], entry[1], entry[2]);
                self.slots[at] = entry;
            }
        }
        debug_assert!(self.slots.len() > old_len);
    }

    /// Forgets everything, keeping the table's size.
    fn clear(&mut self) {
        self.slots.fill(EMPTY_SLOT);
    }
}

/// The end of a chain in `Store::next`.
const NO_NODE: u32 = u32::MAX;

impl Store {
    fn new(domain: Vec<u32>) -> Store {
        Store {
            domain,
            data: vec![TERMINAL, TERMINAL],
            start: vec![0, 1, 2],
            unique: FxMap::default(),
            next: vec![NO_NODE, NO_NODE],
            and_cache: OpCache::new(),
            or_cache: OpCache::new(),
            not_cache: vec![ALWAYS, NEVER],
            restrict_cache: OpCache::new(),
            scratch: Vec::new(),
            max_nodes: bound("SEL_MAX_CONDITION_NODES", 1 << 24).min(NO_NODE as u64 - 1) as usize,
            steps: 0,
            // An explicit SEL_MAX_CONDITION_STEPS wins over a command's own bound.
            max_steps: match std::env::var_os("SEL_MAX_CONDITION_STEPS") {
                Some(_) => bound("SEL_MAX_CONDITION_STEPS", 1 << 27),
                None => STEPS.with(|s| s.get()).unwrap_or(1 << 27),
            },
        }
    }

    fn len(&self) -> usize {
        self.start.len() - 1
    }

    /// Counts one computed operation, unwinding past the bound (see [`TooLarge`]).
    #[inline]
    fn step(&mut self) {
        self.steps += 1;
        if self.steps > self.max_steps {
            std::panic::panic_any(TooLarge::Steps(self.max_steps));
        }
    }

    #[inline]
    fn node(&self, node: u32) -> &[u32] {
        let node = node as usize;
        &self.data[self.start[node]..self.start[node + 1]]
    }

    #[inline]
    fn var(&self, node: u32) -> u32 {
        self.data[self.start[node as usize]]
    }

    #[inline]
    fn children(&self, node: u32) -> &[u32] {
        &self.node(node)[1..]
    }

    #[inline]
    fn child(&self, node: u32, value: usize) -> u32 {
        self.data[self.start[node as usize] + 1 + value]
    }

    /// The only constructor of internal nodes, from `[selector, children...]` at the top
    /// of the scratch stack (from `base`), which it pops. Keeps the diagram reduced (a
    /// node with equal children is its child) and hash-consed.
    ///
    /// The operations push their children on one shared stack rather than allocating a
    /// vector per call: the recursion pops what it pushes, so frames never interleave.
    fn mk(&mut self, base: usize) -> u32 {
        let key = &self.scratch[base..];
        debug_assert_eq!(key.len(), self.domain[key[0] as usize] as usize + 1);
        let first = key[1];
        if key[2..].iter().all(|&child| child == first) {
            self.scratch.truncate(base);
            return first;
        }
        let mut hasher = FxHasher::default();
        for &word in key {
            hasher.add(u64::from(word));
        }
        let hash = hasher.finish();
        let head = self.unique.get(&hash).copied().unwrap_or(NO_NODE);
        let mut candidate = head;
        while candidate != NO_NODE {
            if self.node(candidate) == key {
                self.scratch.truncate(base);
                return candidate;
            }
            candidate = self.next[candidate as usize];
        }
        if self.len() >= self.max_nodes {
            // Unwinds to `guard`, which makes it an error; see `TooLarge`.
            std::panic::panic_any(TooLarge::Nodes(self.max_nodes as u64));
        }
        let node = self.len() as u32;
        self.data.extend_from_slice(key);
        self.start.push(self.data.len());
        self.next.push(head);
        self.unique.insert(hash, node);
        self.not_cache.push(UNKNOWN);
        self.scratch.truncate(base);
        node
    }

    /// The selector to split `a` and `b` on (the first either tests), and the selector
    /// each tests.
    #[inline]
    fn top(&self, a: u32, b: u32) -> (u32, u32, u32) {
        let (va, vb) = (self.var(a), self.var(b));
        let var = va.min(vb);
        (var, va, vb)
    }

    fn and(&mut self, a: u32, b: u32) -> u32 {
        if a == NEVER || b == NEVER {
            return NEVER;
        }
        if a == ALWAYS || a == b {
            return b;
        }
        if b == ALWAYS {
            return a;
        }
        let key = (a.min(b), a.max(b));
        if let Some(result) = self.and_cache.get(key.0, key.1, 0) {
            return result;
        }
        self.step();
        if self.not_cache[a as usize] == b {
            return NEVER;
        }
        let (var, va, vb) = self.top(a, b);
        let n = self.domain[var as usize] as usize;
        let base = self.scratch.len();
        self.scratch.push(var);
        for value in 0..n {
            let ca = if va == var { self.child(a, value) } else { a };
            let cb = if vb == var { self.child(b, value) } else { b };
            let child = self.and(ca, cb);
            self.scratch.push(child);
        }
        let result = self.mk(base);
        self.and_cache.insert(key.0, key.1, 0, result, self.len());
        result
    }

    fn or(&mut self, a: u32, b: u32) -> u32 {
        if a == ALWAYS || b == ALWAYS {
            return ALWAYS;
        }
        if a == NEVER || a == b {
            return b;
        }
        if b == NEVER {
            return a;
        }
        let key = (a.min(b), a.max(b));
        if let Some(result) = self.or_cache.get(key.0, key.1, 0) {
            return result;
        }
        self.step();
        if self.not_cache[a as usize] == b {
            return ALWAYS;
        }
        let (var, va, vb) = self.top(a, b);
        let n = self.domain[var as usize] as usize;
        let base = self.scratch.len();
        self.scratch.push(var);
        for value in 0..n {
            let ca = if va == var { self.child(a, value) } else { a };
            let cb = if vb == var { self.child(b, value) } else { b };
            let child = self.or(ca, cb);
            self.scratch.push(child);
        }
        let result = self.mk(base);
        self.or_cache.insert(key.0, key.1, 0, result, self.len());
        result
    }

    fn not(&mut self, a: u32) -> u32 {
        let cached = self.not_cache[a as usize];
        if cached != UNKNOWN {
            return cached;
        }
        let var = self.var(a);
        let n = self.domain[var as usize] as usize;
        let base = self.scratch.len();
        self.scratch.push(var);
        for value in 0..n {
            let child = self.child(a, value);
            let child = self.not(child);
            self.scratch.push(child);
        }
        let result = self.mk(base);
        self.not_cache[a as usize] = result;
        self.not_cache[result as usize] = a;
        result
    }

    fn restrict(&mut self, node: u32, sel: u32, value: u32) -> u32 {
        // Terminals test `TERMINAL`, after every selector, so they stop here too.
        let var = self.var(node);
        if var > sel {
            return node;
        }
        if var == sel {
            return self.child(node, value as usize);
        }
        if let Some(result) = self.restrict_cache.get(node, sel, value) {
            return result;
        }
        let n = self.domain[var as usize] as usize;
        let base = self.scratch.len();
        self.scratch.push(var);
        for v in 0..n {
            let child = self.child(node, v);
            let child = self.restrict(child, sel, value);
            self.scratch.push(child);
        }
        let result = self.mk(base);
        self.restrict_cache
            .insert(node, sel, value, result, self.len());
        result
    }
}
