//! [`validate`]: whether a JSON value fits a JSON Schema, for the subset of
//! JSON Schema a tool or output schema uses once [`super::normalize`]d.
//!
//! Checked: `type` (one or a list; `integer` is a number without a
//! fraction), `enum`, `const`, `properties`, `required`,
//! `additionalProperties` (`false` or a schema), `items`, `minItems`,
//! `maxItems`, `minLength`, `maxLength` (in characters), `minimum`,
//! `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `anyOf`, `oneOf`,
//! `allOf`, `not`, and local `$ref`s (`#`, `#/$defs/NAME`,
//! `#/definitions/NAME`). Not checked: `pattern`, `format` and the rest
//! (annotations, to a validator without them): a value the model wrote
//! that breaks only those passes.
//!
//! The error names the first failing place as a JSON pointer and says what
//! was expected, in words a model can act on (it is sent back to the model
//! when its structured answer is invalid).

use serde_json::Value;

/// Checks `value` against `schema` (its `$ref`s resolved in `schema`
/// itself); the error names the first problem and where it is.
///
/// ```
/// use serde_json::json;
/// use tool_api::schema::validate;
///
/// let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]});
/// assert!(validate(&schema, &json!({"n": 3})).is_ok());
/// let e = validate(&schema, &json!({"n": "3"})).unwrap_err();
/// assert_eq!(e, "/n: expected integer, got string \"3\"");
/// ```
pub fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    Validator { root: schema }.check(schema, value, &mut String::new(), 0)
}

/// `$ref` chains deeper than this are refused rather than followed forever.
const MAX_DEPTH: usize = 256;

struct Validator<'s> {
    root: &'s Value,
}

fn at(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

/// The count bound of `s` that `len` breaks, if any: the lower one
/// (`min_key`) first, as `("at least", limit)`, else the upper one as
/// `("at most", limit)`. One rule for text lengths and item counts.
fn count_bound(
    s: &serde_json::Map<String, Value>,
    min_key: &str,
    max_key: &str,
    len: u64,
) -> Option<(&'static str, u64)> {
    let limit = |key: &str| s.get(key).and_then(Value::as_u64);
    if let Some(min) = limit(min_key).filter(|min| len < *min) {
        return Some(("at least", min));
    }
    limit(max_key)
        .filter(|max| len > *max)
        .map(|max| ("at most", max))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn has_type(v: &Value, ty: &str) -> bool {
    match ty {
        "integer" => v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        other => kind_of(v) == other,
    }
}

impl<'s> Validator<'s> {
    fn resolve(&self, reference: &str) -> Option<&'s Value> {
        if reference == "#" {
            return Some(self.root);
        }
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }

    fn check(
        &self,
        schema: &Value,
        v: &Value,
        path: &mut String,
        depth: usize,
    ) -> Result<(), String> {
        let Value::Object(s) = schema else {
            // `true` accepts anything, `false` nothing.
            return match schema {
                Value::Bool(false) => Err(format!("{}: no value is allowed here", at(path))),
                _ => Ok(()),
            };
        };
        if let Some(Value::String(reference)) = s.get("$ref") {
            if depth > MAX_DEPTH {
                return Err(format!("{}: the schema's `$ref`s nest too deep", at(path)));
            }
            let target = self.resolve(reference).ok_or_else(|| {
                format!(
                    "{}: the schema's `$ref` {reference} points nowhere",
                    at(path)
                )
            })?;
            self.check(target, v, path, depth + 1)?;
        }
        if let Some(ty) = s.get("type") {
            let types: Vec<&str> = match ty {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !types.is_empty() && !types.iter().any(|t| has_type(v, t)) {
                return Err(format!(
                    "{}: expected {}, got {} {}",
                    at(path),
                    types.join(" or "),
                    kind_of(v),
                    short(v)
                ));
            }
        }
        if let Some(Value::Array(allowed)) = s.get("enum")
            && !allowed.contains(v)
        {
            let list: Vec<String> = allowed.iter().map(short).collect();
            return Err(format!(
                "{}: {} is not one of {}",
                at(path),
                short(v),
                list.join(", ")
            ));
        }
        if let Some(c) = s.get("const")
            && c != v
        {
            return Err(format!(
                "{}: expected {}, got {}",
                at(path),
                short(c),
                short(v)
            ));
        }
        self.check_number(s, v, path)?;
        self.check_string(s, v, path)?;
        self.check_array(s, v, path, depth)?;
        self.check_object(s, v, path, depth)?;
        self.check_combinators(s, v, path, depth)
    }

    fn check_number(
        &self,
        s: &serde_json::Map<String, Value>,
        v: &Value,
        path: &str,
    ) -> Result<(), String> {
        let Some(n) = v.as_f64() else { return Ok(()) };
        let bound = |key: &str| s.get(key).and_then(Value::as_f64);
        let fails = [
            ("minimum", bound("minimum").filter(|m| n < *m), "at least"),
            ("maximum", bound("maximum").filter(|m| n > *m), "at most"),
            (
                "exclusiveMinimum",
                bound("exclusiveMinimum").filter(|m| n <= *m),
                "above",
            ),
            (
                "exclusiveMaximum",
                bound("exclusiveMaximum").filter(|m| n >= *m),
                "below",
            ),
        ];
        match fails.iter().find(|(_, failed, _)| failed.is_some()) {
            Some((_, Some(limit), words)) => {
                Err(format!("{}: {n} must be {words} {limit}", at(path)))
            }
            _ => Ok(()),
        }
    }

    fn check_string(
        &self,
        s: &serde_json::Map<String, Value>,
        v: &Value,
        path: &str,
    ) -> Result<(), String> {
        let Value::String(text) = v else {
            return Ok(());
        };
        let len = text.chars().count() as u64;
        match count_bound(s, "minLength", "maxLength", len) {
            Some((words, limit)) => Err(format!(
                "{}: the text must have {words} {limit} characters",
                at(path)
            )),
            None => Ok(()),
        }
    }

    fn check_array(
        &self,
        s: &serde_json::Map<String, Value>,
        v: &Value,
        path: &mut String,
        depth: usize,
    ) -> Result<(), String> {
        let Value::Array(items) = v else {
            return Ok(());
        };
        let len = items.len() as u64;
        if let Some((words, limit)) = count_bound(s, "minItems", "maxItems", len) {
            return Err(format!(
                "{}: expected {words} {limit} items, got {len}",
                at(path)
            ));
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check_child(item_schema, item, path, &i.to_string(), depth)?;
            }
        }
        Ok(())
    }

    fn check_object(
        &self,
        s: &serde_json::Map<String, Value>,
        v: &Value,
        path: &mut String,
        depth: usize,
    ) -> Result<(), String> {
        let Value::Object(fields) = v else {
            return Ok(());
        };
        if let Some(Value::Array(required)) = s.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    return Err(format!("{}: the field `{name}` is required", at(path)));
                }
            }
        }
        let properties = s.get("properties").and_then(Value::as_object);
        for (name, field) in fields {
            let field_schema = match properties.and_then(|p| p.get(name)) {
                Some(schema) => schema,
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        let known: Vec<&str> = properties
                            .map(|p| p.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        return Err(format!(
                            "{}: unknown field `{name}` (the fields are: {})",
                            at(path),
                            known.join(", ")
                        ));
                    }
                    Some(extra @ Value::Object(_)) => extra,
                    _ => continue,
                },
            };
            let segment = name.replace('~', "~0").replace('/', "~1");
            self.check_child(field_schema, field, path, &segment, depth)?;
        }
        Ok(())
    }

    /// Checks an item or field of the value at `path` against `schema`,
    /// at `path/segment` (`segment` escaped as a JSON pointer's is).
    fn check_child(
        &self,
        schema: &Value,
        child: &Value,
        path: &mut String,
        segment: &str,
        depth: usize,
    ) -> Result<(), String> {
        let len = path.len();
        path.push('/');
        path.push_str(segment);
        self.check(schema, child, path, depth)?;
        path.truncate(len);
        Ok(())
    }

    fn check_combinators(
        &self,
        s: &serde_json::Map<String, Value>,
        v: &Value,
        path: &mut String,
        depth: usize,
    ) -> Result<(), String> {
        if let Some(Value::Array(all)) = s.get("allOf") {
            for sub in all {
                self.check(sub, v, path, depth)?;
            }
        }
        for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            let Some(Value::Array(options)) = s.get(key) else {
                continue;
            };
            let mut errors = Vec::new();
            let mut passed = 0;
            for sub in options {
                match self.check(sub, v, &mut path.clone(), depth) {
                    Ok(()) => passed += 1,
                    Err(e) => errors.push(e),
                }
            }
            if passed == 0 {
                return Err(format!(
                    "{}: matches none of the allowed forms ({})",
                    at(path),
                    errors.join("; ")
                ));
            }
            if exactly_one && passed > 1 {
                return Err(format!(
                    "{}: matches {passed} of the `oneOf` forms, not exactly one",
                    at(path)
                ));
            }
        }
        if let Some(not) = s.get("not")
            && self.check(not, v, &mut path.clone(), depth).is_ok()
        {
            return Err(format!(
                "{}: {} is a value the schema excludes",
                at(path),
                short(v)
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "mood": {"type": "string", "enum": ["happy", "sad"]},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "place": {"$ref": "#/$defs/Place"},
                "note": {"type": "string"}
            },
            "required": ["mood", "tags", "place"],
            "additionalProperties": false,
            "$defs": {
                "Place": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "visits": {"type": "integer", "minimum": 0}},
                    "required": ["city"]
                }
            }
        })
    }

    #[test]
    fn accepts_a_valid_value_with_or_without_optional_fields() {
        let ok = json!({"mood": "happy", "tags": ["a"], "place": {"city": "Paris", "visits": 2}});
        assert_eq!(validate(&schema(), &ok), Ok(()));
        let mut with_note = ok.clone();
        with_note["note"] = json!("hi");
        assert_eq!(validate(&schema(), &with_note), Ok(()));
    }

    #[test]
    fn names_the_first_problem_and_where() {
        let cases = [
            (
                json!({"mood": "angry", "tags": ["a"], "place": {"city": "P"}}),
                "/mood: \"angry\" is not one of \"happy\", \"sad\"",
            ),
            (
                json!({"mood": "sad", "tags": [], "place": {"city": "P"}}),
                "/tags: expected at least 1 items, got 0",
            ),
            (
                json!({"mood": "sad", "tags": [3], "place": {"city": "P"}}),
                "/tags/0: expected string, got integer 3",
            ),
            (
                json!({"mood": "sad", "tags": ["a"], "place": {"visits": 1}}),
                "/place: the field `city` is required",
            ),
            (
                json!({"mood": "sad", "tags": ["a"], "place": {"city": "P", "visits": -1}}),
                "/place/visits: -1 must be at least 0",
            ),
            (
                json!({"mood": "sad", "tags": ["a"], "place": {"city": "P"}, "x": 1}),
                "(root): unknown field `x` (the fields are: mood, tags, place, note)",
            ),
            (json!([1]), "(root): expected object, got array [1]"),
        ];
        for (value, expected) in cases {
            assert_eq!(validate(&schema(), &value).unwrap_err(), expected);
        }
    }

    #[test]
    fn combinators_and_recursive_refs() {
        let tree = json!({
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#"}},
                           "n": {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 2}]}},
        });
        assert!(validate(&tree, &json!({"children": [{"children": [{"n": "ab"}]}]})).is_ok());
        let e = validate(&tree, &json!({"children": [{"n": "abc"}]})).unwrap_err();
        assert!(e.starts_with("/children/0/n: matches none"), "{e}");
    }

    #[test]
    fn count_bounds_name_the_broken_limit() {
        let text = json!({"type": "string", "minLength": 2, "maxLength": 3});
        assert_eq!(
            validate(&text, &json!("éé")),
            Ok(()),
            "characters, not bytes"
        );
        assert_eq!(
            validate(&text, &json!("a")).unwrap_err(),
            "(root): the text must have at least 2 characters"
        );
        assert_eq!(
            validate(&text, &json!("abcd")).unwrap_err(),
            "(root): the text must have at most 3 characters"
        );
        let list = json!({"type": "array", "minItems": 1, "maxItems": 1});
        assert_eq!(validate(&list, &json!([1])), Ok(()));
        assert_eq!(
            validate(&list, &json!([1, 2])).unwrap_err(),
            "(root): expected at most 1 items, got 2"
        );
    }
}
