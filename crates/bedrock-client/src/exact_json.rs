//! Exact JSON on the wire, both ways.
//!
//! Why: prompt caching (the next step for this backend) sends cache points
//! in a request, and the service reuses a cached prefix only when the
//! request's bytes up to the cache point are the same as the last time. With
//! prompt caching, byte-stable request prefixes matter: a turn must send the
//! earlier turns exactly as it sent them before. The SDK cannot promise that
//! on its own: it holds JSON documents (tool inputs, tool results, input
//! schemas) as `aws_smithy_types::Document`, whose objects are `HashMap`s,
//! so the key order it writes changes from one request to the next, and it
//! formats floats its own way. Until caching lands, the same property makes
//! request bodies reproducible (the tests compare them byte for byte). And a
//! tool input the model wrote comes back from `Converse` with its keys
//! shuffled.
//!
//! This module is self-contained: [`ExactJson::for_request`] finds the
//! documents of a [`ModelRequest`] and their JSON pointers in the body the
//! SDK will write, from the layout of the Converse request (blocks, tool
//! result parts and tools keep their indexes; see `types/messages.rs`), so
//! the conversions in `types/` stay plain `From`/`TryFrom`.
//!
//! [`ExactJson`] is a per-call SDK interceptor that:
//! - before sending, puts each document's original `serde_json::Value`
//!   (key order as the caller built it; numbers as they were) back at its
//!   place in the body the SDK serialised, and sets `Content-Length` (before
//!   signing, so the signature covers the final bytes);
//! - after a non-streaming response, keeps the raw body, from which the
//!   backend reads tool inputs exactly as the model wrote them.
//!
//! Streaming responses need nothing: tool inputs arrive there as JSON text.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use agent_core::{ContentBlock, ModelRequest, ToolResultContent};
use aws_sdk_bedrockruntime::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_types::body::SdkBody;
use serde_json::Value;
use serde_json::value::RawValue;

/// The per-call interceptor; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct ExactJson {
    documents: Vec<(String, Value)>,
    response: Arc<Mutex<Option<Vec<u8>>>>,
}

impl ExactJson {
    /// The interceptor for one call carrying `request`: it restores every
    /// document of the request that the SDK could write otherwise (see
    /// [`documents`]).
    pub(crate) fn for_request(request: &ModelRequest) -> Self {
        Self {
            documents: documents(request),
            response: Arc::default(),
        }
    }

    /// Also restores `value` at `pointer` (a document the request's
    /// layout does not hold, such as the additional model request fields).
    pub(crate) fn with_document(mut self, pointer: &str, value: Value) -> Self {
        self.documents.push((pointer.to_owned(), value));
        self
    }

    /// Where the raw response body lands once the call is done.
    pub(crate) fn response_slot(&self) -> Arc<Mutex<Option<Vec<u8>>>> {
        Arc::clone(&self.response)
    }
}

/// Each JSON document of `request` whose bytes the SDK could change (see
/// [`needs_restoring`]): its JSON pointer in the Converse request body the
/// SDK writes, and the caller's original value.
///
/// The pointers follow the request's layout, which the conversions in
/// `types/` keep: a message's blocks in order (`/messages/i/content/j`), a
/// tool result's parts in order, and only object parts sent as `json`
/// (others go as text, see `types/messages.rs`); the tools in order.
pub(crate) fn documents(request: &ModelRequest) -> Vec<(String, Value)> {
    let mut documents = Vec::new();
    for (i, message) in request.messages.iter().enumerate() {
        for (j, block) in message.content.iter().enumerate() {
            match block {
                ContentBlock::ToolUse(u) if needs_restoring(&u.input) => documents.push((
                    format!("/messages/{i}/content/{j}/toolUse/input"),
                    u.input.clone(),
                )),
                ContentBlock::ToolResult(r) => {
                    for (k, part) in r.content.iter().enumerate() {
                        if let ToolResultContent::Json(v @ Value::Object(_)) = part
                            && needs_restoring(v)
                        {
                            documents.push((
                                format!("/messages/{i}/content/{j}/toolResult/content/{k}/json"),
                                v.clone(),
                            ));
                        }
                    }
                }
                // Text, reasoning, images, documents, cache points: strings
                // and bytes, which the SDK writes the same way every time.
                _ => {}
            }
        }
    }
    // The additional model request fields are the backend's to restore
    // (`BedrockBackend::prepare`): it adds extended thinking's to them.
    for (t, spec) in request.tools.iter().enumerate() {
        if needs_restoring(&spec.input_schema) {
            documents.push((
                format!("/toolConfig/tools/{t}/toolSpec/inputSchema/json"),
                spec.input_schema.clone(),
            ));
        }
    }
    documents
}

/// Whether the SDK could write `value` otherwise than the caller built it:
/// true for an object of two or more keys (the SDK's hash map decides their
/// order) or a float (the SDK formats it its own way), anywhere inside.
/// Everything else (strings, integers, one-key objects, arrays of those)
/// the SDK writes the same way every time, so it is left as the SDK wrote
/// it: in a long conversation most tool inputs and results are of this
/// kind, and they need not be located and rewritten on every turn.
fn needs_restoring(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.len() > 1 || map.values().any(needs_restoring),
        Value::Array(items) => items.iter().any(needs_restoring),
        Value::Number(n) => n.is_f64(),
        Value::Null | Value::Bool(_) | Value::String(_) => false,
    }
}

/// `body` (the SDK's JSON) with each document at `pointer` replaced by its
/// original value. A place the body does not have (the SDK's wire format
/// changed) is left as the SDK wrote it, with a warning: the request stays
/// valid, only its key order is no longer stable.
///
/// The body is not parsed into a tree: the places are found by descending
/// only the paths the pointers name (each level read as borrowed raw JSON),
/// and the originals are written over their byte ranges. A request carries
/// the whole conversation, so this runs on every turn; building, cloning
/// and re-writing a full `Value` of it was the largest cost of a turn in
/// the CHAIN benchmark.
pub(crate) fn restore_documents(
    body: &[u8],
    documents: &[(String, Value)],
) -> Result<Vec<u8>, BoxError> {
    let text = std::str::from_utf8(body)?;
    let root: &RawValue = serde_json::from_str(text)?;
    let mut paths = PathTrie::default();
    for (index, (pointer, _)) in documents.iter().enumerate() {
        paths.insert(pointer, index);
    }
    let mut spans = Vec::with_capacity(documents.len());
    paths.locate(root, text, &mut spans)?;
    if spans.len() < documents.len() {
        let mut found = vec![false; documents.len()];
        for &(_, index) in &spans {
            found[index] = true;
        }
        for ((pointer, _), _) in documents.iter().zip(found).filter(|(_, f)| !f) {
            tracing::warn!(
                pointer,
                "the request body has no document here; the SDK's wire format changed, \
                 so this document keeps the SDK's key order"
            );
        }
    }
    spans.sort_unstable_by_key(|(range, _)| range.start);
    let mut out = Vec::with_capacity(body.len() + body.len() / 8);
    let mut at = 0;
    for (range, index) in spans {
        out.extend_from_slice(&body[at..range.start]);
        serde_json::to_writer(&mut out, &documents[index].1)?;
        at = range.end;
    }
    out.extend_from_slice(&body[at..]);
    Ok(out)
}

/// The pointers to restore, as a tree of their segments, so the body is
/// descended once however many documents it holds.
#[derive(Debug, Default)]
struct PathTrie {
    document: Option<usize>,
    children: Vec<(String, PathTrie)>,
}

impl PathTrie {
    fn insert(&mut self, pointer: &str, index: usize) {
        let mut node = self;
        for segment in pointer.split('/').skip(1) {
            let segment = if segment.contains('~') {
                Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
            } else {
                Cow::Borrowed(segment)
            };
            // Pointers come in body order, so a shared prefix is almost
            // always the last child added: search from the end.
            let at = match node.children.iter().rposition(|(s, _)| *s == segment) {
                Some(at) => at,
                None => {
                    node.children
                        .push((segment.into_owned(), PathTrie::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[at].1;
        }
        node.document = Some(index);
    }

    /// Pushes the byte range in `text` of every document under `raw`.
    fn locate(
        &self,
        raw: &RawValue,
        text: &str,
        spans: &mut Vec<(Range<usize>, usize)>,
    ) -> Result<(), BoxError> {
        if let Some(index) = self.document {
            let json = raw.get();
            let start = json.as_ptr() as usize - text.as_ptr() as usize;
            spans.push((start..start + json.len(), index));
            return Ok(());
        }
        if self.children.is_empty() {
            return Ok(());
        }
        let json = raw.get().trim_start();
        if json.starts_with('{') {
            // Keys are owned (they may hold escapes); values stay borrowed,
            // so their places in `text` are known.
            let members: HashMap<String, &RawValue> = serde_json::from_str(json)?;
            for (key, child) in &self.children {
                if let Some(value) = members.get(key) {
                    child.locate(value, text, spans)?;
                }
            }
        } else if json.starts_with('[') {
            let items: Vec<&RawValue> = serde_json::from_str(json)?;
            for (key, child) in &self.children {
                if let Some(value) = key.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    child.locate(value, text, spans)?;
                }
            }
        }
        Ok(())
    }
}

impl Intercept for ExactJson {
    fn name(&self) -> &'static str {
        "ExactJson"
    }

    fn modify_before_retry_loop(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let Some(body) = request.body().bytes() else {
            return Ok(());
        };
        if self.documents.is_empty() {
            return Ok(());
        }
        let rewritten = match restore_documents(body, &self.documents) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(error = %e, "could not restore the request's JSON documents");
                return Ok(());
            }
        };
        request
            .headers_mut()
            .insert("content-length", rewritten.len().to_string());
        *request.body_mut() = SdkBody::from(rewritten);
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = context.response().body().bytes()
            && let Ok(mut slot) = self.response.lock()
        {
            *slot = Some(bytes.to_vec());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_documents_of_a_request_are_found_by_their_place_in_the_body() {
        use agent_core::{InferenceConfig, Message, Role, ToolResult, ToolUse};
        use tool_api::ToolSpec;

        let two_keys = json!({"a": 1, "b": 2});
        let request = ModelRequest {
            system: None,
            messages: vec![
                Message::user("hi"),
                Message {
                    role: Role::Assistant,
                    content: vec![
                        ContentBlock::Text { text: "x".into() },
                        ContentBlock::ToolUse(ToolUse {
                            id: "u1".into(),
                            name: "t".into(),
                            input: two_keys.clone(),
                        }),
                        ContentBlock::ToolUse(ToolUse {
                            id: "u2".into(),
                            name: "t".into(),
                            input: json!({"one": "key"}),
                        }),
                    ],
                },
                Message {
                    role: Role::User,
                    content: vec![ContentBlock::ToolResult(ToolResult {
                        content: vec![
                            ToolResultContent::Text("t".into()),
                            ToolResultContent::Json(json!([1.5])),
                            ToolResultContent::Json(json!({"f": 0.5})),
                        ],
                        ..ToolResult::success("u1", ToolResultContent::Text(String::new()))
                    })],
                },
            ],
            tools: vec![
                ToolSpec::new("t", "", json!({"type": "object"})),
                ToolSpec::new("u", "", json!({"type": "object", "properties": {}})),
            ],
            inference: InferenceConfig::default(),
            ..ModelRequest::default()
        };
        let pointers: Vec<String> = documents(&request).into_iter().map(|(p, _)| p).collect();
        // The second tool input has one key of a string, the first result
        // part is text, the second goes as text (not an object) and the first
        // schema has one key: the SDK writes those the same every time.
        assert_eq!(
            pointers,
            [
                "/messages/1/content/1/toolUse/input",
                "/messages/2/content/0/toolResult/content/2/json",
                "/toolConfig/tools/1/toolSpec/inputSchema/json",
            ]
        );
    }

    #[test]
    fn documents_are_put_back_in_their_original_order() {
        let sdk_body = br#"{"messages":[{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"t","input":{"b":1,"a":2}}}]}]}"#;
        let original = json!({"z": 1.5, "a": {"y": u64::MAX, "b": -3}});
        let out = restore_documents(
            sdk_body,
            &[("/messages/0/content/0/toolUse/input".into(), original)],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"messages":[{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"t","input":{"z":1.5,"a":{"y":18446744073709551615,"b":-3}}}}]}]}"#
        );
    }

    #[test]
    fn a_missing_place_is_left_alone() {
        let out = restore_documents(br#"{"a":1}"#, &[("/messages/0".into(), json!({}))]).unwrap();
        assert_eq!(out, br#"{"a":1}"#);
        assert!(restore_documents(b"not json", &[]).is_err());
    }

    #[test]
    fn only_what_the_sdk_could_reorder_or_reformat_is_restored() {
        assert!(!needs_restoring(&json!({"ms": 0})));
        assert!(!needs_restoring(&json!({"a": {"b": [1, "x", null, true]}})));
        assert!(!needs_restoring(&json!([u64::MAX, i64::MIN])));
        assert!(needs_restoring(&json!({"a": 1, "b": 2})));
        assert!(needs_restoring(&json!({"a": [{"b": 1, "c": 2}]})));
        assert!(needs_restoring(&json!({"x": 1.5})));
        assert!(needs_restoring(&json!([0.1])));
    }

    #[test]
    fn many_places_in_one_pass_whatever_the_layout() {
        // Whitespace, escaped keys and strings that look like structure: the
        // byte ranges must still be exactly the documents'.
        let sdk_body = br#" { "toolConfig" : {"tools":[{"toolSpec":{"name":"a]}","inputSchema":{"json":{"type":"object"}}}},
            {"toolSpec":{"name":"b","inputSchema":{"json" : {"properties":{},"type":"object"}}}}]},
            "messages":[{"content":[{"text":"{\"json\":1}"},{"toolResult":{"content":[{"json":[3, 2,1]}]}}]}],
            "a\/b~c":{"x":true} } "#;
        let documents = vec![
            (
                "/messages/0/content/1/toolResult/content/0/json".into(),
                json!([1, 2, 3]),
            ),
            (
                "/toolConfig/tools/1/toolSpec/inputSchema/json".into(),
                json!({"type": "object", "properties": {}}),
            ),
            (
                "/toolConfig/tools/0/toolSpec/inputSchema/json".into(),
                json!({"type": "object", "required": []}),
            ),
            ("/a~1b~0c/x".into(), json!("y")),
        ];
        let out = restore_documents(sdk_body, &documents).unwrap();
        let expected = String::from_utf8_lossy(sdk_body)
            .replace(r#"{"type":"object"}"#, r#"{"type":"object","required":[]}"#)
            .replace(
                r#"{"properties":{},"type":"object"}"#,
                r#"{"type":"object","properties":{}}"#,
            )
            .replace("[3, 2,1]", "[1,2,3]")
            .replace(r#"{"x":true}"#, r#"{"x":"y"}"#);
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
