//! The memory budget of evaluating one file, counted by the allocator.
//!
//! Starlark's own heap limit counts its heap, and checks it only now and
//! then: a dict's table lives in the Rust heap and is never counted (a
//! comprehension of 20 million entries took 1.7 GB and minutes), and
//! `"abcdefgh" * 1000000000` asks the allocator for 8 GB at once before any
//! check, which aborts the process. A [`Budgeted`] global allocator counts
//! every byte the thread evaluating a file allocates, both heaps together:
//!
//! - every 1,000 Starlark steps the evaluator asks [`over_budget`] (its
//!   cancellation hook), and a file past its budget, or one that made a
//!   single allocation of more than a quarter of it (a value no BUILD file
//!   needs: a dict of 10 million entries, whose inserts also slow down
//!   many times over as it grows), stops with `sel::eval` at the statement
//!   running;
//! - a single request larger than half the budget, or one that would take
//!   the thread past twice its budget, cannot be refused (Rust aborts when an
//!   allocator returns nothing), so the allocator calls the binary's
//!   handler instead, which reports the file and exits.
//!
//! Without a `Budgeted` allocator (a library user's own), only Starlark's
//! own checks apply.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

thread_local! {
    /// The budget of the file this thread evaluates, in bytes; 0 when none.
    static LIMIT: Cell<usize> = const { Cell::new(0) };
    /// What the thread has allocated (and not freed) since the budget was set.
    static USED: Cell<usize> = const { Cell::new(0) };
    /// Whether one allocation took more than a quarter of the budget.
    static LARGE: Cell<bool> = const { Cell::new(false) };
    /// The file evaluated (as shown to users), for the handler: a pointer
    /// and length into a string that outlives the budget's [`Guard`].
    static FILE: Cell<(*const u8, usize)> = const { Cell::new((std::ptr::null(), 0)) };
}

/// A global allocator that counts, on each thread that evaluates a file, the
/// bytes allocated against the file's budget (see the module docs).
pub struct Budgeted<A> {
    inner: A,
    too_large: fn(file: &str, bytes: usize, budget: usize) -> !,
}

impl<A> Budgeted<A> {
    /// `inner`, counted; `too_large` is called (and must not return) when
    /// one request is larger than half an evaluation's budget, or would take
    /// it past twice its budget.
    pub const fn new(
        inner: A,
        too_large: fn(file: &str, bytes: usize, budget: usize) -> !,
    ) -> Self {
        Budgeted { inner, too_large }
    }

    /// Counts `bytes` more, for a block of `whole` bytes.
    fn charge(&self, bytes: usize, whole: usize) {
        let Ok(limit) = LIMIT.try_with(Cell::get) else {
            return;
        };
        if limit == 0 {
            return;
        }
        let used = USED.with(|u| {
            let used = u.get().saturating_add(bytes);
            u.set(used);
            used
        });
        if whole > limit / 4 {
            LARGE.with(|l| l.set(true));
        }
        if whole > limit / 2 || used > limit.saturating_mul(2) {
            // The handler may allocate (to print): no budget from here on.
            LIMIT.with(|l| l.set(0));
            let (ptr, len) = FILE.with(Cell::get);
            let file = if ptr.is_null() {
                ""
            } else {
                // SAFETY: `Guard` set this from a `&str` that outlives it,
                // and this thread is inside that guard's scope.
                unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len)) }
            };
            (self.too_large)(file, whole, limit)
        }
    }

    fn refund(bytes: usize) {
        let _ = USED.try_with(|u| u.set(u.get().saturating_sub(bytes)));
    }
}

// SAFETY: every call is passed to `inner` unchanged; the counting around it
// touches only thread-locals without destructors.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Budgeted<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.charge(layout.size(), layout.size());
        self.inner.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.charge(layout.size(), layout.size());
        self.inner.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::refund(layout.size());
        self.inner.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            self.charge(new_size - layout.size(), new_size);
        } else {
            Self::refund(layout.size() - new_size);
        }
        self.inner.realloc(ptr, layout, new_size)
    }
}

/// The file whose evaluation this thread is in the middle of, as shown to
/// users, if any: for reports from places that cannot return an error (a
/// signal handler). It allocates nothing.
pub fn evaluated_file() -> Option<&'static str> {
    let (ptr, len) = FILE.try_with(Cell::get).ok()?;
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `Guard` set this from a `&str` that outlives it, and this
    // thread is inside that guard's scope; the caller uses it at once.
    Some(unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len)) })
}

/// Whether the file this thread evaluates has allocated more than its
/// budget, or more than a quarter of it at once.
pub fn over_budget() -> bool {
    let limit = LIMIT.with(Cell::get);
    limit != 0 && (USED.with(Cell::get) > limit || LARGE.with(Cell::get))
}

/// The budget of one file's evaluation on this thread, while it lives; the
/// budget before it (if evaluations nest) comes back when it is dropped.
pub struct Guard<'a> {
    before: (usize, usize, bool, (*const u8, usize)),
    _file: std::marker::PhantomData<&'a str>,
}

impl<'a> Guard<'a> {
    /// Counts this thread's allocations against `limit` bytes for `file`.
    pub fn new(file: &'a str, limit: usize) -> Guard<'a> {
        let before = (
            LIMIT.with(|l| l.replace(limit)),
            USED.with(|u| u.replace(0)),
            LARGE.with(|l| l.replace(false)),
            FILE.with(|f| f.replace((file.as_ptr(), file.len()))),
        );
        Guard {
            before,
            _file: std::marker::PhantomData,
        }
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let (limit, used, large, file) = self.before;
        LIMIT.with(|l| l.set(limit));
        USED.with(|u| u.set(used));
        LARGE.with(|l| l.set(large));
        FILE.with(|f| f.set(file));
    }
}
