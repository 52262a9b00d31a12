//! `serde_json::Value` ↔ `aws_smithy_types::Document`, exact for numbers.
//!
//! Numbers keep their kind: a non-negative integer is a `u64`
//! (`Number::PosInt`), a negative one an `i64` (`Number::NegInt`), anything
//! else an `f64` (`Number::Float`); so `u64::MAX` and `i64::MIN` cross both
//! ways unchanged.
//!
//! Key order: `Document::Object` is a `HashMap`, so a document has no order of
//! its own. Going to JSON, keys are sorted, so the same document always gives
//! the same bytes. On the wire the backend does better: `exact_json.rs`
//! puts the caller's original `Value`s, in their own key order, back into the
//! request body, and reads tool inputs from the raw response.

use aws_smithy_types::{Document, Number};
use serde_json::{Map, Value};

/// An SDK [`Document`] made from, or turned into, a [`serde_json::Value`].
///
/// ```
/// use bedrock_client::types::SdkDocument;
/// use serde_json::{json, Value};
///
/// let value = json!({"big": u64::MAX, "neg": i64::MIN, "pi": 3.25});
/// let doc = SdkDocument::from(&value);
/// assert_eq!(Value::try_from(doc).unwrap(), value);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SdkDocument(pub Document);

/// A document that has no JSON form: a float that is NaN or infinite.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the document holds the number {0}, which JSON cannot represent")]
pub struct NotJson(pub f64);

impl From<&Value> for SdkDocument {
    fn from(value: &Value) -> Self {
        Self(to_document(value))
    }
}

impl From<Value> for SdkDocument {
    fn from(value: Value) -> Self {
        Self(to_document(&value))
    }
}

impl TryFrom<SdkDocument> for Value {
    type Error = NotJson;

    fn try_from(doc: SdkDocument) -> Result<Self, Self::Error> {
        to_json(&doc.0)
    }
}

impl TryFrom<&SdkDocument> for Value {
    type Error = NotJson;

    fn try_from(doc: &SdkDocument) -> Result<Self, Self::Error> {
        to_json(&doc.0)
    }
}

fn to_document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(if let Some(u) = n.as_u64() {
            Number::PosInt(u)
        } else if let Some(i) = n.as_i64() {
            Number::NegInt(i)
        } else {
            // serde_json (without arbitrary_precision) holds every other
            // number as an f64.
            Number::Float(n.as_f64().unwrap_or(f64::NAN))
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(to_document).collect()),
        Value::Object(map) => Document::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_document(v)))
                .collect(),
        ),
    }
}

fn to_json(doc: &Document) -> Result<Value, NotJson> {
    Ok(match doc {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => {
            Value::Number(serde_json::Number::from_f64(*f).ok_or(NotJson(*f))?)
        }
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => {
            Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Document::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::with_capacity(keys.len());
            for key in keys {
                if let Some(v) = map.get(key) {
                    out.insert(key.clone(), to_json(v)?);
                }
            }
            Value::Object(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn round_trip(v: &Value) -> Value {
        Value::try_from(SdkDocument::from(v)).unwrap()
    }

    #[test]
    fn numbers_keep_their_kind_and_value() {
        let doc = SdkDocument::from(&json!([u64::MAX, i64::MIN, -1, 0, 0.1, 1e300, -2.5])).0;
        let Document::Array(items) = doc else {
            panic!("not an array")
        };
        assert_eq!(items[0], Document::Number(Number::PosInt(u64::MAX)));
        assert_eq!(items[1], Document::Number(Number::NegInt(i64::MIN)));
        assert_eq!(items[2], Document::Number(Number::NegInt(-1)));
        assert_eq!(items[3], Document::Number(Number::PosInt(0)));
        assert_eq!(items[4], Document::Number(Number::Float(0.1)));
        assert_eq!(items[5], Document::Number(Number::Float(1e300)));
        assert_eq!(items[6], Document::Number(Number::Float(-2.5)));
        let v = json!([
            u64::MAX,
            i64::MIN,
            -1,
            0,
            0.1,
            1e300,
            -2.5,
            9007199254740993u64
        ]);
        assert_eq!(round_trip(&v), v);
        assert_eq!(round_trip(&v).to_string(), v.to_string());
    }

    #[test]
    fn nested_objects_round_trip() {
        let v = json!({
            "type": "object",
            "properties": {"a": {"type": "array", "items": [null, true, "s", {"x": []}]}},
            "required": ["a"],
        });
        assert_eq!(round_trip(&v), v);
    }

    #[test]
    fn keys_come_back_sorted_so_bytes_are_stable() {
        let v = json!({"zeta": 1, "alpha": {"y": 2, "b": 3}, "mid": null});
        let once = round_trip(&v).to_string();
        for _ in 0..20 {
            assert_eq!(round_trip(&v).to_string(), once);
        }
        assert_eq!(once, r#"{"alpha":{"b":3,"y":2},"mid":null,"zeta":1}"#);
    }

    #[test]
    fn nan_has_no_json_form() {
        let doc = SdkDocument(Document::Number(Number::Float(f64::NAN)));
        assert!(Value::try_from(doc).is_err());
    }
}
