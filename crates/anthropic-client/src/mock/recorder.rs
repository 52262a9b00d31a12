//! The record of every request the local server received, for tests to
//! assert on what crossed the wire: which headers are kept (never the key)
//! and what a record holds.

use axum::http::{HeaderMap, Uri};
use mock_support::recorder::header_map;
use serde_json::Value;

use super::wire::{Request, to_core};

/// One request the server received: what a test asserts on.
pub use mock_support::api::ApiRequest as RecordedRequest;

/// The headers a record keeps.
const HEADERS_OF_INTEREST: [&str; 5] = [
    "anthropic-version",
    "anthropic-beta",
    "content-type",
    "accept",
    "user-agent",
];

/// The record of request `id`; its status is filled in once answered.
pub(crate) fn record(
    id: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    parsed: Option<&Request>,
    authorized: bool,
) -> RecordedRequest {
    RecordedRequest {
        id: id.to_owned(),
        method: "POST".into(),
        path: uri.path().to_owned(),
        headers: header_map(headers, |name, v| {
            HEADERS_OF_INTEREST.contains(&name).then_some(v)
        }),
        authorized,
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
        stream: parsed.is_some_and(|r| r.stream),
        request: parsed.map(to_core),
        status: 0,
    }
}
