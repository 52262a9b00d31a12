//! The record of every request the local server received, for tests to
//! assert on what crossed the wire: which headers are kept (never the key)
//! and what a record holds.

use axum::http::{HeaderMap, Uri};

use super::wire::{Request, to_core};

/// One request the server received: what a test asserts on.
pub use mock_support::api::ApiRequest as RecordedRequest;

/// The headers a record keeps.
const HEADERS_OF_INTEREST: [&str; 5] = [
    "content-type",
    "accept",
    "user-agent",
    "openai-organization",
    "openai-project",
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
    let read = parsed.map(|r| (r.stream, to_core(r)));
    RecordedRequest::post(
        id,
        uri,
        headers,
        &HEADERS_OF_INTEREST,
        body,
        read,
        authorized,
    )
}
