//! Errors: what the Messages API answers, mapped onto
//! [`agent_core::ModelErrorKind`], and [`ConfigError`], for a backend that
//! cannot be built. Transport failures and the retry hint are the shared
//! half's (`http_backend`), re-exported here.

use agent_core::{ModelError, ModelErrorKind};
use http_backend::{HttpApi, InvalidApiKey};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::wire::ErrorBody;

pub use http_backend::{from_transport, retry_after};

/// A backend that cannot be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No API key was given and `ANTHROPIC_API_KEY` is unset or empty.
    #[error(
        "ANTHROPIC_API_KEY is not set; set it to an Anthropic API key (from console.anthropic.com), \
         or pass a key to the backend's builder"
    )]
    MissingApiKey,
    /// The key cannot be sent in an HTTP header (it is never echoed).
    #[error(
        "the Anthropic API key holds characters an HTTP header cannot carry; check \
         ANTHROPIC_API_KEY for quotes, spaces or line breaks"
    )]
    InvalidApiKey,
    /// The base URL is not an `http`/`https` URL.
    #[error("invalid Anthropic base URL {url:?}: {reason}; use e.g. https://api.anthropic.com")]
    InvalidBaseUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built (its TLS setup failed, say).
    #[error("could not build the HTTP client: {0}")]
    HttpClient(String),
}

impl ConfigError {
    /// The model error kind this configuration error is reported as:
    /// [`ModelErrorKind::Credentials`] for a missing or unusable key.
    pub fn kind(&self) -> ModelErrorKind {
        match self {
            Self::MissingApiKey | Self::InvalidApiKey => ModelErrorKind::Credentials,
            Self::InvalidBaseUrl { .. } => ModelErrorKind::Validation,
            Self::HttpClient(_) => ModelErrorKind::Other,
        }
    }
}

impl From<InvalidApiKey> for ConfigError {
    fn from(_: InvalidApiKey) -> Self {
        Self::InvalidApiKey
    }
}

impl From<ConfigError> for ModelError {
    fn from(e: ConfigError) -> Self {
        ModelError::new(e.kind(), e.to_string())
    }
}

/// The header that carries Anthropic's request id.
pub const REQUEST_ID_HEADER: &str = "request-id";

/// The kind of an API error, from its `error.type` and, failing that, the
/// HTTP status.
pub fn error_kind(status: Option<u16>, error_type: &str, message: &str) -> ModelErrorKind {
    match error_type {
        "invalid_request_error" if is_context_overflow(message) => ModelErrorKind::ContextOverflow,
        "invalid_request_error" | "request_too_large" => ModelErrorKind::Validation,
        "authentication_error" => ModelErrorKind::Credentials,
        "permission_error" => ModelErrorKind::Auth,
        "not_found_error" => ModelErrorKind::ModelNotFound,
        "rate_limit_error" => ModelErrorKind::Throttled,
        "overloaded_error" | "api_error" | "timeout_error" => ModelErrorKind::Unavailable,
        "billing_error" => ModelErrorKind::QuotaExceeded,
        _ => match status {
            Some(400 | 413 | 422) => ModelErrorKind::Validation,
            Some(401) => ModelErrorKind::Credentials,
            Some(402) => ModelErrorKind::QuotaExceeded,
            Some(403) => ModelErrorKind::Auth,
            Some(404) => ModelErrorKind::ModelNotFound,
            Some(429) => ModelErrorKind::Throttled,
            Some(408) => ModelErrorKind::Unavailable,
            Some(s) if s >= 500 => ModelErrorKind::Unavailable,
            None => ModelErrorKind::Stream,
            _ => ModelErrorKind::Other,
        },
    }
}

fn is_context_overflow(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "prompt is too long",
        "context length",
        "context window",
        "exceed context limit",
    ]
    .iter()
    .any(|p| m.contains(p))
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The error for a non-2xx answer to `url`.
pub fn from_http(status: StatusCode, headers: &HeaderMap, body: &[u8], url: &str) -> ModelError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let mut error = match parsed {
        Some(body) => {
            let kind = error_kind(Some(status.as_u16()), &body.error.kind, &body.error.message);
            let e = ModelError::new(kind, format!("{}: {}", body.error.kind, body.error.message));
            match body.request_id {
                Some(id) => e.with_request_id(id),
                None => e,
            }
        }
        None => {
            let text = String::from_utf8_lossy(body);
            let snippet: String = text.chars().take(300).collect();
            let kind = match status.as_u16() {
                // Not the API's own 404: most likely a wrong base URL.
                404 => ModelErrorKind::Other,
                s => error_kind(Some(s), "", &snippet),
            };
            ModelError::new(
                kind,
                format!(
                    "HTTP {status} from {url} (not an Anthropic API error; check the base URL): {}",
                    snippet.trim()
                ),
            )
        }
    };
    if let Some(id) = request_id(headers) {
        error = error.with_request_id(id);
    }
    if let Some(after) = retry_after(headers) {
        error = error.with_retry_after(after);
    }
    error
}

/// The Messages API's conventions, for the shared [`http_backend::Endpoint`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct AnthropicApi;

impl HttpApi for AnthropicApi {
    const REQUEST_ID_HEADER: &'static str = REQUEST_ID_HEADER;

    fn error_from_http(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        url: &str,
    ) -> ModelError {
        from_http(status, headers, body, url)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest::header::HeaderValue;

    use super::*;

    fn err(status: u16, ty: &str, message: &str, headers: &[(&'static str, &str)]) -> ModelError {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        let body = serde_json::json!({"type": "error", "error": {"type": ty, "message": message}});
        from_http(
            StatusCode::from_u16(status).unwrap(),
            &map,
            body.to_string().as_bytes(),
            "http://x/v1/messages",
        )
    }

    #[test]
    fn maps_every_documented_error() {
        use ModelErrorKind::*;
        let cases = [
            (400, "invalid_request_error", "messages.1: bad", Validation),
            (
                400,
                "invalid_request_error",
                "prompt is too long: 208326 tokens > 200000 maximum",
                ContextOverflow,
            ),
            (
                401,
                "authentication_error",
                "invalid x-api-key",
                Credentials,
            ),
            (403, "permission_error", "no access", Auth),
            (404, "not_found_error", "model: claude-nope", ModelNotFound),
            (413, "request_too_large", "too big", Validation),
            (429, "rate_limit_error", "slow down", Throttled),
            (500, "api_error", "oops", Unavailable),
            (529, "overloaded_error", "Overloaded", Unavailable),
            (503, "something_new", "?", Unavailable),
        ];
        for (status, ty, message, kind) in cases {
            let e = err(status, ty, message, &[]);
            assert_eq!(e.kind, kind, "{status} {ty}");
            assert!(e.message.contains(message), "{e}");
        }
    }

    #[test]
    fn keeps_request_id_and_retry_after() {
        let e = err(
            429,
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
            &[("request-id", "req_011"), ("retry-after", "7")],
        );
        assert_eq!(e.request_id.as_deref(), Some("req_011"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
        assert!(e.is_retryable());
        assert!(e.to_string().contains("(request id req_011)"), "{e}");
    }

    #[test]
    fn a_foreign_404_points_at_the_base_url() {
        let e = from_http(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            b"<html>nope</html>",
            "http://x/v1/v1/messages",
        );
        assert_eq!(e.kind, ModelErrorKind::Other);
        assert!(e.message.contains("check the base URL"), "{e}");
    }

    #[test]
    fn config_errors_are_one_clear_line() {
        let e = ConfigError::MissingApiKey;
        assert!(e.to_string().starts_with("ANTHROPIC_API_KEY is not set; "));
        assert!(!e.to_string().contains('\n'));
        assert_eq!(ModelError::from(e).kind, ModelErrorKind::Credentials);
    }
}
