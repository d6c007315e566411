//! The layering rule of issue 20: no circle between the files of
//! `crates/store` or `crates/web`. A file depends on another when it names
//! it by path (`crate::x::`, `super::x::`, `use crate::{x, ..}`), and a
//! module file on the children it names (`mod x;` then `x::`). A circle
//! means two files cannot be understood, tested or changed apart; this test
//! names the files of any circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of a crate's `src`, by path (`cases::scope`), with its text
/// (comments and the `#[cfg(test)]` tail left out).
fn modules(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).unwrap().with_extension("");
                let mut name = rel.to_string_lossy().replace('/', "::");
                if let Some(parent) = name.strip_suffix("::mod") {
                    name = parent.to_string();
                }
                let text = std::fs::read_to_string(&p).unwrap();
                let text = text.split("#[cfg(test)]").next().unwrap_or("");
                let code: String = text
                    .lines()
                    .map(|l| l.split("//").next().unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join("\n");
                out.insert(name, code);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The `a::b::c` path that starts at `s`.
fn path_at(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = s;
    loop {
        let id = ident(rest);
        if id.is_empty() {
            break;
        }
        parts.push(id);
        rest = &rest[id.len()..];
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    parts
}

/// The longest module that `base` + `parts` names, if any.
fn resolve(names: &BTreeSet<String>, base: &[&str], parts: &[&str]) -> Option<String> {
    let mut full: Vec<&str> = base.to_vec();
    full.extend(parts);
    (1..=full.len())
        .rev()
        .map(|k| full[..k].join("::"))
        .find(|c| names.contains(c))
}

fn graph(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<String> = mods.keys().cloned().collect();
    let mut g = BTreeMap::new();
    for (m, code) in mods {
        let here: Vec<&str> = if m == "lib" {
            vec![]
        } else {
            m.split("::").collect()
        };
        let parent = &here[..here.len().saturating_sub(1)];
        let mut deps = BTreeSet::new();
        for (marker, base) in [("crate::", &[][..]), ("super::", parent)] {
            for (i, _) in code.match_indices(marker) {
                let after = &code[i + marker.len()..];
                if let Some(group) = after.strip_prefix('{') {
                    let inner = &group[..group.find('}').unwrap_or(0)];
                    for item in inner.split(',') {
                        let parts = path_at(item.trim());
                        if let Some(d) = resolve(&names, base, &parts) {
                            deps.insert(d);
                        }
                    }
                } else if let Some(d) = resolve(&names, base, &path_at(after)) {
                    deps.insert(d);
                }
            }
        }
        // A module file and the children it names by their bare path.
        for (i, _) in code.match_indices("mod ") {
            let child = ident(&code[i + 4..]);
            if child.is_empty() || !code[i + 4 + child.len()..].starts_with(';') {
                continue;
            }
            let full = if here.is_empty() {
                child.to_string()
            } else {
                format!("{m}::{child}")
            };
            let named = code.match_indices(&format!("{child}::")).any(|(j, _)| {
                j == 0
                    || !code[..j].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if names.contains(&full) && named {
                deps.insert(full);
            }
        }
        deps.remove(m);
        deps.remove("lib");
        g.insert(m.clone(), deps);
    }
    g
}

/// The strongly connected components of more than one file (Tarjan).
fn circles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        for w in &t.g[v] {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low[v];
                t.low.insert(v, lv.min(lw));
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low[v];
                t.low.insert(v, lv.min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in g.keys() {
        if v != "lib" && !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn no_circle_between_files_of_the_store_or_the_web_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in ["store", "web"] {
        let mods = modules(&root.join(krate).join("src"));
        assert!(mods.len() > 20, "{krate}: {} files", mods.len());
        let found = circles(&graph(&mods));
        assert!(found.is_empty(), "crates/{krate} has circles: {found:?}");
    }
}

#[test]
fn a_circle_is_found() {
    let mods: BTreeMap<String, String> = [
        ("lib", "pub mod a; pub mod b; pub mod c;"),
        ("a", "use crate::b::thing;"),
        ("b", "fn f() { crate::c::g() }"),
        ("c", "use crate::{a::x, b};"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(circles(&graph(&mods)), vec![vec!["a", "b", "c"]]);
    let parent_child: BTreeMap<String, String> = [
        ("lib", "pub mod p;"),
        ("p", "pub mod k; fn r() { k::handler() }"),
        ("p::k", "use super::helper;"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(circles(&graph(&parent_child)), vec![vec!["p", "p::k"]]);
}
