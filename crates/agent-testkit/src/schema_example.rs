//! [`schema_example`]: a value valid against a tool's input schema, for
//! the local servers answering a forced tool choice as a model would (with
//! a call whose input fits the tool's schema).

use serde_json::{Map, Value, json};

/// `$ref` chains followed before giving up (a recursive schema's example
/// stops at its optional fields, so this is only a guard).
const MAX_DEPTH: usize = 32;

/// The smallest plausible value valid against `schema` (normalised, as
/// tools' schemas are): required fields only, the first enum value, the
/// first `anyOf`/`oneOf` form, `minItems` items, numbers at their minimum.
///
/// ```
/// use serde_json::json;
///
/// let schema = json!({"type": "object", "properties": {
///     "mood": {"type": "string", "enum": ["calm", "busy"]},
///     "n": {"type": "integer", "minimum": 2}}, "required": ["mood", "n"]});
/// let value = agent_testkit::schema_example(&schema);
/// assert_eq!(value, json!({"mood": "calm", "n": 2}));
/// assert!(tool_api::schema::validate(&schema, &value).is_ok());
/// ```
pub fn schema_example(schema: &Value) -> Value {
    example(schema, schema, 0)
}

fn example(root: &Value, schema: &Value, depth: usize) -> Value {
    let Value::Object(s) = schema else {
        return json!({});
    };
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(Value::String(reference)) = s.get("$ref") {
        let target = match reference.as_str() {
            "#" => Some(root),
            r => r.strip_prefix('#').and_then(|p| root.pointer(p)),
        };
        if let Some(target) = target {
            return example(root, target, depth + 1);
        }
    }
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|o| o.first()) {
            return example(root, first, depth + 1);
        }
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.first().and_then(Value::as_str).unwrap_or("object"),
        _ if s.contains_key("properties") => "object",
        _ => "string",
    };
    let number = |default: f64| {
        s.get("minimum")
            .and_then(Value::as_f64)
            .or_else(|| {
                s.get("exclusiveMinimum")
                    .and_then(Value::as_f64)
                    .map(|m| m + 1.0)
            })
            .unwrap_or(default)
    };
    match ty {
        "object" => {
            let mut fields = Map::new();
            let properties = s.get("properties").and_then(Value::as_object);
            for name in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let field = properties.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
                fields.insert(name.to_owned(), example(root, field, depth + 1));
            }
            Value::Object(fields)
        }
        "array" => {
            let n = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = s.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..n).map(|_| example(root, &item, depth + 1)).collect())
        }
        "integer" => json!(number(0.0).ceil() as i64),
        "number" => json!(number(0.0)),
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => {
            let n = s.get("minLength").and_then(Value::as_u64).unwrap_or(1);
            Value::String("x".repeat(usize::try_from(n.max(1)).unwrap_or(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_valid_against_their_schemas() {
        let schemas = [
            json!({"type": "object", "properties": {}}),
            json!({"type": "object", "properties": {
                "tags": {"type": "array", "items": {"type": "string", "minLength": 3}, "minItems": 2},
                "place": {"$ref": "#/$defs/Place"},
                "note": {"type": "string"},
                "either": {"anyOf": [{"type": "number", "exclusiveMinimum": 1.5}, {"type": "null"}]}
            }, "required": ["tags", "place", "either"],
               "$defs": {"Place": {"type": "object", "properties": {"city": {"type": "string"}},
                                    "required": ["city"]}}}),
            reference_tools::tools()
                .unwrap()
                .iter()
                .find(|t| t.spec().name == "get_weather")
                .map(|t| t.spec().input_schema.clone())
                .unwrap(),
        ];
        for schema in schemas {
            let value = schema_example(&schema);
            assert_eq!(
                tool_api::schema::validate(&schema, &value),
                Ok(()),
                "{value}"
            );
        }
    }
}
