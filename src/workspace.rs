//! The workspace: its root (the nearest `sel.toml` upward), its settings, and
//! its packages (directories with a `BUILD.sel` or `BUILD` file).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Location, Result, Source};

/// The name of the file that marks the workspace root.
pub const MARKER: &str = "sel.toml";

/// A workspace on disk.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The absolute root directory (holds `sel.toml`).
    pub root: PathBuf,
    /// The parsed `sel.toml`.
    pub settings: Settings,
    /// The package the command was started in, `""` at the root or outside any package path.
    pub cwd_package: String,
}

/// `sel.toml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// More directories (paths from the root) never searched for packages.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Named configurations: `[config.gpu] select = { cuda = "12" }`, used as `--config gpu`.
    #[serde(default)]
    pub config: BTreeMap<String, NamedConfig>,
    /// The license policy of `sel licenses --check` (docs/licenses.md).
    #[serde(default)]
    pub licenses: Option<crate::license::PolicyConfig>,
}

/// A named configuration of `sel.toml`, like a `.bazelrc` `--config`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedConfig {
    /// Selector values, by label or unique short name. A TOML integer is
    /// taken as its text (`cuda = 12` is `cuda = "12"`).
    #[serde(default, deserialize_with = "selector_values")]
    pub select: BTreeMap<String, String>,
    /// A platform label.
    #[serde(default)]
    pub platform: Option<String>,
}

/// `{ cuda = "12", cpu = 3 }`: values are strings, or integers taken as their text.
fn selector_values<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, String>, D::Error> {
    struct Text(String);
    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            struct Visitor;
            impl serde::de::Visitor<'_> for Visitor {
                type Value = Text;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a selector value: a string, such as \"12\"")
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Text, E> {
                    Ok(Text(v.to_string()))
                }
                fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Text, E> {
                    Ok(Text(v.to_string()))
                }
                fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Text, E> {
                    Ok(Text(v.to_string()))
                }
            }
            d.deserialize_any(Visitor)
        }
    }
    let map = BTreeMap::<String, Text>::deserialize(d)?;
    Ok(map.into_iter().map(|(k, Text(v))| (k, v)).collect())
}

/// A package found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageDir {
    /// The package path, `""` for the root.
    pub name: String,
    /// The BUILD file's absolute path.
    pub build_file: PathBuf,
}

impl Workspace {
    /// Finds the workspace containing `start` (a directory), reading its `sel.toml`.
    pub fn discover(start: &Path) -> Result<Workspace> {
        let start = start.canonicalize().map_err(|e| {
            Error::new(
                ErrorKind::Workspace,
                format!("cannot use directory `{}`: {e}", start.display()),
            )
        })?;
        let root = start
            .ancestors()
            .find(|d| d.join(MARKER).is_file())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Workspace,
                    format!(
                        "no `{MARKER}` in `{}` or any directory above it: not inside a sel workspace",
                        start.display()
                    ),
                )
                .with_help(format!(
                    "create an empty `{MARKER}` at the workspace root, or run sel with `-C DIR` pointing into a workspace"
                ))
            })?
            .to_path_buf();
        let settings = Settings::read(&root.join(MARKER))?;
        let rel = start.strip_prefix(&root).unwrap_or(Path::new(""));
        let mut cwd = rel.to_string_lossy().replace('\\', "/");
        // Relative labels resolve in the nearest enclosing package directory.
        while !cwd.is_empty() && !has_build_file(&root.join(&cwd)) {
            cwd = cwd
                .rsplit_once('/')
                .map_or(String::new(), |(p, _)| p.to_string());
        }
        Ok(Workspace {
            root,
            settings,
            cwd_package: cwd,
        })
    }

    /// How a path is shown to the user: relative to the root when inside it.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// A file source for error locations.
    pub fn source(&self, path: &Path) -> Source {
        Source::file(self.shown(path), path)
    }

    /// Every package of the workspace, sorted by path.
    pub fn packages(&self) -> Result<Vec<PackageDir>> {
        let mut out = Vec::new();
        self.walk(&self.root, "", &mut out)?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The package at `name`, if that directory has a BUILD file.
    pub fn package_dir(&self, name: &str) -> Option<PackageDir> {
        if self.is_ignored(name) || name.split('/').any(|p| p.starts_with('.')) {
            return None;
        }
        let dir = self.root.join(name);
        build_file_in(&dir).map(|build_file| PackageDir {
            name: name.to_string(),
            build_file,
        })
    }

    fn is_ignored(&self, rel: &str) -> bool {
        self.settings.ignore.iter().any(|i| {
            let i = i.trim_end_matches('/');
            rel == i || rel.starts_with(&format!("{i}/"))
        })
    }

    fn walk(&self, dir: &Path, rel: &str, out: &mut Vec<PackageDir>) -> Result<()> {
        if let Some(build_file) = build_file_in(dir) {
            // A package whose path no label can spell (`my pkg`) would print as a
            // label that does not parse: refuse it here, where the user can see why.
            if let Err(e) = crate::label::check_package(rel) {
                return Err(Error::new(
                    ErrorKind::Workspace,
                    format!(
                        "`{}` would make `{rel}` a package, which no label can name: {e}",
                        self.shown(&build_file)
                    ),
                )
                .with_help(format!(
                    "rename the directory, or add \"{rel}\" to `ignore` in `{MARKER}`"
                )));
            }
            out.push(PackageDir {
                name: rel.to_string(),
                build_file,
            });
        }
        let entries = std::fs::read_dir(dir).map_err(|e| {
            Error::new(
                ErrorKind::Workspace,
                format!("cannot read directory `{}`: {e}", dir.display()),
            )
        })?;
        let mut subdirs: Vec<(String, PathBuf)> = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if !is_dir {
                continue;
            }
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if self.is_ignored(&child) {
                continue;
            }
            subdirs.push((child, entry.path()));
        }
        subdirs.sort();
        for (child, path) in subdirs {
            self.walk(&path, &child, out)?;
        }
        Ok(())
    }
}

fn build_file_in(dir: &Path) -> Option<PathBuf> {
    ["BUILD.sel", "BUILD"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

fn has_build_file(dir: &Path) -> bool {
    build_file_in(dir).is_some()
}

impl Settings {
    /// Reads and parses `sel.toml`; an error points at the offending line.
    pub fn read(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Workspace,
                format!("cannot read `{}`: {e}", path.display()),
            )
        })?;
        toml::from_str(&text).map_err(|e| {
            let location = e.span().map(|span| Location {
                source: Source::file(MARKER, path),
                span,
            });
            Error::new(
                ErrorKind::Workspace,
                format!("invalid `{MARKER}`: {}", e.message()),
            )
            .at(location)
        })
    }
}
