//! What every format shows of a result's targets: their order, their
//! configured form, their direct dependencies with the keys that bring them
//! in, their locations, and where a writer placed each.

use crate::configuration::ConfiguredTarget;
use crate::error::{Location, Source};
use crate::label::Label;
use crate::query::result::QueryResult;
use crate::target_graph::{Attr, SelectKey, Target};

/// One direct dependency edge of a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dep {
    /// The target depended on.
    pub label: Label,
    /// The select keys the edge comes through: empty when a plain (non-select)
    /// part of the attribute holds it. In `query`, all the keys whose branches
    /// hold it; in `cquery`, the keys chosen in this configuration.
    pub keys: Vec<SelectKey>,
}

impl Dep {
    /// Whether the edge exists only through select branches.
    pub fn is_conditional(&self) -> bool {
        !self.keys.is_empty()
    }
}

/// The direct dependencies of a target of a result, sorted by label.
///
/// For `query` these are [`Target::all_deps`]. For `cquery` they are the
/// configured target's deps, each with the chosen keys that brought it in.
pub fn direct_deps(target: &Target, configured: Option<&ConfiguredTarget>) -> Vec<Dep> {
    let Some(c) = configured else {
        return target
            .all_deps()
            .into_iter()
            .map(|(label, keys)| Dep { label, keys })
            .collect();
    };
    let mut out: Vec<Dep> = Vec::new();
    for name in target.rule.dep_attrs() {
        let Some(attr) = target.rule.attr(name) else {
            continue;
        };
        let mut chosen = c.chosen.get(*name).into_iter().flatten();
        let mut found: Vec<(Label, Option<SelectKey>)> = Vec::new();
        configured_labels(attr, &mut chosen, &mut found);
        for (label, key) in found {
            match out.iter_mut().find(|d| d.label == label) {
                // A plain part holds it: the edge is unconditional.
                Some(d) if key.is_none() => d.keys.clear(),
                Some(d) if d.keys.is_empty() => {}
                Some(d) => {
                    let key = key.expect("checked above");
                    if !d.keys.contains(&key) {
                        d.keys.push(key);
                    }
                }
                None => out.push(Dep {
                    label,
                    keys: key.into_iter().collect(),
                }),
            }
        }
    }
    // Whatever the walk found, the configured deps are the truth.
    out.retain(|d| c.deps.contains(&d.label));
    for l in &c.deps {
        if !out.iter().any(|d| d.label == *l) {
            out.push(Dep {
                label: l.clone(),
                keys: Vec::new(),
            });
        }
    }
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

/// The labels an attribute gives in a configuration, each with the chosen key
/// of the select that holds it (`None` for plain parts). `chosen` yields the
/// keys taken by the attribute's selects, in order, as the configurer records them.
fn configured_labels<'a>(
    attr: &Attr,
    chosen: &mut impl Iterator<Item = &'a SelectKey>,
    out: &mut Vec<(Label, Option<SelectKey>)>,
) {
    match attr {
        Attr::Plain(v) => out.extend(v.labels().into_iter().map(|l| (l.clone(), None))),
        Attr::Select(s) => {
            let Some(key) = chosen.next() else { return };
            if let Some((_, v)) = s.branches.iter().find(|(k, _)| k == key) {
                out.extend(
                    v.labels()
                        .into_iter()
                        .map(|l| (l.clone(), Some(key.clone()))),
                );
            }
        }
        Attr::Concat(parts) => {
            for p in parts {
                configured_labels(p, chosen, out);
            }
        }
    }
}

/// The configured form of a result's target, in `cquery`.
pub fn configured<'r>(result: &'r QueryResult, label: &Label) -> Option<&'r ConfiguredTarget> {
    // `configured` is in label order, like `targets`.
    result
        .configured
        .binary_search_by(|c| c.label.cmp(label))
        .ok()
        .map(|i| &result.configured[i])
}

/// `//pkg` for a package path (`//` for the root package); a package of
/// the built-in repository is `@platforms//pkg`.
pub fn package_label(package: &str) -> String {
    crate::label::package_text(package)
}

/// Where each target's item is in a written answer whose targets are
/// items of their own (a line of `--output=label` or `label_kind`, an
/// element of the JSON document's `targets`), as the writer placed them:
/// what lets the answer cache recompute an answer item by item without
/// reading the text back ([`crate::cache::recompute`]).
///
/// The labels are kept as their texts, one after another: read back from
/// a cache file, 10,000 of them are one string, not 10,000 labels to intern.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Itemized {
    /// The labels of the items' targets, in written order, one after another.
    labels: String,
    /// Where each item's label ends in `labels`.
    label_ends: Vec<u32>,
    /// Where the first item starts, in bytes.
    first: u32,
    /// Where each item ends: a line after its newline; a JSON element after
    /// its closing brace. The next starts after the separator.
    ends: Vec<u32>,
    /// What is written between two items.
    separator: String,
}

impl Itemized {
    /// No items yet; `separator` is written between two.
    pub fn new(separator: &str) -> Itemized {
        Itemized {
            separator: separator.to_string(),
            ..Itemized::default()
        }
    }

    /// Adds the item of `label`, written at `span`: right after the
    /// previous item and the separator. `None` if it is not, or if the
    /// text grew past what a `u32` can index.
    pub fn push(&mut self, label: &Label, span: (usize, usize)) -> Option<()> {
        let (start, end) = (u32::try_from(span.0).ok()?, u32::try_from(span.1).ok()?);
        match self.ends.last() {
            None => self.first = start,
            Some(&previous) => {
                if start as usize != previous as usize + self.separator.len() {
                    return None;
                }
            }
        }
        self.labels.push_str(label.as_str());
        self.label_ends.push(u32::try_from(self.labels.len()).ok()?);
        self.ends.push(end);
        Some(())
    }

    /// How many items there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Item `i`'s label, as text.
    pub fn label(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.label_ends[i - 1] };
        &self.labels[start as usize..self.label_ends[i] as usize]
    }

    /// Where item `i` starts and ends.
    pub fn span(&self, i: usize) -> (usize, usize) {
        let start = match i {
            0 => self.first as usize,
            _ => self.ends[i - 1] as usize + self.separator.len(),
        };
        (start, self.ends[i] as usize)
    }

    /// What is written between two items.
    pub fn separator(&self) -> &str {
        &self.separator
    }

    /// Whether the parts agree with each other and with `text`, the answer
    /// they describe: a label for each item, label ends in order and on
    /// character boundaries, items in order inside the text with the
    /// separator between them.
    pub fn describes(&self, text: &str) -> bool {
        let labels_whole = self.label_ends.len() == self.ends.len()
            && self.label_ends.windows(2).all(|w| w[0] <= w[1])
            && self
                .label_ends
                .last()
                .is_none_or(|&e| e as usize == self.labels.len())
            && self
                .label_ends
                .iter()
                .all(|&e| self.labels.is_char_boundary(e as usize));
        let within = |at: usize| at <= text.len() && text.is_char_boundary(at);
        labels_whole
            && (0..self.len()).all(|i| {
                let (start, end) = self.span(i);
                start <= end
                    && within(start)
                    && within(end)
                    && (i == 0
                        || text.get(start - self.separator.len()..start) == Some(&self.separator))
            })
    }
}

/// Lines and columns of locations, for outputs that show them.
/// (`Location::line_col` reads each file once per process and finds a line
/// by binary search: a BUILD file of 40,000 targets once counted its
/// newlines up to every target, quadratic in the targets of one file.)
#[derive(Default)]
pub struct Positions;

impl Positions {
    /// The file as shown, and the 1-based line and column, of a location in a file.
    pub fn of(&mut self, at: &Location) -> Option<(String, Option<(usize, usize)>)> {
        let Source::File(file) = at.source() else {
            return None;
        };
        Some((file.shown.clone(), at.line_col()))
    }
}
