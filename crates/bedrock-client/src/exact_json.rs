//! Exact JSON on the wire, both ways.
//!
//! The SDK holds JSON documents (tool inputs, tool results, input schemas)
//! as `aws_smithy_types::Document`, whose objects are `HashMap`s: the key
//! order it writes changes from one request to the next, so the same
//! conversation would not give the same bytes, and the prompt cache, which
//! matches byte prefixes, would miss. And a tool input the model wrote comes
//! back from `Converse` with its keys shuffled.
//!
//! [`ExactJson`] is a per-call SDK interceptor that fixes both:
//! - before sending, it puts each document's original `serde_json::Value`
//!   (key order as the caller built it; numbers as they were) back at its
//!   place in the body the SDK serialised, and sets `Content-Length` (before
//!   signing, so the signature covers the final bytes);
//! - after a non-streaming response, it keeps the raw body, from which the
//!   backend reads tool inputs exactly as the model wrote them.
//!
//! Streaming responses need nothing: tool inputs arrive there as JSON text.

use std::sync::{Arc, Mutex};

use aws_sdk_bedrockruntime::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_types::body::SdkBody;
use serde_json::Value;

/// The per-call interceptor; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct ExactJson {
    documents: Vec<(String, Value)>,
    response: Arc<Mutex<Option<Vec<u8>>>>,
}

impl ExactJson {
    /// An interceptor restoring `documents` (JSON pointer, original value).
    pub(crate) fn new(documents: Vec<(String, Value)>) -> Self {
        Self {
            documents,
            response: Arc::default(),
        }
    }

    /// Where the raw response body lands once the call is done.
    pub(crate) fn response_slot(&self) -> Arc<Mutex<Option<Vec<u8>>>> {
        Arc::clone(&self.response)
    }
}

/// `body` (the SDK's JSON) with each document at `pointer` replaced by its
/// original value, written back out. A place the body does not have (the
/// SDK's wire format changed) is left as the SDK wrote it, with a warning:
/// the request stays valid, only its key order is no longer stable.
pub(crate) fn restore_documents(
    body: &[u8],
    documents: &[(String, Value)],
) -> Result<Vec<u8>, BoxError> {
    let mut json: Value = serde_json::from_slice(body)?;
    for (pointer, original) in documents {
        match json.pointer_mut(pointer) {
            Some(slot) => *slot = original.clone(),
            None => tracing::warn!(
                pointer,
                "the request body has no document here; the SDK's wire format changed, \
                 so this document keeps the SDK's key order"
            ),
        }
    }
    Ok(serde_json::to_vec(&json)?)
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
}
