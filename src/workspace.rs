//! The workspace: its root (the nearest `sel.toml` upward), its settings, and
//! its packages (directories with a `BUILD.sel` or `BUILD` file).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::FileType;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Location, Result, Source};
use crate::store::{FileState, Hash, Stamp};

/// The name of the file that marks the workspace root.
pub const MARKER: &str = "sel.toml";

/// A workspace on disk.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The absolute root directory (holds `sel.toml`).
    pub root: PathBuf,
    /// The parsed `sel.toml`.
    pub settings: Settings,
    /// The state of `sel.toml` as read: one of the answer cache's inputs.
    pub settings_state: FileState,
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
    /// `[licenses]`, the policy of `sel licenses --check` (docs/licenses.md):
    /// accepted here as written, and read by `license`, which owns it, from
    /// [`Settings::text`] (so that its errors point into `sel.toml`).
    #[serde(default)]
    pub licenses: Option<toml::Value>,
    /// The text of `sel.toml`, for the modules that read their own tables.
    #[serde(skip)]
    pub text: String,
}

/// A named configuration of `sel.toml`, like a `.bazelrc` `--config`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedConfig {
    /// Selector values, by label or unique short name. A TOML integer or
    /// boolean is taken as its text (`cuda = 12` is `cuda = "12"`), an array
    /// of strings (a `string_list_flag`'s value) as its elements joined with
    /// commas (`features = ["avx2", "fma"]` is `"avx2,fma"`).
    #[serde(default, deserialize_with = "selector_values")]
    pub select: BTreeMap<String, String>,
    /// A platform label.
    #[serde(default)]
    pub platform: Option<String>,
}

/// `{ cuda = "12", cpu = 3, fast = true, features = ["avx2"] }`: values are
/// strings, integers and booleans taken as their text, or arrays of strings
/// taken as their elements joined with commas.
fn selector_values<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, String>, D::Error> {
    struct Text(String);
    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = Text;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a selector value: a string (\"12\"), an integer, a boolean, or an array of strings")
                }
                fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<Text, E> {
                    Ok(Text(v.to_string()))
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> std::result::Result<Text, A::Error> {
                    let mut elements: Vec<String> = Vec::new();
                    while let Some(e) = seq.next_element::<String>()? {
                        if e.is_empty() || e.contains(',') {
                            return Err(serde::de::Error::custom(format!(
                                "the element {e:?} is empty or has a comma"
                            )));
                        }
                        elements.push(e);
                    }
                    Ok(Text(elements.join(",")))
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
        let marker = root.join(MARKER);
        // The stamp is taken before the file is read, as the caches expect.
        let stamp = Stamp::of(&marker);
        let (settings, hash) = Settings::read(&marker)?;
        let settings_state = FileState::new(hash, stamp);
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
            settings_state,
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
    pub fn source(&self, path: &Path) -> std::sync::Arc<Source> {
        Source::file(self.shown(path), path)
    }

    /// Every package of the workspace, sorted by path.
    pub fn packages(&self) -> Result<Vec<PackageDir>> {
        let mut out = self.walk(&self.root, "", None, &Links::at(&self.root))?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Every package of the workspace, as [`Workspace::packages`] finds
    /// them, using and refreshing the record of the last walk in
    /// `.sel-cache/` (`Listing`): while no directory that walk listed has
    /// changed, its packages are the workspace's, and finding them takes a
    /// `stat` per directory instead of a listing.
    pub fn packages_cached(&self) -> Result<Vec<PackageDir>> {
        if let Some(listing) = Listing::read(&self.root) {
            if listing.settings == self.settings_state.hash && listing.holds() {
                crate::timing::phase("directories unchanged");
                return Ok(listing.packages());
            }
        }
        let walked = crate::store::now();
        let listed = Listed::default();
        let mut out = self.walk(&self.root, "", Some(&listed), &Links::at(&self.root))?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        crate::timing::phase("walk");
        if let Some(listing) = Listing::new(self, &out, listed, walked) {
            listing.write(&self.root);
        }
        Ok(out)
    }

    /// The package at `name`, if that directory has a BUILD file.
    pub fn package_dir(&self, name: &str) -> Option<PackageDir> {
        if self.is_ignored(name) || name.split('/').any(|p| p.starts_with('.')) {
            return None;
        }
        let dir = self.root.join(name);
        let build_file = build_file_in(&dir)?;
        // A label through a link to one of its own ancestors names no
        // package, as the walk finds none there (it reports the link).
        let mut links = Links::at(&self.root);
        let mut prefix = self.root.clone();
        for part in name.split('/').filter(|p| !p.is_empty()) {
            prefix.push(part);
            links = links.enter(&prefix, part, None).ok()??;
        }
        Some(PackageDir {
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

    /// The packages at and below `dir`, in depth-first order with sorted
    /// subdirectories. Subdirectories are walked in parallel (a large
    /// workspace has tens of thousands of directories); the error reported is
    /// the first in that order, the one a walk one directory at a time meets.
    /// With `listed`, every directory listed is added to it.
    ///
    /// A symbolic link to a directory is followed, as Bazel does (labels
    /// find the package there too); one that leads back to a directory the
    /// walk is inside (`d/up -> ..`) is an error, not an endless walk.
    fn walk(
        &self,
        dir: &Path,
        rel: &str,
        listed: Option<&Listed>,
        links: &Links,
    ) -> Result<Vec<PackageDir>> {
        if let Some(listed) = listed {
            listed
                .dirs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(dir.to_path_buf());
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                // A package directory's name is checked before its contents are read.
                if let Some(build_file) = build_file_in(dir) {
                    self.package_here(rel, build_file)?;
                }
                return Err(Error::new(
                    ErrorKind::Workspace,
                    format!("cannot read directory `{}`: {e}", dir.display()),
                ));
            }
        };
        let mut listing: Vec<(OsString, Option<FileType>)> = Vec::new();
        let mut subdirs: Vec<(String, PathBuf, Links)> = Vec::new();
        for entry in entries.flatten() {
            let file_type = entry.file_type().ok();
            let name = entry.file_name().to_string_lossy().to_string();
            let linked = file_type.is_some_and(|t| t.is_symlink());
            let is_dir = if linked {
                // Where a link points can change without its directory
                // changing: such a walk is never taken from its record.
                if let Some(listed) = listed {
                    listed
                        .asked
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
                entry.path().is_dir()
            } else {
                file_type.is_some_and(|t| t.is_dir())
            };
            if is_dir && !name.starts_with('.') {
                let child = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                if !self.is_ignored(&child) {
                    let path = entry.path();
                    let inner = links.enter(&path, &name, Some(linked)).map_err(|target| {
                        // As the link says it, and where that is.
                        let says = std::fs::read_link(&path)
                            .map_or_else(|_| String::new(), |t| t.display().to_string());
                        Error::new(
                            ErrorKind::Workspace,
                            format!(
                                "infinite symlink expansion: `{child}` links to `{says}` ({}), a directory that contains it",
                                target.display()
                            ),
                        )
                        .with_help(format!(
                            "remove the link, or add \"{child}\" to `ignore` in `{MARKER}`"
                        ))
                    })?;
                    if let Some(inner) = inner {
                        subdirs.push((child, path, inner));
                    }
                }
            }
            listing.push((entry.file_name(), file_type));
        }
        let mut out = Vec::new();
        let (build_file, asked) = build_file_listed(dir, &listing);
        if let (true, Some(listed)) = (asked, listed) {
            listed
                .asked
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(build_file) = build_file {
            out.push(self.package_here(rel, build_file)?);
        }
        subdirs.sort_by(|a, b| a.0.cmp(&b.0));
        let below: Vec<Result<Vec<PackageDir>>> = subdirs
            .par_iter()
            .map(|(child, path, inner)| self.walk(path, child, listed, inner))
            .collect();
        for packages in below {
            out.extend(packages?);
        }
        Ok(out)
    }

    /// The package at `rel`, whose BUILD file is `build_file`.
    fn package_here(&self, rel: &str, build_file: PathBuf) -> Result<PackageDir> {
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
        Ok(PackageDir {
            name: rel.to_string(),
            build_file,
        })
    }
}

/// Where a walk (or a label's path) really is, to tell a symbolic link
/// that leads back into a directory it is already inside.
#[derive(Clone, Debug)]
struct Links {
    /// The real path of the current directory.
    real: PathBuf,
    /// The real paths of the directories links were followed from.
    left: Vec<PathBuf>,
}

impl Links {
    /// At the workspace root (a canonical path).
    fn at(root: &Path) -> Links {
        Links {
            real: root.to_path_buf(),
            left: Vec::new(),
        }
    }

    /// Into the subdirectory `name`, at `path`; `linked`: whether it is a
    /// symbolic link (to be followed), if known. `Ok(None)` for a link into
    /// a Bazel output base (`bazel-bin`, `bazel-out`, ...), which Bazel does
    /// not follow either: its build outputs and external repositories are
    /// not packages of the workspace. `Err` with the link's target if that
    /// target contains a directory the walk is inside: following it would
    /// never end (Bazel's "infinite symlink expansion").
    fn enter(
        &self,
        path: &Path,
        name: &str,
        linked: Option<bool>,
    ) -> std::result::Result<Option<Links>, PathBuf> {
        let linked = linked.unwrap_or_else(|| {
            std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        });
        let plain = || {
            Some(Links {
                real: self.real.join(name),
                left: self.left.clone(),
            })
        };
        if !linked {
            return Ok(plain());
        }
        let Ok(target) = path.canonicalize() else {
            // A dangling link: nothing is there to walk.
            return Ok(plain());
        };
        if std::iter::once(&self.real)
            .chain(&self.left)
            .any(|inside| inside.starts_with(&target))
        {
            return Err(target);
        }
        if in_output_base(&target) {
            return Ok(None);
        }
        let mut left = self.left.clone();
        left.push(self.real.clone());
        Ok(Some(Links { real: target, left }))
    }
}

/// Whether `target` (a canonical path) is inside a Bazel output base: below
/// an `execroot` directory that holds Bazel's `DO_NOT_BUILD_HERE` marker
/// (in itself or in its workspace's directory), as the convenience links
/// `bazel-bin`, `bazel-out`, `bazel-testlogs` and `bazel-<workspace>` are.
fn in_output_base(target: &Path) -> bool {
    let mut dir = PathBuf::new();
    let mut parts = target.components().peekable();
    while let Some(part) = parts.next() {
        dir.push(part);
        if part.as_os_str() == "execroot" {
            let marker = "DO_NOT_BUILD_HERE";
            let inner = parts.peek().map(|p| dir.join(p).join(marker));
            if dir.join(marker).is_file() || inner.is_some_and(|m| m.is_file()) {
                return true;
            }
        }
    }
    false
}

/// What a walk saw: the directories it listed, and whether it had to ask
/// the file system about an entry (a symbolic link, say) rather than read
/// its type from the listing.
#[derive(Default)]
struct Listed {
    dirs: std::sync::Mutex<Vec<PathBuf>>,
    asked: std::sync::atomic::AtomicBool,
}

/// What a walk found, and the directories it listed with their stamps, as
/// kept in `.sel-cache/listing.v1`. While every directory has the stamp it
/// had, and had settled before the walk started, a walk would find the same
/// packages: adding, removing or renaming an entry of a directory changes
/// its modification time (the reasoning of git's untracked cache). What the
/// walk skips depends on `sel.toml`, so the record holds its hash too.
#[derive(serde::Serialize, Deserialize)]
struct Listing {
    sel: String,
    root: PathBuf,
    /// The hash of `sel.toml` when the walk ran.
    settings: Hash,
    /// When the walk started, in nanoseconds since the epoch.
    walked: i128,
    /// Every directory listed, with its stamp.
    dirs: Vec<(PathBuf, Stamp)>,
    /// The packages found: name and BUILD file.
    packages: Vec<(String, PathBuf)>,
}

impl Listing {
    const FILE: &'static str = "listing.v1";
    const MAGIC: &'static [u8; 8] = b"sellistg";
    /// Bumped whenever the file's layout changes.
    const FORMAT: u32 = 1;

    /// The record of a walk of `ws` that started at `walked`, found
    /// `packages` and `listed`, if it could ever hold: not if a directory's
    /// stamp cannot be had, or had not settled before the walk (the stamps
    /// are taken now, so a directory that changed since the walk started
    /// has not), or if the walk found a BUILD file by asking the file
    /// system (a symbolic link's target can change without its directory
    /// changing).
    fn new(
        ws: &Workspace,
        packages: &[PackageDir],
        listed: Listed,
        walked: i128,
    ) -> Option<Listing> {
        if listed.asked.into_inner() {
            return None;
        }
        let mut dirs = listed.dirs.into_inner().unwrap_or_else(|e| e.into_inner());
        dirs.sort();
        let dirs = dirs
            .par_iter()
            .map(|d| {
                Stamp::of(d)
                    .filter(|s| s.settled_before(walked))
                    .map(|s| (d.clone(), s))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Listing {
            sel: env!("CARGO_PKG_VERSION").to_string(),
            root: ws.root.clone(),
            settings: ws.settings_state.hash,
            walked,
            dirs,
            packages: packages
                .iter()
                .map(|p| (p.name.clone(), p.build_file.clone()))
                .collect(),
        })
    }

    /// The record in the workspace at `root`, if there is a sound one.
    fn read(root: &Path) -> Option<Listing> {
        use crate::store::read_record;
        let listing: Listing = read_record(root, Self::FILE, Self::MAGIC, Self::FORMAT)?;
        (listing.sel == env!("CARGO_PKG_VERSION") && listing.root == root).then_some(listing)
    }

    /// Writes the record; best effort.
    fn write(&self, root: &Path) {
        use crate::store::write_record;
        write_record(root, Self::FILE, Self::MAGIC, Self::FORMAT, self);
    }

    /// Whether every directory is as it was (each had settled before the walk).
    fn holds(&self) -> bool {
        !self.dirs.is_empty()
            && self
                .dirs
                .par_iter()
                .all(|(dir, was)| Stamp::of(dir).is_some_and(|now| now == *was))
    }

    /// The packages the walk found.
    fn packages(self) -> Vec<PackageDir> {
        self.packages
            .into_iter()
            .map(|(name, build_file)| PackageDir { name, build_file })
            .collect()
    }
}

/// The names of a package's BUILD file, the first preferred.
const BUILD_FILES: [&str; 2] = ["BUILD.sel", "BUILD"];

/// A directory's BUILD file: the first of [`BUILD_FILES`] that is a file.
fn build_file_in(dir: &Path) -> Option<PathBuf> {
    BUILD_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// Whether `build_file`, a file, is the one its directory's package reads:
/// no name preferred to its own is a file beside it.
pub fn is_preferred_build_file(build_file: &Path) -> bool {
    let (Some(dir), Some(name)) = (build_file.parent(), build_file.file_name()) else {
        return false;
    };
    BUILD_FILES
        .iter()
        .take_while(|f| std::ffi::OsStr::new(f) != name)
        .all(|f| !dir.join(f).is_file())
}

/// What [`build_file_in`] finds, read from the directory's listing rather
/// than asking the file system about each name. It still asks about a
/// symbolic link (is its target a file?), an entry of unknown type, and a
/// name that matches only ignoring case (on a case-insensitive file system
/// `build` opens as `BUILD`). Also whether it asked.
fn build_file_listed(
    dir: &Path,
    listing: &[(OsString, Option<FileType>)],
) -> (Option<PathBuf>, bool) {
    let mut asked = false;
    let found = BUILD_FILES.iter().map(|f| dir.join(f)).find(|path| {
        let name = path.file_name().expect("joined a file name");
        match listing.iter().find(|(n, _)| n == name) {
            Some((_, Some(t))) if !t.is_symlink() => t.is_file(),
            Some(_) => {
                asked = true;
                path.is_file()
            }
            None => {
                let maybe = listing.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
                asked |= maybe;
                maybe && path.is_file()
            }
        }
    });
    (found, asked)
}

fn has_build_file(dir: &Path) -> bool {
    build_file_in(dir).is_some()
}

impl Settings {
    /// Reads and parses `sel.toml`, with the hash of the text read; an
    /// error points at the offending line.
    pub fn read(path: &Path) -> Result<(Settings, Hash)> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Workspace,
                format!("cannot read `{}`: {e}", path.display()),
            )
        })?;
        let hash = *blake3::hash(text.as_bytes()).as_bytes();
        let mut settings: Settings =
            toml::from_str(&text).map_err(|e| Settings::error(&e, path))?;
        settings.text = text;
        Ok((settings, hash))
    }

    /// An error in `sel.toml` (at `path`), pointing at the offending line.
    pub fn error(e: &toml::de::Error, path: &Path) -> Error {
        let location = e
            .span()
            .map(|span| Location::new(Source::file(MARKER, path), span));
        Error::new(
            ErrorKind::Workspace,
            format!("invalid `{MARKER}`: {}", e.message()),
        )
        .at(location)
    }
}
