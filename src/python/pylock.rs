//! Reading a PEP 751 `pylock.toml` into a [`Lock`].
//!
//! A `pylock.toml` is a flat list: each `[[packages]]` entry says under which
//! `marker` it is installed, and PEP 751 makes that marker the whole rule
//! (`packages.dependencies` is informational only). So the imported graph is
//! flat too: the root depends on every package under its marker. The file's
//! `extras` and `dependency-groups` become the project's on/off selectors, read
//! in markers as `'x' in extras` and `'g' in dependency_groups`;
//! `default-groups` are on by default.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::lock::{check_version, Dist, Edge, Lock, LockFormat};
use super::marker::{normalize_name, shortened, Marker};
use crate::error::{Error, ErrorKind, Result};

#[derive(Deserialize)]
struct Pylock {
    #[serde(rename = "lock-version")]
    lock_version: Option<String>,
    #[serde(rename = "requires-python")]
    requires_python: Option<String>,
    #[serde(default)]
    extras: Vec<String>,
    #[serde(default, rename = "dependency-groups")]
    dependency_groups: Vec<String>,
    #[serde(default, rename = "default-groups")]
    default_groups: Vec<String>,
    #[serde(default)]
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    vcs: Option<toml::Value>,
    directory: Option<toml::Value>,
    archive: Option<toml::Value>,
}

fn import_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Import, message)
}

/// Reads a `pylock.toml`; `shown` names the file in errors.
pub fn parse(text: &str, shown: &str) -> Result<Lock> {
    let lock: Pylock = toml::from_str(text).map_err(|e| {
        import_error(format!(
            "{shown} is not a valid pylock.toml: {}",
            e.message()
        ))
    })?;
    match lock.lock_version.as_deref() {
        Some(v) if v == "1.0" || v.starts_with("1.") => {}
        Some(v) => {
            return Err(import_error(format!(
                "{shown}: lock-version {v} is not supported (sel reads 1.x)"
            )))
        }
        None => {
            return Err(import_error(format!(
                "{shown}: no `lock-version`: is it a pylock.toml?"
            )))
        }
    }
    let mut dists: Vec<Dist> = Vec::with_capacity(lock.packages.len() + 1);
    let mut root_deps = Vec::with_capacity(lock.packages.len());
    for p in &lock.packages {
        let entry =
            |e: String| import_error(format!("{shown}: package `{}`: {e}", shortened(&p.name)));
        let name = normalize_name(&p.name).map_err(entry)?;
        check_version(p.version.as_deref()).map_err(entry)?;
        let marker = match &p.marker {
            None => Marker::always(),
            Some(text) => Marker::parse(text).map_err(|e| entry(e.to_string()))?,
        };
        let source = if p.vcs.is_some() {
            "git"
        } else if p.directory.is_some() {
            "directory"
        } else if p.archive.is_some() {
            "url"
        } else {
            "registry"
        };
        root_deps.push(Edge {
            dist: dists.len(),
            extras: Vec::new(),
            marker,
        });
        dists.push(Dist {
            name,
            version: p.version.clone(),
            source: source.to_string(),
            path: p
                .directory
                .as_ref()
                .and_then(|d| d.get("path")?.as_str())
                .map(str::to_string),
            project: false,
            deps: Vec::new(),
            extras: BTreeMap::new(),
        });
    }
    let names = |list: &[String], field: &str| -> Result<Vec<String>> {
        list.iter()
            .map(|n| {
                normalize_name(n).map_err(|e| import_error(format!("{shown}: `{field}`: {e}")))
            })
            .collect()
    };
    dists.push(Dist {
        name: "root".to_string(),
        version: None,
        source: "virtual".to_string(),
        path: None,
        project: true,
        deps: root_deps,
        extras: BTreeMap::new(),
    });
    Ok(Lock {
        format: LockFormat::Pylock,
        requires_python: lock.requires_python,
        root: dists.len() - 1,
        dists,
        extras: names(&lock.extras, "extras")?,
        groups: names(&lock.dependency_groups, "dependency-groups")?,
        default_groups: names(&lock.default_groups, "default-groups")?,
    })
}
