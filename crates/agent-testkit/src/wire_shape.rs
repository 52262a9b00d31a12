//! Documented bodies as the yardstick of a local server's answers: whether
//! a JSON body has the shape of a documented one (the same fields, each of
//! the same JSON type, recursively), and the events of a server-sent-events
//! body. The tests of each HTTP backend check their local server's answers
//! against bodies from the provider's documentation with these, so the
//! server and the client never only agree with each other.

use serde_json::Value;

/// Whether `actual` has the shape of `documented`: objects with the same
/// keys, arrays whose every element has the shape of the documented element
/// of the same `"type"` (else of the first), strings, numbers, booleans and
/// nulls where the documented body has them. The values of keys in `free`
/// (tool inputs, schemas: any object) need only both be objects. The error
/// names the path where they differ.
pub fn same_shape(actual: &Value, documented: &Value, free: &[&str]) -> Result<(), String> {
    compare(actual, documented, free, "$")
}

fn compare(actual: &Value, documented: &Value, free: &[&str], path: &str) -> Result<(), String> {
    match (actual, documented) {
        (Value::Object(a), Value::Object(d)) => {
            let keys = |m: &serde_json::Map<String, Value>| {
                let mut k: Vec<String> = m.keys().cloned().collect();
                k.sort();
                k
            };
            if keys(a) != keys(d) {
                return Err(format!(
                    "{path}: fields {:?}, documented {:?}",
                    keys(a),
                    keys(d)
                ));
            }
            for (key, value) in a {
                let at = format!("{path}.{key}");
                match (free.contains(&key.as_str()), value, &d[key]) {
                    (true, Value::Object(_), Value::Object(_)) => {}
                    (true, _, _) => return Err(format!("{at}: not an object")),
                    (false, value, documented) => compare(value, documented, free, &at)?,
                }
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(d)) => {
            for (i, value) in a.iter().enumerate() {
                let kind = value.get("type");
                let model = d
                    .iter()
                    .find(|m| kind.is_some() && m.get("type") == kind)
                    .or_else(|| d.first())
                    .ok_or_else(|| format!("{path}: documented empty, has {}", a.len()))?;
                compare(value, model, free, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null) => Ok(()),
        (a, d) => Err(format!("{path}: {a} where the documented body has {d}")),
    }
}

/// The events of a server-sent-events body, in order: each one's `event`
/// name (if given) and its `data` lines joined by newlines. Comments and
/// other fields are skipped.
pub fn sse_events(body: &str) -> Vec<(Option<String>, String)> {
    let mut events = Vec::new();
    for block in body.replace("\r\n", "\n").split("\n\n") {
        let mut name = None;
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if !data.is_empty() {
            events.push((name, data.join("\n")));
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn shapes_compare_fields_and_types_not_values() {
        let documented = json!({"id": "a", "n": 1, "content": [
            {"type": "text", "text": "x"},
            {"type": "tool_use", "id": "t", "input": {"a": 1}}
        ], "stop": null});
        let same = json!({"id": "b", "n": 7, "content": [
            {"type": "tool_use", "id": "u", "input": {"b": [2]}}
        ], "stop": null});
        assert_eq!(same_shape(&same, &documented, &["input"]), Ok(()));
        let renamed = json!({"id": "b", "n": 7, "contents": [], "stop": null});
        assert!(
            same_shape(&renamed, &documented, &[])
                .unwrap_err()
                .contains("fields")
        );
        let retyped = json!({"id": "b", "n": "7", "content": [], "stop": null});
        assert!(
            same_shape(&retyped, &documented, &[])
                .unwrap_err()
                .starts_with("$.n")
        );
        let extra = json!({"id": "b", "n": 7, "content": [
            {"type": "text", "text": "x", "cite": 1}
        ], "stop": null});
        assert!(
            same_shape(&extra, &documented, &[])
                .unwrap_err()
                .starts_with("$.content[0]")
        );
    }

    #[test]
    fn reads_the_events_of_a_body() {
        let body = "event: ping\ndata: {\"type\": \"ping\"}\n\n: comment\n\ndata: [DONE]\n\n";
        assert_eq!(
            sse_events(body),
            [
                (Some("ping".into()), "{\"type\": \"ping\"}".into()),
                (None, "[DONE]".into())
            ]
        );
    }
}
