//! `sel_graph._sel`: sel as a Python extension module, and the wheel's `sel`
//! command.
//!
//! The API is the library's, and every answer is the JSON document the CLI
//! prints with `--output=json`, built by the same functions
//! (`sel::output::json::result`, `sel::output::all_configs::json`,
//! `sel::license::render::json`, ...) and handed to Python as plain data
//! (dicts, lists, strings): Python and the CLI agree by construction.
//! Errors become `sel_graph.SelError` (defined in Python, `_error.py`) with
//! the stable code, the message and the place.
//!
//! The `sel` command of the wheel is a console script that calls [`main`]:
//! the CLI run in-process, by the binary's own command modules
//! (`src/bin/sel/commands/`, `answer.rs`, `last_resort.rs`), included here
//! by path rather than moved, so the binary and the wheel's command cannot
//! drift apart. maturin cannot put a Rust binary and an extension module in
//! one wheel (maturin issue 368), so the command is this module's.

// The binary's modules, as they are: `commands` names `crate::answer`, and
// the allocator's handler is `last_resort::too_large`. What the binary uses
// and the module does not (its exit-code guard) is not dead code there.
#[allow(dead_code)]
#[path = "../../src/bin/sel/answer.rs"]
mod answer;
#[allow(dead_code)]
#[path = "../../src/bin/sel/commands/mod.rs"]
mod commands;
#[allow(dead_code)]
#[path = "../../src/bin/sel/last_resort.rs"]
mod last_resort;
#[path = "../../src/bin/sel/report.rs"]
mod report;

mod cli;
mod convert;

use std::path::PathBuf;

use pyo3::prelude::*;
use serde_json::Value as Json;

use sel::error::{Error, ErrorKind};
use sel::output::{Command as OutputCommand, Format, Options, Order};
use sel::{Request, Session};

use convert::{raise, to_py};

// The binary's allocator: a BUILD file's evaluation is counted against its
// memory budget here too (see `sel::build_file::memory`).
#[global_allocator]
static GLOBAL: sel::build_file::memory::Budgeted<mimalloc::MiMalloc> =
    sel::build_file::memory::Budgeted::new(mimalloc::MiMalloc, last_resort::too_large);

/// A loaded workspace: `sel_graph.Workspace(path)`.
#[pyclass(module = "sel_graph._sel", name = "Workspace", frozen)]
struct Workspace {
    session: Session,
}

/// The most operations on decision diagrams an all-configurations
/// `deps(PATTERN)` tries before it is answered with sums of products, as
/// `sel cquery --all-configs` does (src/bin/sel/commands/cquery.rs).
const FIRST_ATTEMPT_STEPS: u64 = 1 << 22;

#[pymethods]
impl Workspace {
    /// Finds the workspace around `path` (the nearest directory upward with
    /// `sel.toml`) and loads it; `cache=False` is `--no-cache`.
    #[new]
    #[pyo3(signature = (path = None, *, cache = true))]
    fn new(py: Python<'_>, path: Option<PathBuf>, cache: bool) -> PyResult<Self> {
        let dir = path.unwrap_or_else(|| PathBuf::from("."));
        if !dir.is_dir() {
            return Err(raise(
                py,
                Error::new(
                    ErrorKind::Usage,
                    format!("{}: no such directory", dir.display()),
                ),
            ));
        }
        let session = py
            .detach(|| Session::open_with(&dir, cache))
            .map_err(|e| raise(py, e))?;
        Ok(Workspace { session })
    }

    /// The workspace root: the directory that holds `sel.toml`.
    #[getter]
    fn root(&self) -> String {
        self.session.workspace.root.display().to_string()
    }

    /// `sel query EXPR --output=json`.
    fn query(&self, py: Python<'_>, expr: &str) -> PyResult<Py<PyAny>> {
        let s = &self.session;
        let doc = py.detach(|| {
            sel::condition::guard(|| {
                let result = s.query(expr)?;
                Ok(sel::output::json::result(
                    &s.graph,
                    &result,
                    &options(OutputCommand::Query, expr),
                ))
            })
        });
        answer(py, doc)
    }

    /// `sel cquery EXPR --output=json` with `--select`, `--platform`,
    /// `--config` and `--allow-clashes`.
    #[pyo3(signature = (expr, *, select = None, platform = None, config = None, allow_clashes = false))]
    fn cquery(
        &self,
        py: Python<'_>,
        expr: &str,
        select: Option<&Bound<'_, PyAny>>,
        platform: Option<String>,
        config: Option<String>,
        allow_clashes: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = self.request(py, select, platform, config)?;
        let s = &self.session;
        let doc = py.detach(|| {
            sel::condition::guard(|| {
                let (result, _) = s.cquery_keeping(expr, &request, true, None, allow_clashes)?;
                Ok(sel::output::json::result(
                    &s.graph,
                    &result,
                    &options(OutputCommand::Cquery, expr),
                ))
            })
        });
        answer(py, doc)
    }

    /// `sel cquery EXPR --all-configs --output=json`.
    #[pyo3(signature = (expr, *, select = None, platform = None, config = None))]
    fn all_configs(
        &self,
        py: Python<'_>,
        expr: &str,
        select: Option<&Bound<'_, PyAny>>,
        platform: Option<String>,
        config: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let request = self.request(py, select, platform, config)?;
        let s = &self.session;
        let doc = py.detach(|| sel::condition::guard(|| every_configuration(s, expr, &request)));
        answer(py, doc)
    }

    /// `sel licenses EXPR --output=json` (with `--check`, `--all-configs`).
    /// Violations do not raise: the document's `check.ok` says what the
    /// CLI's exit status says.
    #[pyo3(signature = (expr, *, select = None, platform = None, config = None, check = false, all_configs = false))]
    #[allow(clippy::too_many_arguments)]
    fn licenses(
        &self,
        py: Python<'_>,
        expr: &str,
        select: Option<&Bound<'_, PyAny>>,
        platform: Option<String>,
        config: Option<String>,
        check: bool,
        all_configs: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = self.request(py, select, platform, config)?;
        let s = &self.session;
        let doc = py.detach(|| {
            sel::condition::guard(|| {
                let report = if all_configs {
                    s.licenses_all(expr, &request, check)?
                } else {
                    s.licenses(expr, &request, check)?
                };
                Ok(sel::license::render::json(&report))
            })
        });
        answer(py, doc)
    }

    /// `sel sbom EXPR` (`--format cyclonedx|spdx`, `--all-configs`). `created`
    /// (seconds since 1970) is the document's time; by default
    /// `SOURCE_DATE_EPOCH`'s, as for the CLI.
    #[pyo3(signature = (expr, *, format = "cyclonedx", select = None, platform = None, config = None, all_configs = false, created = None))]
    #[allow(clippy::too_many_arguments)]
    fn sbom(
        &self,
        py: Python<'_>,
        expr: &str,
        format: &str,
        select: Option<&Bound<'_, PyAny>>,
        platform: Option<String>,
        config: Option<String>,
        all_configs: bool,
        created: Option<i64>,
    ) -> PyResult<Py<PyAny>> {
        let spdx = match format {
            "cyclonedx" => false,
            "spdx" => true,
            other => {
                return Err(raise(
                    py,
                    Error::new(
                        ErrorKind::Usage,
                        format!("format={other:?}: expected \"cyclonedx\" or \"spdx\""),
                    ),
                ))
            }
        };
        let created = match created {
            Some(t) => Some(t),
            None => commands::source_date_epoch().map_err(|e| raise(py, e))?,
        };
        let request = self.request(py, select, platform, config)?;
        let s = &self.session;
        let doc = py.detach(|| {
            sel::condition::guard(|| {
                let sbom = if all_configs {
                    s.sbom_all(expr, &request)?
                } else {
                    s.sbom(expr, &request)?
                };
                let options = sel::sbom::Options { created };
                Ok(if spdx {
                    sel::sbom::spdx::document(&sbom, &options)
                } else {
                    sel::sbom::cyclonedx::document(&sbom, &options)
                })
            })
        });
        answer(py, doc)
    }

    /// `sel check PATTERN --output=json`: findings do not raise; the
    /// document lists them (errors and warnings).
    #[pyo3(signature = (pattern = "//...", *, select = None, platform = None, config = None))]
    fn check(
        &self,
        py: Python<'_>,
        pattern: &str,
        select: Option<&Bound<'_, PyAny>>,
        platform: Option<String>,
        config: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let request = self.request(py, select, platform, config)?;
        let s = &self.session;
        let doc = py.detach(|| {
            sel::condition::guard(|| {
                let report = s.check(pattern, &request)?;
                Ok(sel::output::all_configs::check_json(&report))
            })
        });
        answer(py, doc)
    }

    fn __repr__(&self) -> String {
        format!("Workspace({:?})", self.session.workspace.root.display())
    }
}

impl Workspace {
    /// The configuration the keyword arguments ask for, as `--select`,
    /// `--platform` and `--config` give it to the CLI (the same lookup of
    /// the named configuration in sel.toml).
    fn request(
        &self,
        py: Python<'_>,
        select: Option<&Bound<'_, PyAny>>,
        platform: Option<String>,
        config: Option<String>,
    ) -> PyResult<Request> {
        let selects = match select {
            None => Vec::new(),
            Some(mapping) => selects_of(mapping)?,
        };
        // `--host` (main's `sel detect`) is not offered by the API yet.
        let args = sel::cli::ConfigArgs {
            selects,
            platform,
            config,
            host: false,
            host_from: None,
            python: None,
        };
        commands::request(&self.session, &args).map_err(|e| raise(py, e))
    }
}

/// `{"cuda": "12", "//flags:cpu": "x86-64-v3"}` as `--select` arguments, in
/// the mapping's order.
fn selects_of(mapping: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if mapping.is_instance_of::<pyo3::types::PyString>() || !mapping.hasattr("items")? {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "select must be a mapping of selector (label or unique name) to value, e.g. {\"cuda\": \"12\"}",
        ));
    }
    let mut selects = Vec::new();
    for item in mapping.call_method0("items")?.try_iter()? {
        let (name, value): (String, String) = item?.extract().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "select must map selector names (str) to values (str)",
            )
        })?;
        selects.push(format!("{name}={value}"));
    }
    Ok(selects)
}

/// The options of a `query` or `cquery` JSON document.
fn options(command: OutputCommand, expr: &str) -> Options {
    Options {
        format: Format::Json,
        order: Order::Sorted,
        command,
        query: expr.to_string(),
    }
}

/// `cquery --all-configs --output=json`, as the CLI answers it: a
/// `deps(PATTERN)` query whose conditions have no small decision diagram is
/// answered again with sums of products (the same document).
fn every_configuration(s: &Session, expr: &str, request: &Request) -> sel::Result<Json> {
    let covers_apply = sel::deps_of_pattern(expr).is_some();
    let diagrams = if covers_apply {
        sel::condition::with_steps(FIRST_ATTEMPT_STEPS, || s.cquery_all(expr, request))
    } else {
        s.cquery_all(expr, request)
    };
    match diagrams {
        Ok(result) => Ok(sel::output::all_configs::json(&result, expr)),
        Err(e) if covers_apply && e.kind == ErrorKind::ConditionsTooLarge => {
            let covers = s
                .cquery_all_covers(expr, request)?
                .expect("a deps(PATTERN) query");
            Ok(sel::output::all_configs::covers_json(&covers, expr))
        }
        Err(e) => Err(e),
    }
}

/// A document as Python data, or the error raised.
fn answer(py: Python<'_>, doc: sel::Result<Json>) -> PyResult<Py<PyAny>> {
    match doc {
        Ok(doc) => Ok(to_py(py, &doc)?.unbind()),
        Err(e) => Err(raise(py, e)),
    }
}

/// `sel import LOCKFILE --out DIR`: writes the workspace and returns the
/// paths of the files written (each under `out`), as the CLI prints them.
#[pyfunction]
fn import_lock(py: Python<'_>, lockfile: PathBuf, out: PathBuf) -> PyResult<Vec<String>> {
    let written = py
        .detach(|| sel::python::import(&lockfile, &out))
        .map_err(|e| raise(py, e))?;
    Ok(written
        .into_iter()
        .map(|p| out.join(p).display().to_string())
        .collect())
}

/// The `sel` command: runs the CLI on `argv` (the program name first) and
/// returns its exit status.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> i32 {
    py.detach(|| cli::run(argv))
}

#[pymodule]
fn _sel(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Panics reported as the binary reports them; one in an API call then
    // raises pyo3's PanicException.
    report::install_panic_hook();
    m.add_class::<Workspace>()?;
    m.add_function(wrap_pyfunction!(import_lock, m)?)?;
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
