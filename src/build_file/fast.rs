//! BUILD files read without the interpreter.
//!
//! Most BUILD files are data: a list of rule calls whose arguments are
//! literals, `select()`s and `+`. Starting a Starlark evaluation for each one
//! (parse to an AST, compile, evaluate on a fresh heap) costs several times
//! more than reading the file, and a workspace has thousands of them. This
//! module reads exactly that subset of the language:
//!
//! ```text
//! file    := { call NEWLINE }            -- each call at column 0
//! call    := rule "(" [ NAME "=" expr { "," NAME "=" expr } [","] ] ")"
//! expr    := operand { "+" operand }
//! operand := STRING | INT | True | False | None
//!          | "[" [ expr { "," expr } [","] ] "]"
//!          | "{" [ STRING ":" expr { "," STRING ":" expr } [","] ] "}"
//!          | select "(" expr [ "," no_match_error "=" STRING ] [","] ")"
//! ```
//!
//! with comments and blank lines anywhere. Strings are single-line and
//! without escapes; integers are plain decimals. The arguments then go through
//! the very built-ins Starlark calls (`builtins::call_rule`), and `+` follows
//! the same rules as `Configurable`'s, so a file read here gives the same
//! targets, locations included.
//!
//! Anything else (a `load()`, a variable, an escape, a function call that is
//! not a rule, or any error at all) makes [`read`] return `None`, and the file
//! is evaluated by Starlark instead, which reports errors with its own words.
//! Being wrong here can therefore only cost time, never change an answer;
//! `tests` below and `tests/fast_path.rs` check that both readings agree.

use std::borrow::Cow;

use super::arg::Arg;
use super::builtins::{call_rule, select_from_dict, BuildContext, Site};
use super::value::concat;
use crate::error::Location;
use crate::target_graph::{Attr, Value};

/// Reads a BUILD file of the declarative subset, declaring its targets in
/// `ctx`; `None` if the file needs the interpreter (`ctx` may then hold some
/// targets already, which the caller discards).
pub(crate) fn read(text: &str, ctx: &BuildContext) -> Option<()> {
    let mut p = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        ctx,
        depth: 0,
    };
    loop {
        p.skip_blank_lines()?;
        if p.pos == p.bytes.len() {
            return Some(());
        }
        p.statement()?;
    }
}

/// A literal argument, or a select built from literals.
#[derive(Debug)]
enum Lit<'s> {
    None,
    Bool(bool),
    Int(i32),
    Str(Cow<'s, str>),
    List(Vec<Lit<'s>>),
    /// String keys only, none twice.
    Dict(Vec<(Lit<'s>, Lit<'s>)>),
    /// A `select()`, or a `+` with one in it.
    Select(Attr),
}

impl<'a> Arg<'a> for &'a Lit<'_> {
    fn is_none(self) -> bool {
        matches!(self, Lit::None)
    }
    fn str(self) -> Option<&'a str> {
        match self {
            Lit::Str(s) => Some(s),
            _ => None,
        }
    }
    fn bool(self) -> Option<bool> {
        match self {
            Lit::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn is_int(self) -> bool {
        matches!(self, Lit::Int(_))
    }
    fn type_name(self) -> String {
        match self {
            Lit::None => "NoneType",
            Lit::Bool(_) => "bool",
            Lit::Int(_) => "int",
            Lit::Str(_) => "string",
            Lit::List(_) => "list",
            Lit::Dict(_) => "dict",
            Lit::Select(_) => "select",
        }
        .to_string()
    }
    fn items(self) -> Option<Vec<Self>> {
        match self {
            Lit::List(items) => Some(items.iter().collect()),
            _ => None,
        }
    }
    fn entries(self) -> Option<Vec<(Self, Self)>> {
        match self {
            Lit::Dict(entries) => Some(entries.iter().map(|(k, v)| (k, v)).collect()),
            _ => None,
        }
    }
    fn plain(self) -> Result<Value, String> {
        Ok(match self {
            Lit::None => Value::None,
            Lit::Bool(b) => Value::Bool(*b),
            Lit::Int(i) => Value::Int(i64::from(*i)),
            Lit::Str(s) => Value::Str(s.as_ref().into()),
            Lit::List(items) => {
                Value::List(items.iter().map(|i| i.plain()).collect::<Result<_, _>>()?)
            }
            Lit::Dict(entries) => Value::Dict(
                entries
                    .iter()
                    .map(|(k, v)| Ok((k.plain()?, v.plain()?)))
                    .collect::<Result<_, String>>()?,
            ),
            // The message is never shown: an error sends the file to Starlark.
            Lit::Select(_) => return Err("a select inside a value".into()),
        })
    }
    fn attr(self) -> Result<Attr, String> {
        match self {
            Lit::Select(a) => Ok(a.clone()),
            other => other.plain().map(Attr::Plain),
        }
    }
}

/// `a + b` as Starlark evaluates it: lists and strings join; a select joins
/// with a list, string or dict on either side into a concatenation
/// (`value.rs`, `Configurable::add`/`radd`). `None` where Starlark fails.
fn add<'s>(a: Lit<'s>, b: Lit<'s>) -> Option<Lit<'s>> {
    fn part(x: Lit) -> Option<Attr> {
        match x {
            Lit::Select(a) => Some(a),
            x @ (Lit::Str(_) | Lit::List(_) | Lit::Dict(_)) => (&x).plain().ok().map(Attr::Plain),
            _ => None,
        }
    }
    Some(match (a, b) {
        (Lit::List(mut x), Lit::List(y)) => {
            x.extend(y);
            Lit::List(x)
        }
        (Lit::Str(x), Lit::Str(y)) => Lit::Str(Cow::Owned(x.into_owned() + &y)),
        (a @ Lit::Select(_), b) | (a, b @ Lit::Select(_)) => {
            Lit::Select(concat(part(a)?, part(b)?))
        }
        _ => return None,
    })
}

struct Reader<'s, 'c> {
    text: &'s str,
    bytes: &'s [u8],
    pos: usize,
    ctx: &'c BuildContext,
    /// Lists and dicts open around the position.
    depth: usize,
}

/// How deeply the literals read here may nest: deeper ones go to Starlark,
/// which bounds the depth of values (`value::MAX_VALUE_DEPTH`) with an error
/// this module must not get wrong. No BUILD file written by hand nests so.
const MAX_DEPTH: usize = 64;

impl<'s> Reader<'s, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips blank and comment-only lines; a statement must then start at
    /// column 0 (an indented one is Starlark's error to report).
    fn skip_blank_lines(&mut self) -> Option<()> {
        loop {
            let line_start = self.pos;
            while matches!(self.peek(), Some(b' ' | b'\t')) {
                self.pos += 1;
            }
            match self.peek() {
                None => return Some(()),
                Some(b'\n') => self.pos += 1,
                Some(b'#') => self.skip_comment(),
                Some(_) if self.pos == line_start => return Some(()),
                Some(_) => return None,
            }
        }
    }

    fn skip_comment(&mut self) {
        while !matches!(self.peek(), None | Some(b'\n')) {
            self.pos += 1;
        }
    }

    /// Skips spaces, newlines and comments (inside brackets, where lines do not matter).
    fn skip_space(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n') => self.pos += 1,
                Some(b'#') => self.skip_comment(),
                _ => return,
            }
        }
    }

    /// Consumes `c` after optional space.
    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    fn name(&mut self) -> Option<&'s str> {
        let start = self.pos;
        if !matches!(self.peek(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_')) {
            return None;
        }
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_')
        ) {
            self.pos += 1;
        }
        Some(&self.text[start..self.pos])
    }

    /// The location of `start..self.pos`, as Starlark reports a call there.
    fn location(&self, start: usize) -> Option<Location> {
        Some(self.ctx.at(start..self.pos))
    }

    /// `rule(name = value, ...)` and the end of its line.
    fn statement(&mut self) -> Option<()> {
        let start = self.pos;
        let func = self.name()?;
        // Not across a line: there, a line break ends the statement.
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        if self.peek() != Some(b'(') {
            return None;
        }
        self.pos += 1;
        let mut kwargs: Vec<(&'s str, Lit<'s>)> = Vec::new();
        loop {
            if self.eat(b')') {
                break;
            }
            self.skip_space();
            let key = self.name()?;
            if kwargs.iter().any(|(k, _)| *k == key) {
                return None;
            }
            self.expect(b'=')?;
            kwargs.push((key, self.expr()?));
            if !self.eat(b',') {
                self.expect(b')')?;
                break;
            }
        }
        let at = self.location(start);
        // The rest of the line: spaces and a comment at most.
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        match self.peek() {
            None | Some(b'\n') => {}
            Some(b'#') => self.skip_comment(),
            Some(_) => return None,
        }
        let args = kwargs.iter().map(|(k, v)| (*k, v)).collect();
        match call_rule(func, args, Site { ctx: self.ctx, at }) {
            Ok(true) => Some(()),
            Ok(false) | Err(_) => None,
        }
    }

    fn expr(&mut self) -> Option<Lit<'s>> {
        let mut value = self.operand()?;
        while self.eat(b'+') {
            value = add(value, self.operand()?)?;
        }
        Some(value)
    }

    fn operand(&mut self) -> Option<Lit<'s>> {
        self.depth += 1;
        let lit = self.operand_here();
        self.depth -= 1;
        lit
    }

    fn operand_here(&mut self) -> Option<Lit<'s>> {
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        let start = self.pos;
        match self.peek()? {
            b'"' | b'\'' => self.string().map(|s| Lit::Str(Cow::Borrowed(s))),
            b'0'..=b'9' => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.pos += 1;
                }
                let digits = &self.text[start..self.pos];
                // `007` is an error in Starlark; big numbers are its business too.
                if digits.len() > 9 || (digits.len() > 1 && digits.starts_with('0')) {
                    return None;
                }
                if matches!(self.peek(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'.')) {
                    return None;
                }
                digits.parse().ok().map(Lit::Int)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(b']') {
                        break;
                    }
                    items.push(self.expr()?);
                    if !self.eat(b',') {
                        self.expect(b']')?;
                        break;
                    }
                }
                Some(Lit::List(items))
            }
            b'{' => {
                self.pos += 1;
                self.dict().map(Lit::Dict)
            }
            _ => match self.name()? {
                "True" => Some(Lit::Bool(true)),
                "False" => Some(Lit::Bool(false)),
                "None" => Some(Lit::None),
                "select" => self.select(start),
                _ => None,
            },
        }
    }

    /// The entries of a dict literal, after its `{`.
    fn dict(&mut self) -> Option<Vec<(Lit<'s>, Lit<'s>)>> {
        let mut entries: Vec<(Lit<'s>, Lit<'s>)> = Vec::new();
        loop {
            if self.eat(b'}') {
                return Some(entries);
            }
            self.skip_space();
            let key = self.string()?;
            if entries.iter().any(|(k, _)| (k).str() == Some(key)) {
                return None;
            }
            self.expect(b':')?;
            entries.push((Lit::Str(Cow::Borrowed(key)), self.expr()?));
            if !self.eat(b',') {
                self.expect(b'}')?;
                return Some(entries);
            }
        }
    }

    /// `select({...})` or `select({...}, no_match_error = "...")`, after `select`.
    fn select(&mut self, start: usize) -> Option<Lit<'s>> {
        self.expect(b'(')?;
        let dict = self.expr()?;
        let mut no_match_error = "";
        if self.eat(b',') {
            if !self.eat(b')') {
                self.skip_space();
                if self.name()? != "no_match_error" {
                    return None;
                }
                self.expect(b'=')?;
                self.skip_space();
                no_match_error = self.string()?;
                self.eat(b',');
                self.expect(b')')?;
            }
        } else {
            self.expect(b')')?;
        }
        let site = Site {
            ctx: self.ctx,
            at: self.location(start),
        };
        select_from_dict(&dict, no_match_error, site, false)
            .ok()
            .map(Lit::Select)
    }

    /// A one-line string without escapes, quotes included; its contents.
    fn string(&mut self) -> Option<&'s str> {
        let quote = self.peek().filter(|q| matches!(q, b'"' | b'\''))?;
        let start = self.pos + 1;
        let mut i = start;
        loop {
            match self.bytes.get(i)? {
                b'\\' | b'\n' | b'\r' => return None,
                c if *c == quote => break,
                _ => i += 1,
            }
        }
        // `""` followed by a quote opens a triple-quoted string.
        if i == start && self.bytes.get(i + 1) == Some(&quote) {
            return None;
        }
        self.pos = i + 1;
        Some(&self.text[start..i])
    }
}
