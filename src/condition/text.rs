//! Conditions as text: the JSON of the contract, and a rendering for people.

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::{Algebra, Cond, Cube};

impl Algebra {
    /// The contract's JSON: `{"any": [{"//flags:cuda": ["11", "12"], "//flags:os": ["linux"]}]}`,
    /// one object per cube of [`Algebra::cover`] (cubes may overlap; their union is the
    /// condition), selectors by label, values in the selector's declared order. A
    /// multi-valued selector has, in place of a list of values, the elements its value
    /// must hold and those it must not: `{"//flags:features": {"has": ["avx2"],
    /// "lacks": ["fma"]}}`. *Always* is `{"any": [{}]}` and *never* is `{"any": []}`.
    pub fn to_json(&self, c: Cond) -> Value {
        self.cubes_to_json(&self.cover(c))
    }

    /// [`Algebra::to_json`] of a cover given as its cubes.
    pub fn cubes_to_json(&self, cubes: &[Cube]) -> Value {
        let any = cubes.iter().map(|cube| self.cube_to_json(cube)).collect();
        let mut object = Map::new();
        object.insert("any".to_owned(), Value::Array(any));
        Value::Object(object)
    }

    /// Parses the JSON of [`Algebra::to_json`] back (for tests and tools). Cubes may
    /// overlap and a cube may list a selector's values in any order. An unknown selector
    /// label or value, or any other shape, is an error.
    pub fn from_json(&self, v: &Value) -> Result<Cond, String> {
        let object = v
            .as_object()
            .ok_or_else(|| format!("a condition is an object {{\"any\": [...]}}, not {v}"))?;
        if let Some(key) = object.keys().find(|key| *key != "any") {
            return Err(format!("unexpected key {key:?} in a condition"));
        }
        let any = object
            .get("any")
            .ok_or("a condition needs the key \"any\"")?
            .as_array()
            .ok_or("\"any\" must be a list of cubes")?;
        let space = self.space();
        let mut result = self.never();
        for cube in any {
            let cube = cube
                .as_object()
                .ok_or_else(|| format!("a cube is an object of selector -> values, not {cube}"))?;
            let mut cond = self.always();
            for (label, values) in cube {
                if let Some(elements) = values.as_object() {
                    cond = self.and(cond, self.elements_from_json(label, elements)?);
                    continue;
                }
                let sel = space
                    .index_of(label)
                    .ok_or_else(|| format!("unknown selector {label:?}"))?;
                let values = values
                    .as_array()
                    .ok_or_else(|| format!("the values of {label} must be a list"))?;
                let mut indices = Vec::with_capacity(values.len());
                for value in values {
                    let name = value.as_str().ok_or_else(|| {
                        format!("a value of {label} must be a string, not {value}")
                    })?;
                    let index = space
                        .value_index(sel, name)
                        .ok_or_else(|| format!("unknown value {name:?} of selector {label}"))?;
                    indices.push(index);
                }
                cond = self.and(cond, self.one_of(sel, &indices));
            }
            result = self.or(result, cond);
        }
        Ok(result)
    }

    /// `{"has": [...], "lacks": [...]}` of the multi-valued selector `label`.
    fn elements_from_json(&self, label: &str, object: &Map<String, Value>) -> Result<Cond, String> {
        let mut cond = self.always();
        for (key, elements) in object {
            let value = match key.as_str() {
                "has" => 1,
                "lacks" => 0,
                _ => return Err(format!("unexpected key {key:?} in the elements of {label}")),
            };
            let elements = elements
                .as_array()
                .ok_or_else(|| format!("the elements of {label} must be a list"))?;
            for element in elements {
                let name = element.as_str().ok_or_else(|| {
                    format!("an element of {label} must be a string, not {element}")
                })?;
                let dim = self
                    .space()
                    .element_index(label, name)
                    .ok_or_else(|| format!("unknown element {name:?} of selector {label}"))?;
                cond = self.and(cond, self.equals(dim, value));
            }
        }
        Ok(cond)
    }

    /// An irredundant cover of `c` by prime cubes: their union is `c`, no cube is
    /// implied by the others, and no cube can drop or widen a term and stay inside `c`.
    /// The cubes come sorted, fewer terms first. So `a = 1 or b = 1` is those two cubes,
    /// and `cuda in {11, 12} or (cuda = none and debug = true)` keeps `cuda = none` only
    /// where widening it would leave the condition. *Always* is one empty cube; *never*
    /// is no cube.
    ///
    /// Computed from the diagram (see `cover.rs`) and memoized per condition: its cost
    /// follows the diagram and the cover, not the number of paths or configurations.
    pub fn cover(&self, c: Cond) -> Rc<Vec<Cube>> {
        if let Some(cubes) = self.covers.borrow().get(&c) {
            return Rc::clone(cubes);
        }
        let mut cubes = self.store.borrow_mut().cover(c.0);
        cubes.sort_by(|a, b| (a.0.len(), a).cmp(&(b.0.len(), b)));
        let cubes = Rc::new(cubes);
        self.covers.borrow_mut().insert(c, Rc::clone(&cubes));
        cubes
    }

    /// For people: `cuda in {11, 12} and os = linux`, `cuda != none`, `always`, `never`.
    ///
    /// The cubes of [`Algebra::cover`] are joined with ` or `, the terms of a cube with
    /// ` and `; a cube of several terms is parenthesised when there are several cubes. A
    /// selector goes by its short name (`cuda`) when that is unique in the space, else by
    /// its label. A term that allows one value, or all values but one, is `x = v` or
    /// `x != v`; otherwise it is the shortest of `x in {v, w}`, `x not in {v, w}` and, for
    /// an ordered selector whose allowed values are a contiguous run, `x >= v`, `x <= w`
    /// or `v <= x <= w` (all inclusive), the earlier in that list on a tie. A
    /// multi-valued selector's terms say which elements its value holds: `x has e`,
    /// `x has all of {e, f}`, `x lacks e`, `x has none of {e, f}`.
    /// Values that are not plain words (empty, or with spaces, commas, braces,
    /// quotes...) are quoted like Rust strings.
    ///
    /// Renderings are memoized per condition.
    pub fn render(&self, c: Cond) -> String {
        if let Some(text) = self.rendered.borrow().get(&c) {
            return text.clone();
        }
        let text = self.render_uncached(c);
        self.rendered.borrow_mut().insert(c, text.clone());
        text
    }

    fn render_uncached(&self, c: Cond) -> String {
        if self.is_always(c) {
            return "always".to_owned();
        }
        if self.is_never(c) {
            return "never".to_owned();
        }
        self.render_cubes(&self.cover(c))
    }

    /// [`Algebra::render`] of a cover given as its cubes (`never` for none).
    pub fn render_cubes(&self, cover: &[Cube]) -> String {
        if cover.is_empty() {
            return "never".to_owned();
        }
        if cover.len() == 1 && cover[0].0.is_empty() {
            return "always".to_owned();
        }
        let several = cover.len() > 1;
        cover
            .iter()
            .map(|cube| {
                let terms = self.render_terms(cube);
                let joined = terms.join(" and ");
                if several && terms.len() > 1 {
                    format!("({joined})")
                } else {
                    joined
                }
            })
            .collect::<Vec<_>>()
            .join(" or ")
    }

    fn cube_to_json(&self, cube: &Cube) -> Value {
        let mut object = Map::new();
        for (&sel, values) in &cube.0 {
            let dim = &self.space().selectors()[sel];
            if let Some(element) = &dim.element {
                // A multi-valued selector's elements, gathered under its label.
                let entry = object
                    .entry(dim.label.clone())
                    .or_insert_with(|| serde_json::json!({"has": [], "lacks": []}));
                let key = if values == &[1] { "has" } else { "lacks" };
                if let Some(list) = entry[key].as_array_mut() {
                    list.push(Value::String(element.clone()));
                }
                continue;
            }
            let values = values
                .iter()
                .map(|&v| Value::String(dim.values[v].clone()))
                .collect();
            object.insert(dim.label.clone(), Value::Array(values));
        }
        Value::Object(object)
    }

    /// The terms of a cube, in the order of the space. The elements a cube asks of
    /// a multi-valued selector make at most two terms: those it must hold (`x has
    /// e`, `x has all of {e, f}`) and those it must not (`x lacks e`, `x has none of
    /// {e, f}`).
    fn render_terms(&self, cube: &Cube) -> Vec<String> {
        let space = self.space();
        let mut terms = Vec::with_capacity(cube.0.len());
        let mut entries = cube.0.iter().peekable();
        while let Some((&sel, values)) = entries.next() {
            let dim = &space.selectors()[sel];
            if dim.element.is_none() {
                terms.push(self.render_term(sel, values));
                continue;
            }
            // This selector's elements follow each other in the cube, as in the space.
            let selector = space.selector_of(sel);
            let (mut has, mut lacks) = (Vec::new(), Vec::new());
            let mut entry = Some((sel, values));
            while let Some((d, v)) = entry {
                let element = quote(space.selectors()[d].element.as_deref().unwrap_or_default());
                // One of `lacks`, `has`: a cube never allows both.
                if v.as_slice() == [1] {
                    has.push(element);
                } else {
                    lacks.push(element);
                }
                entry = entries
                    .next_if(|(d, _)| space.selector_of(**d) == selector)
                    .map(|(d, v)| (*d, v));
            }
            let name = space.display_name(sel);
            let set = |elements: &[Cow<'_, str>]| elements.join(", ");
            match has.as_slice() {
                [] => {}
                [one] => terms.push(format!("{name} has {one}")),
                all => terms.push(format!("{name} has all of {{{}}}", set(all))),
            }
            match lacks.as_slice() {
                [] => {}
                [one] => terms.push(format!("{name} lacks {one}")),
                all => terms.push(format!("{name} has none of {{{}}}", set(all))),
            }
        }
        terms
    }

    /// One term of a cube: selector `sel` has one of `values` (sorted, not all of them).
    fn render_term(&self, sel: usize, values: &[usize]) -> String {
        let space = self.space();
        let dim = &space.selectors()[sel];
        let name = space.display_name(sel);
        let n = dim.values.len();
        let show = |indices: &mut dyn Iterator<Item = usize>| {
            indices
                .map(|i| quote(&dim.values[i]).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let excluded: Vec<usize> = (0..n)
            .filter(|i| values.binary_search(i).is_err())
            .collect();
        let single = match (values, &excluded[..]) {
            ([only], _) => Some(format!("{name} = {}", quote(&dim.values[*only]))),
            (_, [only]) => Some(format!("{name} != {}", quote(&dim.values[*only]))),
            _ => None,
        };
        let mut candidates = Vec::new();
        candidates.push(format!(
            "{name} in {{{}}}",
            show(&mut values.iter().copied())
        ));
        if !excluded.is_empty() {
            candidates.push(format!(
                "{name} not in {{{}}}",
                show(&mut excluded.iter().copied())
            ));
        }
        if let (true, Some(&lo), Some(&hi)) = (dim.ordered, values.first(), values.last()) {
            if hi - lo + 1 == values.len() {
                let (lo_name, hi_name) = (quote(&dim.values[lo]), quote(&dim.values[hi]));
                if lo == 0 {
                    candidates.push(format!("{name} <= {hi_name}"));
                } else if hi == n - 1 {
                    candidates.push(format!("{name} >= {lo_name}"));
                } else {
                    candidates.push(format!("{lo_name} <= {name} <= {hi_name}"));
                }
            }
        }
        // Naming one value is clearest: `=` and `!=` win whenever they apply.
        if let Some(single) = single {
            return single;
        }
        candidates
            .into_iter()
            .min_by_key(|candidate| candidate.chars().count())
            .expect("at least the `in` form")
    }
}

/// A value as written in rendered conditions: bare when it is a plain word, else quoted.
fn quote(value: &str) -> Cow<'_, str> {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '/' | ':' | '@'));
    if plain {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(format!("{value:?}"))
    }
}
