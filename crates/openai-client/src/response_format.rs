//! Structured output as Chat Completions carries it: the core's
//! [`OutputFormat`] as `response_format: {"type": "json_schema",
//! "json_schema": {"name", "schema", "strict"}}`.
//!
//! `strict` is `true` only when the schema meets strict mode's rules (every
//! object closed with `additionalProperties: false` and requiring all its
//! properties): OpenAI refuses other schemas in strict mode, so a schema
//! with an optional field goes non-strict (the service aims for it, and the
//! agent loop validates and repairs the answer either way).

use agent_core::OutputFormat;
use serde_json::Value;

use crate::wire::{JsonSchemaFormat, ResponseFormat};

impl From<&OutputFormat> for ResponseFormat {
    fn from(format: &OutputFormat) -> Self {
        Self {
            kind: "json_schema".into(),
            json_schema: Some(JsonSchemaFormat {
                name: format.name.clone(),
                schema: format.schema.clone(),
                strict: Some(strict_compatible(&format.schema)),
            }),
        }
    }
}

/// Whether `schema` meets strict mode's rules: each object schema (the
/// root, properties, items, `anyOf` branches, `$defs`) says
/// `additionalProperties: false` and requires every property.
pub fn strict_compatible(schema: &Value) -> bool {
    let Value::Object(s) = schema else {
        return true;
    };
    let is_object =
        s.get("type").and_then(Value::as_str) == Some("object") || s.contains_key("properties");
    if is_object {
        if s.get("additionalProperties") != Some(&Value::Bool(false)) {
            return false;
        }
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties = s.get("properties").and_then(Value::as_object);
        if properties.is_some_and(|p| p.keys().any(|k| !required.contains(&k.as_str()))) {
            return false;
        }
    }
    let nested_maps = ["properties", "$defs", "definitions"]
        .iter()
        .filter_map(|k| s.get(*k).and_then(Value::as_object))
        .flat_map(|m| m.values());
    let nested_lists = ["anyOf", "oneOf", "allOf"]
        .iter()
        .filter_map(|k| s.get(*k).and_then(Value::as_array))
        .flatten();
    let items = s.get("items").into_iter();
    nested_maps
        .chain(nested_lists)
        .chain(items)
        .all(strict_compatible)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strict_only_when_every_object_is_closed_and_fully_required() {
        let closed = json!({"type": "object", "additionalProperties": false,
            "properties": {"a": {"type": "string"}, "n": {"$ref": "#/$defs/N"}},
            "required": ["a", "n"],
            "$defs": {"N": {"type": "object", "additionalProperties": false,
                "properties": {"x": {"type": "integer"}}, "required": ["x"]}}});
        assert!(strict_compatible(&closed));
        let mut optional = closed.clone();
        optional["required"] = json!(["a"]);
        assert!(!strict_compatible(&optional));
        let mut open_nested = closed.clone();
        open_nested["$defs"]["N"]["additionalProperties"] = json!(true);
        assert!(!strict_compatible(&open_nested));
        assert!(!strict_compatible(
            &json!({"type": "object", "properties": {}})
        ));
    }

    #[test]
    fn an_output_format_becomes_a_json_schema_response_format() {
        let format = OutputFormat {
            name: "final_answer".into(),
            schema: json!({"type": "object", "properties": {"a": {"type": "string"}}}),
        };
        let wire = serde_json::to_value(ResponseFormat::from(&format)).unwrap();
        assert_eq!(
            wire,
            json!({"type": "json_schema", "json_schema": {"name": "final_answer",
                "schema": format.schema, "strict": false}})
        );
    }
}
