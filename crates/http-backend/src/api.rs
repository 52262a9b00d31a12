//! [`HttpApi`]: what the shared half must be told about one HTTP API.

use agent_core::ModelError;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// One HTTP API's own conventions, for an [`crate::Endpoint`] that speaks
/// it: where it puts the request id, and how it says what went wrong.
///
/// # Contract
///
/// - [`HttpApi::REQUEST_ID_HEADER`] names the response header carrying the
///   provider's request id; the endpoint and the stream pump attach it to
///   every error of a request that got an answer, unless the error already
///   carries one.
/// - [`HttpApi::error_from_http`] turns a non-2xx answer (status, headers,
///   the whole body, the URL asked) into the [`ModelError`] the agent sees:
///   the provider's message and error type, a kind the retry policy can act
///   on, the request id and the `retry-after` hint
///   ([`crate::retry_after`]). It must not fail: a body that is not the
///   API's JSON (a proxy's HTML page, a wrong base URL) is still an error
///   with a message that helps. It never retries; the agent does.
pub trait HttpApi: Send + Sync + 'static {
    /// The response header carrying the provider's request id.
    const REQUEST_ID_HEADER: &'static str;

    /// The error for a non-2xx answer to `url`.
    fn error_from_http(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        url: &str,
    ) -> ModelError;
}
