//! [`ToolContext`]: what the host tells a tool about the call it is serving.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// Per-call facts: the call's id, which attempt this is, its deadline, and a
/// cancellation token that fires when the host stops waiting.
///
/// Cheap to clone: the token is shared, not copied.
#[derive(Debug, Clone)]
pub struct ToolContext {
    call_id: String,
    attempt: u32,
    deadline: Option<Instant>,
    cancellation: CancellationToken,
}

impl ToolContext {
    /// A context for the call `call_id`: first attempt, no deadline, a fresh token.
    pub fn new(call_id: impl Into<String>) -> Self {
        Self {
            call_id: call_id.into(),
            attempt: 1,
            deadline: None,
            cancellation: CancellationToken::new(),
        }
    }

    /// This context for attempt `attempt` (1-based).
    pub fn with_attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// This context with a deadline.
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// This context with the given cancellation token.
    pub fn with_cancellation(mut self, token: CancellationToken) -> Self {
        self.cancellation = token;
        self
    }

    /// The model's id for this call (the `toolUseId`).
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Which attempt this is, starting at 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// When the host stops waiting for this attempt, if it has a timeout.
    ///
    /// Measured on the host's clock (tokio's, under a paused test clock).
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Time left before the deadline, if there is one (zero once it passed).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The token that fires when the call is cancelled or times out.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancellation
    }

    /// Whether the host has stopped waiting for this call.
    pub fn is_cancelled(&self) -> bool {
        self.cancellation.is_cancelled()
    }
}
