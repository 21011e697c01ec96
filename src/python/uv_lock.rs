//! Reading uv's `uv.lock` (lock format version 1) into a [`Lock`].
//!
//! A `uv.lock` is a graph: every `[[package]]` lists its `dependencies`, its
//! extras' dependencies (`optional-dependencies`) and, for workspace members,
//! its dependency groups (`dev-dependencies`); every edge may carry a PEP 508
//! `marker`. A dependency names its package by `name`, adding `version` and
//! `source` only where the name alone is ambiguous (a package locked at several
//! versions, "forks"). Wheel and sdist URLs, hashes and `[package.metadata]`
//! are not read.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::lock::{check_version, Dist, Edge, Lock, LockFormat};
use super::marker::{normalize_name, shortened, Atom, Marker, MarkerError};
use crate::error::{Error, ErrorKind, Result};

#[derive(Deserialize)]
struct UvLock {
    version: Option<i64>,
    #[serde(rename = "requires-python")]
    requires_python: Option<String>,
    #[serde(default)]
    package: Vec<UvPackage>,
    #[serde(default)]
    manifest: Manifest,
}

#[derive(Deserialize, Default)]
struct Manifest {
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Deserialize)]
struct UvPackage {
    name: String,
    version: Option<String>,
    #[serde(default)]
    source: toml::Table,
    #[serde(default)]
    dependencies: Vec<UvDep>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<UvDep>>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, Vec<UvDep>>,
    /// The project's `[tool.uv] default-groups`, when not uv's default (`dev`):
    /// a list, or `"all"`.
    #[serde(rename = "default-groups")]
    default_groups: Option<toml::Value>,
}

#[derive(Deserialize)]
struct UvDep {
    name: String,
    version: Option<String>,
    source: Option<toml::Table>,
    #[serde(default)]
    extra: Vec<String>,
    marker: Option<String>,
}

fn import_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Import, message)
}

/// Reads a `uv.lock`; `shown` names the file in errors.
pub fn parse(text: &str, shown: &str) -> Result<Lock> {
    let lock: UvLock = toml::from_str(text)
        .map_err(|e| import_error(format!("{shown} is not a valid uv.lock: {}", e.message())))?;
    match lock.version {
        Some(1) => {}
        Some(v) => {
            return Err(import_error(format!(
                "{shown}: lock format version {v} is not supported (sel reads version 1)"
            )))
        }
        None => {
            return Err(import_error(format!(
                "{shown}: no `version`: is it a uv.lock?"
            )))
        }
    }
    let source_kind = |source: &toml::Table| -> String {
        source
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "unknown".to_string())
    };
    let is_local_project = |p: &UvPackage| {
        ["virtual", "editable"]
            .iter()
            .any(|k| p.source.get(*k).and_then(|v| v.as_str()) == Some("."))
    };
    // Every name normalized (PEP 503: `Foo_Bar` and `foo-bar` are one
    // distribution, here locked at two versions), and refused when it is not a name.
    let names: Vec<String> = lock
        .package
        .iter()
        .map(|p| {
            normalize_name(&p.name)
                .and_then(|name| check_version(p.version.as_deref()).map(|()| name))
                .map_err(|e| {
                    import_error(format!("{shown}: package `{}`: {e}", shortened(&p.name)))
                })
        })
        .collect::<Result<_>>()?;
    // The packages of each name, and of each name and version, so that a
    // dependency is found without a scan (a name may be locked at many versions).
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_version: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        by_name.entry(name).or_default().push(i);
        if let Some(v) = &lock.package[i].version {
            by_version.entry((name, v)).or_default().push(i);
        }
    }
    let mut dists: Vec<Dist> = lock
        .package
        .iter()
        .zip(&names)
        .map(|(p, name)| Dist {
            name: name.clone(),
            version: p.version.clone(),
            source: source_kind(&p.source),
            path: ["editable", "virtual", "directory", "path"]
                .iter()
                .find_map(|k| p.source.get(*k)?.as_str())
                .map(str::to_string),
            project: ["virtual", "editable"]
                .iter()
                .any(|k| p.source.contains_key(*k)),
            deps: Vec::new(),
            extras: BTreeMap::new(),
        })
        .collect();
    let find = |dep: &UvDep, from: &str| -> Result<usize> {
        let name = normalize_name(&dep.name)
            .map_err(|e| import_error(format!("{shown}: a dependency of `{from}`: {e}")))?;
        let found = match &dep.version {
            Some(v) => by_version.get(&(name.as_str(), v.as_str())),
            None => by_name.get(name.as_str()),
        };
        let candidates: Vec<usize> = found
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| {
                let p = &lock.package[i];
                dep.version
                    .as_ref()
                    .is_none_or(|v| p.version.as_ref() == Some(v))
                    && dep.source.as_ref().is_none_or(|s| *s == p.source)
            })
            .collect();
        match candidates[..] {
            [one] => Ok(one),
            [] => Err(import_error(format!(
                "{shown}: `{from}` depends on `{}`{}, which the lock does not hold",
                dep.name,
                dep.version
                    .as_ref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default()
            ))),
            _ => Err(import_error(format!(
                "{shown}: `{from}` depends on `{}`, which the lock holds several times; the dependency does not say which",
                dep.name
            ))),
        }
    };
    let roots: Vec<usize> = lock
        .package
        .iter()
        .enumerate()
        .filter(|(_, p)| is_local_project(p))
        .map(|(i, _)| i)
        .collect();
    let root = match roots[..] {
        [one] => Some(one),
        [] => None,
        _ => {
            return Err(import_error(format!(
                "{shown}: several packages are the project at `.`"
            )))
        }
    };
    let project = root.map(|r| names[r].clone());
    let edge = |dep: &UvDep, from: &str, extra: Option<Atom>| -> Result<Edge> {
        let mut marker = match &dep.marker {
            None => Marker::always(),
            Some(text) => Marker::parse(text)
                .and_then(|m| {
                    m.try_map_atoms(&mut |a| conflict(a, project.as_deref()))
                        .map_err(|message| MarkerError {
                            marker: text.clone(),
                            message,
                        })
                })
                .map_err(|e| {
                    import_error(format!(
                        "{shown}: the dependency of `{from}` on `{}`: {e}",
                        dep.name
                    ))
                })?,
        };
        if let Some(a) = extra {
            marker = Marker::Atom(a).and(marker);
        }
        let extras = dep
            .extra
            .iter()
            .map(|e| normalize_name(e))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| {
                import_error(format!(
                    "{shown}: the dependency of `{from}` on `{}`: an extra: {e}",
                    dep.name
                ))
            })?;
        Ok(Edge {
            dist: find(dep, from)?,
            extras,
            marker,
        })
    };

    let mut root_extras = Vec::new();
    // The project's extras and groups so far: two spellings of one are one.
    let mut seen: std::collections::HashSet<(&str, String)> = std::collections::HashSet::new();
    let mut root_groups = Vec::new();
    for (i, p) in lock.package.iter().enumerate() {
        let from = format!("{} {}", p.name, p.version.as_deref().unwrap_or(""));
        let from = from.trim_end();
        let mut deps = Vec::new();
        for d in &p.dependencies {
            deps.push(edge(d, from, None)?);
        }
        let mut extras = BTreeMap::new();
        let checked = |name: &str, what: &str| {
            normalize_name(name)
                .map_err(|e| import_error(format!("{shown}: `{from}`: {what}: {e}")))
        };
        for (name, list) in &p.optional_dependencies {
            let name = checked(name, "an extra")?;
            let mut edges = Vec::new();
            for d in list {
                edges.push(edge(d, from, None)?);
            }
            if Some(i) == root {
                // The project's own extras are selectors: `extra == 'x'` on each edge.
                let atom = Atom::Extra {
                    name: name.clone(),
                    negated: false,
                };
                for d in list {
                    deps.push(edge(d, from, Some(atom.clone()))?);
                }
                if seen.insert(("extra", name.clone())) {
                    root_extras.push(name.clone());
                }
            }
            // Two spellings of one extra (`Cuda`, `cuda`) are one extra.
            extras.entry(name).or_insert_with(Vec::new).extend(edges);
        }
        if Some(i) == root {
            for (name, list) in &p.dev_dependencies {
                let name = checked(name, "a dependency group")?;
                let atom = Atom::Group {
                    name: name.clone(),
                    negated: false,
                };
                for d in list {
                    deps.push(edge(d, from, Some(atom.clone()))?);
                }
                if seen.insert(("group", name.clone())) {
                    root_groups.push(name);
                }
            }
        }
        dists[i].deps = deps;
        dists[i].extras = extras;
    }

    let root = match root {
        Some(r) => r,
        None => {
            // A virtual workspace root: no project at `.`; the root depends on every member.
            let members: Vec<usize> = lock
                .manifest
                .members
                .iter()
                .map(|m| {
                    let m = normalize_name(m)
                        .map_err(|e| import_error(format!("{shown}: a workspace member: {e}")))?;
                    dists
                        .iter()
                        .position(|d| d.project && d.name == m)
                        .ok_or_else(|| {
                            import_error(format!(
                                "{shown}: the workspace member `{m}` is not in the lock"
                            ))
                        })
                })
                .collect::<Result<_>>()?;
            if members.is_empty() {
                return Err(import_error(format!(
                    "{shown}: no package is the project at `.` and there are no workspace members"
                )));
            }
            dists.push(Dist {
                name: "root".to_string(),
                version: None,
                source: "virtual".to_string(),
                path: Some(".".to_string()),
                project: true,
                deps: members
                    .into_iter()
                    .map(|dist| Edge {
                        dist,
                        extras: Vec::new(),
                        marker: Marker::always(),
                    })
                    .collect(),
                extras: BTreeMap::new(),
            });
            dists.len() - 1
        }
    };
    // uv installs the `dev` group unless the project says otherwise, which the
    // lock records on the project as `default-groups`.
    let declared = lock
        .package
        .get(root)
        .and_then(|p| p.default_groups.as_ref());
    let default_groups: Vec<String> = match declared {
        Some(toml::Value::String(all)) if all == "all" => root_groups.clone(),
        Some(toml::Value::Array(list)) => list
            .iter()
            .filter_map(|g| g.as_str())
            .map(|g| {
                normalize_name(g)
                    .map_err(|e| import_error(format!("{shown}: `default-groups`: {e}")))
            })
            .collect::<Result<_>>()?,
        Some(other) => {
            return Err(import_error(format!(
                "{shown}: `default-groups = {other}` is neither a list of groups nor \"all\""
            )))
        }
        None => root_groups
            .iter()
            .filter(|g| *g == "dev")
            .cloned()
            .collect(),
    };
    Ok(Lock {
        format: LockFormat::UvLock,
        requires_python: lock.requires_python,
        root,
        dists,
        extras: root_extras,
        groups: root_groups.clone(),
        default_groups,
    })
}

/// uv writes the extras and dependency groups of the project that conflict with
/// each other (`[tool.uv] conflicts`) as `extra == 'extra-N-PROJECT-NAME'` and
/// `extra == 'group-N-PROJECT-NAME'` (N the length of PROJECT): they are the
/// project's extra or group NAME being on. sel does not forbid the combinations
/// uv refuses to install; it answers for them as for any other.
fn conflict(atom: Atom, project: Option<&str>) -> std::result::Result<Atom, String> {
    let Atom::Extra { name, negated } = &atom else {
        return Ok(atom);
    };
    for (prefix, group) in [("extra-", false), ("group-", true)] {
        let Some((len, rest)) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once('-'))
        else {
            continue;
        };
        let Ok(len) = len.parse::<usize>() else {
            continue;
        };
        let (Some(owner), Some(local)) = (rest.get(..len), rest.get(len + 1..)) else {
            continue;
        };
        if rest.as_bytes().get(len) != Some(&b'-') || local.is_empty() {
            continue;
        }
        if Some(owner) != project {
            return Err(format!(
                "`extra == '{name}'` is uv's marker for a conflicting extra or group of the workspace member `{owner}`; sel imports conflicts of the project only"
            ));
        }
        let name = local.to_string();
        let negated = *negated;
        return Ok(if group {
            Atom::Group { name, negated }
        } else {
            Atom::Extra { name, negated }
        });
    }
    Ok(atom)
}
