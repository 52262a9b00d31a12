//! What a backend author provides to run the conformance suite: a
//! [`Harness`] that starts a local server (or an in-process model) playing a
//! [`Setup`], and returns a [`Target`]: a backend pointed at it and a way to
//! read back the requests it received.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use agent_core::{ModelBackend, ModelError, ModelErrorKind, ModelRequest};
use async_trait::async_trait;

use crate::scenario::Scenario;

/// The error a [`Harness`] may fail with (a server that cannot start, say).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A fault the server plays instead of its next answer, as the real service
/// would send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Throttling (HTTP 429), with the provider's `retry-after` hint if set.
    /// The backend must report [`ModelErrorKind::Throttled`] and carry the
    /// hint in [`ModelError::retry_after`].
    Throttle {
        /// The hint the server sends (`retry-after`), if any.
        retry_after: Option<Duration>,
    },
    /// A transient server fault (a 5xx; Anthropic's 529 overloaded). The
    /// backend must report [`ModelErrorKind::Unavailable`].
    Unavailable,
    /// The response starts, then the connection breaks midway. The backend
    /// must report a retryable error ([`ModelErrorKind::Stream`] or
    /// [`ModelErrorKind::Network`]), never a partial response.
    CutStream,
    /// A refusal that retrying cannot fix (an HTTP 400). The backend must
    /// report [`ModelErrorKind::Validation`].
    Reject,
}

impl Fault {
    /// The error kinds a backend may report for this fault.
    pub fn expected_kinds(&self) -> &'static [ModelErrorKind] {
        match self {
            Self::Throttle { .. } => &[ModelErrorKind::Throttled],
            Self::Unavailable => &[ModelErrorKind::Unavailable],
            Self::CutStream => &[ModelErrorKind::Stream, ModelErrorKind::Network],
            Self::Reject => &[ModelErrorKind::Validation],
        }
    }

    /// The error an in-process backend (one without a server, such as
    /// [`crate::ScriptedBackend`]) fails with for this fault.
    pub fn to_model_error(&self) -> ModelError {
        match self {
            Self::Throttle { retry_after } => {
                let e = ModelError::throttled("Too many requests (injected)");
                match retry_after {
                    Some(after) => e.with_retry_after(*after),
                    None => e,
                }
            }
            Self::Unavailable => ModelError::unavailable("Service unavailable (injected)"),
            Self::CutStream => ModelError::stream("the stream was cut midway (injected)"),
            Self::Reject => ModelError::validation("The request was refused (injected)"),
        }
    }
}

/// What one conformance case needs from the server.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// The scenarios to play (see [`crate::select`] and
    /// [`Scenario::respond`]).
    pub scenarios: Vec<Scenario>,
    /// Faults played, in order, instead of the answers to the first requests
    /// (one request each); then the scenarios play on.
    pub faults: Vec<Fault>,
}

/// A backend pointed at a started server, and a way to read what the server
/// received.
pub struct Target {
    backend: Arc<dyn ModelBackend>,
    requests: Box<dyn Fn() -> Vec<ModelRequest> + Send + Sync>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

impl Target {
    /// `backend`, and `requests`: every request the server received so far,
    /// in arrival order (those answered with a fault included), converted
    /// from the wire back to core types.
    ///
    /// Whatever must live as long as the case (the server's handle) is
    /// captured by the `requests` closure; it is dropped when the case ends.
    pub fn new(
        backend: Arc<dyn ModelBackend>,
        requests: impl Fn() -> Vec<ModelRequest> + Send + Sync + 'static,
    ) -> Self {
        Self {
            backend,
            requests: Box::new(requests),
        }
    }

    /// The backend under test.
    pub fn backend(&self) -> Arc<dyn ModelBackend> {
        self.backend.clone()
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<ModelRequest> {
        (self.requests)()
    }
}

/// Starts what a case runs against. Implemented once per backend.
///
/// # Contract
///
/// - Every call starts a fresh server (or model) that plays `setup`: the
///   faults first, one request each, then the scenarios; nothing is shared
///   between calls.
/// - The server checks requests as the real service does and answers as it
///   would; requests it refuses are recorded too.
/// - Nothing reaches the internet: bind to 127.0.0.1.
#[async_trait]
pub trait Harness: Send + Sync {
    /// Starts a server playing `setup` and returns a backend pointed at it.
    async fn start(&self, setup: Setup) -> Result<Target, BoxError>;
}
