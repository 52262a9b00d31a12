//! [`ModelError`]: why a model call failed, and whether a retry may help.

use std::fmt;
use std::time::Duration;

/// How many attempts a model turn makes while nothing accepts the
/// connection ([`ModelErrorKind::Unreachable`]): a server that is down
/// stays down for the next second, and waiting out the model retry policy
/// (made for throttling: up to 100 attempts) would only delay the message
/// that says to start it.
pub const UNREACHABLE_ATTEMPTS: u32 = 3;

/// The kind of a model failure; decides whether the agent retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelErrorKind {
    /// The service is throttling (HTTP 429). Retried with backoff.
    Throttled,
    /// A transient service fault: 5xx, model not ready, model timeout. Retried.
    Unavailable,
    /// The response stream broke or carried an error event. Retried.
    Stream,
    /// The service could not be reached or the connection dropped. Retried.
    Network,
    /// Nothing accepted the connection (refused, no such host): the server
    /// is not running or the address is wrong. Not throttling, so retried
    /// only a few times ([`crate::UNREACHABLE_ATTEMPTS`]), whatever the
    /// retry policy allows for other transient faults.
    Unreachable,
    /// The request was refused as invalid. Not retried.
    Validation,
    /// Access denied: the credentials lack permission. Not retried.
    Auth,
    /// No credentials could be found or loaded. Not retried.
    Credentials,
    /// The model id is unknown or not enabled. Not retried.
    ModelNotFound,
    /// A service quota is exhausted (not a rate limit). Not retried.
    QuotaExceeded,
    /// The conversation no longer fits the model's context window. Not retried.
    ContextOverflow,
    /// The response could not be understood. Not retried.
    Protocol,
    /// The backend does not offer the operation asked (counting tokens on a
    /// service without a counting API, say). Not retried.
    Unsupported,
    /// The request breaks a rule of the service, found before sending it
    /// (see [`crate::model::constraints`]). Not retried.
    InvalidRequest,
    /// Anything else. Not retried.
    Other,
}

impl ModelErrorKind {
    /// Whether a later attempt of the same request may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Throttled | Self::Unavailable | Self::Stream | Self::Network | Self::Unreachable
        )
    }

    fn label(self) -> &'static str {
        match self {
            Self::Throttled => "the model service is throttling requests",
            Self::Unavailable => "the model service is temporarily unavailable",
            Self::Stream => "the response stream failed",
            Self::Network => "could not reach the model service",
            Self::Unreachable => {
                "could not connect to the model service (check that the server is running and \
                 the endpoint URL is right)"
            }
            Self::Validation => "the model service refused the request",
            Self::Auth => "access denied by the model service",
            Self::Credentials => "no usable credentials",
            Self::ModelNotFound => "unknown or unavailable model",
            Self::QuotaExceeded => "a service quota is exhausted",
            Self::ContextOverflow => "the conversation is too long for the model's context window",
            Self::Protocol => "the model service's response could not be understood",
            Self::Unsupported => "the backend does not support this operation",
            Self::InvalidRequest => {
                "the request was not sent: it breaks a rule of the model service"
            }
            Self::Other => "the model call failed",
        }
    }
}

/// A failed model call: its kind, the provider's own message, and the
/// request id the provider gave (quote it to their support).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ModelError {
    /// What kind of failure.
    pub kind: ModelErrorKind,
    /// The provider's message, kept as it was sent.
    pub message: String,
    /// The provider's request id, if it sent one.
    pub request_id: Option<String>,
    /// How long the provider asked callers to wait, if it said.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind.label())?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl ModelError {
    /// An error of `kind` with the provider's `message`.
    pub fn new(kind: ModelErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            request_id: None,
            retry_after: None,
        }
    }

    /// This error with the provider's request id.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.request_id = (!id.is_empty()).then_some(id);
        self
    }

    /// This error with a retry hint.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// Throttling.
    pub fn throttled(message: impl Into<String>) -> Self {
        Self::new(ModelErrorKind::Throttled, message)
    }

    /// A transient service fault.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ModelErrorKind::Unavailable, message)
    }

    /// A broken stream.
    pub fn stream(message: impl Into<String>) -> Self {
        Self::new(ModelErrorKind::Stream, message)
    }

    /// A server nothing answers at (connection refused, unknown host).
    pub fn unreachable(message: impl Into<String>) -> Self {
        Self::new(ModelErrorKind::Unreachable, message)
    }

    /// A refused request.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ModelErrorKind::Validation, message)
    }

    /// A response that could not be understood.
    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(ModelErrorKind::Protocol, message)
    }

    /// An operation this backend does not offer.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ModelErrorKind::Unsupported, message)
    }

    /// Whether a later attempt of the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_provider_message_and_request_id() {
        let e = ModelError::validation("messages.1.content: bad").with_request_id("abc-123");
        assert_eq!(
            e.to_string(),
            "the model service refused the request: messages.1.content: bad (request id abc-123)"
        );
        assert!(!e.is_retryable());
        assert!(ModelError::throttled("slow down").is_retryable());
        assert_eq!(ModelError::stream("x").with_request_id("").request_id, None);
    }
}
