//! From sel's data to Python's: JSON documents as dicts and lists, errors as
//! `sel_graph.SelError`.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use serde_json::Value as Json;

/// A JSON value as plain Python data: objects as dicts (keys in the
/// document's order), arrays as lists, numbers as int or float.
pub fn to_py<'py>(py: Python<'py>, v: &Json) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Json::Null => py.None().into_bound(py),
        Json::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            (None, None) => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Json::String(s) => PyString::new(py, s).into_any(),
        Json::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Json::Object(fields) => {
            let dict = PyDict::new(py);
            for (key, value) in fields {
                dict.set_item(key, to_py(py, value)?)?;
            }
            dict.into_any()
        }
    })
}

/// A sel error as `sel_graph.SelError(code, message, file, line, column,
/// help, notes, label)`: the stable code (`sel::no_match`), and where the
/// error points, the file as the CLI shows it (relative to the workspace
/// root; `<query>` for the query text, `<argument>` for a `select` value)
/// with the 1-based line and column.
pub fn raise(py: Python<'_>, e: sel::Error) -> PyErr {
    let (file, line, column) = match &e.location {
        Some(at) => {
            let (line, column) = at.line_col().unzip();
            (Some(at.name().to_string()), line, column)
        }
        None => (None, None, None),
    };
    let built = py
        .import("sel_graph._error")
        .and_then(|module| module.getattr("SelError"))
        .and_then(|class| {
            class.call1((
                e.kind.code(),
                e.message.clone(),
                file,
                line,
                column,
                e.help.clone(),
                e.notes.clone(),
                e.label.clone(),
            ))
        });
    match built {
        Ok(exception) => PyErr::from_value(exception),
        Err(failed) => failed,
    }
}
