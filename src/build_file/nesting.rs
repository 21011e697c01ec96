//! A cheap scan of a BUILD or .bzl file for expressions nested too deeply,
//! before the text reaches a reader that recurses on its nesting.
//!
//! The starlark crate parses, compiles and drops expressions recursively:
//! `((((1))))` 7,000 deep, `-` repeated 100,000 times or `1+1+…+1` with
//! 100,000 terms overflow the stack and abort the process, which no error
//! handling can catch. This scan bounds what the parser sees: it tracks the
//! open brackets and, at each bracket level, the operators and keywords
//! chained since the last `,` (each one a level of the syntax tree), and
//! stops at the first byte where their sum passes [`MAX_NESTING`]. It is an
//! over-estimate (every operator counts), never an under-estimate, so a file
//! it passes cannot nest deeper than the limit; Starlark evaluation runs on
//! threads whose stacks hold that depth with a wide margin (see
//! `eval_pool` in `mod.rs`).

/// How deeply one expression may nest: open brackets plus operators and
/// keywords chained within them (docs/semantics.md, "Limits").
pub const MAX_NESTING: usize = 10_000;

/// The byte offset where `text` nests deeper than [`MAX_NESTING`], if it does.
pub fn too_deep(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    // Operators chained at each open bracket level (the last entry is the
    // current level; the first is the statement's top level).
    let mut levels: Vec<usize> = vec![0];
    // Brackets open plus operators at every level: the nesting estimate.
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let at = i;
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\'' => {
                i = skip_string(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => {
                levels.push(0);
                depth += 1;
            }
            // (An unopened bracket is the parser's to report.)
            b')' | b']' | b'}' if levels.len() > 1 => {
                let ops = levels.pop().unwrap_or(0);
                depth -= ops + 1;
                // `f()()`, `a[0][0]`: what a bracket closes may be the
                // operand of another call or index, one level deeper.
                *levels.last_mut().expect("the top level stays") += 1;
                depth += 1;
            }
            b',' | b';' => {
                let ops = levels.last_mut().expect("the top level stays");
                depth -= *ops;
                *ops = 0;
            }
            b'\n' if levels.len() == 1 => {
                // A statement ends (inside brackets, newlines are blank space).
                depth -= levels[0];
                levels[0] = 0;
            }
            // Every operator character counts (`**` twice): an over-estimate.
            b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'~' | b'<' | b'>' | b'='
            | b'!' | b'.' | b':' | b'@' => {
                *levels.last_mut().expect("the top level stays") += 1;
                depth += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                // A string prefix (r"…", b'…'): the string follows.
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') && i - at <= 2 {
                    i = skip_string(b, i);
                    continue;
                }
                if matches!(
                    &b[at..i],
                    b"if" | b"else" | b"lambda" | b"not" | b"and" | b"or" | b"in" | b"for" | b"is"
                ) {
                    *levels.last_mut().expect("the top level stays") += 1;
                    depth += 1;
                }
                if depth > MAX_NESTING {
                    return Some(at);
                }
                continue;
            }
            _ => {}
        }
        if depth > MAX_NESTING {
            return Some(at);
        }
        i += 1;
    }
    None
}

/// The offset just past the string literal that starts at `i` (a quote),
/// triple-quoted or not; the end of the text if it does not end.
fn skip_string(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let triple = b.len() >= i + 3 && b[i + 1] == q && b[i + 2] == q;
    let mut j = if triple { i + 3 } else { i + 1 };
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            c if c == q => {
                if !triple {
                    return j + 1;
                }
                if b.len() >= j + 3 && b[j + 1] == q && b[j + 2] == q {
                    return j + 3;
                }
                j += 1;
            }
            // An unterminated one-line string: the parser reports it.
            b'\n' if !triple => return j,
            _ => j += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_files_pass() {
        assert_eq!(too_deep("x = [1, 2, 3]\nf(a = 1, b = \"((((\")\n"), None);
        let wide = format!("x = [{}]\n", "\"a\" + \"b\",".repeat(100_000));
        assert_eq!(too_deep(&wide), None);
        let statements = "x = 1 + 2 + 3\n".repeat(100_000);
        assert_eq!(too_deep(&statements), None);
    }

    #[test]
    fn deep_brackets_and_chains_stop() {
        let n = MAX_NESTING + 1;
        let parens = format!("x = {}1{}", "(".repeat(n), ")".repeat(n));
        // `=` counts one: the caret is at the last bracket opened.
        assert_eq!(too_deep(&parens), Some(4 + MAX_NESTING - 1));
        let ok = format!("x = {}1{}", "(".repeat(n - 2), ")".repeat(n - 2));
        assert_eq!(too_deep(&ok), None);
        assert!(too_deep(&format!("x = {}1", "-".repeat(n))).is_some());
        assert!(too_deep(&format!("x = {}", vec!["1"; n + 1].join("+"))).is_some());
        assert!(too_deep(&format!("x = {}1", "not ".repeat(n))).is_some());
        assert!(too_deep(&format!("x = f{}", "()".repeat(n))).is_some());
        assert!(too_deep(&format!("x = {}1", "lambda: ".repeat(n))).is_some());
        assert!(too_deep(&format!("x = {}b", "a.".repeat(n))).is_some());
        // Brackets inside strings and comments do not count.
        let quoted = format!("x = \"{}\" # {}\n", "(".repeat(n), "[".repeat(n));
        assert_eq!(too_deep(&quoted), None);
    }
}
