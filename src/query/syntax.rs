//! The query language: Bazel's `query`/`cquery` expression syntax, parsed
//! into an [`Expr`] tree that keeps a byte [`Span`] on every node, so the
//! evaluator can point at the exact part of the query that failed.
//!
//! Everything that can be checked without the graph is checked here: function
//! names (with a did-you-mean), argument counts and kinds, depths, and
//! variables (scope is lexical, so `$v` outside its `let` is an error before
//! anything is evaluated). The evaluator can then rely on the shape of every
//! [`Expr::Call`]; see [`Func`] for the argument positions.
//!
//! # Grammar
//!
//! ```text
//! query    ::= expr END
//! expr     ::= operand ( setop operand )*
//! operand  ::= "let" NAME "=" expr "in" expr
//!            | primary
//! primary  ::= WORD                              a target pattern
//!            | VAR                               `$name`, bound by an enclosing let
//!            | FUNC "(" arguments ")"
//!            | "(" expr ")"
//! setop    ::= "+" | "union" | "-" | "except" | "^" | "intersect"
//!
//! arguments, by function (word = WORD, depth = INTEGER):
//!   deps(expr)            deps(expr, depth)
//!   rdeps(expr, expr)     rdeps(expr, expr, depth)
//!   allpaths(expr, expr)  somepath(expr, expr)
//!   kind(word, expr)      filter(word, expr)      labels(word, expr)
//!   attr(word, word, expr)
//!   siblings(expr)
//! ```
//!
//! Precedence and associativity, as in Bazel: the three set operators share a
//! single precedence level and associate to the left, so `a - b + c` is
//! `(a - b) + c` and `a + b - c ^ d` is `((a + b) - c) ^ d`. A `let` body
//! extends as far to the right as possible: `a + let v = b in $v - c` is
//! `a + (let v = b in ($v - c))`. Parentheses group.
//!
//! # Words and tokens
//!
//! ```text
//! WORD     ::= BARE | QUOTED
//! BARE     ::= [A-Za-z0-9/@._:~\[\]] [A-Za-z0-9/@._:~\[\]*$-]*
//!              (a word that begins with `@@` may also contain `+`)
//! QUOTED   ::= '"' [^"]* '"' | "'" [^']* "'"     (no escapes)
//! VAR      ::= "$" NAME
//! NAME     ::= [A-Za-z_] [A-Za-z0-9_]*
//! INTEGER  ::= [0-9]+                             (a bare word, at most u32::MAX)
//! punctuation: ( ) , = + - ^         whitespace separates tokens
//! ```
//!
//! This is Bazel's word alphabet, so queries copied from Bazel lex the same
//! way. A bare word is a maximal run of word characters: `-` and `*` may
//! continue a word but not begin one, so `spam-cu12` is one word while
//! `a - b`, `a -b` and `(a)-(b)` are all `except`. `+` and `^` are not word
//! characters (except `+` after `@@`, for canonical repository names like
//! `@@rules_cc+//cc:x`), so `a+b` is a union. `,` and `=` are never word
//! characters, so `deps(x,1)` and `let v=x in $v` need no spaces. Anything
//! else (spaces, `(`, `|`, a regex anchor `^`) needs quotes: `"cc_.*|py_.*"`.
//!
//! Keywords are keywords only where they can be: a bare `union`, `except` or
//! `intersect` is an operator only after a complete operand; `in` only ends a
//! let's value; `let` starts a let-expression only when a name follows it; a
//! word is a function name only when `(` follows it. Anywhere else such a word
//! is a target pattern, and a quoted word is always one.

use std::fmt;
use std::ops::Range;

/// How deeply parentheses, calls and lets may nest: a bound on the parser's
/// recursion, far above anything written by hand.
const MAX_NESTING: usize = 256;

/// A byte range in the query text, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte; equal to `start` for a point, such as
    /// the end of the query.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// From the start of `self` to the end of `other`.
    fn to(self, other: Span) -> Span {
        Span::new(self.start, other.end)
    }
}

impl From<Span> for Range<usize> {
    fn from(span: Span) -> Range<usize> {
        span.start..span.end
    }
}

/// A parsed query expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A target pattern such as `//pkg:name`, `//pkg/...` or `:name`, as
    /// written (without quotes); the span covers the quotes, if any.
    Pattern { text: String, span: Span },
    /// `$name`: a reference to an enclosing `let`. Always bound.
    Var { name: String, span: Span },
    /// `let name = value in body`.
    Let {
        name: String,
        value: Box<Expr>,
        body: Box<Expr>,
        span: Span,
    },
    /// `left op right`.
    SetOp {
        op: SetOp,
        left: Box<Expr>,
        right: Box<Expr>,
        span: Span,
    },
    /// A function call; `args` are normalised as documented on [`Func`].
    Call {
        func: Func,
        args: Vec<Arg>,
        span: Span,
    },
}

impl Expr {
    /// Where the expression is in the query text. Parentheses around an
    /// expression are not part of its own span, but they are part of the span
    /// of an enclosing set operation or let.
    pub fn span(&self) -> Span {
        match self {
            Expr::Pattern { span, .. }
            | Expr::Var { span, .. }
            | Expr::Let { span, .. }
            | Expr::SetOp { span, .. }
            | Expr::Call { span, .. } => *span,
        }
    }
}

/// A set operator. All three have the same precedence and associate left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetOp {
    /// `+` or `union`.
    Union,
    /// `-` or `except`.
    Except,
    /// `^` or `intersect`.
    Intersect,
}

impl SetOp {
    /// The operator's symbol: `+`, `-` or `^`.
    pub fn symbol(&self) -> &'static str {
        match self {
            SetOp::Union => "+",
            SetOp::Except => "-",
            SetOp::Intersect => "^",
        }
    }

    /// The operator's keyword: `union`, `except` or `intersect`.
    pub fn keyword(&self) -> &'static str {
        match self {
            SetOp::Union => "union",
            SetOp::Except => "except",
            SetOp::Intersect => "intersect",
        }
    }
}

/// A query function. The parser checks the arguments, so the evaluator may
/// rely on these positions in [`Expr::Call::args`]:
///
/// | call                        | args                          |
/// |-----------------------------|-------------------------------|
/// | `deps(x[, n])`              | `[Expr, Int?]`                |
/// | `rdeps(u, x[, n])`          | `[Expr, Expr, Int?]`          |
/// | `allpaths(a, b)`            | `[Expr, Expr]`                |
/// | `somepath(a, b)`            | `[Expr, Expr]`                |
/// | `kind(regex, x)`            | `[Word, Expr]`                |
/// | `filter(regex, x)`          | `[Word, Expr]`                |
/// | `attr(name, regex, x)`      | `[Word, Word, Expr]`          |
/// | `labels(attr, x)`           | `[Word, Expr]`                |
/// | `siblings(x)`               | `[Expr]`                      |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    /// `deps(x)`, `deps(x, depth)`: `x` and what it depends on.
    Deps,
    /// `rdeps(universe, x)`, `rdeps(universe, x, depth)`: what in `universe`
    /// depends on `x`.
    Rdeps,
    /// `allpaths(from, to)`: every target on a path from `from` to `to`.
    Allpaths,
    /// `somepath(from, to)`: the targets of one path from `from` to `to`.
    Somepath,
    /// `kind(regex, x)`: the targets of `x` whose rule kind matches.
    Kind,
    /// `attr(name, regex, x)`: the targets of `x` whose attribute matches.
    Attr,
    /// `filter(regex, x)`: the targets of `x` whose label matches.
    Filter,
    /// `labels(attr, x)`: the targets named by attribute `attr` of `x`.
    Labels,
    /// `siblings(x)`: every target in the packages of `x`.
    Siblings,
}

/// What one argument position accepts.
#[derive(Debug, Clone, Copy)]
enum Param {
    /// Any expression.
    Expr,
    /// A bare or quoted word; the text says what it is for messages.
    Word(&'static str),
    /// A non-negative integer.
    Depth,
}

impl Func {
    /// Every function, in declaration order.
    pub const ALL: [Func; 9] = [
        Func::Deps,
        Func::Rdeps,
        Func::Allpaths,
        Func::Somepath,
        Func::Kind,
        Func::Attr,
        Func::Filter,
        Func::Labels,
        Func::Siblings,
    ];

    /// The name as written in a query.
    pub fn name(&self) -> &'static str {
        match self {
            Func::Deps => "deps",
            Func::Rdeps => "rdeps",
            Func::Allpaths => "allpaths",
            Func::Somepath => "somepath",
            Func::Kind => "kind",
            Func::Attr => "attr",
            Func::Filter => "filter",
            Func::Labels => "labels",
            Func::Siblings => "siblings",
        }
    }

    /// The function called `name` (case-sensitive, as in Bazel).
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The accepted argument lists, for messages: `(expr) or (expr, depth)`.
    pub fn signature(&self) -> &'static str {
        match self {
            Func::Deps => "(expr) or (expr, depth)",
            Func::Rdeps => "(universe, expr) or (universe, expr, depth)",
            Func::Allpaths | Func::Somepath => "(from, to)",
            Func::Kind | Func::Filter => "(regex, expr)",
            Func::Attr => "(name, regex, expr)",
            Func::Labels => "(attr, expr)",
            Func::Siblings => "(expr)",
        }
    }

    /// The argument positions; the ones past [`Func::required`] are optional.
    fn params(&self) -> &'static [Param] {
        const REGEX: Param = Param::Word("a regular expression");
        const ATTR: Param = Param::Word("an attribute name");
        match self {
            Func::Deps => &[Param::Expr, Param::Depth],
            Func::Rdeps => &[Param::Expr, Param::Expr, Param::Depth],
            Func::Allpaths | Func::Somepath => &[Param::Expr, Param::Expr],
            Func::Kind | Func::Filter => &[REGEX, Param::Expr],
            Func::Attr => &[ATTR, REGEX, Param::Expr],
            Func::Labels => &[ATTR, Param::Expr],
            Func::Siblings => &[Param::Expr],
        }
    }

    /// How many arguments must be given.
    fn required(&self) -> usize {
        match self {
            Func::Deps => 1,
            Func::Rdeps => 2,
            _ => self.params().len(),
        }
    }
}

impl fmt::Display for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One argument of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// An expression position.
    Expr(Expr),
    /// A word position (a regular expression or an attribute name), without
    /// quotes; the span covers the quotes, if any.
    Word { text: String, span: Span },
    /// A depth.
    Int { value: u32, span: Span },
}

impl Arg {
    /// Where the argument is in the query text.
    pub fn span(&self) -> Span {
        match self {
            Arg::Expr(expr) => expr.span(),
            Arg::Word { span, .. } | Arg::Int { span, .. } => *span,
        }
    }
}

/// Why a query does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong, in one line.
    pub message: String,
    /// The part of the query to underline; empty at the end of the query.
    pub span: Span,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl ParseError {
    fn new(message: impl Into<String>, span: Span) -> ParseError {
        ParseError {
            message: message.into(),
            span,
            help: None,
        }
    }

    fn with_help(mut self, help: impl Into<String>) -> ParseError {
        self.help = Some(help.into());
        self
    }
}

/// The message only; [`ParseError::help`] is for renderers that show it
/// separately.
impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parse a query expression.
pub fn parse(query: &str) -> Result<Expr, ParseError> {
    if query.trim().is_empty() {
        let help = "write a target pattern such as `//...`, \
                    or an expression such as `deps(//pkg:name)`";
        return Err(ParseError::new("empty query", Span::new(0, query.len())).with_help(help));
    }
    let (tokens, lex_error) = tokenize(query);
    let mut parser = Parser {
        src: query,
        tokens,
        lex_error,
        pos: 0,
        scope: Vec::new(),
        nesting: 0,
    };
    let (expr, _) = parser.expr()?;
    match parser.peek(0).tok {
        Tok::End => match parser.lex_error {
            Some(error) => Err(error),
            None => Ok(expr),
        },
        Tok::RParen => Err(ParseError::new("unmatched `)`", parser.peek(0).span)),
        Tok::Word { .. } | Tok::Var(_) | Tok::LParen => {
            Err(parser.unexpected("an operator or the end of the query", Some(COMBINE_HELP)))
        }
        _ => Err(parser.unexpected("an operator or the end of the query", None)),
    }
}

const COMBINE_HELP: &str =
    "combine expressions with `+` (union), `-` (except) or `^` (intersect), as in `//a + //b`";
const QUOTE_HELP: &str =
    "quote a word that contains spaces or operator characters, as in \"^cc_(library|binary)$\"";
const LET_HELP: &str =
    "a let-expression reads `let name = value in body`, and the body refers to it as `$name`";
const KEYWORDS: [&str; 5] = ["let", "in", "union", "except", "intersect"];

// ---------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word {
        text: String,
        quoted: bool,
    },
    Var(String),
    LParen,
    RParen,
    Comma,
    Equals,
    Plus,
    Minus,
    Caret,
    /// The end of the query, or the point where lexing failed.
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    span: Span,
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '/' | '@' | '.' | '_' | ':' | '~' | '[' | ']')
}

fn is_word_char(c: char) -> bool {
    is_word_start(c) || matches!(c, '*' | '$' | '-')
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The length in bytes of the bare word at the start of `s`; 0 if none.
fn bare_word_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    if !chars.next().is_some_and(|(_, c)| is_word_start(c)) {
        return 0;
    }
    let plus = s.starts_with("@@");
    chars
        .find(|&(_, c)| !(is_word_char(c) || (plus && c == '+')))
        .map_or(s.len(), |(i, _)| i)
}

/// The length in bytes of the variable name at the start of `s`; 0 if none.
fn name_len(s: &str) -> usize {
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return 0;
    }
    s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len())
}

/// Split the query into tokens, always ending with [`Tok::End`]. A lexical
/// error ends the tokens early; the parser reports it when it reaches that
/// point, so an earlier syntax error is still the one reported.
fn tokenize(src: &str) -> (Vec<Token>, Option<ParseError>) {
    let mut tokens = Vec::new();
    let mut pos = 0;
    let error = loop {
        let Some(c) = src[pos..].chars().next() else {
            break None;
        };
        let start = pos;
        pos += c.len_utf8();
        let tok = match c {
            _ if c.is_whitespace() => continue,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '=' => Tok::Equals,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '^' => Tok::Caret,
            '"' | '\'' => match src[pos..].find(c) {
                Some(len) => {
                    let text = src[pos..pos + len].to_string();
                    pos += len + 1;
                    Tok::Word { text, quoted: true }
                }
                None => {
                    break Some(
                        ParseError::new("unclosed quote", Span::new(start, src.len()))
                            .with_help(format!("add a closing {c} after the word")),
                    );
                }
            },
            '$' => match name_len(&src[pos..]) {
                0 => {
                    let message = "expected a variable name after `$`";
                    let help = "variables are written `$name`, \
                                where `name` is bound by `let name = ... in ...`";
                    break Some(ParseError::new(message, Span::new(start, pos)).with_help(help));
                }
                len => {
                    pos += len;
                    Tok::Var(src[start + 1..pos].to_string())
                }
            },
            _ => match bare_word_len(&src[start..]) {
                0 => break Some(unexpected_character(c, Span::new(start, pos))),
                len => {
                    pos = start + len;
                    Tok::Word {
                        text: src[start..pos].to_string(),
                        quoted: false,
                    }
                }
            },
        };
        tokens.push(Token {
            tok,
            span: Span::new(start, pos),
        });
    };
    tokens.push(Token {
        tok: Tok::End,
        span: Span::new(src.len(), src.len()),
    });
    (tokens, error)
}

fn unexpected_character(c: char, span: Span) -> ParseError {
    let error = ParseError::new(format!("unexpected character `{c}`"), span);
    match c {
        '|' => error.with_help(
            "`|` is not an operator: use `+` or `union` for a union, \
             and quote a regular expression that contains `|`",
        ),
        '&' => {
            error.with_help("`&` is not an operator: use `^` or `intersect` for an intersection")
        }
        '*' => error.with_help("a word cannot begin with `*`; quote it, as in \"*\""),
        _ => error.with_help(QUOTE_HELP),
    }
}

// ---------------------------------------------------------------------------
// Parser

struct Parser<'a> {
    src: &'a str,
    /// Never empty: the last token is always [`Tok::End`].
    tokens: Vec<Token>,
    /// The lexical error at the final [`Tok::End`], if lexing failed.
    lex_error: Option<ParseError>,
    pos: usize,
    /// Variables bound by the enclosing lets, innermost last.
    scope: Vec<String>,
    nesting: usize,
}

type Parsed = Result<(Expr, Span), ParseError>;

impl Parser<'_> {
    /// The token `n` ahead, or the final [`Tok::End`].
    fn peek(&self, n: usize) -> &Token {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let token = self.peek(0).clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn text(&self, span: Span) -> &str {
        &self.src[span.start..span.end]
    }

    /// The error for the current token, when `expected` was expected.
    fn unexpected(&self, expected: &str, help: Option<&str>) -> ParseError {
        let token = self.peek(0);
        let error = match token.tok {
            Tok::End => match &self.lex_error {
                Some(error) => return error.clone(),
                None => ParseError::new(
                    format!("unexpected end of query: expected {expected}"),
                    token.span,
                ),
            },
            _ => ParseError::new(
                format!(
                    "unexpected `{}`: expected {expected}",
                    self.text(token.span)
                ),
                token.span,
            ),
        };
        match help {
            Some(help) => error.with_help(help),
            None => error,
        }
    }

    /// The error for reaching the end while `open` is unclosed.
    fn unclosed(&self, open: Span) -> ParseError {
        match &self.lex_error {
            Some(error) => error.clone(),
            None => ParseError::new("unclosed `(`", open).with_help("add a `)` to close it"),
        }
    }

    /// `expr ::= operand (setop operand)*`, left associative.
    fn expr(&mut self) -> Parsed {
        if self.nesting == MAX_NESTING {
            return Err(ParseError::new(
                format!("the query nests more than {MAX_NESTING} levels deep"),
                self.peek(0).span,
            ));
        }
        self.nesting += 1;
        let result = self.expr_unbounded();
        self.nesting -= 1;
        result
    }

    fn expr_unbounded(&mut self) -> Parsed {
        let (mut left, mut outer) = self.operand()?;
        while let Some(op) = self.peek_setop() {
            self.bump();
            let (right, right_outer) = self.operand()?;
            outer = outer.to(right_outer);
            left = Expr::SetOp {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span: outer,
            };
        }
        Ok((left, outer))
    }

    fn peek_setop(&self) -> Option<SetOp> {
        match &self.peek(0).tok {
            Tok::Plus => Some(SetOp::Union),
            Tok::Minus => Some(SetOp::Except),
            Tok::Caret => Some(SetOp::Intersect),
            Tok::Word {
                text,
                quoted: false,
            } => match text.as_str() {
                "union" => Some(SetOp::Union),
                "except" => Some(SetOp::Except),
                "intersect" => Some(SetOp::Intersect),
                _ => None,
            },
            _ => None,
        }
    }

    /// An operand, with its span including any parentheses around it.
    fn operand(&mut self) -> Parsed {
        let token = self.peek(0).clone();
        match &token.tok {
            Tok::Word {
                text,
                quoted: false,
            } if text == "let" && matches!(self.peek(1).tok, Tok::Word { .. } | Tok::Var(_)) => {
                self.let_expr()
            }
            Tok::Word {
                text,
                quoted: false,
            } if self.peek(1).tok == Tok::LParen => self.call(text, token.span),
            Tok::Word { text, .. } => {
                if text.is_empty() {
                    return Err(ParseError::new("empty target pattern", token.span));
                }
                self.bump();
                let pattern = Expr::Pattern {
                    text: text.clone(),
                    span: token.span,
                };
                Ok((pattern, token.span))
            }
            Tok::Var(name) => {
                if !self.scope.contains(name) {
                    return Err(self.undefined_variable(name, token.span));
                }
                self.bump();
                let var = Expr::Var {
                    name: name.clone(),
                    span: token.span,
                };
                Ok((var, token.span))
            }
            Tok::LParen => {
                self.bump();
                let (expr, _) = self.expr()?;
                match self.peek(0).tok {
                    Tok::RParen => {
                        let close = self.bump().span;
                        Ok((expr, token.span.to(close)))
                    }
                    Tok::End => Err(self.unclosed(token.span)),
                    _ => Err(self.unexpected("`)` or an operator", None)),
                }
            }
            Tok::Plus | Tok::Minus | Tok::Caret => {
                let help = format!(
                    "`{}` is a set operator and needs an expression on each side",
                    self.text(token.span)
                );
                Err(self.unexpected("an expression", Some(&help)))
            }
            _ => Err(self.unexpected("an expression", None)),
        }
    }

    fn undefined_variable(&self, name: &str, span: Span) -> ParseError {
        let error = ParseError::new(format!("undefined variable `${name}`"), span);
        match did_you_mean(name, self.scope.iter().map(String::as_str)) {
            Some(similar) => error.with_help(format!("did you mean `${similar}`?")),
            None => error.with_help(format!(
                "bind it with `let {name} = ... in ...`; \
                 a variable is visible only in the body of its let"
            )),
        }
    }

    /// `let NAME = expr in expr`; the current token is `let`.
    fn let_expr(&mut self) -> Parsed {
        let start = self.bump().span;
        let name = match &self.peek(0).tok {
            Tok::Word {
                text,
                quoted: false,
            } if is_name(text) => text.clone(),
            Tok::Word {
                text,
                quoted: false,
            } => {
                return Err(ParseError::new(
                    format!("invalid variable name `{text}`"),
                    self.peek(0).span,
                )
                .with_help(
                    "a variable name is letters, digits and `_`, and does not begin with a digit",
                ));
            }
            _ => {
                return Err(self.unexpected("a variable name after `let`", Some(LET_HELP)));
            }
        };
        self.bump();
        if self.peek(0).tok != Tok::Equals {
            return Err(self.unexpected(&format!("`=` after `let {name}`"), None));
        }
        self.bump();
        // The value is outside the variable's scope: lets do not recurse.
        let (value, _) = self.expr()?;
        match &self.peek(0).tok {
            Tok::Word {
                text,
                quoted: false,
            } if text == "in" => {
                self.bump();
            }
            _ => {
                return Err(self.unexpected("`in` or an operator", Some(LET_HELP)));
            }
        }
        self.scope.push(name.clone());
        let body = self.expr();
        self.scope.pop();
        let (body, body_outer) = body?;
        let span = start.to(body_outer);
        let expr = Expr::Let {
            name,
            value: Box::new(value),
            body: Box::new(body),
            span,
        };
        Ok((expr, span))
    }

    /// `FUNC ( arguments )`; the current token is the name, then `(`.
    fn call(&mut self, name: &str, name_span: Span) -> Parsed {
        let func = function(name, name_span)?;
        self.bump();
        let open = self.bump().span;
        let params = func.params();
        let mut args = Vec::new();
        if self.peek(0).tok != Tok::RParen {
            loop {
                args.push(self.argument(params[args.len()])?);
                match &self.peek(0).tok {
                    Tok::Comma => {
                        let comma = self.bump().span;
                        if args.len() == params.len() {
                            return Err(self.too_many_arguments(func, comma, open));
                        }
                    }
                    Tok::RParen => break,
                    Tok::End => return Err(self.unclosed(open)),
                    Tok::Word { .. } => return Err(self.unexpected("`,` or `)`", Some(QUOTE_HELP))),
                    _ => return Err(self.unexpected("`,` or `)`", None)),
                }
            }
        }
        let span = name_span.to(self.bump().span);
        if args.len() < func.required() {
            return Err(arity_error(func, args.len(), span));
        }
        Ok((Expr::Call { func, args, span }, span))
    }

    fn argument(&mut self, param: Param) -> Result<Arg, ParseError> {
        let token = self.peek(0).clone();
        match param {
            Param::Expr => self.expr().map(|(expr, _)| Arg::Expr(expr)),
            Param::Word(what) => match token.tok {
                Tok::Word { text, .. } => {
                    self.bump();
                    Ok(Arg::Word {
                        text,
                        span: token.span,
                    })
                }
                _ => Err(self.unexpected(what, Some(QUOTE_HELP))),
            },
            Param::Depth => self.depth(),
        }
    }

    fn depth(&mut self) -> Result<Arg, ParseError> {
        let token = self.peek(0).clone();
        let is_digits = |tok: &Tok| {
            matches!(tok, Tok::Word { text, quoted: false }
                if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        };
        let not_a_depth = |span: Span| {
            ParseError::new(
                format!(
                    "depth must be a non-negative integer, found `{}`",
                    self.text(span)
                ),
                span,
            )
        };
        match &token.tok {
            Tok::Word { text, .. } if is_digits(&token.tok) => {
                self.bump();
                match text.parse() {
                    Ok(value) => Ok(Arg::Int {
                        value,
                        span: token.span,
                    }),
                    Err(_) => Err(ParseError::new(
                        format!("depth `{text}` is too large (at most {})", u32::MAX),
                        token.span,
                    )),
                }
            }
            Tok::Minus if is_digits(&self.peek(1).tok) => {
                Err(not_a_depth(token.span.to(self.peek(1).span)))
            }
            Tok::Word { .. } => Err(not_a_depth(token.span)),
            _ => Err(self.unexpected("a depth (a non-negative integer)", None)),
        }
    }

    /// The error for arguments past the last one `func` takes; `comma` is the
    /// comma before them. Skips to the closing parenthesis to count them.
    fn too_many_arguments(&mut self, func: Func, comma: Span, open: Span) -> ParseError {
        let signature = func.signature();
        if self.peek(0).tok == Tok::RParen {
            return ParseError::new("unexpected `,`: expected `)`", comma)
                .with_help(format!("`{func}` takes {signature}"));
        }
        let first = self.peek(0).span;
        let mut last = first;
        let mut given = func.params().len() + 1;
        let mut depth = 0usize;
        loop {
            match self.peek(0).tok {
                Tok::End => return self.unclosed(open),
                Tok::RParen if depth == 0 => break,
                Tok::RParen => depth -= 1,
                Tok::LParen => depth += 1,
                Tok::Comma if depth == 0 => given += 1,
                _ => {}
            }
            last = self.bump().span;
        }
        arity_error(func, given, first.to(last))
    }
}

fn arity_error(func: Func, given: usize, span: Span) -> ParseError {
    let given = match given {
        0 => "no arguments".to_string(),
        1 => "1 argument".to_string(),
        n => format!("{n} arguments"),
    };
    ParseError::new(
        format!("`{func}` takes {}, but was given {given}", func.signature()),
        span,
    )
}

/// Bazel query functions that sel does not implement: named as such rather
/// than "unknown", so a user who knows Bazel is not sent hunting for typos.
const UNSUPPORTED: [&str; 10] = [
    "allrdeps",
    "buildfiles",
    "config",
    "loadfiles",
    "rbuildfiles",
    "same_pkg_direct_rdeps",
    "set",
    "some",
    "tests",
    "visible",
];

fn function(name: &str, span: Span) -> Result<Func, ParseError> {
    if let Some(func) = Func::from_name(name) {
        return Ok(func);
    }
    let mut names: Vec<&str> = Func::ALL.iter().map(Func::name).collect();
    names.sort_unstable();
    let list = format!("the query functions are {}", names.join(", "));
    if UNSUPPORTED.contains(&name) {
        return Err(ParseError::new(
            format!("`{name}` is a Bazel query function that sel does not support"),
            span,
        )
        .with_help(list));
    }
    let error = ParseError::new(format!("unknown function `{name}`"), span);
    Err(match did_you_mean(name, names.iter().copied()) {
        Some(similar) => error.with_help(format!("did you mean `{similar}`? {list}")),
        None => error.with_help(list),
    })
}

/// The candidate most similar to `word`, if any is similar enough.
fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&word, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|&(score, _)| score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

// ---------------------------------------------------------------------------
// Printing

/// A word as it must be written to lex back to the same text: bare when it
/// can be, otherwise quoted.
struct WordText<'a>(&'a str);

impl fmt::Display for WordText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if !text.is_empty() && bare_word_len(text) == text.len() && !KEYWORDS.contains(&text) {
            f.write_str(text)
        } else if text.contains('"') {
            write!(f, "'{text}'")
        } else {
            write!(f, "\"{text}\"")
        }
    }
}

/// The canonical, fully parenthesised form: every set operation and let in
/// parentheses, operators as symbols, words quoted only when they must be.
/// It parses back to the same tree (spans aside).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Pattern { text, .. } => WordText(text).fmt(f),
            Expr::Var { name, .. } => write!(f, "${name}"),
            Expr::Let {
                name, value, body, ..
            } => write!(f, "(let {name} = {value} in {body})"),
            Expr::SetOp {
                op, left, right, ..
            } => write!(f, "({left} {} {right})", op.symbol()),
            Expr::Call { func, args, .. } => {
                write!(f, "{func}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    arg.fmt(f)?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Expr(expr) => expr.fmt(f),
            Arg::Word { text, .. } => WordText(text).fmt(f),
            Arg::Int { value, .. } => value.fmt(f),
        }
    }
}

impl fmt::Display for SetOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical form of a query that must parse.
    fn canon(query: &str) -> String {
        match parse(query) {
            Ok(expr) => expr.to_string(),
            Err(error) => panic!("{query:?} failed to parse: {error} at {:?}", error.span),
        }
    }

    fn fails(query: &str) -> ParseError {
        match parse(query) {
            Ok(expr) => panic!("{query:?} parsed as {expr}"),
            Err(error) => error,
        }
    }

    /// The error's message, and the text its span covers.
    fn error_at(query: &str) -> (String, &str) {
        let error = fails(query);
        (error.message, &query[Range::from(error.span)])
    }

    fn span(start: usize, end: usize) -> Span {
        Span::new(start, end)
    }

    fn pattern(text: &str, start: usize, end: usize) -> Expr {
        Expr::Pattern {
            text: text.to_string(),
            span: span(start, end),
        }
    }

    #[test]
    fn target_patterns_are_single_words() {
        for query in [
            "//spam",
            "//spam:all",
            "//spam:*",
            "//...",
            "//pkg/...",
            "//pkg/...:all",
            "//pkg:name",
            ":name",
            "name",
            "spam-cu12",
            "//third_party/cuda:cuda-12.1",
            "@repo//pkg:t",
            "@@rules_cc+//cc:x",
            "@@rules_cc+ext+x//cc:y",
            "//a:b~c$d[e]",
            "123",
        ] {
            let expr = parse(query).unwrap();
            assert_eq!(expr, pattern(query, 0, query.len()), "{query}");
        }
    }

    #[test]
    fn surrounding_whitespace_is_not_part_of_the_span() {
        assert_eq!(parse("  //a \n").unwrap(), pattern("//a", 2, 5));
    }

    #[test]
    fn quoted_words() {
        assert_eq!(parse("\"a b\"").unwrap(), pattern("a b", 0, 5));
        assert_eq!(parse("'x\"y'").unwrap(), pattern("x\"y", 0, 5));
        assert_eq!(parse("\"//a + //b\"").unwrap(), pattern("//a + //b", 0, 11));
        // Quoted words are never keywords or function names.
        assert_eq!(canon("\"union\" + 'let'"), "(\"union\" + \"let\")");
        assert_eq!(canon("\"-a\" - b"), "(\"-a\" - b)");
    }

    #[test]
    fn set_operators_by_symbol_and_by_keyword() {
        assert_eq!(canon("a + b"), "(a + b)");
        assert_eq!(canon("a union b"), "(a + b)");
        assert_eq!(canon("a - b"), "(a - b)");
        assert_eq!(canon("a except b"), "(a - b)");
        assert_eq!(canon("a ^ b"), "(a ^ b)");
        assert_eq!(canon("a intersect b"), "(a ^ b)");
        assert_eq!(
            parse("//a except //b").unwrap(),
            Expr::SetOp {
                op: SetOp::Except,
                left: Box::new(pattern("//a", 0, 3)),
                right: Box::new(pattern("//b", 11, 14)),
                span: span(0, 14),
            }
        );
    }

    #[test]
    fn set_operators_share_one_precedence_and_associate_left() {
        assert_eq!(canon("a + b - c ^ d"), "(((a + b) - c) ^ d)");
        assert_eq!(canon("a ^ b + c"), "((a ^ b) + c)");
        assert_eq!(canon("a - b + c"), "((a - b) + c)");
        assert_eq!(canon("a - b - c"), "((a - b) - c)");
        assert_eq!(canon("a - (b - c)"), "(a - (b - c))");
        assert_eq!(
            canon("a intersect b union c except d"),
            "(((a ^ b) + c) - d)"
        );
    }

    #[test]
    fn hyphen_inside_a_word_is_not_an_operator() {
        assert_eq!(canon("spam-cu12"), "spam-cu12");
        assert_eq!(
            canon("//spam:spam-cu12 - //spam:x"),
            "(//spam:spam-cu12 - //spam:x)"
        );
        assert_eq!(canon("a-b"), "a-b");
        // A trailing `-` belongs to the word, as in Bazel.
        assert_eq!(canon("a- + b"), "(a- + b)");
        assert_eq!(
            error_at("a- b"),
            (
                "unexpected `b`: expected an operator or the end of the query".into(),
                "b"
            )
        );
    }

    #[test]
    fn hyphen_starting_a_token_is_an_operator() {
        assert_eq!(canon("a -b"), "(a - b)");
        assert_eq!(canon("(a)-(b)"), "(a - b)");
        assert_eq!(canon("deps(a)-b"), "(deps(a) - b)");
        assert_eq!(canon("let x = a in $x-$x"), "(let x = a in ($x - $x))");
    }

    #[test]
    fn plus_and_caret_are_operators_even_without_spaces() {
        assert_eq!(canon("a+b"), "(a + b)");
        assert_eq!(canon("a^b"), "(a ^ b)");
        assert_eq!(canon("//a:b+//c"), "(//a:b + //c)");
        // ...except `+` in a word that begins with `@@`.
        assert_eq!(canon("@@x+//a+//c"), "@@x+//a+//c");
    }

    #[test]
    fn keywords_only_in_their_position() {
        assert_eq!(canon("union"), "\"union\"");
        assert_eq!(canon("union + except"), "(\"union\" + \"except\")");
        assert_eq!(canon("in"), "\"in\"");
        assert_eq!(canon("let"), "\"let\"");
        assert_eq!(canon("let + let"), "(\"let\" + \"let\")");
        assert_eq!(canon("deps(let)"), "deps(\"let\")");
        assert_eq!(canon("deps"), "deps");
        assert_eq!(canon("deps + kind"), "(deps + kind)");
        assert_eq!(canon("let in = in in $in"), "(let in = \"in\" in $in)");
    }

    #[test]
    fn parentheses_group_and_widen_the_enclosing_span() {
        assert_eq!(canon("(a)"), "a");
        assert_eq!(canon("((a + b))"), "(a + b)");
        let expr = parse("(a + b) - c").unwrap();
        assert_eq!(expr.span(), span(0, 11));
        let Expr::SetOp { left, .. } = expr else {
            panic!()
        };
        assert_eq!(left.span(), span(1, 6));
        assert_eq!(parse("(a)").unwrap(), pattern("a", 1, 2));
    }

    #[test]
    fn function_calls_have_normalised_arguments() {
        assert_eq!(
            parse("deps(//a)").unwrap(),
            Expr::Call {
                func: Func::Deps,
                args: vec![Arg::Expr(pattern("//a", 5, 8))],
                span: span(0, 9),
            }
        );
        assert_eq!(
            parse("deps(//a, 2)").unwrap(),
            Expr::Call {
                func: Func::Deps,
                args: vec![
                    Arg::Expr(pattern("//a", 5, 8)),
                    Arg::Int {
                        value: 2,
                        span: span(10, 11)
                    }
                ],
                span: span(0, 12),
            }
        );
        assert_eq!(
            parse("attr(name, 'x y', //...)").unwrap(),
            Expr::Call {
                func: Func::Attr,
                args: vec![
                    Arg::Word {
                        text: "name".into(),
                        span: span(5, 9)
                    },
                    Arg::Word {
                        text: "x y".into(),
                        span: span(11, 16)
                    },
                    Arg::Expr(pattern("//...", 18, 23)),
                ],
                span: span(0, 24),
            }
        );
        assert_eq!(canon("deps(x,0)"), "deps(x, 0)");
        assert_eq!(canon("rdeps(//..., //a)"), "rdeps(//..., //a)");
        assert_eq!(canon("rdeps(//..., //a, 1)"), "rdeps(//..., //a, 1)");
        assert_eq!(canon("allpaths(//a, //b)"), "allpaths(//a, //b)");
        assert_eq!(canon("somepath(//a, //b)"), "somepath(//a, //b)");
        assert_eq!(canon("kind(cc_.*, //...)"), "kind(cc_.*, //...)");
        assert_eq!(
            canon("kind(\"cc_(library|binary)\", //...)"),
            "kind(\"cc_(library|binary)\", //...)"
        );
        assert_eq!(
            canon("filter('^//spam', //...)"),
            "filter(\"^//spam\", //...)"
        );
        assert_eq!(canon("filter(\"\", //...)"), "filter(\"\", //...)");
        assert_eq!(canon("labels(deps, //a)"), "labels(deps, //a)");
        assert_eq!(canon("siblings(//a)"), "siblings(//a)");
        assert_eq!(
            canon("deps(kind(rule, //a + //b) - //c, 3) ^ siblings((//d))"),
            "(deps((kind(rule, (//a + //b)) - //c), 3) ^ siblings(//d))"
        );
        // A word in a word position may be a keyword or a function name.
        assert_eq!(canon("labels(union, deps)"), "labels(\"union\", deps)");
    }

    #[test]
    fn every_function_by_name() {
        for func in Func::ALL {
            assert_eq!(Func::from_name(func.name()), Some(func));
        }
        assert_eq!(Func::from_name("Deps"), None);
    }

    #[test]
    fn let_binds_a_variable() {
        assert_eq!(
            parse("let v = //a in $v").unwrap(),
            Expr::Let {
                name: "v".into(),
                value: Box::new(pattern("//a", 8, 11)),
                body: Box::new(Expr::Var {
                    name: "v".into(),
                    span: span(15, 17)
                }),
                span: span(0, 17),
            }
        );
        assert_eq!(canon("let v=//a in $v"), "(let v = //a in $v)");
        assert_eq!(
            canon("let x_1 = a + b in $x_1"),
            "(let x_1 = (a + b) in $x_1)"
        );
    }

    #[test]
    fn let_extends_as_far_right_as_possible() {
        assert_eq!(canon("let v = a in $v + b"), "(let v = a in ($v + b))");
        assert_eq!(
            canon("a + let v = b in $v - c"),
            "(a + (let v = b in ($v - c)))"
        );
        assert_eq!(canon("(let v = a in $v) + b"), "((let v = a in $v) + b)");
        assert_eq!(parse("a + let v = b in (c)").unwrap().span(), span(0, 20));
    }

    #[test]
    fn nested_lets_and_shadowing() {
        assert_eq!(
            canon("let x = a in let y = $x + b in $x ^ $y"),
            "(let x = a in (let y = ($x + b) in ($x ^ $y)))"
        );
        assert_eq!(
            canon("let x = a in let x = $x + b in $x"),
            "(let x = a in (let x = ($x + b) in $x))"
        );
        assert_eq!(
            canon("let x = let y = a in $y in $x"),
            "(let x = (let y = a in $y) in $x)"
        );
        assert_eq!(
            canon("deps(let x = a in $x, 1)"),
            "deps((let x = a in $x), 1)"
        );
    }

    #[test]
    fn printing_is_canonical_and_parses_back() {
        for query in [
            "a + b - c ^ d",
            "a - (b - c)",
            "let v = //a in deps($v, 2) except kind('cc .*', $v)",
            "attr(\"name\", 'it\"s', //...)",
            "'a b' + \"let\" + union",
            "@@rules_cc+//cc:x + //a:b-c",
            "rdeps(//..., (//a), 0) ^ somepath(//a, //b)",
        ] {
            let once = canon(query);
            assert_eq!(canon(&once), once, "{query}");
        }
    }

    #[test]
    fn a_long_chain_of_unions_parses() {
        let query = vec!["//a"; 2000].join(" + ");
        assert_eq!(parse(&query).unwrap().span(), span(0, query.len()));
    }

    // Errors -----------------------------------------------------------------

    #[test]
    fn empty_query() {
        for query in ["", "   ", "\n\t"] {
            let error = fails(query);
            assert_eq!(error.message, "empty query");
            assert_eq!(error.span, span(0, query.len()));
        }
    }

    #[test]
    fn unexpected_end_points_at_the_end() {
        let error = fails("a +");
        assert_eq!(
            error.message,
            "unexpected end of query: expected an expression"
        );
        assert_eq!(error.span, span(3, 3));
        let error = fails("deps(a, ");
        assert_eq!(
            error.message,
            "unexpected end of query: expected a depth (a non-negative integer)"
        );
        assert_eq!(error.span, span(8, 8));
        assert_eq!(
            error_at("let x = a"),
            (
                "unexpected end of query: expected `in` or an operator".into(),
                ""
            )
        );
        assert_eq!(fails("let x = a").span, span(9, 9));
        assert_eq!(
            error_at("let x"),
            (
                "unexpected end of query: expected `=` after `let x`".into(),
                ""
            )
        );
        assert_eq!(
            error_at("kind("),
            (
                "unexpected end of query: expected a regular expression".into(),
                ""
            )
        );
    }

    #[test]
    fn unexpected_token_says_what_was_expected() {
        let error = fails("//a //b");
        assert_eq!(
            error.message,
            "unexpected `//b`: expected an operator or the end of the query"
        );
        assert_eq!(error.span, span(4, 7));
        assert_eq!(error.help.as_deref(), Some(COMBINE_HELP));
        assert_eq!(
            error_at("a + )"),
            ("unexpected `)`: expected an expression".into(), ")")
        );
        assert_eq!(
            error_at("a + + b"),
            ("unexpected `+`: expected an expression".into(), "+")
        );
        assert_eq!(
            error_at("-a"),
            ("unexpected `-`: expected an expression".into(), "-")
        );
        assert_eq!(
            error_at("(a b)"),
            ("unexpected `b`: expected `)` or an operator".into(), "b")
        );
        assert_eq!(
            error_at("a , b"),
            (
                "unexpected `,`: expected an operator or the end of the query".into(),
                ","
            )
        );
        assert_eq!(
            error_at("a in b"),
            (
                "unexpected `in`: expected an operator or the end of the query".into(),
                "in"
            )
        );
        assert_eq!(
            error_at("let x = a b"),
            ("unexpected `b`: expected `in` or an operator".into(), "b")
        );
        assert_eq!(
            error_at("let x a in $x"),
            ("unexpected `a`: expected `=` after `let x`".into(), "a")
        );
        assert_eq!(
            error_at("deps(a b)"),
            ("unexpected `b`: expected `,` or `)`".into(), "b")
        );
        assert_eq!(
            error_at("kind(cc library, //...)"),
            (
                "unexpected `library`: expected `,` or `)`".into(),
                "library"
            )
        );
        assert_eq!(
            error_at("kind(^cc, //...)"),
            ("unexpected `^`: expected a regular expression".into(), "^")
        );
        assert_eq!(
            error_at("labels($x, //a)"),
            ("unexpected `$x`: expected an attribute name".into(), "$x")
        );
        assert_eq!(
            error_at("deps(a,)"),
            (
                "unexpected `)`: expected a depth (a non-negative integer)".into(),
                ")"
            )
        );
    }

    #[test]
    fn unmatched_and_unclosed_parentheses() {
        assert_eq!(error_at("a)"), ("unmatched `)`".into(), ")"));
        let error = fails("x + (a + b");
        assert_eq!(error.message, "unclosed `(`");
        assert_eq!(error.span, span(4, 5));
        let error = fails("deps(a, 1");
        assert_eq!(error.message, "unclosed `(`");
        assert_eq!(error.span, span(4, 5));
    }

    #[test]
    fn unclosed_quote() {
        let error = fails("a + \"//b c");
        assert_eq!(error.message, "unclosed quote");
        assert_eq!(error.span, span(4, 10));
        let error = fails("'a\"");
        assert_eq!(error.span, span(0, 3));
    }

    #[test]
    fn unexpected_characters() {
        let error = fails("a | b");
        assert_eq!(error.message, "unexpected character `|`");
        assert_eq!(error.span, span(2, 3));
        assert!(error.help.unwrap().contains("`union`"));
        assert_eq!(error_at("a & b").0, "unexpected character `&`");
        assert_eq!(error_at("*"), ("unexpected character `*`".into(), "*"));
        assert_eq!(error_at("a + é"), ("unexpected character `é`".into(), "é"));
        assert_eq!(error_at("filter(\\.py$, //...)").1, "\\");
        assert_eq!(
            error_at("a + $ + b"),
            ("expected a variable name after `$`".into(), "$")
        );
    }

    #[test]
    fn the_first_error_in_the_text_wins() {
        // A syntax error before a lexical one is reported first...
        assert_eq!(error_at("a b | c").1, "b");
        // ...and a lexical error before a syntax error likewise.
        assert_eq!(error_at("a | b c").1, "|");
        assert_eq!(error_at("deps(a | b)").1, "|");
        assert_eq!(error_at("(a + \"b").0, "unclosed quote");
        assert_eq!(error_at("a + \"b").0, "unclosed quote");
    }

    #[test]
    fn unknown_function_suggests_a_known_one() {
        let error = fails("a + dep(//b)");
        assert_eq!(error.message, "unknown function `dep`");
        assert_eq!(error.span, span(4, 7));
        assert_eq!(
            error.help.as_deref(),
            Some(
                "did you mean `deps`? the query functions are allpaths, attr, deps, filter, \
                 kind, labels, rdeps, siblings, somepath"
            )
        );
        assert!(fails("lables(deps, //a)")
            .help
            .unwrap()
            .starts_with("did you mean `labels`?"));
        assert!(fails("Deps(//a)")
            .help
            .unwrap()
            .starts_with("did you mean `deps`?"));
        let error = fails("frobnicate(//a)");
        assert_eq!(
            error.help.as_deref(),
            Some(
                "the query functions are allpaths, attr, deps, filter, kind, labels, rdeps, \
                 siblings, somepath"
            )
        );
    }

    #[test]
    fn bazel_functions_sel_lacks_are_named() {
        let error = fails("tests(//...)");
        assert_eq!(
            error.message,
            "`tests` is a Bazel query function that sel does not support"
        );
        assert_eq!(error.span, span(0, 5));
    }

    #[test]
    fn wrong_number_of_arguments() {
        assert_eq!(
            error_at("deps()"),
            (
                "`deps` takes (expr) or (expr, depth), but was given no arguments".into(),
                "deps()"
            )
        );
        assert_eq!(
            error_at("x + deps(a, 1, b, c(d, e))"),
            (
                "`deps` takes (expr) or (expr, depth), but was given 4 arguments".into(),
                "b, c(d, e)"
            )
        );
        assert_eq!(
            error_at("rdeps(//...)"),
            (
                "`rdeps` takes (universe, expr) or (universe, expr, depth), but was given 1 argument"
                    .into(),
                "rdeps(//...)"
            )
        );
        assert_eq!(
            error_at("allpaths(a, b, 2)"),
            (
                "`allpaths` takes (from, to), but was given 3 arguments".into(),
                "2"
            )
        );
        assert_eq!(
            error_at("somepath(a)").0,
            "`somepath` takes (from, to), but was given 1 argument"
        );
        assert_eq!(
            error_at("attr(a, b)").0,
            "`attr` takes (name, regex, expr), but was given 2 arguments"
        );
        assert_eq!(
            error_at("siblings(a, b)"),
            (
                "`siblings` takes (expr), but was given 2 arguments".into(),
                "b"
            )
        );
        let error = fails("siblings(a,)");
        assert_eq!(error.message, "unexpected `,`: expected `)`");
        assert_eq!(error.span, span(10, 11));
        assert_eq!(error.help.as_deref(), Some("`siblings` takes (expr)"));
        assert_eq!(error_at("siblings(a, b"), ("unclosed `(`".into(), "("));
    }

    #[test]
    fn depth_must_be_a_non_negative_integer() {
        assert_eq!(
            error_at("deps(a, -1)"),
            (
                "depth must be a non-negative integer, found `-1`".into(),
                "-1"
            )
        );
        assert_eq!(
            error_at("deps(a, two)"),
            (
                "depth must be a non-negative integer, found `two`".into(),
                "two"
            )
        );
        assert_eq!(
            error_at("rdeps(u, a, 1.5)"),
            (
                "depth must be a non-negative integer, found `1.5`".into(),
                "1.5"
            )
        );
        assert_eq!(
            error_at("deps(a, \"2\")"),
            (
                "depth must be a non-negative integer, found `\"2\"`".into(),
                "\"2\""
            )
        );
        assert_eq!(
            error_at("deps(a, 4294967296)"),
            (
                "depth `4294967296` is too large (at most 4294967295)".into(),
                "4294967296"
            )
        );
        assert_eq!(canon("deps(a, 4294967295)"), "deps(a, 4294967295)");
        assert_eq!(
            error_at("deps(a, (1))"),
            (
                "unexpected `(`: expected a depth (a non-negative integer)".into(),
                "("
            )
        );
    }

    #[test]
    fn undefined_variables() {
        let error = fails("deps($x)");
        assert_eq!(error.message, "undefined variable `$x`");
        assert_eq!(error.span, span(5, 7));
        // Lexical scope: the value cannot see its own name, and the body ends
        // with the let.
        assert_eq!(
            error_at("let x = $x in $x"),
            ("undefined variable `$x`".into(), "$x")
        );
        assert_eq!(fails("let x = $x in $x").span, span(8, 10));
        let error = fails("(let x = a in $x) + $x");
        assert_eq!(error.span, span(20, 22));
        let error = fails("let foo = a in $fo");
        assert_eq!(error.help.as_deref(), Some("did you mean `$foo`?"));
    }

    #[test]
    fn bad_let_names() {
        assert_eq!(
            error_at("let $x = a in $x"),
            (
                "unexpected `$x`: expected a variable name after `let`".into(),
                "$x"
            )
        );
        assert_eq!(
            error_at("let 'x' = a in $x"),
            (
                "unexpected `'x'`: expected a variable name after `let`".into(),
                "'x'"
            )
        );
        assert_eq!(
            error_at("let a-b = c in d"),
            ("invalid variable name `a-b`".into(), "a-b")
        );
        assert_eq!(
            error_at("let 1 = c in d"),
            ("invalid variable name `1`".into(), "1")
        );
    }

    #[test]
    fn empty_quoted_pattern() {
        assert_eq!(error_at("a + ''"), ("empty target pattern".into(), "''"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}a{}", "(".repeat(1000), ")".repeat(1000));
        let error = fails(&deep);
        assert_eq!(error.message, "the query nests more than 256 levels deep");
        assert_eq!(error.span, span(256, 257));
        let fine = format!("{}a{}", "(".repeat(200), ")".repeat(200));
        assert_eq!(canon(&fine), "a");
    }

    #[test]
    fn errors_display_their_message() {
        let error = fails("a +");
        assert_eq!(error.to_string(), error.message);
    }
}
