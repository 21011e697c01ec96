//! Licenses: the SPDX expressions of `package(license = ...)`, the policy of
//! sel.toml's `[licenses]` table, and the reports of `sel licenses`.
//!
//! A license checker that reads the flat list of every possible dependency
//! flags a copyleft package that only a selector value nobody chose would pull
//! in. sel checks the configured truth instead: for one configuration
//! ([`Session::licenses`](crate::Session::licenses)), or for all of them at
//! once with the condition under which each package, and so each violation, is
//! present ([`Session::licenses_all`](crate::Session::licenses_all)).
//!
//! `license` holds an SPDX license expression (`MIT OR Apache-2.0`,
//! `GPL-3.0-only WITH Classpath-exception-2.0`, `LicenseRef-Vendor`), parsed by
//! the `spdx` crate against the SPDX license list. [`validate`] checks every
//! expression of the workspace when its files load, every branch of a select
//! too, so a typo is an error with a caret, not a silent "unknown". An empty
//! `license` means the license is unknown.

pub mod expression;
pub mod policy;
pub mod render;
pub mod report;

pub use expression::{canonical, parse, text_of, validate};
pub use policy::{Policy, PolicyConfig, Problem, Verdict};
pub use report::{Entry, LicenseReport, Violation};
