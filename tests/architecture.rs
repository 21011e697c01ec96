//! The shape of the library, checked: imports only go down. Every file of
//! `src/` (but the binary) is a module; a module imports another when it
//! names it by a `crate::` or `super::` path, or names one of its own
//! submodules (`fast::read` in `build_file/mod.rs`). The import graph has no circle, and ARCHITECTURE.md's
//! table of floors (a module's floor: one above the highest module it
//! imports; 0 for one that imports none) is the one the code has.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of the library, by path (`build_file::arg`; `lib` for the
/// root), with its text, comments and its own tests removed.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "bin") {
                    continue;
                }
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(&src)
                .expect("under src/")
                .with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let name = if parts.is_empty() {
                "lib".to_string()
            } else {
                parts.join("::")
            };
            let text = std::fs::read_to_string(&path).expect("a source file is readable");
            // A file's own tests (`mod tests` at its end, where `super` is
            // the file) are not part of the library.
            let text = match text.find("#[cfg(test)]\nmod tests {") {
                Some(i) => &text[..i],
                None => &text[..],
            };
            let code: String = text
                .lines()
                .map(|l| l.find("//").map_or(l, |i| &l[..i]))
                .collect::<Vec<_>>()
                .join("\n");
            (name, code)
        })
        .collect()
}

/// The paths that start at `at` in `text` (`a::b::{c, d::e}` gives `a::b::c`
/// and `a::b::d::e`; `a::b` gives itself), one level of braces deep.
fn paths_at(text: &str, at: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut end = at;
    while end < bytes.len() && (ident(bytes[end]) || bytes[end] == b':') {
        end += 1;
    }
    let base = text[at..end].trim_end_matches(':');
    if text[end..].starts_with('{') && text[at..end].ends_with("::") {
        let close = text[end..].find('}').map_or(text.len(), |i| end + i);
        let inner = &text[end + 1..close];
        let mut out = vec![base.to_string()];
        for item in inner.split(',') {
            let item = item.split(" as ").next().unwrap_or("").trim();
            let item: String = item
                .chars()
                .take_while(|&c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                .collect();
            let item = item.trim_end_matches(':');
            if !item.is_empty() && item != "self" {
                out.push(if base.is_empty() {
                    item.to_string()
                } else {
                    format!("{base}::{item}")
                });
            }
        }
        out
    } else {
        vec![base.to_string()]
    }
}

/// The module a path names: its longest prefix that is a module.
fn resolve<'m>(modules: &'m BTreeMap<String, String>, path: &str) -> Option<&'m str> {
    let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    (1..=parts.len())
        .rev()
        .map(|i| parts[..i].join("::"))
        .find_map(|p| modules.get_key_value(&p).map(|(k, _)| k.as_str()))
}

/// Which modules each module imports.
fn imports(modules: &BTreeMap<String, String>) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, text) in modules {
        let mut out = BTreeSet::new();
        let starts = |prefix: &'static str| {
            text.match_indices(prefix).filter_map(move |(i, _)| {
                let before = text[..i].chars().next_back();
                (!before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                    .then_some(i + prefix.len())
            })
        };
        for at in starts("crate::") {
            for path in paths_at(text, at) {
                // `crate::Session`: an item of the root.
                out.insert(resolve(modules, &path).unwrap_or("lib"));
            }
        }
        let parent = match name.rsplit_once("::") {
            Some((p, _)) => p.to_string(),
            None => String::new(),
        };
        // A `mod.rs` is its directory's module: `super` is its parent too.
        for at in starts("super::") {
            for path in paths_at(text, at) {
                let full = if parent.is_empty() {
                    path
                } else {
                    format!("{parent}::{path}")
                };
                if let Some(m) = resolve(modules, &full) {
                    out.insert(m);
                }
            }
        }
        // A module names its own submodules without `crate::` (the root,
        // all the top modules).
        let own = |k: &str| match name.as_str() {
            "lib" => !k.contains("::") && k != "lib",
            _ => k
                .strip_prefix(name.as_str())
                .and_then(|rest| rest.strip_prefix("::"))
                .is_some_and(|child| !child.contains("::")),
        };
        for child in modules.keys().filter(|k| own(k)) {
            let short = child.rsplit("::").next().unwrap_or(child);
            let prefix = format!("{short}::");
            for (i, _) in text.match_indices(&prefix) {
                let before = text[..i].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let path = paths_at(text, i);
                let full = |p: &String| match name.as_str() {
                    "lib" => p.clone(),
                    _ => format!("{name}::{p}"),
                };
                for p in &path {
                    if let Some(m) = resolve(modules, &full(p)) {
                        out.insert(m);
                    }
                }
            }
        }
        out.remove(name.as_str());
        edges.insert(name.as_str(), out);
    }
    edges
}

/// The floor of every module, or a circle of imports.
fn floors<'m>(
    edges: &BTreeMap<&'m str, BTreeSet<&'m str>>,
) -> Result<BTreeMap<&'m str, usize>, Vec<&'m str>> {
    fn visit<'m>(
        m: &'m str,
        edges: &BTreeMap<&'m str, BTreeSet<&'m str>>,
        floors: &mut BTreeMap<&'m str, usize>,
        path: &mut Vec<&'m str>,
    ) -> Result<usize, Vec<&'m str>> {
        if let Some(&f) = floors.get(m) {
            return Ok(f);
        }
        if let Some(i) = path.iter().position(|p| *p == m) {
            let mut circle = path[i..].to_vec();
            circle.push(m);
            return Err(circle);
        }
        path.push(m);
        let mut floor = 0;
        for d in edges.get(m).into_iter().flatten() {
            floor = floor.max(visit(d, edges, floors, path)? + 1);
        }
        path.pop();
        floors.insert(m, floor);
        Ok(floor)
    }
    let mut out = BTreeMap::new();
    for m in edges.keys() {
        visit(m, edges, &mut out, &mut Vec::new())?;
    }
    Ok(out)
}

/// ARCHITECTURE.md's table of floors, as the code has it.
fn floor_table(floors: &BTreeMap<&str, usize>) -> String {
    let mut by: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (m, f) in floors {
        by.entry(*f).or_default().push(m);
    }
    let mut out = String::from("| floor | modules |\n|---|---|\n");
    for (f, ms) in by {
        let ms: Vec<String> = ms.iter().map(|m| format!("`{m}`")).collect();
        out.push_str(&format!("| {f} | {} |\n", ms.join(", ")));
    }
    out
}

/// The circles of imports: the strongly connected components of more than
/// one module (Tarjan's algorithm), each sorted.
fn circles<'m>(edges: &BTreeMap<&'m str, BTreeSet<&'m str>>) -> Vec<Vec<&'m str>> {
    struct Tarjan<'e, 'm> {
        edges: &'e BTreeMap<&'m str, BTreeSet<&'m str>>,
        index: BTreeMap<&'m str, (usize, usize)>,
        stack: Vec<&'m str>,
        on_stack: BTreeSet<&'m str>,
        out: Vec<Vec<&'m str>>,
    }
    impl<'m> Tarjan<'_, 'm> {
        fn visit(&mut self, v: &'m str) -> usize {
            let i = self.index.len();
            self.index.insert(v, (i, i));
            self.stack.push(v);
            self.on_stack.insert(v);
            let mut low = i;
            for &w in self.edges.get(v).into_iter().flatten() {
                match self.index.get(w) {
                    None => low = low.min(self.visit(w)),
                    Some(&(wi, _)) if self.on_stack.contains(w) => low = low.min(wi),
                    Some(_) => {}
                }
            }
            self.index.insert(v, (i, low));
            if low == i {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.out.push(component);
                }
            }
            low
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for &v in edges.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

#[test]
fn imports_only_go_down() {
    let modules = modules();
    assert!(modules.len() > 40, "the library's files were found");
    let edges = imports(&modules);
    // The reading finds what the code imports.
    assert!(edges["cache::packages"].contains("build_file"));
    assert!(edges["lib"].contains("cache::packages"));
    assert!(edges["workspace"].contains("store"));
    assert!(edges["build_file"].contains("build_file::fast"));
    let circles = circles(&edges);
    let shown: Vec<String> = circles
        .iter()
        .map(|c| {
            let inside: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    edges[a]
                        .iter()
                        .filter(|b| c.contains(b))
                        .map(move |b| format!("{a} -> {b}"))
                })
                .collect();
            format!("{{{}}}: {}", c.join(", "), inside.join("; "))
        })
        .collect();
    assert!(shown.is_empty(), "import circles:\n{}", shown.join("\n"));
}

#[test]
fn architecture_lists_every_floor() {
    let modules = modules();
    let edges = imports(&modules);
    let floors = floors(&edges).expect("no circle (imports_only_go_down)");
    let table = floor_table(&floors);
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md");
    let begin = "<!-- floors:begin -->\n";
    let end = "<!-- floors:end -->";
    let written = doc
        .split_once(begin)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(table, _)| table);
    assert_eq!(
        written,
        Some(table.as_str()),
        "ARCHITECTURE.md's table of floors (between {begin:?} and {end:?}) should be:\n{table}"
    );
}
