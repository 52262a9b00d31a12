//! Errors: what Chat Completions servers answer, mapped onto
//! [`agent_core::ModelErrorKind`], and [`ConfigError`], for a backend that
//! cannot be built. Transport failures and the retry hint are the shared
//! half's (`http_backend`), re-exported here.

use agent_core::{ModelError, ModelErrorKind};
use http_backend::{HttpApi, InvalidApiKey};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::wire::ErrorDetail;

pub use http_backend::{from_transport, retry_after};

/// A backend that cannot be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The base URL is OpenAI's and no key was given or set.
    #[error(
        "OPENAI_API_KEY is not set; {url} needs an API key: set OPENAI_API_KEY (or pass a key to \
         the backend's builder), or point the base URL at a server that needs none, such as \
         Ollama at http://localhost:11434/v1"
    )]
    MissingApiKey {
        /// The base URL that needs a key.
        url: String,
    },
    /// The key cannot be sent in an HTTP header (it is never echoed).
    #[error(
        "the OpenAI API key holds characters an HTTP header cannot carry; check OPENAI_API_KEY \
         for quotes, spaces or line breaks"
    )]
    InvalidApiKey,
    /// The base URL is not an `http`/`https` URL.
    #[error(
        "invalid OpenAI-compatible base URL {url:?}: {reason}; use e.g. https://api.openai.com/v1 \
         or http://localhost:11434/v1"
    )]
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
            Self::MissingApiKey { .. } | Self::InvalidApiKey => ModelErrorKind::Credentials,
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

/// The header that carries the request id (OpenAI, vLLM).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The kind of an error, from its code, its type, its message and, failing
/// those, the HTTP status (`None` for an error inside a stream).
pub fn error_kind(
    status: Option<u16>,
    code: Option<&str>,
    error_type: Option<&str>,
    message: &str,
) -> ModelErrorKind {
    let m = message.to_lowercase();
    let overflow = [
        "maximum context length",
        "context length",
        "context window",
        "too many tokens",
    ]
    .iter()
    .any(|p| m.contains(p));
    match code {
        Some("context_length_exceeded") => return ModelErrorKind::ContextOverflow,
        Some("insufficient_quota") => return ModelErrorKind::QuotaExceeded,
        Some("model_not_found") => return ModelErrorKind::ModelNotFound,
        Some("invalid_api_key") => return ModelErrorKind::Credentials,
        Some("rate_limit_exceeded") => return ModelErrorKind::Throttled,
        _ => {}
    }
    match status {
        Some(400 | 413 | 422) if overflow => ModelErrorKind::ContextOverflow,
        Some(400 | 413 | 422) => ModelErrorKind::Validation,
        Some(401) => ModelErrorKind::Credentials,
        Some(402) => ModelErrorKind::QuotaExceeded,
        Some(403) => ModelErrorKind::Auth,
        // OpenAI's answer to a wrong path: the base URL, not the model.
        Some(404) if message.starts_with("Invalid URL") => ModelErrorKind::Other,
        Some(404) => ModelErrorKind::ModelNotFound,
        Some(408 | 409) => ModelErrorKind::Unavailable,
        Some(429) => ModelErrorKind::Throttled,
        Some(s) if s >= 500 => ModelErrorKind::Unavailable,
        Some(_) => ModelErrorKind::Other,
        None if overflow => ModelErrorKind::ContextOverflow,
        None => match error_type {
            Some("invalid_request_error") => ModelErrorKind::Validation,
            Some("rate_limit_error" | "requests" | "tokens") => ModelErrorKind::Throttled,
            _ => ModelErrorKind::Stream,
        },
    }
}

/// The error detail of a body: `{"error": {...}}` (OpenAI, Ollama,
/// llama.cpp), `{"error": "text"}`, or a top-level `{"message", "type",
/// "code"}` (vLLM).
pub fn error_detail(body: &Value) -> Option<ErrorDetail> {
    match body.get("error") {
        Some(Value::String(message)) => Some(ErrorDetail {
            message: message.clone(),
            ..ErrorDetail::default()
        }),
        Some(detail @ Value::Object(_)) => serde_json::from_value(detail.clone()).ok(),
        _ if body.get("message").is_some_and(Value::is_string) => {
            serde_json::from_value(body.clone()).ok()
        }
        _ => None,
    }
}

/// The error for a non-2xx answer to `url`.
pub fn from_http(status: StatusCode, headers: &HeaderMap, body: &[u8], url: &str) -> ModelError {
    let detail = serde_json::from_slice::<Value>(body)
        .ok()
        .as_ref()
        .and_then(error_detail);
    let mut error = match detail {
        Some(d) => {
            let code = d.code_text();
            let kind = error_kind(
                Some(status.as_u16()),
                code.as_deref(),
                d.kind.as_deref(),
                &d.message,
            );
            let label = code
                .or(d.kind)
                .unwrap_or_else(|| status.as_u16().to_string());
            ModelError::new(kind, format!("{label}: {}", d.message))
        }
        None => {
            let text = String::from_utf8_lossy(body);
            let snippet: String = text.chars().take(300).collect();
            let kind = match status.as_u16() {
                // Not a server's JSON 404: most likely a wrong base URL.
                404 => ModelErrorKind::Other,
                s => error_kind(Some(s), None, None, &snippet),
            };
            ModelError::new(
                kind,
                format!(
                    "HTTP {status} from {url} (not a Chat Completions error; check the base URL, \
                     which usually ends in /v1): {}",
                    snippet.trim()
                ),
            )
        }
    };
    if let Some(id) = headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()) {
        error = error.with_request_id(id);
    }
    if let Some(after) = retry_after(headers) {
        error = error.with_retry_after(after);
    }
    error
}

/// Chat Completions' conventions, for the shared [`http_backend::Endpoint`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenAiApi;

impl HttpApi for OpenAiApi {
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
    use serde_json::json;

    use super::*;

    fn err(status: u16, body: Value, headers: &[(&'static str, &str)]) -> ModelError {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        from_http(
            StatusCode::from_u16(status).unwrap(),
            &map,
            body.to_string().as_bytes(),
            "http://x/v1/chat/completions",
        )
    }

    #[test]
    fn maps_openai_ollama_and_vllm_errors() {
        use ModelErrorKind::*;
        let openai = |message: &str, ty: &str, code: Value| json!({"error": {"message": message, "type": ty, "param": null, "code": code}});
        let cases = [
            (
                400,
                openai(
                    "This model's maximum context length is 128000 tokens.",
                    "invalid_request_error",
                    json!("context_length_exceeded"),
                ),
                ContextOverflow,
            ),
            (
                400,
                openai(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
                    "invalid_request_error",
                    json!(null),
                ),
                Validation,
            ),
            (
                401,
                openai(
                    "Incorrect API key provided.",
                    "invalid_request_error",
                    json!("invalid_api_key"),
                ),
                Credentials,
            ),
            (
                403,
                openai("not allowed", "invalid_request_error", json!(null)),
                Auth,
            ),
            (
                404,
                openai(
                    "The model `gpt-9` does not exist",
                    "invalid_request_error",
                    json!("model_not_found"),
                ),
                ModelNotFound,
            ),
            (
                404,
                json!({"error": {"message": "model \"llama9\" not found, try pulling it first", "type": "api_error"}}),
                ModelNotFound,
            ),
            (
                429,
                openai(
                    "Rate limit reached",
                    "requests",
                    json!("rate_limit_exceeded"),
                ),
                Throttled,
            ),
            (
                429,
                openai(
                    "You exceeded your current quota",
                    "insufficient_quota",
                    json!("insufficient_quota"),
                ),
                QuotaExceeded,
            ),
            (
                500,
                openai("The server had an error", "server_error", json!(null)),
                Unavailable,
            ),
            (503, json!({"error": "overloaded"}), Unavailable),
            (
                400,
                json!({"object": "error", "message": "This model's maximum context length is 4096 tokens", "type": "BadRequestError", "param": null, "code": 400}),
                ContextOverflow,
            ),
        ];
        for (status, body, kind) in cases {
            let e = err(status, body.clone(), &[]);
            assert_eq!(e.kind, kind, "{status} {body}");
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn keeps_request_id_and_retry_hints() {
        let body = json!({"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}});
        let e = err(
            429,
            body.clone(),
            &[("x-request-id", "req_1"), ("retry-after", "2")],
        );
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(2)));
        let e = err(
            429,
            body,
            &[("retry-after-ms", "250"), ("retry-after", "1")],
        );
        assert_eq!(e.retry_after, Some(Duration::from_millis(250)));
    }

    #[test]
    fn a_foreign_404_points_at_the_base_url() {
        let e = from_http(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            b"404 page not found",
            "http://x/chat/completions",
        );
        assert_eq!(e.kind, ModelErrorKind::Other);
        assert!(e.message.contains("ends in /v1"), "{e}");
    }
}
