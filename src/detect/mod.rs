//! Detection: the facts of the machine sel runs on, probed without running
//! any package's code, and the selector values they give (`sel detect`,
//! `--host`, `--host-from`; docs/detect.md).
//!
//! A [`Host`] maps each probe's name (`os`, `libc.version`, `x86_64.level`,
//! `cuda.driver`, `python.sys_platform`, ...) to a [`Fact`]: a value or
//! nothing, and where it came from (probed, overridden in the environment,
//! absent). The probes read the kernel's and the C library's answers
//! (`system.rs`), the CPU's feature flags (`cpu.rs`), the NVIDIA driver
//! (`nvidia.rs`, in a child process: loading a driver library can hang or
//! crash, and neither may take sel with it) and a Python interpreter's marker
//! environment (`python.rs`). A host is also a document, the snapshot
//! (`sel.host/v1`), written by `sel detect --output=json` and replayed with
//! `--host-from`, so a configuration found on one machine is the same
//! anywhere.
//!
//! `bind.rs` turns a fact into the value of a selector declared with
//! `detect = PROBE`; `configuration` uses it for `--host`. This module knows
//! selectors only as the plain data of `target_graph`, and nothing above.

pub(crate) mod bind;
mod cpu;
mod fact;
pub(crate) mod host;
pub mod nvidia;
mod python;
pub mod render;
mod system;

pub use bind::{bind, bound_probes, check_binding};
pub use cpu::{aarch64_features, x86_64_level, CpuInfo};
pub use fact::{override_var, probe, Fact, Kind, Probe, Source, Version, PROBES};
pub use host::{Host, Options, DEFAULT_TIMEOUT, SNAPSHOT_SCHEMA};
pub use render::{bound_values, Bound};
