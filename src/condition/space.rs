//! The space of configurations: the selectors and their values, in a fixed order.
//!
//! The algebra's variables are *dimensions*: a selector with one value at a time is
//! one dimension, whose values are the selector's; a multi-valued selector (a
//! `string_list_flag`, whose value is a set of elements) is one boolean dimension per
//! element, `lacks` or `has`, in the order of its elements and one after another. So
//! a condition on a set ("features has avx2") is an ordinary condition of the
//! algebra, and every operation, cover and count stays as it is; only the places that
//! speak to people or to configurations (text, JSON, `--select` values) put a
//! selector's dimensions back together.

use std::collections::HashMap;
use std::ops::Range;

/// One dimension of the space: a selector with the values it may take, or one
/// element of a multi-valued selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorDim {
    /// The selector's label, e.g. `//flags:cuda`.
    pub label: String,
    /// The values the selector allows, in declared order; a configuration picks exactly one.
    /// For an element of a multi-valued selector: [`LACKS`] and [`HAS`].
    pub values: Vec<String>,
    /// Whether the declared order of `values` means something, so that `<`, `>=` and ranges
    /// read naturally (`cuda >= 12`).
    pub ordered: bool,
    /// For a multi-valued selector: the element this dimension is about (whether the
    /// selector's value holds it). `None` for a selector with one value at a time.
    pub element: Option<String>,
}

/// The value of an element's dimension where the selector's value does not hold it.
pub const LACKS: &str = "lacks";
/// The value of an element's dimension where the selector's value holds it.
pub const HAS: &str = "has";

impl SelectorDim {
    /// The dimension of `element` of the multi-valued selector `label`.
    pub fn element(label: String, element: String) -> SelectorDim {
        SelectorDim {
            label,
            values: vec![LACKS.to_owned(), HAS.to_owned()],
            ordered: false,
            element: Some(element),
        }
    }
}

/// A selector of the space and its dimensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceSelector {
    /// Its label.
    pub label: String,
    /// Its dimensions: one, or one per element of a multi-valued selector.
    pub dims: Range<usize>,
    /// Whether its value is a set of elements (a dimension per element).
    pub multi_valued: bool,
}

/// The space: the selectors, in a fixed order (their dimensions' index is the MDD
/// variable order).
///
/// Selectors and values are referred to by index everywhere in the algebra; the space
/// translates labels and value names to indices and back.
#[derive(Clone, Debug)]
pub struct Space {
    dims: Vec<SelectorDim>,
    selectors: Vec<SpaceSelector>,
    /// Label -> index in `selectors`.
    by_label: HashMap<String, usize>,
    by_short_name: HashMap<String, Option<usize>>,
    values: Vec<HashMap<String, usize>>,
    /// Dimension -> index in `selectors`.
    selector_of: Vec<usize>,
    display_names: Vec<String>,
}

impl Space {
    /// Builds the space; the order of `dims` is the variable order of the diagrams. The
    /// dimensions of one multi-valued selector follow each other.
    ///
    /// # Panics
    ///
    /// If a selector has no values, if two selectors share a label, if the elements of a
    /// multi-valued selector are apart or one is listed twice, or if a selector lists a
    /// value twice. The BUILD-file loader rejects all of these before a space is built.
    pub fn new(dims: Vec<SelectorDim>) -> Space {
        let mut selectors: Vec<SpaceSelector> = Vec::new();
        let mut by_label: HashMap<String, usize> = HashMap::with_capacity(dims.len());
        let mut values = Vec::with_capacity(dims.len());
        let mut selector_of = Vec::with_capacity(dims.len());
        for (i, dim) in dims.iter().enumerate() {
            assert!(
                !dim.values.is_empty(),
                "selector {} has no values",
                dim.label
            );
            assert!(
                u32::try_from(dim.values.len()).is_ok(),
                "selector {} has too many values",
                dim.label
            );
            let continues = dim.element.is_some()
                && selectors
                    .last()
                    .is_some_and(|s| s.multi_valued && s.label == dim.label);
            if continues {
                let s = selectors.last_mut().expect("checked above");
                let element = dim.element.as_deref();
                assert!(
                    !dims[s.dims.clone()]
                        .iter()
                        .any(|d| d.element.as_deref() == element),
                    "selector {} lists element {element:?} twice",
                    dim.label
                );
                s.dims.end = i + 1;
            } else {
                let previous = by_label.insert(dim.label.clone(), selectors.len());
                assert!(previous.is_none(), "selector {} declared twice", dim.label);
                selectors.push(SpaceSelector {
                    label: dim.label.clone(),
                    dims: i..i + 1,
                    multi_valued: dim.element.is_some(),
                });
            }
            selector_of.push(selectors.len() - 1);
            let mut index = HashMap::with_capacity(dim.values.len());
            for (j, value) in dim.values.iter().enumerate() {
                let previous = index.insert(value.clone(), j);
                assert!(
                    previous.is_none(),
                    "selector {} lists value {value:?} twice",
                    dim.label
                );
            }
            values.push(index);
        }
        let mut by_short_name: HashMap<String, Option<usize>> = HashMap::new();
        for (i, s) in selectors.iter().enumerate() {
            by_short_name
                .entry(short_name(&s.label).to_owned())
                .and_modify(|slot| *slot = None)
                .or_insert(Some(i));
        }
        let display_names = selectors
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let short = short_name(&s.label);
                if by_short_name.get(short) == Some(&Some(i)) {
                    short.to_owned()
                } else {
                    s.label.clone()
                }
            })
            .collect();
        Space {
            dims,
            selectors,
            by_label,
            by_short_name,
            values,
            selector_of,
            display_names,
        }
    }

    /// The dimensions, in variable order: a selector each, or for a multi-valued
    /// selector one per element.
    pub fn selectors(&self) -> &[SelectorDim] {
        &self.dims
    }

    /// The selectors, each with its dimensions, in variable order.
    pub fn space_selectors(&self) -> &[SpaceSelector] {
        &self.selectors
    }

    /// The selector (index into [`Space::space_selectors`]) dimension `dim` belongs to.
    pub fn selector_of(&self, dim: usize) -> usize {
        self.selector_of[dim]
    }

    /// The dimension of the selector with this exact label, if it has one value at a
    /// time (not a multi-valued selector).
    pub fn index_of(&self, label: &str) -> Option<usize> {
        let s = &self.selectors[*self.by_label.get(label)?];
        (!s.multi_valued).then_some(s.dims.start)
    }

    /// The dimension of `element` of the multi-valued selector `label`.
    pub fn element_index(&self, label: &str, element: &str) -> Option<usize> {
        let s = &self.selectors[*self.by_label.get(label)?];
        s.dims
            .clone()
            .find(|&d| self.dims[d].element.as_deref() == Some(element))
    }

    /// The selector with this label (index into [`Space::space_selectors`]).
    pub fn selector_index(&self, label: &str) -> Option<usize> {
        self.by_label.get(label).copied()
    }

    /// The dimension of the selector named by its full label or, where no other selector
    /// shares it, by its short name (`cuda` for `//flags:cuda`), as `--select` accepts;
    /// `None` for a multi-valued selector.
    pub fn index_of_name(&self, name: &str) -> Option<usize> {
        let s = self
            .by_label
            .get(name)
            .copied()
            .or_else(|| self.by_short_name.get(name).copied().flatten())?;
        let s = &self.selectors[s];
        (!s.multi_valued).then_some(s.dims.start)
    }

    /// The index of `value` among the values of dimension `sel`; `None` if either is unknown.
    pub fn value_index(&self, sel: usize, value: &str) -> Option<usize> {
        self.values.get(sel)?.get(value).copied()
    }

    /// The dimensions, with their value indices, that give the selector `label` the value
    /// `value` as a configuration writes it: one of its values, or for a multi-valued
    /// selector its elements joined with commas (every other element lacking). `None`
    /// if the selector or a value is unknown.
    pub fn assign(&self, label: &str, value: &str) -> Option<Vec<(usize, usize)>> {
        let s = &self.selectors[*self.by_label.get(label)?];
        if !s.multi_valued {
            let d = s.dims.start;
            return Some(vec![(d, self.value_index(d, value)?)]);
        }
        let held: Vec<&str> = value.split(',').filter(|e| !e.is_empty()).collect();
        let mut out: Vec<(usize, usize)> = s.dims.clone().map(|d| (d, 0)).collect();
        for e in held {
            let d = self.element_index(label, e)?;
            out[d - s.dims.start].1 = 1;
        }
        Some(out)
    }

    /// The value of selector `s` (an index into [`Space::space_selectors`]) at a
    /// configuration given as one value index per dimension, as a configuration writes
    /// it: a value, or the elements held joined with commas.
    pub fn value_at(&self, s: usize, point: &[usize]) -> String {
        let s = &self.selectors[s];
        if !s.multi_valued {
            return self.dims[s.dims.start].values[point[s.dims.start]].clone();
        }
        s.dims
            .clone()
            .filter(|&d| point[d] == 1)
            .filter_map(|d| self.dims[d].element.clone())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The name used for the selector of dimension `sel` in text meant for people: the
    /// short name when it is unique in the space, else the full label.
    pub fn display_name(&self, sel: usize) -> &str {
        &self.display_names[self.selector_of[sel]]
    }
}

/// `//flags:cuda` -> `cuda`; `//flags/cuda` (which means `//flags/cuda:cuda`) -> `cuda`.
fn short_name(label: &str) -> &str {
    match label.rsplit_once(':') {
        Some((_, name)) => name,
        None => label.rsplit('/').next().unwrap_or(label),
    }
}
