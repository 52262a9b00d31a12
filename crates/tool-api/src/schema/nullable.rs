//! Rule 3: nullable unions made plain (`["string", "null"]` → `"string"`,
//! `anyOf: [X, null]` → `X`), other type arrays made `anyOf`.

use serde_json::{Map, Value};

/// Rule 3: nullable unions become plain, other type arrays become `anyOf`.
pub(super) fn simplify(node: &mut Value) {
    match node {
        Value::Object(map) => {
            for value in map.values_mut() {
                simplify(value);
            }
            if let Some(Value::Array(types)) = map.get("type").cloned() {
                let non_null: Vec<Value> = types
                    .into_iter()
                    .filter(|t| t != &Value::String("null".into()))
                    .collect();
                match non_null.len() {
                    0 => {
                        map.insert("type".into(), Value::String("null".into()));
                    }
                    1 => {
                        map.insert("type".into(), non_null[0].clone());
                    }
                    _ => {
                        map.remove("type");
                        let alternatives = non_null
                            .into_iter()
                            .map(|t| {
                                let mut m = Map::new();
                                m.insert("type".into(), t);
                                Value::Object(m)
                            })
                            .collect();
                        map.insert("anyOf".into(), Value::Array(alternatives));
                    }
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alternatives)) = map.get(key) {
                    let non_null: Vec<&Value> =
                        alternatives.iter().filter(|a| !is_null_schema(a)).collect();
                    if non_null.len() == 1
                        && alternatives.len() == 2
                        && let Value::Object(only) = non_null[0].clone()
                    {
                        map.remove(key);
                        for (k, v) in only {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            // `enum` listing `null` next to strings, from `Option<UnitEnum>`.
            if let Some(Value::Array(values)) = map.get_mut("enum")
                && values.len() > 1
            {
                values.retain(|v| !v.is_null());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(simplify),
        _ => {}
    }
}

fn is_null_schema(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            m.get("type") == Some(&Value::String("null".into()))
                || m.get("const") == Some(&Value::Null)
        }
        _ => false,
    }
}
