//! Errors of the library: plain data with a stable code, a message and, where
//! there is one, a place in a file or in the query text.
//!
//! The library never renders errors; the binary turns them into miette reports
//! (see `to_report` in `main.rs`). Keeping spans as plain
//! byte ranges keeps the core free of presentation concerns, as guppy does.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where an error points: a byte range in a file of the workspace or in the query.
///
/// Every target of the graph carries one, so it is kept small: the source is
/// shared (every location in a BUILD file points at one [`Source`]) and the
/// offsets are `u32`s (a larger offset is clamped, which only moves a caret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    source: Arc<Source>,
    start: u32,
    end: u32,
}

// Sixteen bytes, and `Option<Location>` too (the `Arc` is never null): the
// graph holds one per target and per select.
const _: () = assert!(std::mem::size_of::<Option<Location>>() == 16);

/// The text a [`Location`] points into.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// A file.
    File(SourceFile),
    /// The query expression given on the command line.
    Query(String),
    /// A `--select` or other command-line argument.
    Argument(String),
}

/// A file a [`Location`] points into.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    /// Its path as shown to the user: relative to the workspace root when it is inside it.
    pub shown: String,
    /// The absolute path to read it from.
    pub path: PathBuf,
}

impl Source {
    /// A file source, to share between the locations that point into it.
    pub fn file(shown: impl Into<String>, path: impl Into<PathBuf>) -> Arc<Source> {
        Arc::new(Source::File(SourceFile {
            shown: shown.into(),
            path: path.into(),
        }))
    }
}

impl Location {
    /// The byte range `span` of `source`.
    pub fn new(source: Arc<Source>, span: std::ops::Range<usize>) -> Location {
        let clamp = |offset: usize| u32::try_from(offset).unwrap_or(u32::MAX);
        Location {
            source,
            start: clamp(span.start),
            end: clamp(span.end),
        }
    }

    /// The byte range `span` of the query expression `query`.
    pub fn in_query(query: &str, span: std::ops::Range<usize>) -> Location {
        Location::new(Arc::new(Source::Query(query.to_string())), span)
    }

    /// Another byte range of the same source.
    pub fn with_span(&self, span: std::ops::Range<usize>) -> Location {
        Location::new(self.source.clone(), span)
    }

    /// What the byte range indexes into.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Byte offsets `start..end` into the source text.
    pub fn span(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The 1-based line and column of the start of the span, when the text can be read.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let lines = match self.source() {
            // A file is read once per process, however many locations ask:
            // an output of 40,000 targets of one BUILD file asks 40,000 times.
            Source::File(file) => newlines_of(&file.path)?,
            Source::Query(q) | Source::Argument(q) => Arc::new(Newlines::of(q)),
        };
        let start = self.span().start.min(lines.len);
        let line = lines.offsets.partition_point(|&n| (n as usize) < start);
        let line_start = line
            .checked_sub(1)
            .map_or(0, |i| lines.offsets[i] as usize + 1);
        Some((line + 1, start - line_start + 1))
    }

    /// The source text the span indexes into.
    pub fn text(&self) -> Option<String> {
        match self.source() {
            Source::File(file) => std::fs::read_to_string(&file.path).ok(),
            Source::Query(q) | Source::Argument(q) => Some(q.clone()),
        }
    }

    /// The name shown for the source: a file path, `<query>` or `<argument>`.
    pub fn name(&self) -> &str {
        match self.source() {
            Source::File(file) => &file.shown,
            Source::Query(_) => "<query>",
            Source::Argument(_) => "<argument>",
        }
    }
}

/// Where a text's lines end: the offsets of its newlines, and its length.
struct Newlines {
    offsets: Vec<u32>,
    len: usize,
}

impl Newlines {
    fn of(text: &str) -> Newlines {
        Newlines {
            offsets: memchr::memchr_iter(b'\n', text.as_bytes())
                .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
                .collect(),
            len: text.len(),
        }
    }
}

/// The [`Newlines`] of the file at `path`, read once per process; `None` if
/// it cannot be read as text.
fn newlines_of(path: &std::path::Path) -> Option<Arc<Newlines>> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Known = Mutex<HashMap<PathBuf, Option<Arc<Newlines>>>>;
    static KNOWN: OnceLock<Known> = OnceLock::new();
    let known = KNOWN.get_or_init(Known::default);
    if let Some(lines) = known.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
        return lines.clone();
    }
    let lines = std::fs::read_to_string(path)
        .ok()
        .map(|text| Arc::new(Newlines::of(&text)));
    known
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.to_path_buf(), lines.clone());
    lines
}

thread_local! {
    /// While [`Location::serialized_by_line`] runs on this thread: the file
    /// whose locations are written by line and column, and the offsets of
    /// its newlines.
    static BY_LINE: std::cell::RefCell<Option<(PathBuf, Vec<u32>)>> = const { std::cell::RefCell::new(None) };
}

impl Location {
    /// Runs `f` (which serializes something holding locations) with the
    /// locations into the file at `path`, whose text is `text`, written as
    /// their 1-based line and column instead of their byte range: what
    /// sel's outputs show of them. Two packages serialized this way give the
    /// same bytes when they have the same targets at the same lines and
    /// columns, whatever else moved in their BUILD files (comments, blank
    /// space within lines); see the answer cache.
    pub fn serialized_by_line<R>(path: &std::path::Path, text: &str, f: impl FnOnce() -> R) -> R {
        let newlines = memchr::memchr_iter(b'\n', text.as_bytes())
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        BY_LINE.with_borrow_mut(|by| *by = Some((path.to_path_buf(), newlines)));
        let result = f();
        BY_LINE.with_borrow_mut(|by| *by = None);
        result
    }
}

impl serde::Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let line_col = BY_LINE.with_borrow(|by| {
            let (path, newlines) = by.as_ref()?;
            let Source::File(file) = &*self.source else {
                return None;
            };
            (file.path == *path).then(|| {
                let line = newlines.partition_point(|&n| n < self.start);
                let line_start = line.checked_sub(1).map_or(0, |i| newlines[i] + 1);
                (line as u32 + 1, self.start - line_start + 1)
            })
        });
        match line_col {
            Some((line, col)) => (&*self.source, line, col).serialize(s),
            None => (&*self.source, self.start, self.end).serialize(s),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Location {
    /// Decodes a location, sharing its source with the location decoded before
    /// it on this thread when they are equal: a cached package's locations all
    /// point into its BUILD file, and one copy of the source should serve them
    /// all, as when the file was read.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        thread_local! {
            static LAST: std::cell::RefCell<Option<Arc<Source>>> = const { std::cell::RefCell::new(None) };
        }
        let (source, start, end) = <(Source, u32, u32)>::deserialize(d)?;
        let source = LAST.with_borrow_mut(|last| match last {
            Some(shared) if **shared == source => shared.clone(),
            _ => last.insert(Arc::new(source)).clone(),
        });
        Ok(Location { source, start, end })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col() {
            Some((line, col)) => write!(f, "{}:{}:{}", self.name(), line, col),
            None => write!(f, "{}", self.name()),
        }
    }
}

/// What went wrong, as a stable code that scripts and docs can rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No `sel.toml` above, or an unreadable / malformed `sel.toml`.
    Workspace,
    /// A BUILD or .bzl file does not parse.
    Syntax,
    /// Evaluating a BUILD or .bzl file failed (including exceeded limits).
    Eval,
    /// A built-in was called with a wrong attribute.
    Attribute,
    /// `load()` names a missing file or symbol.
    Load,
    /// `.bzl` files load each other in a cycle.
    LoadCycle,
    /// A label or pattern that does not parse.
    BadLabel,
    /// A package that does not exist.
    UnknownPackage,
    /// A target that does not exist in its package.
    UnknownTarget,
    /// Two targets of one package share a name.
    DuplicateTarget,
    /// A label used where a different kind of target is needed.
    WrongKind,
    /// An unknown selector or a value it does not allow.
    Selector,
    /// A dependency on a target that is not visible.
    Visibility,
    /// A target that does not exist in this configuration.
    Incompatible,
    /// No key of a select matches and there is no default.
    NoMatch,
    /// Several keys of a select match and none is more specific.
    Ambiguous,
    /// Dependencies form a cycle in a configured graph.
    Cycle,
    /// A resolved attribute has the wrong type (e.g. list + string).
    Type,
    /// The query does not parse or uses a function wrongly.
    Query,
    /// The command line is wrong (exit status 2).
    Usage,
    /// `sel check` found errors (they are its output).
    Check,
    /// A lock file sel cannot read, or a marker it cannot write exactly (`sel import`).
    Import,
    /// A result that cannot be written as requirements (`sel export`).
    Export,
    /// A `license` that is not an SPDX expression, or a bad `[licenses]` policy.
    License,
    /// `sel licenses --check` found violations of the policy (they are its output).
    LicenseViolation,
    /// `sel matrix` found more classes of configurations than its bound.
    TooManyClasses,
    /// The conditions of an all-configurations run need more memory than allowed.
    ConditionsTooLarge,
    /// A configured closure holds two providers of an exclusive capability,
    /// or two packages one of which conflicts with the other.
    Clash,
    /// A host probe gives a bound selector no value, or a host snapshot is unreadable.
    Detect,
}

impl ErrorKind {
    /// The stable diagnostic code, e.g. `sel::no_match`. Documented in docs/errors.md.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Workspace => "sel::workspace",
            ErrorKind::Syntax => "sel::syntax",
            ErrorKind::Eval => "sel::eval",
            ErrorKind::Attribute => "sel::attribute",
            ErrorKind::Load => "sel::load",
            ErrorKind::LoadCycle => "sel::load_cycle",
            ErrorKind::BadLabel => "sel::bad_label",
            ErrorKind::UnknownPackage => "sel::unknown_package",
            ErrorKind::UnknownTarget => "sel::unknown_target",
            ErrorKind::DuplicateTarget => "sel::duplicate_target",
            ErrorKind::WrongKind => "sel::wrong_kind",
            ErrorKind::Selector => "sel::selector",
            ErrorKind::Visibility => "sel::visibility",
            ErrorKind::Incompatible => "sel::incompatible",
            ErrorKind::NoMatch => "sel::no_match",
            ErrorKind::Ambiguous => "sel::ambiguous",
            ErrorKind::Cycle => "sel::cycle",
            ErrorKind::Type => "sel::type",
            ErrorKind::Query => "sel::query",
            ErrorKind::Usage => "sel::usage",
            ErrorKind::Check => "sel::check",
            ErrorKind::Import => "sel::import",
            ErrorKind::Export => "sel::export",
            ErrorKind::License => "sel::license",
            ErrorKind::LicenseViolation => "sel::license_violation",
            ErrorKind::TooManyClasses => "sel::too_many_classes",
            ErrorKind::ConditionsTooLarge => "sel::conditions_too_large",
            ErrorKind::Clash => "sel::clash",
            ErrorKind::Detect => "sel::detect",
        }
    }

    /// The short name used in JSON `errors[].kind`: the code without `sel::`.
    pub fn name(self) -> &'static str {
        &self.code()[5..]
    }

    /// The process exit status for this kind: 2 for a wrong command line, else 1.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Usage => 2,
            _ => 1,
        }
    }
}

/// An error of sel: a kind, a message, and where available a place and advice.
///
/// Boxed, so that `Result<T, Error>` stays one pointer wide on the happy path;
/// the fields are reached through `Deref` ([`ErrorData`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<ErrorData>);

/// The contents of an [`Error`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorData {
    /// What went wrong, as a stable code.
    pub kind: ErrorKind,
    /// One sentence for people.
    pub message: String,
    /// The place the error points at, if any.
    pub location: Option<Location>,
    /// A short text shown at the caret.
    pub label: Option<String>,
    /// Advice: a suggestion, the allowed values, the configuration.
    pub help: Option<String>,
    /// Further lines: a dependency chain, a load cycle.
    pub notes: Vec<String>,
}

/// Result with sel's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a message and nothing else.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(ErrorData {
            kind,
            message: message.into(),
            location: None,
            label: None,
            help: None,
            notes: Vec::new(),
        }))
    }

    /// The same error with another kind.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same error with another message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Points the error at a place.
    pub fn at(mut self, location: Option<Location>) -> Self {
        if self.location.is_none() {
            self.location = location;
        }
        self
    }

    /// Sets the text shown at the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds advice if there is some.
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Adds a note line.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

impl std::ops::Deref for Error {
    type Target = ErrorData;
    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// How many characters of two names [`similarity`] compares.
const COMPARED: usize = 256;

/// The Jaro-Winkler similarity of two names, as suggestions rank them, at a
/// bounded cost: it takes time proportional to the product of the lengths
/// (a label of 100,000 characters against every target of its package took
/// seconds, 1 MB minutes), so names longer than 256 characters are compared
/// by their first 256. (Their lengths cannot rule a candidate out: Jaro
/// counts the matches against each length and against themselves, and stays
/// above the suggestion threshold for a short name inside a long one.)
pub fn similarity(a: &str, b: &str) -> f64 {
    let cut = |s: &str| -> String { s.chars().take(COMPARED).collect() };
    if a.len() > COMPARED || b.len() > COMPARED {
        strsim::jaro_winkler(&cut(a), &cut(b))
    } else {
        strsim::jaro_winkler(a, b)
    }
}

/// "did you mean" for a misspelled name: the closest candidate, if close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (similarity(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_is_jaro_winkler_on_at_most_256_characters() {
        let names = [
            "cuda",
            "cuda12",
            "c",
            "cudart-12-linux",
            "cpu",
            "x",
            "",
            "abcdefgh",
        ];
        for a in names {
            for b in names {
                assert_eq!(similarity(a, b), strsim::jaro_winkler(a, b), "{a} {b}");
            }
        }
        let long = "a".repeat(100_000);
        assert_eq!(similarity(&long, &format!("{}b", &long[1..])), 1.0);
        let cut = "a".repeat(256);
        assert_eq!(similarity(&long, "ab"), strsim::jaro_winkler(&cut, "ab"));
    }

    /// How a location into `text` at `offset` serializes by line: its bytes.
    fn by_line(text: &str, offset: usize) -> Vec<u8> {
        let path = std::path::Path::new("/ws/lib/BUILD");
        let at = Location::new(Source::file("lib/BUILD", path), offset..offset + 1);
        Location::serialized_by_line(path, text, || postcard::to_stdvec(&at).unwrap())
    }

    #[test]
    fn by_line_a_location_is_its_line_and_column_not_its_offset() {
        let text = "# short\nx = 1\n";
        let longer = "# a longer comment\nx = 1\n";
        // `x` is at line 2, column 1 in both, at offsets 8 and 19.
        assert_eq!(by_line(text, 8), by_line(longer, 19));
        // One line down, or one column right, is another place.
        assert_ne!(by_line(text, 8), by_line(&format!("\n{text}"), 9));
        assert_ne!(by_line(text, 8), by_line("# short\n x = 1\n", 9));
        // Outside `serialized_by_line`, and for other files, offsets as always.
        let at = Location::new(Source::file("lib/BUILD", "/ws/lib/BUILD"), 8..9);
        assert_eq!(postcard::to_stdvec(&at).unwrap(), {
            let source = Source::file("lib/BUILD", "/ws/lib/BUILD");
            postcard::to_stdvec(&(&*source, 8u32, 9u32)).unwrap()
        });
        let other = Location::new(Source::file("app/BUILD", "/ws/app/BUILD"), 8..9);
        let path = std::path::Path::new("/ws/lib/BUILD");
        assert_eq!(
            Location::serialized_by_line(path, text, || postcard::to_stdvec(&other).unwrap()),
            postcard::to_stdvec(&other).unwrap()
        );
    }
}
