//! Labels (`//pkg/path:name`) and target patterns (`//...`, `//pkg:all`).
//!
//! A [`Label`] points at its canonical text, interned once for the whole
//! process: cloning copies a pointer, equality compares pointers, and ordering
//! is the ordering of the canonical form, which is what sorted output prints.
//!
//! One repository besides the workspace has labels: the built-in
//! [`PLATFORMS`] (`@platforms//os:linux`, see `build_file::platforms`). Its
//! packages are named with the repository (`@platforms//os`, `@platforms//`
//! for its root), so a package name never leaves its repository behind;
//! the workspace's own packages keep their plain paths (`spam/core`, `""`).
//! Its labels sort after every label of the workspace, as Bazel sorts the
//! main repository first.

use std::fmt;

/// A target's name: package path and target name, printed `//pkg:name`.
///
/// Labels order by package, then name, as Bazel sorts them: `//spam:spam`
/// before `//spam/core:x`.
///
/// Every label's text is interned (see `intern`), so two labels are equal
/// exactly when they point at the same text: equality compares pointers and
/// hashing uses a hash of the text taken once, when it was interned. Queries
/// clone labels and look them up in maps millions of times; none of that
/// reads the text or writes a reference count. The hash depends on the text
/// alone, so maps keyed by labels iterate in the same order on every run.
///
/// A label is sixteen bytes: it points at a slot holding the text's (wide)
/// pointer rather than at the text itself. A graph holds several labels per
/// target, and a sixteen-byte label lets an attribute value that holds one
/// be 24 bytes.
#[derive(Clone)]
pub struct Label {
    text: &'static &'static str,
    /// Where the `:` is in `text`: labels are compared and split often.
    colon: u32,
    /// The hash of `text` (it fits beside `colon` without making a label larger).
    hash: u32,
}

const _: () = assert!(std::mem::size_of::<Label>() == 16);

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.text, other.text)
    }
}

impl Eq for Label {}

impl std::hash::Hash for Label {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u32(self.hash)
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self == other {
            return std::cmp::Ordering::Equal;
        }
        // As `(package, name)`, on bytes: str's order is its bytes' order, and
        // the byte slices skip the char-boundary checks (sorting big results
        // compares labels millions of times).
        let (a, b) = (self.text.as_bytes(), other.text.as_bytes());
        let (i, j) = (self.colon as usize, other.colon as usize);
        if a[0] == b'@' || b[0] == b'@' {
            return compare_packages(self.package(), other.package())
                .then_with(|| self.name().cmp(other.name()));
        }
        a[2..i]
            .cmp(&b[2..j])
            .then_with(|| a[i + 1..].cmp(&b[j + 1..]))
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The one copy of a label's text, and the text's hash. A graph names the
/// same labels over and over (every select branch repeats its dependencies),
/// so sharing the text saves about a tenth of the memory of a loaded
/// workspace, and it makes a label's identity its pointer. Texts are never
/// freed: the table lives as long as the process, so no two texts ever share
/// an address. It is sharded so that parallel loading rarely waits.
fn intern(text: &str) -> (&'static &'static str, u32) {
    use std::hash::BuildHasher;
    use std::sync::{Mutex, OnceLock};
    const SHARDS: usize = 16;
    static TABLE: OnceLock<Vec<Mutex<Shard>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..SHARDS).map(|_| Mutex::default()).collect());
    let hash = rustc_hash::FxBuildHasher.hash_one(text);
    let mut shard = table[hash as usize % SHARDS]
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let text = match shard.texts.get(text) {
        Some(t) => t.0,
        None => {
            let t = shard.store(text);
            shard.texts.insert(Interned(t));
            t
        }
    };
    // The high half: the low bits chose the shard.
    (text, (hash >> 32) as u32)
}

/// One shard of the interning table: the texts it holds, and the room left
/// in its current blocks. Texts and their slots are carved from blocks
/// allocated a few thousand at a time rather than one allocation each: a
/// workspace interns a label per target, and an allocation per label would
/// cost more than the label's text.
#[derive(Default)]
struct Shard {
    texts: rustc_hash::FxHashSet<Interned>,
    /// Free bytes for texts.
    bytes: &'static mut [u8],
    /// Free slots, each to hold one text's pointer.
    slots: &'static mut [&'static str],
}

impl Shard {
    /// Bytes allocated at a time for texts; longer texts get their own allocation.
    const BYTES: usize = 16 * 1024;
    /// Slots allocated at a time.
    const SLOTS: usize = 1024;

    /// A copy of `text` that lives forever, in a slot of its own.
    fn store(&mut self, text: &str) -> &'static &'static str {
        let copy: &'static str = if text.len() > Self::BYTES / 8 {
            Box::leak(text.into())
        } else {
            if self.bytes.len() < text.len() {
                self.bytes = vec![0; Self::BYTES].leak();
            }
            let (room, rest) = std::mem::take(&mut self.bytes).split_at_mut(text.len());
            self.bytes = rest;
            room.copy_from_slice(text.as_bytes());
            let room: &'static [u8] = room;
            std::str::from_utf8(room).expect("a copy of a str is UTF-8")
        };
        if self.slots.is_empty() {
            self.slots = vec![""; Self::SLOTS].leak();
        }
        let (slot, rest) = std::mem::take(&mut self.slots).split_at_mut(1);
        self.slots = rest;
        slot[0] = copy;
        let slot: &'static [&'static str] = slot;
        &slot[0]
    }
}

/// An interned text in the set, found by its text.
struct Interned(&'static &'static str);

impl PartialEq for Interned {
    fn eq(&self, other: &Self) -> bool {
        *self.0 == *other.0
    }
}

impl Eq for Interned {}

impl std::hash::Hash for Interned {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (*self.0).hash(state)
    }
}

impl std::borrow::Borrow<str> for Interned {
    fn borrow(&self) -> &str {
        self.0
    }
}

/// A label that does not parse, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelError(pub String);

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The one repository besides the workspace: `@platforms`, built in.
pub const PLATFORMS: &str = "platforms";

/// The package name of `path` in the built-in repository: `@platforms//os`.
pub fn platforms_package(path: &str) -> String {
    format!("@{PLATFORMS}//{path}")
}

/// Whether a package name is of the built-in repository rather than the
/// workspace (`@platforms//os`, not `os`).
pub fn is_external(package: &str) -> bool {
    package.starts_with('@') && package.contains("//")
}

/// A package name as labels spell it: `//spam` for the workspace's, the
/// name itself (`@platforms//os`) for the built-in repository's.
pub fn package_text(package: &str) -> String {
    if is_external(package) {
        package.to_string()
    } else {
        format!("//{package}")
    }
}

/// Orders package names as their labels order: the workspace's packages by
/// path, then the built-in repository's, by path.
pub fn compare_packages(a: &str, b: &str) -> std::cmp::Ordering {
    (is_external(a), a).cmp(&(is_external(b), b))
}

/// Orders `(package, name)` pairs ([`Label::split_canonical`]) as their
/// labels order.
pub fn compare_split(a: (&str, &str), b: (&str, &str)) -> std::cmp::Ordering {
    compare_packages(a.0, b.0).then_with(|| a.1.cmp(b.1))
}

impl Label {
    /// A label from a package name (a path, `""` for the root, or a package
    /// of the built-in repository, `@platforms//os`) and a target name, both
    /// already valid.
    pub fn new(package: &str, name: &str) -> Label {
        thread_local! {
            // Most labels are already interned: spell them in a reused buffer
            // rather than a new string each time.
            static TEXT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let prefix = if is_external(package) { "" } else { "//" };
        let (text, hash) = TEXT.with_borrow_mut(|buf| {
            buf.clear();
            buf.extend([prefix, package, ":", name]);
            intern(buf)
        });
        Label {
            text,
            colon: (prefix.len() + package.len()) as u32,
            hash,
        }
    }

    /// Parses an absolute label (`//pkg:name` or `//pkg`).
    pub fn parse(text: &str) -> Result<Label, LabelError> {
        Label::parse_relative(text, None)
    }

    /// Parses a label; `:name` and `name` are resolved in `package` when given.
    ///
    /// `@platforms//...` names the built-in repository, and `@//...` the
    /// workspace (as `//...`); no other repository exists.
    pub fn parse_relative(text: &str, package: Option<&str>) -> Result<Label, LabelError> {
        if let Some(rest) = text.strip_prefix('@') {
            let (repo, path) = rest.split_once("//").unwrap_or((rest, ""));
            if repo.is_empty() && rest.starts_with("//") {
                return Label::parse_relative(&text[1..], package);
            }
            if repo != PLATFORMS || !rest.contains("//") {
                return Err(LabelError(format!(
                    "`{text}`: the only repository besides the workspace is the built-in `@{PLATFORMS}`; other external repositories (`@repo//...`) are not supported"
                )));
            }
            let in_repo = Label::parse_relative(&format!("//{path}"), None)?;
            return Ok(Label::new(
                &platforms_package(in_repo.package()),
                in_repo.name(),
            ));
        }
        if let Some(rest) = text.strip_prefix("//") {
            let (pkg, name) = match rest.split_once(':') {
                Some((pkg, name)) => (pkg, name),
                None => {
                    let last = rest.rsplit('/').next().unwrap_or("");
                    if last.is_empty() {
                        return Err(LabelError(format!(
                            "`{text}` has no target name: write `//pkg:name`, or `//:name` for the root package"
                        )));
                    }
                    (rest, last)
                }
            };
            check_package(pkg).map_err(|e| LabelError(format!("`{text}`: {e}")))?;
            check_name(name).map_err(|e| LabelError(format!("`{text}`: {e}")))?;
            return Ok(Label::new(pkg, name));
        }
        let Some(package) = package else {
            return Err(LabelError(format!(
                "`{text}` is not an absolute label: write `//pkg:name`"
            )));
        };
        let name = text.strip_prefix(':').unwrap_or(text);
        check_name(name).map_err(|e| LabelError(format!("`{text}`: {e}")))?;
        Ok(Label::new(package, name))
    }

    /// The package: its path, `""` for the root package; for a label of the
    /// built-in repository, its name with the repository (`@platforms//os`).
    pub fn package(&self) -> &str {
        if self.text.starts_with('@') {
            &self.text[..self.colon as usize]
        } else {
            &self.text[2..self.colon as usize]
        }
    }

    /// Whether the label is of the built-in repository (`@platforms//...`).
    pub fn is_external(&self) -> bool {
        self.text.starts_with('@')
    }

    /// The target name.
    pub fn name(&self) -> &str {
        &self.text[self.colon as usize + 1..]
    }

    /// The package and name of a label's canonical text (`as_str`), as
    /// [`Label::package`] and [`Label::name`] give them, without making a
    /// label of it; `None` if it is not such a text. Labels order by these
    /// (packages as [`compare_packages`] orders them).
    pub fn split_canonical(text: &str) -> Option<(&str, &str)> {
        if text.starts_with('@') {
            let colon = text.rfind(':')?;
            let (package, name) = (&text[..colon], &text[colon + 1..]);
            return is_external(package).then_some((package, name));
        }
        text.strip_prefix("//")?.split_once(':')
    }

    /// The canonical text `//pkg:name` (`@platforms//pkg:name`).
    pub fn as_str(&self) -> &str {
        self.text
    }

    /// Whether this is `//conditions:default`: the select default key, which
    /// skylib also accepts as the one member of an always-true group.
    pub fn is_conditions_default(&self) -> bool {
        self.package() == "conditions" && self.name() == "default"
    }

    /// The label `//pkg:name` printed as it would be written inside package `from`:
    /// `:name` in the same package, the full label otherwise.
    pub fn relative_to(&self, from: &str) -> String {
        if self.package() == from {
            format!(":{}", self.name())
        } else {
            self.text.to_string()
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Label::parse(&text).map_err(|e| serde::de::Error::custom(e.0))
    }
}

impl serde::Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text)
    }
}

/// Checks a package path: `a/b/c`, no empty, `.` or `..` components.
pub fn check_package(pkg: &str) -> Result<(), String> {
    if pkg.is_empty() {
        return Ok(());
    }
    for part in pkg.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Err(format!("invalid package path `{pkg}`"));
        }
        if let Some(c) = part.chars().find(|c| !is_label_char(*c) || *c == ':') {
            return Err(format!("invalid character `{c}` in package path `{pkg}`"));
        }
    }
    Ok(())
}

/// Checks a target name: non-empty, no `.`/`..` components, no `//`, allowed characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty target name".into());
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Err(format!("invalid target name `{name}`"));
    }
    if name.split('/').any(|p| p == "." || p == "..") {
        return Err(format!("invalid target name `{name}`"));
    }
    if let Some(c) = name.chars().find(|c| !is_label_char(*c) || *c == ':') {
        return Err(format!("invalid character `{c}` in target name `{name}`"));
    }
    Ok(())
}

fn is_label_char(c: char) -> bool {
    c.is_alphanumeric() || "!%-@^_\"#$&'()*+,;<=>?[]{|}~/.:".contains(c)
}

/// A target pattern: one label, every target of a package, or a whole subtree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TargetPattern {
    /// One target: `//pkg:name`.
    Target(Label),
    /// Every target of one package: `//pkg:all`, `//pkg:*`, `//pkg:all-targets`.
    Package(String),
    /// Every target of every package at or below a path: `//pkg/...` (`//...` for all).
    Subtree(String),
}

impl TargetPattern {
    /// Parses a pattern; relative forms (`:name`, `foo/...`) resolve in `package`.
    pub fn parse(text: &str, package: &str) -> Result<TargetPattern, LabelError> {
        if let Some(rest) = text.strip_prefix('@') {
            // `@platforms//os:all`, `@platforms//...`: a pattern of the
            // built-in repository, spelled as one of the workspace inside it.
            let (repo, path) = rest.split_once("//").unwrap_or((rest, ""));
            if repo.is_empty() && rest.starts_with("//") {
                return TargetPattern::parse(&text[1..], package);
            }
            if repo != PLATFORMS || !rest.contains("//") {
                // The label's error says which repositories exist.
                return Label::parse(text).map(TargetPattern::Target);
            }
            let root = platforms_package("");
            return Ok(match TargetPattern::parse(&format!("//{path}"), "")? {
                TargetPattern::Target(l) => {
                    TargetPattern::Target(Label::new(&platforms_package(l.package()), l.name()))
                }
                TargetPattern::Package(p) => TargetPattern::Package(platforms_package(&p)),
                TargetPattern::Subtree(p) if p.is_empty() => TargetPattern::Subtree(root),
                TargetPattern::Subtree(p) => TargetPattern::Subtree(platforms_package(&p)),
            });
        }
        let absolute = text.strip_prefix("//");
        let (path_part, name_part) = match absolute.unwrap_or(text).split_once(':') {
            Some((p, n)) => (p, Some(n)),
            None => (absolute.unwrap_or(text), None),
        };
        let join = |p: &str| -> String {
            if absolute.is_some() || package.is_empty() {
                p.to_string()
            } else if p.is_empty() {
                package.to_string()
            } else {
                format!("{package}/{p}")
            }
        };
        if path_part == "..." || path_part.ends_with("/...") {
            if name_part.is_some_and(|n| !matches!(n, "all" | "*" | "all-targets")) {
                return Err(LabelError(format!(
                    "`{text}`: a subtree pattern takes `:all` or `:*` only"
                )));
            }
            let sub = path_part.trim_end_matches("...").trim_end_matches('/');
            let sub = join(sub);
            check_package(&sub).map_err(|e| LabelError(format!("`{text}`: {e}")))?;
            return Ok(TargetPattern::Subtree(sub));
        }
        if let Some(n) = name_part {
            if matches!(n, "all" | "*" | "all-targets") {
                if absolute.is_none() && path_part.is_empty() && !text.starts_with(':') {
                    return Err(LabelError(format!("invalid pattern `{text}`")));
                }
                let pkg = join(path_part);
                check_package(&pkg).map_err(|e| LabelError(format!("`{text}`: {e}")))?;
                return Ok(TargetPattern::Package(pkg));
            }
        }
        if absolute.is_some() {
            return Label::parse(text).map(TargetPattern::Target);
        }
        // Relative: `:name`, `name`, `sub/pkg:name`.
        match name_part {
            Some(n) if !path_part.is_empty() => {
                let pkg = join(path_part);
                check_package(&pkg).map_err(|e| LabelError(format!("`{text}`: {e}")))?;
                check_name(n).map_err(|e| LabelError(format!("`{text}`: {e}")))?;
                Ok(TargetPattern::Target(Label::new(&pkg, n)))
            }
            _ => Label::parse_relative(text, Some(package)).map(TargetPattern::Target),
        }
    }

    /// Whether the pattern names one target directly (not a wildcard).
    pub fn is_single(&self) -> bool {
        matches!(self, TargetPattern::Target(_))
    }
}

impl fmt::Display for TargetPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetPattern::Target(l) => write!(f, "{l}"),
            TargetPattern::Package(p) => write!(f, "{}:all", package_text(p)),
            TargetPattern::Subtree(p) if p.is_empty() => write!(f, "//..."),
            TargetPattern::Subtree(p) if p.ends_with("//") => write!(f, "{p}..."),
            TargetPattern::Subtree(p) => write!(f, "{}/...", package_text(p)),
        }
    }
}

/// Whether package `pkg` is `root` or below it, in the same repository
/// (`//...` is the workspace's packages; `@platforms//...` the built-in
/// repository's).
pub fn package_in_subtree(pkg: &str, root: &str) -> bool {
    if is_external(pkg) != is_external(root) {
        return false;
    }
    root.is_empty()
        || root.ends_with("//") && pkg.starts_with(root)
        || pkg == root
        || (pkg.len() > root.len() && pkg.starts_with(root) && pkg.as_bytes()[root.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_labels() {
        let l = Label::parse("//spam/core:lib").unwrap();
        assert_eq!(l.package(), "spam/core");
        assert_eq!(l.name(), "lib");
        assert_eq!(l.to_string(), "//spam/core:lib");
        assert_eq!(Label::parse("//spam").unwrap().to_string(), "//spam:spam");
        assert_eq!(Label::parse("//a/b").unwrap().to_string(), "//a/b:b");
        assert_eq!(Label::parse("//:root").unwrap().to_string(), "//:root");
    }

    #[test]
    fn relative_labels() {
        let p = Some("spam");
        assert_eq!(
            Label::parse_relative(":x", p).unwrap().to_string(),
            "//spam:x"
        );
        assert_eq!(
            Label::parse_relative("x", p).unwrap().to_string(),
            "//spam:x"
        );
        assert_eq!(
            Label::parse_relative("//other:y", p).unwrap().to_string(),
            "//other:y"
        );
        assert!(Label::parse(":x").is_err());
    }

    #[test]
    fn bad_labels() {
        for bad in [
            "//",
            "//a//b:c",
            "//a:",
            "//../a:b",
            "@r//a:b",
            "//a:b:c",
            "//a/:b",
            "@platforms",
            "@platforms//",
            "@platforms//os:",
        ] {
            assert!(Label::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn labels_of_the_built_in_repository() {
        let l = Label::parse("@platforms//os:linux").unwrap();
        assert_eq!(l.package(), "@platforms//os");
        assert_eq!(l.name(), "linux");
        assert_eq!(l.to_string(), "@platforms//os:linux");
        assert!(l.is_external());
        assert_eq!(
            Label::parse("@platforms//os").unwrap().to_string(),
            "@platforms//os:os"
        );
        assert_eq!(
            Label::parse("@platforms//:incompatible").unwrap().package(),
            "@platforms//"
        );
        assert_eq!(
            Label::parse("@//a:b").unwrap(),
            Label::parse("//a:b").unwrap()
        );
        // Relative labels inside the repository stay in it.
        assert_eq!(
            Label::parse_relative(":os", Some("@platforms//os")).unwrap(),
            Label::new("@platforms//os", "os")
        );
        assert_eq!(
            Label::new("@platforms//os", "os").to_string(),
            "@platforms//os:os"
        );
        // The workspace's labels first, as Bazel sorts the main repository first.
        let mut v = [
            Label::parse("@platforms//cpu:x86_64").unwrap(),
            Label::parse("//z:z").unwrap(),
            Label::parse("@platforms//:incompatible").unwrap(),
            Label::parse("//a:b").unwrap(),
        ];
        v.sort();
        let s: Vec<_> = v.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            s,
            [
                "//a:b",
                "//z:z",
                "@platforms//:incompatible",
                "@platforms//cpu:x86_64"
            ]
        );
        let p = |s| TargetPattern::parse(s, "").unwrap();
        assert_eq!(
            p("@platforms//os:all"),
            TargetPattern::Package("@platforms//os".into())
        );
        assert_eq!(
            p("@platforms//..."),
            TargetPattern::Subtree("@platforms//".into())
        );
        assert_eq!(p("@platforms//...").to_string(), "@platforms//...");
        assert_eq!(p("@platforms//cpu/...").to_string(), "@platforms//cpu/...");
        assert!(package_in_subtree("@platforms//os", "@platforms//"));
        assert!(!package_in_subtree("@platforms//os", ""));
        assert!(!package_in_subtree("os", "@platforms//"));
    }

    #[test]
    fn labels_with_one_text_are_one_label() {
        use std::hash::BuildHasher;
        let hash = |l: &Label| rustc_hash::FxBuildHasher.hash_one(l);
        let parsed = Label::parse("//spam/core:lib").unwrap();
        let built = Label::new("spam/core", "lib");
        assert_eq!(parsed, built);
        assert_eq!(hash(&parsed), hash(&built));
        assert_ne!(parsed, Label::new("spam/core", "lia"));
    }

    #[test]
    fn ordering_is_package_then_name() {
        let mut v = [
            Label::parse("//b:a").unwrap(),
            Label::parse("//a:b").unwrap(),
            Label::parse("//a/b:c").unwrap(),
        ];
        v.sort();
        let s: Vec<_> = v.iter().map(|l| l.to_string()).collect();
        assert_eq!(s, ["//a:b", "//a/b:c", "//b:a"]);
    }

    #[test]
    fn patterns() {
        let p = |s| TargetPattern::parse(s, "").unwrap();
        assert_eq!(p("//..."), TargetPattern::Subtree(String::new()));
        assert_eq!(p("//spam/..."), TargetPattern::Subtree("spam".into()));
        assert_eq!(p("//spam:all"), TargetPattern::Package("spam".into()));
        assert_eq!(p("//spam:*"), TargetPattern::Package("spam".into()));
        assert_eq!(p("//:all"), TargetPattern::Package(String::new()));
        assert_eq!(
            p("//spam"),
            TargetPattern::Target(Label::parse("//spam:spam").unwrap())
        );
        assert_eq!(p("..."), TargetPattern::Subtree(String::new()));
        let in_spam = |s| TargetPattern::parse(s, "spam").unwrap();
        assert_eq!(in_spam(":all"), TargetPattern::Package("spam".into()));
        assert_eq!(
            in_spam("x"),
            TargetPattern::Target(Label::parse("//spam:x").unwrap())
        );
        assert_eq!(
            in_spam("sub/..."),
            TargetPattern::Subtree("spam/sub".into())
        );
        assert!(TargetPattern::parse("//a/...:foo", "").is_err());
    }

    #[test]
    fn subtrees() {
        assert!(package_in_subtree("a/b", "a"));
        assert!(package_in_subtree("a", "a"));
        assert!(!package_in_subtree("ab", "a"));
        assert!(package_in_subtree("anything", ""));
    }
}
