//! PEP 508 environment markers: a parser, and the meaning of a marker as a
//! set of environments that sel can write as conditions.
//!
//! # Grammar
//!
//! ```text
//! marker   ::= and_expr ( "or" and_expr )*
//! and_expr ::= atom ( "and" atom )*
//! atom     ::= "(" marker ")" | operand op operand
//! operand  ::= VARIABLE | STRING
//! op       ::= "<=" | "<" | "!=" | "===" | "==" | ">=" | ">" | "~=" | "in" | "not" "in"
//! STRING   ::= "'" [^']* "'" | '"' [^"]* '"'
//! VARIABLE ::= python_version | python_full_version | sys_platform | platform_machine
//!            | platform_system | os_name | implementation_name
//!            | platform_python_implementation | platform_release | platform_version
//!            | implementation_version | extra | extras | dependency_groups
//!            (and the legacy spellings os.name, sys.platform, platform.machine,
//!             platform.version, platform.python_implementation, python_implementation)
//! ```
//!
//! `and` binds tighter than `or`, as in PEP 508.
//!
//! # Meaning
//!
//! Each comparison becomes an [`Atom`] whose truth set sel can write exactly:
//!
//! - `python_full_version` and `python_version` compare as PEP 440 versions
//!   (as `packaging` does). sel's Python versions are final releases `X.Y.Z`,
//!   so each comparison is a [`VersionSet`]: a union of half-open intervals of
//!   release versions. `python_version` is the `X.Y` of the interpreter, so
//!   its comparisons are rounded to whole minor series (`python_version >
//!   '3.11'` is `python_full_version >= '3.12'`). `in` / `not in` keep PEP
//!   508's substring meaning (`python_version in '3.10 3.11'` holds for 3.1,
//!   3.10 and 3.11). A comparison with a pre-, post- or dev-release, or `===`,
//!   distinguishes versions sel does not model and is an error.
//! - `sys_platform`, `platform_machine`, `platform_system`, `os_name`,
//!   `implementation_name` and `platform_python_implementation` are strings:
//!   `==` and `!=` become [`Atom::Equals`]; `in` and `not in` with the
//!   variable on the left (`sys_platform in 'linux darwin'`) become
//!   [`Atom::In`], keeping PEP 508's meaning, a substring test of the string.
//!   Ordering comparisons of strings, and the variable on the right of `in`
//!   (`'linux' in sys_platform`: true for the infinitely many values that
//!   contain it, which no value set splits finitely), are errors.
//! - `extra == 'x'` (and `'x' in extras`, PEP 751) is the project's extra `x`;
//!   `'g' in dependency_groups` its dependency group `g`.
//! - `platform_release`, `platform_version` and `implementation_version` are
//!   free-form strings of the running system: errors.

use std::fmt;
use std::fmt::Write as _;

/// A marker with its meaning: atoms combined with `and` / `or`.
///
/// `And(vec![])` is the marker that always holds (no marker at all).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Marker {
    /// One comparison.
    Atom(Atom),
    /// All of them.
    And(Vec<Marker>),
    /// Any of them.
    Or(Vec<Marker>),
}

/// The meaning of one comparison.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Atom {
    /// The Python version lies in the set.
    Python(VersionSet),
    /// A string variable equals (or, `negated`, differs from) a value.
    Equals {
        /// The variable.
        var: StrVar,
        /// The value compared with.
        value: String,
        /// `!=` rather than `==`.
        negated: bool,
    },
    /// A string variable is (or, `negated`, is not) a substring of `haystack`.
    In {
        /// The variable.
        var: StrVar,
        /// The string it is tested against.
        haystack: String,
        /// `not in`.
        negated: bool,
    },
    /// The project's extra is (or, `negated`, is not) requested.
    Extra {
        /// The extra's normalized name.
        name: String,
        /// `!=` / `not in`.
        negated: bool,
    },
    /// The project's dependency group is (or is not) installed.
    Group {
        /// The group's normalized name.
        name: String,
        /// `not in`.
        negated: bool,
    },
}

/// The string-valued marker variables sel models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StrVar {
    /// `implementation_name` (`cpython`, `pypy`).
    ImplementationName,
    /// `os_name` (`posix`, `nt`).
    OsName,
    /// `platform_machine` (`x86_64`, `aarch64`, `arm64`, `AMD64`).
    PlatformMachine,
    /// `platform_python_implementation` (`CPython`, `PyPy`).
    PlatformPythonImplementation,
    /// `platform_system` (`Linux`, `Darwin`, `Windows`).
    PlatformSystem,
    /// `sys_platform` (`linux`, `darwin`, `win32`).
    SysPlatform,
}

impl StrVar {
    /// Every string variable, in the (alphabetical) order markers are written in.
    pub const ALL: [StrVar; 6] = [
        StrVar::ImplementationName,
        StrVar::OsName,
        StrVar::PlatformMachine,
        StrVar::PlatformPythonImplementation,
        StrVar::PlatformSystem,
        StrVar::SysPlatform,
    ];

    /// The variable's name in markers.
    pub fn name(self) -> &'static str {
        match self {
            StrVar::ImplementationName => "implementation_name",
            StrVar::OsName => "os_name",
            StrVar::PlatformMachine => "platform_machine",
            StrVar::PlatformPythonImplementation => "platform_python_implementation",
            StrVar::PlatformSystem => "platform_system",
            StrVar::SysPlatform => "sys_platform",
        }
    }

    /// The variable of a name, if it is one of these.
    pub fn from_name(name: &str) -> Option<StrVar> {
        StrVar::ALL.into_iter().find(|v| v.name() == name)
    }
}

impl fmt::Display for StrVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a marker cannot be read, or cannot be written exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerError {
    /// The marker as written.
    pub marker: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for MarkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Messages about one comparison start with it; for a marker of one
        // comparison, say it once.
        let own = format!("`{}`: ", self.marker.trim());
        let message = self.message.strip_prefix(&own).unwrap_or(&self.message);
        write!(f, "marker `{}`: {}", shortened(&self.marker), message)
    }
}

/// A marker (or other text from a lock) as shown in a message: control
/// characters escaped, and at most `SHOWN` characters of a longer text, with
/// its length.
pub fn shortened(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == SHOWN {
            let _ = write!(out, "... ({} characters in all)", text.chars().count());
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// How many characters of a long marker a message shows.
const SHOWN: usize = 200;

/// How deep a marker may nest parentheses. PEP 508 sets no limit, but real
/// markers nest two or three levels; a deeper one is refused, so that a hostile
/// lock cannot exhaust the stack of the parser (and of everything that walks the
/// marker after it).
pub const MAX_NESTING: usize = 100;

impl Marker {
    /// The marker that always holds.
    pub fn always() -> Marker {
        Marker::And(Vec::new())
    }

    /// Whether this is the marker that always holds, as written (no atoms).
    pub fn is_always(&self) -> bool {
        matches!(self, Marker::And(parts) if parts.is_empty())
    }

    /// Parses a PEP 508 marker and gives its meaning. An empty string is the marker
    /// that always holds.
    pub fn parse(text: &str) -> Result<Marker, MarkerError> {
        let err = |message: String| MarkerError {
            marker: text.to_string(),
            message,
        };
        let tokens = lex(text).map_err(err)?;
        if tokens.is_empty() {
            return Ok(Marker::always());
        }
        let mut parser = Parser {
            tokens,
            pos: 0,
            depth: 0,
        };
        let expr = parser.or_expr().map_err(err)?;
        if parser.pos != parser.tokens.len() {
            return Err(err(format!(
                "unexpected `{}` after a complete marker",
                parser.tokens[parser.pos]
            )));
        }
        meaning(&expr).map_err(err)
    }

    /// Both markers.
    pub fn and(self, other: Marker) -> Marker {
        let mut parts = Vec::new();
        for m in [self, other] {
            match m {
                Marker::And(inner) => parts.extend(inner),
                m => parts.push(m),
            }
        }
        // Without the repeated parts, found by hashing: the `and` of the markers
        // along a long chain of extras has as many parts as the chain.
        let keep: Vec<bool> = {
            let mut seen = std::collections::HashSet::with_capacity(parts.len());
            parts.iter().map(|p| seen.insert(p)).collect()
        };
        let mut unique: Vec<Marker> = parts
            .into_iter()
            .zip(keep)
            .filter_map(|(p, keep)| keep.then_some(p))
            .collect();
        if unique.len() == 1 {
            unique.pop().expect("one part")
        } else {
            Marker::And(unique)
        }
    }

    /// The marker with every atom replaced by `f`'s answer.
    pub fn try_map_atoms<E>(
        self,
        f: &mut impl FnMut(Atom) -> Result<Atom, E>,
    ) -> Result<Marker, E> {
        Ok(match self {
            Marker::Atom(a) => Marker::Atom(f(a)?),
            Marker::And(parts) => Marker::And(
                parts
                    .into_iter()
                    .map(|p| p.try_map_atoms(f))
                    .collect::<Result<_, _>>()?,
            ),
            Marker::Or(parts) => Marker::Or(
                parts
                    .into_iter()
                    .map(|p| p.try_map_atoms(f))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    /// Every atom of the marker, in written order.
    pub fn atoms(&self) -> Vec<&Atom> {
        let mut out = Vec::new();
        fn walk<'a>(m: &'a Marker, out: &mut Vec<&'a Atom>) {
            match m {
                Marker::Atom(a) => out.push(a),
                Marker::And(parts) | Marker::Or(parts) => parts.iter().for_each(|p| walk(p, out)),
            }
        }
        walk(self, &mut out);
        out
    }
}

// ---------------------------------------------------------------------------
// Versions

/// A final release version of Python, `X.Y.Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PyVersion(pub u64, pub u64, pub u64);

impl PyVersion {
    /// The next release after this one: `X.Y.(Z+1)`.
    pub fn next_patch(self) -> PyVersion {
        PyVersion(self.0, self.1, self.2 + 1)
    }

    /// The first release of the minor series after this one's: `X.(Y+1).0`.
    pub fn next_minor(self) -> PyVersion {
        PyVersion(self.0, self.1 + 1, 0)
    }

    /// The first release of this one's minor series or of a later one that is not
    /// below this version: `X.Y.0` if Z is 0, else `X.(Y+1).0`.
    pub fn round_up_to_minor(self) -> PyVersion {
        if self.2 == 0 {
            self
        } else {
            self.next_minor()
        }
    }

    /// Parses `X`, `X.Y` or `X.Y.Z` (more components only if they are zero).
    pub fn parse(text: &str) -> Result<(PyVersion, usize), String> {
        let parts: Vec<&str> = text.split('.').collect();
        let mut numbers = Vec::with_capacity(parts.len());
        for p in &parts {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "`{text}` is not a final release version (X.Y.Z): sel models Python versions as releases, without pre-, post-, dev-releases or local labels"
                ));
            }
            // Below u64::MAX / 2, so that the arithmetic on versions (the next
            // release, the next minor series) cannot overflow.
            numbers.push(
                p.parse::<u64>()
                    .ok()
                    .filter(|&n| n < u64::MAX / 2)
                    .ok_or_else(|| format!("`{text}`: a version component is too large"))?,
            );
        }
        if numbers.len() > 3 && numbers[3..].iter().any(|&n| n != 0) {
            return Err(format!(
                "`{text}` has more than three release components; Python versions have three"
            ));
        }
        let get = |i: usize| numbers.get(i).copied().unwrap_or(0);
        Ok((PyVersion(get(0), get(1), get(2)), numbers.len()))
    }
}

impl fmt::Display for PyVersion {
    /// `3.11` for `3.11.0`, `3.9.1` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.2 == 0 {
            write!(f, "{}.{}", self.0, self.1)
        } else {
            write!(f, "{}.{}.{}", self.0, self.1, self.2)
        }
    }
}

/// A set of Python release versions: sorted, disjoint, non-empty, non-adjacent
/// half-open intervals `[lo, hi)`, `hi = None` meaning unbounded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionSet(pub Vec<(PyVersion, Option<PyVersion>)>);

const ZERO: PyVersion = PyVersion(0, 0, 0);

impl VersionSet {
    /// Every version.
    pub fn all() -> VersionSet {
        VersionSet(vec![(ZERO, None)])
    }

    /// No version.
    pub fn empty() -> VersionSet {
        VersionSet(Vec::new())
    }

    /// `[lo, hi)`.
    pub fn range(lo: PyVersion, hi: Option<PyVersion>) -> VersionSet {
        VersionSet::normalized(vec![(lo, hi)])
    }

    fn normalized(mut ranges: Vec<(PyVersion, Option<PyVersion>)>) -> VersionSet {
        ranges.retain(|(lo, hi)| hi.is_none_or(|hi| *lo < hi));
        ranges.sort();
        let mut out: Vec<(PyVersion, Option<PyVersion>)> = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            if let Some(last) = out.last_mut() {
                // Overlapping or adjacent: merge.
                if last.1.is_none_or(|end| lo <= end) {
                    last.1 = match (last.1, hi) {
                        (None, _) | (_, None) => None,
                        (Some(a), Some(b)) => Some(a.max(b)),
                    };
                    continue;
                }
            }
            out.push((lo, hi));
        }
        VersionSet(out)
    }

    /// The versions not in the set.
    pub fn complement(&self) -> VersionSet {
        let mut out = Vec::new();
        let mut from = Some(ZERO);
        for (lo, hi) in &self.0 {
            if let Some(f) = from {
                if f < *lo {
                    out.push((f, Some(*lo)));
                }
            }
            from = *hi;
        }
        if let Some(f) = from {
            out.push((f, None));
        }
        VersionSet::normalized(out)
    }

    /// The versions in either set.
    pub fn union(&self, other: &VersionSet) -> VersionSet {
        VersionSet::normalized(self.0.iter().chain(&other.0).copied().collect())
    }

    /// The versions in any of the sets, in time `n log n` in their intervals.
    pub fn union_all(sets: &[VersionSet]) -> VersionSet {
        VersionSet::normalized(sets.iter().flat_map(|s| s.0.iter().copied()).collect())
    }

    /// The versions in all of the sets.
    pub fn intersect_all(sets: &[VersionSet]) -> VersionSet {
        let complements: Vec<VersionSet> = sets.iter().map(VersionSet::complement).collect();
        VersionSet::union_all(&complements).complement()
    }

    /// The versions in both sets.
    pub fn intersect(&self, other: &VersionSet) -> VersionSet {
        self.complement().union(&other.complement()).complement()
    }

    /// Whether the version is in the set.
    pub fn contains(&self, v: PyVersion) -> bool {
        self.0
            .iter()
            .any(|(lo, hi)| *lo <= v && hi.is_none_or(|hi| v < hi))
    }

    /// Whether the set holds no version.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The interval ends: the versions at which membership may change.
    pub fn cuts(&self) -> Vec<PyVersion> {
        self.0
            .iter()
            .flat_map(|(lo, hi)| std::iter::once(*lo).chain(*hi))
            .collect()
    }

    /// The set as `python_version` (the interpreter's `X.Y`) sees it: the versions
    /// whose minor series start `X.Y.0` is in this set.
    fn by_minor(&self) -> VersionSet {
        VersionSet::normalized(
            self.0
                .iter()
                .map(|(lo, hi)| (lo.round_up_to_minor(), hi.map(PyVersion::round_up_to_minor)))
                .collect(),
        )
    }

    /// The releases satisfying the PEP 440 specifier `op version` (`version` may end
    /// in `.*` for `==` and `!=`).
    pub fn from_specifier(op: &str, version: &str) -> Result<VersionSet, String> {
        let (text, wildcard) = match version.strip_suffix(".*") {
            Some(prefix) => (prefix, true),
            None => (version, false),
        };
        let (v, len) = PyVersion::parse(text.trim())?;
        if wildcard && !matches!(op, "==" | "!=") {
            return Err(format!(
                "a wildcard version (`{version}`) is only allowed with `==` and `!=`"
            ));
        }
        let prefix_end = || match len {
            1 => PyVersion(v.0 + 1, 0, 0),
            2 => v.next_minor(),
            _ => v.next_patch(),
        };
        let set = match op {
            "<" => VersionSet::range(ZERO, Some(v)),
            "<=" => VersionSet::range(ZERO, Some(v.next_patch())),
            ">" => VersionSet::range(v.next_patch(), None),
            ">=" => VersionSet::range(v, None),
            "==" if wildcard => VersionSet::range(v, Some(prefix_end())),
            "!=" if wildcard => VersionSet::range(v, Some(prefix_end())).complement(),
            "==" => VersionSet::range(v, Some(v.next_patch())),
            "!=" => VersionSet::range(v, Some(v.next_patch())).complement(),
            "~=" => {
                let end = match len {
                    1 => return Err(format!("`~={version}` needs at least two components")),
                    2 => PyVersion(v.0 + 1, 0, 0),
                    _ => v.next_minor(),
                };
                VersionSet::range(v, Some(end))
            }
            "===" => {
                return Err(
                    "`===` compares strings, not versions; sel cannot express it".to_string(),
                )
            }
            other => return Err(format!("`{other}` is not a version comparison")),
        };
        Ok(set)
    }

    /// The releases satisfying a `requires-python` specifier set (`>=3.10, <4`).
    pub fn from_specifiers(text: &str) -> Result<VersionSet, String> {
        let mut sets = vec![VersionSet::all()];
        for spec in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let split = spec
                .find(|c: char| c.is_ascii_digit())
                .ok_or_else(|| format!("`{spec}` is not a version specifier"))?;
            let (op, version) = spec.split_at(split);
            sets.push(VersionSet::from_specifier(op.trim(), version)?);
        }
        Ok(VersionSet::intersect_all(&sets))
    }
}

// ---------------------------------------------------------------------------
// Lexer and parser

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    LParen,
    RParen,
    And,
    Or,
    Not,
    In,
    Op(&'static str),
    Str(String),
    Var(String),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::LParen => f.write_str("("),
            Token::RParen => f.write_str(")"),
            Token::And => f.write_str("and"),
            Token::Or => f.write_str("or"),
            Token::Not => f.write_str("not"),
            Token::In => f.write_str("in"),
            Token::Op(op) => f.write_str(op),
            Token::Str(s) => write!(f, "'{s}'"),
            Token::Var(v) => f.write_str(v),
        }
    }
}

const VARIABLES: &[&str] = &[
    "python_version",
    "python_full_version",
    "os_name",
    "sys_platform",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform_machine",
    "platform_python_implementation",
    "implementation_name",
    "implementation_version",
    "extra",
    "extras",
    "dependency_groups",
];

fn lex(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'(' {
            out.push(Token::LParen);
            i += 1;
        } else if c == b')' {
            out.push(Token::RParen);
            i += 1;
        } else if c == b'\'' || c == b'"' {
            let end = text[i + 1..]
                .find(c as char)
                .ok_or_else(|| "a string is not closed".to_string())?;
            out.push(Token::Str(text[i + 1..i + 1 + end].to_string()));
            i += end + 2;
        } else if b"<>=!~".contains(&c) {
            let op = ["===", "<=", ">=", "==", "!=", "~=", "<", ">"]
                .into_iter()
                .find(|op| text[i..].starts_with(op))
                .ok_or_else(|| format!("`{}` is not an operator", &text[i..i + 1]))?;
            out.push(Token::Op(op));
            i += op.len();
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = text[i..]
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
                .map_or(text.len(), |e| i + e);
            let word = &text[i..end];
            out.push(match word {
                "and" => Token::And,
                "or" => Token::Or,
                "not" => Token::Not,
                "in" => Token::In,
                // Legacy spellings that `packaging` still accepts.
                "os.name" => Token::Var("os_name".into()),
                "sys.platform" => Token::Var("sys_platform".into()),
                "platform.version" => Token::Var("platform_version".into()),
                "platform.machine" => Token::Var("platform_machine".into()),
                "platform.python_implementation" | "python_implementation" => {
                    Token::Var("platform_python_implementation".into())
                }
                w if VARIABLES.contains(&w) => Token::Var(w.to_string()),
                w => return Err(format!("`{w}` is not a marker variable")),
            });
            i = end;
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(format!("unexpected `{ch}`"));
        }
    }
    Ok(out)
}

/// A comparison as written.
#[derive(Clone, Debug)]
enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare {
        left: Operand,
        op: String,
        right: Operand,
    },
}

#[derive(Clone, Debug)]
enum Operand {
    Var(String),
    Str(String),
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Var(v) => f.write_str(v),
            Operand::Str(s) => write!(f, "'{s}'"),
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// How many parentheses are open.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or_expr(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and_expr()?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Expr::Or(parts)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.atom()?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            parts.push(self.atom()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Expr::And(parts)
        })
    }

    fn atom(&mut self) -> Result<Expr, String> {
        if self.peek() == Some(&Token::LParen) {
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return Err(format!(
                    "the marker nests parentheses more than {MAX_NESTING} deep; sel reads markers up to that depth"
                ));
            }
            let e = self.or_expr()?;
            self.depth -= 1;
            return match self.next() {
                Some(Token::RParen) => Ok(e),
                Some(t) => Err(format!("expected `)`, found `{t}`")),
                None => Err("a `(` is not closed".to_string()),
            };
        }
        let left = self.operand()?;
        let op = match self.next() {
            Some(Token::Op(op)) => op.to_string(),
            Some(Token::In) => "in".to_string(),
            Some(Token::Not) => match self.next() {
                Some(Token::In) => "not in".to_string(),
                _ => return Err("`not` must be followed by `in`".to_string()),
            },
            Some(t) => return Err(format!("expected a comparison operator, found `{t}`")),
            None => return Err(format!("`{left}` is not compared with anything")),
        };
        let right = self.operand()?;
        Ok(Expr::Compare { left, op, right })
    }

    fn operand(&mut self) -> Result<Operand, String> {
        match self.next() {
            Some(Token::Var(v)) => Ok(Operand::Var(v)),
            Some(Token::Str(s)) => Ok(Operand::Str(s)),
            Some(t) => Err(format!(
                "expected a marker variable or a quoted string, found `{t}`"
            )),
            None => Err("the marker ends too early".to_string()),
        }
    }
}

// ---------------------------------------------------------------------------
// Meaning

fn meaning(expr: &Expr) -> Result<Marker, String> {
    Ok(match expr {
        Expr::And(parts) => Marker::And(parts.iter().map(meaning).collect::<Result<_, _>>()?),
        Expr::Or(parts) => Marker::Or(parts.iter().map(meaning).collect::<Result<_, _>>()?),
        Expr::Compare { left, op, right } => Marker::Atom(atom(left, op, right)?),
    })
}

/// The PEP 503 normalized form of a distribution, extra or group name (PEP
/// 685 normalizes extras the same way): lower case, each run of `-`, `_` and
/// `.` one `-`. The name must be valid as PEP 508 says (ASCII letters, digits,
/// `-`, `_` and `.`, beginning and ending with a letter or digit), so that the
/// normalized name is a label of its own: anything else is refused, with the
/// name, rather than written into a workspace that would not load.
pub fn normalize_name(name: &str) -> Result<String, String> {
    let valid = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid {
        return Err(format!(
            "`{}` is not a valid name: PEP 508 names are ASCII letters, digits, `-`, `_` and `.`, beginning and ending with a letter or digit",
            shortened(name)
        ));
    }
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    Ok(out)
}

fn flip(op: &str) -> &str {
    match op {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        other => other,
    }
}

fn atom(left: &Operand, op: &str, right: &Operand) -> Result<Atom, String> {
    let text = format!("{left} {op} {right}");
    match (left, right) {
        (Operand::Var(var), Operand::Str(value)) => var_op_value(var, op, value, &text),
        (Operand::Str(value), Operand::Var(var)) => value_op_var(value, op, var, &text),
        (Operand::Var(_), Operand::Var(_)) => Err(format!(
            "`{text}` compares two variables; sel can only compare a variable with a value"
        )),
        (Operand::Str(_), Operand::Str(_)) => Err(format!(
            "`{text}` compares two strings; sel expects a variable on one side"
        )),
    }
}

fn var_op_value(var: &str, op: &str, value: &str, text: &str) -> Result<Atom, String> {
    match var {
        "python_full_version" | "python_version" => {
            let full = var == "python_full_version";
            let set = match op {
                "in" | "not in" => {
                    let set = substring_versions(value, if full { 3 } else { 2 });
                    if op == "in" {
                        set
                    } else {
                        set.complement()
                    }
                }
                _ => {
                    let set = VersionSet::from_specifier(op, value)
                        .map_err(|e| format!("`{text}`: {e}"))?;
                    if full {
                        set
                    } else {
                        set.by_minor()
                    }
                }
            };
            Ok(Atom::Python(set))
        }
        "extra" => match op {
            "==" | "!=" => Ok(Atom::Extra {
                name: normalize_name(value).map_err(|e| format!("`{text}`: {e}"))?,
                negated: op == "!=",
            }),
            _ => Err(format!("`{text}`: `extra` is compared with `==` or `!=`")),
        },
        _ => {
            if let Some(var) = StrVar::from_name(var) {
                match op {
                    "==" | "!=" => Ok(Atom::Equals {
                        var,
                        value: value.to_string(),
                        negated: op == "!=",
                    }),
                    "in" | "not in" => Ok(Atom::In {
                        var,
                        haystack: value.to_string(),
                        negated: op == "not in",
                    }),
                    _ => Err(format!(
                        "`{text}`: `{op}` on `{var}` compares strings by their spelling; sel can only write `==` and `!=` for it"
                    )),
                }
            } else {
                Err(unsupported_var(var, text))
            }
        }
    }
}

fn value_op_var(value: &str, op: &str, var: &str, text: &str) -> Result<Atom, String> {
    match (var, op) {
        ("extras", "in" | "not in") | ("extra", "in" | "not in") => Ok(Atom::Extra {
            name: normalize_name(value).map_err(|e| format!("`{text}`: {e}"))?,
            negated: op == "not in",
        }),
        ("dependency_groups", "in" | "not in") => Ok(Atom::Group {
            name: normalize_name(value).map_err(|e| format!("`{text}`: {e}"))?,
            negated: op == "not in",
        }),
        ("extras" | "dependency_groups", _) => Err(format!(
            "`{text}`: `{var}` is a set, tested with `'name' in {var}`"
        )),
        ("python_full_version" | "python_version", "in" | "not in") => Err(format!(
            "`{text}`: a substring test of the Python version is not something sel can write"
        )),
        ("python_full_version" | "python_version", _) if value.ends_with(".*") => Err(format!(
            "`{text}`: a wildcard version must be on the right of `{op}`"
        )),
        ("python_full_version" | "python_version", "~=" | "===") => Err(format!(
            "`{text}`: write the version on the right of `{op}`"
        )),
        (_, "in" | "not in") => Err(format!(
            "`{text}`: a test of `{var}` containing a string holds for infinitely many values no lock lists; sel can write `{var} in '...'` (a substring test of the list) but not this"
        )),
        _ => var_op_value(var, flip(op), value, text),
    }
}

fn unsupported_var(var: &str, text: &str) -> String {
    match var {
        "extras" | "dependency_groups" => {
            format!("`{text}`: `{var}` is a set, tested with `'name' in {var}`")
        }
        _ => format!(
            "`{text}`: `{var}` is a free-form string of the running system that sel does not model; the supported variables are python_version, python_full_version, sys_platform, platform_machine, platform_system, os_name, implementation_name, platform_python_implementation and extra"
        ),
    }
}

/// The versions whose string (`X.Y` for `components = 2`, `X.Y.Z` for 3) is a
/// substring of `haystack`, as PEP 508's `in` tests.
fn substring_versions(haystack: &str, components: usize) -> VersionSet {
    let mut ranges = Vec::new();
    let bytes = haystack.as_bytes();
    for start in 0..bytes.len() {
        // A candidate is digits and dots, with `components` parts of at most
        // 20 digits (a larger one is no version): the ends tried are bounded, so
        // that a long string costs time in proportion to its length.
        let longest = components * 21;
        let stop = bytes[start..]
            .iter()
            .take(longest)
            .position(|b| !(b.is_ascii_digit() || *b == b'.'))
            .map_or((start + longest).min(bytes.len()), |p| start + p);
        for end in start + 1..=stop {
            let Some(candidate) = haystack.get(start..end) else {
                continue;
            };
            let parts: Vec<&str> = candidate.split('.').collect();
            let canonical = parts.len() == components
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.bytes().all(|b| b.is_ascii_digit())
                        && (p.len() == 1 || !p.starts_with('0'))
                });
            if !canonical {
                continue;
            }
            let Ok((v, _)) = PyVersion::parse(candidate) else {
                continue;
            };
            let end = if components == 2 {
                v.next_minor()
            } else {
                v.next_patch()
            };
            ranges.push((v, Some(end)));
        }
    }
    VersionSet::normalized(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(text: &str) -> VersionSet {
        match Marker::parse(text).unwrap() {
            Marker::Atom(Atom::Python(set)) => set,
            other => panic!("not a Python atom: {other:?}"),
        }
    }

    fn v(text: &str) -> PyVersion {
        PyVersion::parse(text).unwrap().0
    }

    #[test]
    fn comparisons_on_release_versions() {
        assert_eq!(
            py("python_full_version < '3.11'"),
            VersionSet::range(v("0"), Some(v("3.11")))
        );
        assert_eq!(
            py("python_full_version <= '3.9'"),
            VersionSet::range(v("0"), Some(v("3.9.1")))
        );
        assert_eq!(
            py("python_full_version > '3.9'"),
            VersionSet::range(v("3.9.1"), None)
        );
        assert_eq!(
            py("python_full_version == '3.11.*'"),
            VersionSet::range(v("3.11"), Some(v("3.12")))
        );
        assert_eq!(
            py("python_full_version != '3.10.*'"),
            VersionSet::range(v("3.10"), Some(v("3.11"))).complement()
        );
        assert_eq!(
            py("python_full_version ~= '3.11.2'"),
            VersionSet::range(v("3.11.2"), Some(v("3.12")))
        );
        assert_eq!(
            py("python_full_version ~= '3.11'"),
            VersionSet::range(v("3.11"), Some(v("4")))
        );
        assert_eq!(
            py("python_full_version == '3.11'"),
            VersionSet::range(v("3.11"), Some(v("3.11.1")))
        );
    }

    #[test]
    fn python_version_is_the_minor_series() {
        // python_version is X.Y: `> '3.11'` is false on 3.11.5, true on 3.12.0.
        assert_eq!(
            py("python_version > '3.11'"),
            VersionSet::range(v("3.12"), None)
        );
        assert_eq!(
            py("python_version <= '3.11'"),
            VersionSet::range(v("0"), Some(v("3.12")))
        );
        assert_eq!(
            py("python_version == '3.11'"),
            VersionSet::range(v("3.11"), Some(v("3.12")))
        );
        assert_eq!(
            py("python_version >= '3.11.2'"),
            VersionSet::range(v("3.12"), None)
        );
        assert_eq!(
            py("python_version < '3.11.2'"),
            VersionSet::range(v("0"), Some(v("3.12")))
        );
        // A literal on the left flips the comparison.
        assert_eq!(
            py("'3.11' <= python_version"),
            py("python_version >= '3.11'")
        );
    }

    #[test]
    fn version_in_is_a_substring_test() {
        let set = py("python_version in '3.10 3.11'");
        assert!(set.contains(v("3.1.4")));
        assert!(set.contains(v("3.10.2")));
        assert!(set.contains(v("3.11.0")));
        assert!(!set.contains(v("3.12.0")));
        assert!(!set.contains(v("3.0.0")));
        let not_in = py("python_version not in '3.10 3.11'");
        assert_eq!(not_in, set.complement());
    }

    #[test]
    fn structure_and_strings() {
        let m = Marker::parse(
            "platform_machine == 'x86_64' and sys_platform == \"linux\" or (os_name != 'nt')",
        )
        .unwrap();
        let Marker::Or(parts) = &m else {
            panic!("{m:?}")
        };
        assert_eq!(parts.len(), 2);
        assert!(matches!(&parts[0], Marker::And(p) if p.len() == 2));
        assert_eq!(
            parts[1],
            Marker::Atom(Atom::Equals {
                var: StrVar::OsName,
                value: "nt".into(),
                negated: true
            })
        );
        assert_eq!(
            Marker::parse("'linux' == sys_platform").unwrap(),
            Marker::parse("sys_platform == 'linux'").unwrap()
        );
        assert_eq!(
            Marker::parse("'Dev_Tools' in dependency_groups").unwrap(),
            Marker::Atom(Atom::Group {
                name: "dev-tools".into(),
                negated: false
            })
        );
        assert_eq!(
            Marker::parse("extra == 'CUDA.12'").unwrap(),
            Marker::Atom(Atom::Extra {
                name: "cuda-12".into(),
                negated: false
            })
        );
        assert!(Marker::parse("").unwrap().is_always());
        assert_eq!(
            Marker::parse("platform_machine not in 'x86_64 AMD64'").unwrap(),
            Marker::Atom(Atom::In {
                var: StrVar::PlatformMachine,
                haystack: "x86_64 AMD64".into(),
                negated: true
            })
        );
    }

    #[test]
    fn what_sel_cannot_write_is_an_error() {
        for bad in [
            "'linux' in sys_platform",
            "sys_platform < 'linux'",
            "platform_release >= '5.0'",
            "python_full_version >= '3.13.0rc1'",
            "python_full_version === '3.11.4'",
            "python_full_version >= '3.11.*'",
            "sys_platform == 'linux' and",
            "(sys_platform == 'linux'",
            "sys_platform = 'linux'",
            "foo == 'bar'",
            "python_version == python_full_version",
        ] {
            let e = Marker::parse(bad).unwrap_err();
            assert_eq!(e.marker, bad);
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| {
            format!(
                "{}(os_name == 'nt' or sys_platform == 'linux'){}",
                "(os_name == 'posix' and ".repeat(depth - 1),
                ")".repeat(depth - 1)
            )
        };
        assert!(Marker::parse(&nested(MAX_NESTING)).is_ok());
        let e = Marker::parse(&nested(MAX_NESTING + 1)).unwrap_err();
        assert!(e.message.contains("nests parentheses"), "{e}");
        // A message shows the start of a long marker, not all of it.
        let shown = e.to_string();
        assert!(shown.len() < 600, "{shown}");
        assert!(shown.contains("characters in all"), "{shown}");
    }

    #[test]
    fn names_are_normalized_or_refused() {
        assert_eq!(normalize_name("Foo_Bar").unwrap(), "foo-bar");
        assert_eq!(normalize_name("foo.-_bar").unwrap(), "foo-bar");
        assert_eq!(normalize_name("A1").unwrap(), "a1");
        for bad in [
            "", ".", "-a", "a-", "a b", "a:b", "../x", "a\nb", "é", "a'b",
        ] {
            let e = normalize_name(bad).unwrap_err();
            assert!(e.contains("not a valid name"), "{bad}: {e}");
        }
        assert!(normalize_name("a\nb").unwrap_err().contains("`a\\nb`"));
    }

    #[test]
    fn requires_python() {
        let set = VersionSet::from_specifiers(">=3.9, <3.13, !=3.10.*").unwrap();
        assert!(set.contains(v("3.9.0")));
        assert!(!set.contains(v("3.10.4")));
        assert!(set.contains(v("3.12.9")));
        assert!(!set.contains(v("3.13.0")));
    }
}
