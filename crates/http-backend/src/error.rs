//! The failures the shared half knows without knowing the API:
//! [`TransportError`] (no HTTP answer, or a body that broke) and
//! [`InvalidApiKey`]; and [`tag`], which gives an error its request id. What an API answers with a non-2xx status is the
//! client's own ([`crate::HttpApi::error_from_http`]).

use std::time::Duration;

use agent_core::{ModelError, ModelErrorKind};

/// A request that got no usable HTTP answer. Each becomes a retryable
/// [`ModelError`]: [`ModelErrorKind::Network`],
/// [`ModelErrorKind::Unreachable`] for a connection nothing accepted, or
/// [`ModelErrorKind::Stream`] for a stream that broke midway.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// Nothing arrived within the timeout.
    #[error("no answer from {url} within {timeout:?}: {detail}")]
    Timeout {
        /// Where the request went.
        url: String,
        /// The timeout that ran out.
        timeout: Duration,
        /// The transport's own account, with its causes.
        detail: String,
    },
    /// No connection (refused, DNS, TLS).
    #[error("could not connect to {url}: {detail}")]
    Connect {
        /// Where the request went.
        url: String,
        /// The transport's own account, with its causes.
        detail: String,
    },
    /// The connection broke while the response was read.
    #[error("the connection to {url} broke while reading the response: {detail}")]
    Body {
        /// Where the request went.
        url: String,
        /// The transport's own account, with its causes.
        detail: String,
    },
    /// Any other failure to send.
    #[error("the request to {url} failed: {detail}")]
    Request {
        /// Where the request went.
        url: String,
        /// The transport's own account, with its causes.
        detail: String,
    },
    /// A streamed body broke between two events.
    #[error("the stream from {url} broke: {detail}")]
    StreamBroke {
        /// Where the request went.
        url: String,
        /// The transport's own account, with its causes.
        detail: String,
    },
}

impl TransportError {
    /// Classifies reqwest's error for a request to `url` that had `timeout`.
    pub fn from_reqwest(e: &reqwest::Error, url: &str, timeout: Duration) -> Self {
        let url = url.to_owned();
        let detail = chain(e);
        if e.is_timeout() {
            Self::Timeout {
                url,
                timeout,
                detail,
            }
        } else if e.is_connect() {
            Self::Connect { url, detail }
        } else if e.is_body() || e.is_decode() {
            Self::Body { url, detail }
        } else {
            Self::Request { url, detail }
        }
    }

    /// The kind the agent's retry policy sees: all are retried, a
    /// connection nothing accepted only a few times
    /// ([`ModelErrorKind::Unreachable`]: the server is down or the URL wrong).
    pub fn kind(&self) -> ModelErrorKind {
        match self {
            Self::StreamBroke { .. } => ModelErrorKind::Stream,
            Self::Connect { .. } => ModelErrorKind::Unreachable,
            _ => ModelErrorKind::Network,
        }
    }
}

impl From<TransportError> for ModelError {
    fn from(e: TransportError) -> Self {
        ModelError::new(e.kind(), e.to_string())
    }
}

/// The error for a request to `url` that got no HTTP answer: a
/// [`TransportError`] as the [`ModelError`] the agent sees.
pub fn from_transport(e: &reqwest::Error, url: &str, timeout: Duration) -> ModelError {
    TransportError::from_reqwest(e, url, timeout).into()
}

/// `error` tagged with `request_id`, unless it already names one (the
/// body's own id is the more precise).
pub fn tag(error: ModelError, request_id: Option<&str>) -> ModelError {
    match request_id {
        Some(id) if error.request_id.is_none() => error.with_request_id(id),
        _ => error,
    }
}

/// An API key that cannot be sent in an HTTP header. The key is never
/// echoed; each client turns this into its own configuration error, which
/// names the variable to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the API key holds characters an HTTP header cannot carry (quotes, spaces or line breaks?)"
)]
pub struct InvalidApiKey;

/// An error and its sources, joined: reqwest's own message is terse
/// ("error sending request"), the cause ("connection refused") is below it.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("inner")]
    struct Inner;

    #[test]
    fn tags_keep_the_more_precise_id() {
        let e = tag(ModelError::protocol("x"), Some("req_1"));
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
        let e = tag(e, Some("req_2"));
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
        assert_eq!(tag(ModelError::protocol("x"), None).request_id, None);
    }

    #[test]
    fn chains_join_causes_once() {
        assert_eq!(chain(&Outer(Inner)), "outer: inner");
    }

    #[test]
    fn transport_errors_are_retryable_and_name_the_url() {
        let e: ModelError = TransportError::Connect {
            url: "http://127.0.0.1:9/v1/messages".into(),
            detail: "connection refused".into(),
        }
        .into();
        assert_eq!(e.kind, ModelErrorKind::Unreachable);
        assert!(e.is_retryable());
        assert_eq!(
            e.message,
            "could not connect to http://127.0.0.1:9/v1/messages: connection refused"
        );
        let e: ModelError = TransportError::StreamBroke {
            url: "u".into(),
            detail: "reset".into(),
        }
        .into();
        assert_eq!(e.kind, ModelErrorKind::Stream);
        assert!(e.is_retryable());
    }
}
