//! Rule 2: `$ref`s into `$defs` (or `definitions`) inlined, except those to
//! recursive definitions, which stay, with only those definitions kept. A
//! reference to the root itself (`"#"`, as schemars writes a recursive root
//! type) first becomes a reference to a copy of the root in `$defs`.

use serde_json::{Map, Value};

/// The definitions of the schema `root` (`$defs` and the older
/// `definitions`), taken out of it.
pub(super) fn take_defs(root: &mut Map<String, Value>) -> Map<String, Value> {
    let mut defs = Map::new();
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(d)) = root.remove(key) {
            defs.extend(d);
        }
    }
    defs
}

/// Makes a schema that refers to its own root (`"$ref": "#"`, anywhere in
/// it or its definitions) an ordinary recursive definition: a copy of the
/// root (without its definitions) joins `defs` under a name no definition
/// has (the root's `title`, else `Root`), and every `"#"` reference points
/// to it. A schema without such a reference is left alone.
pub(super) fn root_as_def(
    root: &mut Map<String, Value>,
    defs: &mut Map<String, Value>,
    title: Option<&str>,
) {
    let refers_to_root = root.values().any(has_root_ref) || defs.values().any(has_root_ref);
    if !refers_to_root {
        return;
    }
    // The name goes into a JSON pointer: keep it to characters that need no
    // escaping there.
    let base: String = title
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect();
    let base = if base.is_empty() {
        "Root".to_owned()
    } else {
        base
    };
    let name = std::iter::once(base.clone())
        .chain((2..).map(|n| format!("{base}{n}")))
        .find(|n| !defs.contains_key(n))
        .unwrap_or(base);
    let target = Value::String(format!("#/$defs/{name}"));
    for value in root.values_mut().chain(defs.values_mut()) {
        retarget_root_refs(value, &target);
    }
    defs.insert(name, Value::Object(root.clone()));
}

/// Whether a `"$ref": "#"` is at or below `node`.
fn has_root_ref(node: &Value) -> bool {
    match node {
        Value::Object(map) => {
            map.get("$ref").and_then(Value::as_str) == Some("#") || map.values().any(has_root_ref)
        }
        Value::Array(items) => items.iter().any(has_root_ref),
        _ => false,
    }
}

/// Every `"$ref": "#"` at or below `node` becomes `"$ref": target`.
fn retarget_root_refs(node: &mut Value, target: &Value) {
    match node {
        Value::Object(map) => {
            if let Some(reference) = map.get_mut("$ref")
                && reference.as_str() == Some("#")
            {
                *reference = target.clone();
            }
            map.values_mut().for_each(|v| retarget_root_refs(v, target));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| retarget_root_refs(v, target)),
        _ => {}
    }
}

fn def_name(reference: &str) -> Option<&str> {
    reference
        .strip_prefix("#/$defs/")
        .or_else(|| reference.strip_prefix("#/definitions/"))
}

/// Every `$ref` target named below `node`.
fn refs_in(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(def_name) {
                out.push(name.to_owned());
            }
            map.values().for_each(|v| refs_in(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// The definitions that reach themselves through `$ref`s: they cannot be
/// inlined, so references to them stay.
pub(super) fn recursive_defs(defs: &Map<String, Value>) -> Vec<String> {
    let edges = |name: &str| {
        let mut out = Vec::new();
        if let Some(def) = defs.get(name) {
            refs_in(def, &mut out);
        }
        out
    };
    defs.keys()
        .filter(|start| {
            let mut seen: Vec<String> = Vec::new();
            let mut todo = edges(start);
            while let Some(next) = todo.pop() {
                if &next == *start {
                    return true;
                }
                if !seen.contains(&next) {
                    todo.extend(edges(&next));
                    seen.push(next);
                }
            }
            false
        })
        .cloned()
        .collect()
}

/// Replaces every `$ref` below `node` by its definition, except references
/// to a recursive definition, which become `#/$defs/NAME` and are recorded
/// in `kept`.
pub(super) fn inline(
    node: &mut Value,
    defs: &Map<String, Value>,
    recursive: &[String],
    kept: &mut Map<String, Value>,
) -> Result<(), String> {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref").cloned() {
                let Some(name) = def_name(&reference).map(str::to_owned) else {
                    return Err(format!(
                        "`$ref` {reference:?} points outside the schema's `$defs`; \
                         only local references can be resolved"
                    ));
                };
                let Some(def) = defs.get(&name) else {
                    return Err(format!(
                        "`$ref` {reference:?} names no definition in `$defs`"
                    ));
                };
                if recursive.contains(&name) {
                    kept.entry(name.clone()).or_insert_with(|| def.clone());
                    map.insert("$ref".into(), Value::String(format!("#/$defs/{name}")));
                    return Ok(());
                }
                let mut expanded = def.clone();
                inline(&mut expanded, defs, recursive, kept)?;
                map.remove("$ref");
                if let Value::Object(expanded) = expanded {
                    // Sibling keywords of the `$ref` (a field's description,
                    // say) win over the definition's.
                    for (k, v) in expanded {
                        if k != "title" || !map.contains_key("description") {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
                return Ok(());
            }
            for value in map.values_mut() {
                inline(value, defs, recursive, kept)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for item in items {
                inline(item, defs, recursive, kept)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
