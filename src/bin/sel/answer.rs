//! What a command prints: text, or a query result rendered as it is written;
//! warnings for stderr; and, for `query` and `cquery`, whether to keep it in
//! the answer cache (`sel::answers`) once written.

use std::io::Write;

use sel::output::Options;
use sel::{QueryResult, Session};

/// What a command prints, and whether to keep it in the answer cache.
pub struct Answer {
    pub body: Body,
    /// Printed to stderr first (a successful command may warn).
    pub warnings: String,
    /// Where and how to keep it, once written.
    pub keep: Option<sel::cache::answers::Pending>,
    /// The configured graph the answer printed, to keep with it.
    pub graph: Option<sel::cache::recompute::KeptGraph>,
}

/// The text of an answer.
pub enum Body {
    /// Whole.
    Text(String),
    /// A query result, written as it is rendered: a large JSON document is
    /// never held whole in memory.
    Rendered(Box<Session>, QueryResult, Options),
}

impl From<sel::cache::answers::Kept> for Answer {
    /// A kept answer, printed again as it was (and not kept again).
    fn from(kept: sel::cache::answers::Kept) -> Answer {
        Answer {
            warnings: kept.warnings,
            ..kept.text.into()
        }
    }
}

impl From<String> for Answer {
    fn from(text: String) -> Answer {
        Body::Text(text).into()
    }
}

impl From<Body> for Answer {
    fn from(body: Body) -> Answer {
        Answer {
            body,
            warnings: String::new(),
            keep: None,
            graph: None,
        }
    }
}

impl Answer {
    /// [`Answer::write`], then the end of the output phase.
    pub fn write_out(self) -> std::io::Result<()> {
        let written = self.write();
        sel::timing::phase("output");
        written
    }

    /// Writes the answer to stdout, then keeps it if it should be. A reader
    /// that stops early (`sel query ... | head`) is not an error: the write
    /// succeeds quietly, and nothing is kept.
    pub fn write(self) -> std::io::Result<()> {
        let Answer {
            body,
            warnings,
            keep,
            ..
        } = self;
        eprint!("{warnings}");
        let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let mut out = sel::cache::answers::Recording::new(stdout, keep.is_some());
        // An answer that may be recomputed is kept with where its items are.
        let itemize = keep.as_ref().is_some_and(|k| k.graph.is_some());
        let written = match &body {
            Body::Text(text) => out.write_all(text.as_bytes()).map(|()| None),
            Body::Rendered(session, result, options) if itemize => {
                sel::output::write_itemized(&session.graph, result, options, &mut out)
            }
            Body::Rendered(session, result, options) => {
                sel::output::write(&session.graph, result, options, &mut out).map(|()| None)
            }
        }
        .and_then(|items| out.flush().map(|()| items));
        if let Body::Rendered(session, ..) = body {
            crate::commands::dismiss(*session);
        }
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(e),
            Ok(items) => {
                if let (Some(keep), Some(text)) = (keep, out.into_copy()) {
                    keep.keep(text, items, warnings);
                }
                Ok(())
            }
        }
    }
}
