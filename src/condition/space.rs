//! The space of configurations: the selectors and their values, in a fixed order.

use std::collections::HashMap;

/// One selector: a dimension of the configuration, with the values it may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorDim {
    /// The selector's label, e.g. `//flags:cuda`.
    pub label: String,
    /// The values the selector allows, in declared order; a configuration picks exactly one.
    pub values: Vec<String>,
    /// Whether the declared order of `values` means something, so that `<`, `>=` and ranges
    /// read naturally (`cuda >= 12`).
    pub ordered: bool,
}

/// The space: the selectors, in a fixed order (their index is the MDD variable order).
///
/// Selectors and values are referred to by index everywhere in the algebra; the space
/// translates labels and value names to indices and back.
#[derive(Clone, Debug)]
pub struct Space {
    selectors: Vec<SelectorDim>,
    by_label: HashMap<String, usize>,
    by_short_name: HashMap<String, Option<usize>>,
    values: Vec<HashMap<String, usize>>,
    display_names: Vec<String>,
}

impl Space {
    /// Builds the space; the order of `selectors` is the variable order of the diagrams.
    ///
    /// # Panics
    ///
    /// If a selector has no values, if two selectors share a label, or if a selector lists
    /// a value twice. The BUILD-file loader rejects all three before a space is built.
    pub fn new(selectors: Vec<SelectorDim>) -> Space {
        let mut by_label = HashMap::with_capacity(selectors.len());
        let mut by_short_name: HashMap<String, Option<usize>> = HashMap::new();
        let mut values = Vec::with_capacity(selectors.len());
        for (i, dim) in selectors.iter().enumerate() {
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
            let previous = by_label.insert(dim.label.clone(), i);
            assert!(previous.is_none(), "selector {} declared twice", dim.label);
            by_short_name
                .entry(short_name(&dim.label).to_owned())
                .and_modify(|slot| *slot = None)
                .or_insert(Some(i));
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
        let display_names = selectors
            .iter()
            .map(|dim| {
                let short = short_name(&dim.label);
                if by_short_name.get(short) == Some(&Some(by_label[&dim.label])) {
                    short.to_owned()
                } else {
                    dim.label.clone()
                }
            })
            .collect();
        Space {
            selectors,
            by_label,
            by_short_name,
            values,
            display_names,
        }
    }

    /// The selectors, in variable order.
    pub fn selectors(&self) -> &[SelectorDim] {
        &self.selectors
    }

    /// The index of the selector with this exact label.
    pub fn index_of(&self, label: &str) -> Option<usize> {
        self.by_label.get(label).copied()
    }

    /// The index of the selector named by its full label or, where no other selector
    /// shares it, by its short name (`cuda` for `//flags:cuda`), as `--select` accepts.
    pub fn index_of_name(&self, name: &str) -> Option<usize> {
        self.index_of(name)
            .or_else(|| self.by_short_name.get(name).copied().flatten())
    }

    /// The index of `value` among the values of selector `sel`; `None` if either is unknown.
    pub fn value_index(&self, sel: usize, value: &str) -> Option<usize> {
        self.values.get(sel)?.get(value).copied()
    }

    /// The name used for selector `sel` in text meant for people: the short name when it
    /// is unique in the space, else the full label.
    pub fn display_name(&self, sel: usize) -> &str {
        &self.display_names[sel]
    }
}

/// `//flags:cuda` -> `cuda`; `//flags/cuda` (which means `//flags/cuda:cuda`) -> `cuda`.
fn short_name(label: &str) -> &str {
    match label.rsplit_once(':') {
        Some((_, name)) => name,
        None => label.rsplit('/').next().unwrap_or(label),
    }
}
