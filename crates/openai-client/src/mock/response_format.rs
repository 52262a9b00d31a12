//! `response_format` as OpenAI checks it (structured output): its shape,
//! the schema's name, and strict mode's schema rules, each refused with
//! OpenAI's wording; and the core's [`OutputFormat`] a `json_schema`
//! format asks for, which the scenario answers with JSON valid against it.

use agent_core::OutputFormat;
use serde_json::{Map, Value};

/// A refusal of `response_format`: the message, and the parameter at fault.
pub(crate) type Refused = (String, String);

fn refused(message: impl Into<String>, param: &str) -> Refused {
    (message.into(), param.to_owned())
}

/// Checks `format` as OpenAI does: `{"type": "text"}`,
/// `{"type": "json_object"}` (the messages must mention JSON, `mentions_json`),
/// or `{"type": "json_schema", "json_schema": {"name", "description"?,
/// "schema"?, "strict"?}}`, with strict mode's rules when `strict` is true.
pub(crate) fn check(format: &Value, mentions_json: bool) -> Result<(), Refused> {
    let Value::Object(f) = format else {
        return Err(refused(
            format!("Invalid type for 'response_format': expected an object, but got {format}."),
            "response_format",
        ));
    };
    let kind = f.get("type").and_then(Value::as_str);
    let allowed: &[&str] = match kind {
        Some("text") | Some("json_object") => &["type"],
        Some("json_schema") => &["type", "json_schema"],
        Some(other) => {
            return Err(refused(
                format!(
                    "Invalid value: '{other}'. Supported values are: 'text', 'json_object', and \
                     'json_schema'."
                ),
                "response_format.type",
            ));
        }
        None => {
            return Err(refused(
                "Missing required parameter: 'response_format.type'.",
                "response_format.type",
            ));
        }
    };
    unexpected(f, allowed, "response_format")?;
    match kind {
        Some("json_object") if !mentions_json => Err(refused(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of \
             type 'json_object'.",
            "messages",
        )),
        Some("json_schema") => check_json_schema(f.get("json_schema")),
        _ => Ok(()),
    }
}

/// The output format a valid `json_schema` response format asks for.
pub(crate) fn output_format(format: Option<&Value>) -> Option<OutputFormat> {
    let format = format?;
    if format.get("type")? != "json_schema" {
        return None;
    }
    let schema = format.get("json_schema")?;
    Some(OutputFormat {
        name: schema.get("name")?.as_str()?.to_owned(),
        schema: schema
            .get("schema")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
    })
}

fn unexpected(object: &Map<String, Value>, allowed: &[&str], at: &str) -> Result<(), Refused> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(refused(
            format!("Additional properties are not allowed ('{key}' was unexpected) - '{at}'"),
            at,
        )),
        None => Ok(()),
    }
}

fn check_json_schema(json_schema: Option<&Value>) -> Result<(), Refused> {
    const AT: &str = "response_format.json_schema";
    let Some(Value::Object(j)) = json_schema else {
        return Err(refused(format!("Missing required parameter: '{AT}'."), AT));
    };
    unexpected(j, &["name", "description", "schema", "strict"], AT)?;
    let Some(name) = j.get("name").and_then(Value::as_str) else {
        return Err(refused(
            format!("Missing required parameter: '{AT}.name'."),
            &format!("{AT}.name"),
        ));
    };
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(refused(
            format!(
                "Invalid '{AT}.name': string does not match pattern. Expected a string that \
                 matches the pattern '^[a-zA-Z0-9_-]+$'."
            ),
            &format!("{AT}.name"),
        ));
    }
    if let Some(schema) = j.get("schema")
        && !schema.is_object()
    {
        return Err(refused(
            format!("Invalid type for '{AT}.schema': expected an object, but got {schema}."),
            &format!("{AT}.schema"),
        ));
    }
    match j.get("strict") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(()),
        Some(Value::Bool(true)) => {
            let schema = j.get("schema").cloned().unwrap_or(Value::Null);
            check_strict(&schema, &mut Vec::new()).map_err(|why| {
                refused(
                    format!("Invalid schema for response_format '{name}': {why}"),
                    "response_format",
                )
            })
        }
        Some(other) => Err(refused(
            format!("Invalid type for '{AT}.strict': expected a boolean, but got {other}."),
            &format!("{AT}.strict"),
        )),
    }
}

/// Strict mode's rules: the root an object; every object closed
/// (`additionalProperties: false`) and requiring all its properties.
fn check_strict(schema: &Value, context: &mut Vec<String>) -> Result<(), String> {
    let Value::Object(s) = schema else {
        return Ok(());
    };
    let here = || {
        let path: Vec<String> = context.iter().map(|c| format!("'{c}'")).collect();
        format!("In context=({})", path.join(", "))
    };
    if context.is_empty() {
        let ty = s.get("type").and_then(Value::as_str);
        if ty != Some("object") {
            return Err(format!(
                "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{}\"'.",
                ty.unwrap_or("None")
            ));
        }
    }
    let is_object =
        s.get("type").and_then(Value::as_str) == Some("object") || s.contains_key("properties");
    if is_object {
        if s.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Err(format!(
                "{}, 'additionalProperties' is required to be supplied and to be false.",
                here()
            ));
        }
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(missing) = s
            .get("properties")
            .and_then(Value::as_object)
            .and_then(|p| p.keys().find(|k| !required.contains(&k.as_str())))
        {
            return Err(format!(
                "{}, 'required' is required to be supplied and to be an array including every \
                 key in properties. Missing '{missing}'.",
                here()
            ));
        }
    }
    for key in ["properties", "$defs", "definitions"] {
        if let Some(map) = s.get(key).and_then(Value::as_object) {
            for (name, sub) in map {
                context.extend([key.to_owned(), name.clone()]);
                check_strict(sub, context)?;
                context.truncate(context.len() - 2);
            }
        }
    }
    for key in ["anyOf", "items"] {
        let subs: Vec<&Value> = match s.get(key) {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one) => vec![one],
            None => Vec::new(),
        };
        for (i, sub) in subs.into_iter().enumerate() {
            context.extend([key.to_owned(), i.to_string()]);
            check_strict(sub, context)?;
            context.truncate(context.len() - 2);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn closed() -> Value {
        json!({"type": "object", "additionalProperties": false,
            "properties": {"a": {"type": "string"}}, "required": ["a"]})
    }

    #[test]
    fn the_documented_shapes_pass() {
        assert!(check(&json!({"type": "text"}), false).is_ok());
        assert!(check(&json!({"type": "json_object"}), true).is_ok());
        let format = json!({"type": "json_schema", "json_schema": {"name": "answer",
            "schema": closed(), "strict": true}});
        assert!(check(&format, false).is_ok());
        assert_eq!(
            output_format(Some(&format)),
            Some(OutputFormat {
                name: "answer".into(),
                schema: closed()
            })
        );
    }

    #[test]
    fn malformed_formats_are_refused_as_openai_refuses_them() {
        let e = check(&json!({"type": "xml"}), false).unwrap_err();
        assert_eq!(e.1, "response_format.type");
        let e = check(&json!({"type": "json_schema"}), false).unwrap_err();
        assert_eq!(
            e.0,
            "Missing required parameter: 'response_format.json_schema'."
        );
        let e = check(
            &json!({"type": "json_schema", "json_schema": {"schema": {}}}),
            false,
        )
        .unwrap_err();
        assert_eq!(e.1, "response_format.json_schema.name");
        let e = check(
            &json!({"type": "json_schema", "json_schema": {"name": "a b"}}),
            false,
        )
        .unwrap_err();
        assert!(e.0.contains("does not match pattern"), "{}", e.0);
        let e = check(
            &json!({"type": "json_schema", "json_schema": {"name": "a", "schemas": {}}}),
            false,
        )
        .unwrap_err();
        assert!(e.0.contains("'schemas' was unexpected"), "{}", e.0);
        let e = check(&json!({"type": "json_object"}), false).unwrap_err();
        assert_eq!(e.1, "messages");
    }

    #[test]
    fn strict_mode_needs_closed_fully_required_objects() {
        let strict = |schema: Value| {
            check(
                &json!({"type": "json_schema", "json_schema": {"name": "a", "schema": schema,
                    "strict": true}}),
                false,
            )
        };
        let mut open = closed();
        open.as_object_mut().unwrap().remove("additionalProperties");
        let e = strict(open).unwrap_err();
        assert_eq!(
            e.0,
            "Invalid schema for response_format 'a': In context=(), 'additionalProperties' is \
             required to be supplied and to be false."
        );
        let mut optional = closed();
        optional["properties"]["b"] = json!({"type": "object", "properties": {}});
        let e = strict(optional.clone()).unwrap_err();
        assert!(e.0.ends_with("Missing 'b'."), "{}", e.0);
        optional["required"] = json!(["a", "b"]);
        let e = strict(optional).unwrap_err();
        assert!(e.0.contains("In context=('properties', 'b')"), "{}", e.0);
        assert!(strict(json!({"type": "string"})).is_err());
        // Not strict: any schema goes.
        assert!(
            check(
                &json!({"type": "json_schema", "json_schema": {"name": "a",
                    "schema": {"type": "object"}, "strict": false}}),
                false
            )
            .is_ok()
        );
    }
}
