//! sel's caches, one layer above the library: they make a command fast
//! and never change its answer (`--no-cache` gives the same bytes).
//!
//! - [`packages`]: evaluated packages, `.sel-cache/packages.v1`, and the
//!   loading that takes fresh packages from it ([`packages::load_workspace`],
//!   [`packages::load_closure`]);
//! - [`answers`]: what `query` and `cquery` printed, kept with everything
//!   it was computed from;
//! - [`recompute`]: a kept closure answer recomputed after a change, from
//!   the graph it printed.
//!
//! They read and write their files through [`crate::store`], and learn what
//! the loader read through [`crate::build_file::inputs`]: nothing below
//! this layer knows about it.

pub mod answers;
pub mod packages;
pub mod recompute;
