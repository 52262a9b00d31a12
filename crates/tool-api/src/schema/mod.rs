//! Input schemas: generated from `schemars` types and normalised, once, to
//! what Amazon Bedrock's `toolSpec.inputSchema` accepts.
//!
//! # Rules
//!
//! [`normalize`] applies these, in order, and is idempotent:
//!
//! 1. `$schema`, `$id` and the root `title` are removed: they describe the
//!    document, not the input, and cost prompt tokens on every request.
//! 2. `$ref`s into `$defs` (or the older `definitions`) are inlined, so the
//!    model sees each nested type where it is used. A recursive type cannot be
//!    inlined: every reference to it stays a `$ref`, and only the recursive
//!    definitions are kept in the root `$defs` (Bedrock accepts local `$ref`s
//!    into `$defs`). A type that contains itself at the root (schemars
//!    writes `"$ref": "#"`), directly or through other types, is a recursive
//!    definition too: a copy of the root joins `$defs` under the root's
//!    title, and those references point to it. So every `$ref` of a
//!    normalised schema is `#/$defs/NAME`, with `NAME` in its `$defs`.
//! 3. Nullable unions are made plain: `"type": ["string", "null"]` becomes
//!    `"type": "string"`, and `anyOf: [X, {"type": "null"}]` becomes `X`. An
//!    `Option` field is already optional (not `required`), so the model omits
//!    it instead of sending `null`. Other type arrays become `anyOf` of single
//!    types.
//! 4. The root is an object schema: `"type": "object"` with `properties`
//!    present, even when empty. A unit input (`()`, schema `{"type": "null"}`)
//!    becomes the empty object. A root that is not an object (a bare enum, a
//!    string, a root `oneOf`) is refused with a hint: wrap it in a struct.

mod nullable;
mod refs;
mod validate;

use schemars::JsonSchema;
use serde_json::{Map, Value};

use nullable::simplify;
use refs::{inline, recursive_defs, root_as_def, take_defs};
pub use validate::validate;

/// The normalised input schema for `T`.
///
/// ```
/// #[derive(schemars::JsonSchema)]
/// struct Input {
///     /// City name.
///     location: String,
/// }
///
/// let schema = tool_api::schema::schema_for::<Input>().unwrap();
/// assert_eq!(schema["type"], "object");
/// assert_eq!(schema["required"][0], "location");
/// assert!(schema.get("$schema").is_none());
/// ```
pub fn schema_for<T: JsonSchema>() -> Result<Value, String> {
    normalize(schemars::schema_for!(T).to_value())
}

/// Whether `schema` is the schema of a unit input (`()`), before normalisation.
pub(crate) fn is_unit_schema(schema: &Value) -> bool {
    schema.get("type") == Some(&Value::String("null".into()))
}

/// Normalises a JSON Schema to an object schema Bedrock accepts; see the
/// module docs for the rules. The error says what is wrong and what to do.
pub fn normalize(schema: Value) -> Result<Value, String> {
    let Value::Object(mut root) = schema else {
        return Err(format!(
            "the schema must be a JSON object, not {}",
            kind_of(&schema)
        ));
    };
    root.remove("$schema");
    root.remove("$id");
    let title = root.remove("title");

    let mut defs = take_defs(&mut root);
    root_as_def(&mut root, &mut defs, title.as_ref().and_then(Value::as_str));
    let recursive = recursive_defs(&defs);
    let mut kept = Map::new();
    let mut root = Value::Object(root);
    inline(&mut root, &defs, &recursive, &mut kept)?;
    // Kept definitions are inlined the same way; they may pull in others.
    let mut kept_inlined = Map::new();
    while let Some(name) = kept
        .keys()
        .find(|k| !kept_inlined.contains_key(*k))
        .cloned()
    {
        let mut def = kept[&name].clone();
        inline(&mut def, &defs, &recursive, &mut kept)?;
        simplify(&mut def);
        kept_inlined.insert(name, def);
    }
    simplify(&mut root);

    let Value::Object(mut root) = root else {
        return Err("the schema must be a JSON object".into());
    };
    if root.get("type") == Some(&Value::String("null".into())) && root.len() == 1 {
        root.insert("type".into(), Value::String("object".into()));
    }
    match root.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        None if root.contains_key("properties") => {
            root.insert("type".into(), Value::String("object".into()));
        }
        other => {
            let what = match other {
                Some(t) => format!("type {t}"),
                None if ["oneOf", "anyOf", "allOf"]
                    .iter()
                    .any(|k| root.contains_key(*k)) =>
                {
                    "a union (oneOf/anyOf/allOf) at the root".into()
                }
                None => "no type".into(),
            };
            return Err(format!(
                "the input must be a JSON object, but the schema has {what}; \
                 make the input type a struct (wrap an enum or a single value in a named field)"
            ));
        }
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if root.contains_key(combinator) {
            return Err(format!(
                "a `{combinator}` at the root of the input schema is refused by Bedrock; \
                 move the alternatives into a field of the input struct"
            ));
        }
    }
    if !root.contains_key("properties") {
        root.insert("properties".into(), Value::Object(Map::new()));
    }
    if !kept_inlined.is_empty() {
        root.insert("$defs".into(), Value::Object(kept_inlined));
    }
    Ok(Value::Object(root))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use schemars::JsonSchema;
    use serde_json::json;

    use super::*;

    fn raw<T: JsonSchema>() -> Value {
        schemars::schema_for!(T).to_value()
    }

    fn norm<T: JsonSchema>() -> Value {
        match schema_for::<T>() {
            Ok(v) => v,
            Err(e) => unreachable!("schema for {} failed: {e}", std::any::type_name::<T>()),
        }
    }

    /// Every normalised schema: object root, properties present, no
    /// document keywords, and stable under a second pass.
    fn assert_bedrock_shape(schema: &Value) {
        assert_eq!(schema["type"], "object", "{schema}");
        assert!(schema["properties"].is_object(), "{schema}");
        for k in ["$schema", "$id", "title"] {
            assert!(schema.get(k).is_none(), "{k} left in {schema}");
        }
        assert_eq!(
            normalize(schema.clone()).as_ref(),
            Ok(schema),
            "not idempotent"
        );
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Flat {
        /// City name.
        location: String,
        days: u32,
    }

    #[test]
    fn struct_drops_document_keywords_and_keeps_descriptions() {
        let before = raw::<Flat>();
        assert!(before.get("$schema").is_some() && before.get("title").is_some());
        let s = norm::<Flat>();
        assert_bedrock_shape(&s);
        assert_eq!(s["properties"]["location"]["description"], "City name.");
        assert_eq!(s["required"], json!(["location", "days"]));
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Inner {
        lat: f64,
        lon: f64,
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Nested {
        /// Where to look.
        at: Inner,
        maybe: Option<Inner>,
    }

    #[test]
    fn nested_structs_are_inlined() {
        assert!(raw::<Nested>().to_string().contains("$ref"));
        let s = norm::<Nested>();
        assert_bedrock_shape(&s);
        assert!(!s.to_string().contains("$ref"), "{s}");
        assert!(s.get("$defs").is_none(), "{s}");
        assert_eq!(s["properties"]["at"]["type"], "object");
        assert_eq!(s["properties"]["at"]["description"], "Where to look.");
        assert_eq!(s["properties"]["at"]["properties"]["lat"]["type"], "number");
        // Option<Inner>: the null alternative is gone, the field optional.
        assert_eq!(s["properties"]["maybe"]["type"], "object");
        assert_eq!(s["required"], json!(["at"]));
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    enum Unit {
        Celsius,
        Fahrenheit,
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    #[serde(tag = "kind")]
    enum Tagged {
        Point { x: i64 },
        Label { text: String },
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct WithEnums {
        unit: Unit,
        maybe_unit: Option<Unit>,
        shape: Tagged,
    }

    #[test]
    fn enums_are_inlined_and_unions_kept_below_the_root() {
        let s = norm::<WithEnums>();
        assert_bedrock_shape(&s);
        assert_eq!(
            s["properties"]["unit"]["enum"],
            json!(["Celsius", "Fahrenheit"])
        );
        assert_eq!(
            s["properties"]["maybe_unit"]["enum"],
            json!(["Celsius", "Fahrenheit"])
        );
        assert!(s["properties"]["shape"]["oneOf"].is_array(), "{s}");
    }

    #[test]
    fn a_root_enum_is_refused_with_a_hint() {
        let err = schema_for::<Tagged>().unwrap_err();
        assert!(err.contains("wrap"), "{err}");
        let err = schema_for::<Unit>().unwrap_err();
        assert!(err.contains("struct"), "{err}");
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Collections {
        tags: Vec<String>,
        nickname: Option<String>,
        scores: BTreeMap<String, u8>,
    }

    #[test]
    fn option_vec_and_maps() {
        let raw = raw::<Collections>();
        assert_eq!(
            raw["properties"]["nickname"]["type"],
            json!(["string", "null"])
        );
        let s = norm::<Collections>();
        assert_bedrock_shape(&s);
        assert_eq!(s["properties"]["tags"]["type"], "array");
        assert_eq!(s["properties"]["tags"]["items"]["type"], "string");
        assert_eq!(s["properties"]["nickname"]["type"], "string");
        assert_eq!(s["properties"]["scores"]["type"], "object");
        assert_eq!(
            s["properties"]["scores"]["additionalProperties"]["type"],
            "integer"
        );
        assert_eq!(s["required"], json!(["tags", "scores"]));
    }

    #[derive(JsonSchema)]
    struct Empty {}

    #[test]
    fn empty_inputs_have_empty_properties() {
        let s = norm::<Empty>();
        assert_bedrock_shape(&s);
        assert_eq!(s["properties"], json!({}));
        let unit = norm::<()>();
        assert_bedrock_shape(&unit);
        assert_eq!(unit, json!({"type": "object", "properties": {}}));
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Tree {
        name: String,
        children: Vec<Tree>,
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Forest {
        root: Tree,
    }

    #[test]
    fn recursive_types_keep_only_the_defs_they_need() {
        let s = norm::<Forest>();
        assert_bedrock_shape(&s);
        assert_eq!(s["properties"]["root"]["$ref"], "#/$defs/Tree");
        let defs = s["$defs"].as_object().unwrap();
        assert_eq!(defs.keys().collect::<Vec<_>>(), vec!["Tree"]);
        assert_eq!(
            defs["Tree"]["properties"]["children"]["items"]["$ref"],
            "#/$defs/Tree"
        );
    }

    /// Every `$ref` in `schema` names a definition in its root `$defs`.
    fn assert_refs_resolve(schema: &Value) {
        fn walk(node: &Value, defs: &Map<String, Value>) {
            match node {
                Value::Object(map) => {
                    if let Some(r) = map.get("$ref") {
                        let name = r.as_str().and_then(|r| r.strip_prefix("#/$defs/"));
                        assert!(
                            name.is_some_and(|n| defs.contains_key(n)),
                            "unresolved $ref {r}"
                        );
                    }
                    map.values().for_each(|v| walk(v, defs));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, defs)),
                _ => {}
            }
        }
        let empty = Map::new();
        walk(schema, schema["$defs"].as_object().unwrap_or(&empty));
    }

    /// A recursive input type: schemars refers to the root as `"#"`.
    #[allow(dead_code)]
    #[derive(JsonSchema, serde::Deserialize)]
    struct Node {
        name: String,
        children: Vec<Node>,
    }

    #[test]
    fn a_recursive_root_type_refers_to_a_copy_of_itself_in_defs() {
        assert!(raw::<Node>().to_string().contains(r##""$ref":"#""##));
        let s = norm::<Node>();
        assert_bedrock_shape(&s);
        assert_refs_resolve(&s);
        assert_eq!(s["properties"]["children"]["items"]["$ref"], "#/$defs/Node");
        let defs = s["$defs"].as_object().unwrap();
        assert_eq!(defs.keys().collect::<Vec<_>>(), vec!["Node"]);
        assert_eq!(defs["Node"]["properties"], s["properties"]);
        // A tool over it is accepted, and takes a tree.
        let tool = crate::tool_fn("tree", "A tree.", |n: Node, _| async move {
            Ok(crate::ToolOutput::text(n.children.len().to_string()))
        });
        assert!(tool.is_ok(), "{:?}", tool.err());
    }

    /// Mutual recursion through the root: `Dir` → `Entry` → `Dir`.
    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Dir {
        name: String,
        entries: Vec<Entry>,
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Entry {
        file: Option<String>,
        dir: Option<Box<Dir>>,
    }

    #[test]
    fn mutual_recursion_through_the_root_keeps_both_definitions() {
        let s = norm::<Dir>();
        assert_bedrock_shape(&s);
        assert_refs_resolve(&s);
        assert_eq!(s["properties"]["entries"]["items"]["$ref"], "#/$defs/Entry");
        let defs = s["$defs"].as_object().unwrap();
        let mut names: Vec<_> = defs.keys().collect();
        names.sort();
        assert_eq!(names, ["Dir", "Entry"]);
        assert_eq!(defs["Entry"]["properties"]["dir"]["$ref"], "#/$defs/Dir");
        assert_eq!(
            defs["Dir"]["properties"]["entries"]["items"]["$ref"],
            "#/$defs/Entry"
        );
    }

    #[test]
    fn a_root_copy_takes_a_name_no_definition_has() {
        let s = normalize(json!({
            "title": "~/",
            "type": "object",
            "properties": {"self": {"$ref": "#"}, "root": {"$ref": "#/$defs/Root"}},
            "$defs": {"Root": {"type": "object", "properties": {"up": {"$ref": "#"}}}},
        }))
        .unwrap();
        assert_bedrock_shape(&s);
        assert_refs_resolve(&s);
        assert_eq!(s["properties"]["self"]["$ref"], "#/$defs/Root2");
    }

    #[test]
    fn hand_written_schemas_are_checked() {
        assert!(
            normalize(json!("nope"))
                .unwrap_err()
                .contains("JSON object")
        );
        assert!(
            normalize(json!({"type": "string"}))
                .unwrap_err()
                .contains("struct")
        );
        let err = normalize(json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/X"}}}))
            .unwrap_err();
        assert!(err.contains("no definition"), "{err}");
        let err = normalize(json!({"properties": {"a": {"$ref": "http://x/y"}}})).unwrap_err();
        assert!(err.contains("outside"), "{err}");
        // Missing type with properties: an object.
        assert_eq!(
            normalize(json!({"properties": {}})).unwrap(),
            json!({"properties": {}, "type": "object"})
        );
        // Multi-type arrays become anyOf.
        let s = normalize(
            json!({"type": "object", "properties": {"v": {"type": ["string", "integer"]}}}),
        )
        .unwrap();
        assert_eq!(
            s["properties"]["v"]["anyOf"],
            json!([{"type": "string"}, {"type": "integer"}])
        );
    }
}
