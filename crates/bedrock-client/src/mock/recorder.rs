//! The record of every request the local server received, for tests to
//! assert on what crossed the wire.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Fault;

/// One request as the server saw it, and how it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Arrival order, from 1.
    pub seq: u64,
    /// The model id from the path, percent-decoded.
    pub model_id: String,
    /// The request path as sent.
    pub path: String,
    /// Whether it was a ConverseStream call.
    pub stream: bool,
    /// Headers, names lowercased; the signature in `authorization` is
    /// replaced by `***`.
    pub headers: BTreeMap<String, String>,
    /// The body as parsed JSON (`Null` when it was not JSON).
    pub body: Value,
    /// The body's bytes as received, for byte-level comparisons.
    pub raw_body: Vec<u8>,
    /// The request id the server answered with (`x-amzn-requestid`).
    pub request_id: String,
    /// What the server answered.
    pub outcome: Outcome,
}

/// How the server answered a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A scripted model turn.
    Answered {
        /// The scenario that answered.
        scenario: String,
    },
    /// A CountTokens request, counted.
    Counted {
        /// The count answered.
        input_tokens: u64,
    },
    /// An injected fault.
    Fault(Fault),
    /// Refused, as the service would: `status` and the error type.
    Rejected {
        /// HTTP status.
        status: u16,
        /// The `x-amzn-errortype` name.
        error_type: String,
        /// The message sent.
        message: String,
    },
}

impl RecordedRequest {
    /// A header's value, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// Whether the server answered with a scripted turn.
    pub fn answered(&self) -> bool {
        matches!(self.outcome, Outcome::Answered { .. })
    }

    /// The body read back into core types, as the server read it; the
    /// service's validation message if it does not fit the wire format.
    pub fn model_request(&self) -> Result<agent_core::ModelRequest, String> {
        let wire: super::wire::WireRequest = serde_json::from_slice(&self.raw_body)
            .map_err(|e| format!("not a Converse body: {e}"))?;
        wire.to_core()
    }
}

/// `Authorization` without its signature.
pub(crate) fn redact_authorization(value: &str) -> String {
    match value.find("Signature=") {
        Some(at) => format!("{}Signature=***", &value[..at]),
        None => value.to_owned(),
    }
}
