//! [`ToolContext`]: what the host tells a tool about the call it is serving.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::{Progress, ProgressSink, Stall};

/// Per-call facts: the call's id, which attempt this is, its deadline, a
/// cancellation token that fires when the host stops waiting, and where
/// progress reports go ([`ToolContext::progress`]).
///
/// Cheap to clone: the token and the sink are shared, not copied.
#[derive(Clone)]
pub struct ToolContext {
    call_id: String,
    attempt: u32,
    deadline: Option<Instant>,
    cancellation: CancellationToken,
    progress: Option<Arc<dyn ProgressSink>>,
}

impl fmt::Debug for ToolContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolContext")
            .field("call_id", &self.call_id)
            .field("attempt", &self.attempt)
            .field("deadline", &self.deadline)
            .field("cancellation", &self.cancellation)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl ToolContext {
    /// A context for the call `call_id`: first attempt, no deadline, a fresh token.
    pub fn new(call_id: impl Into<String>) -> Self {
        Self {
            call_id: call_id.into(),
            attempt: 1,
            deadline: None,
            cancellation: CancellationToken::new(),
            progress: None,
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

    /// This context with `sink` receiving the call's progress reports.
    pub fn with_progress_sink(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.progress = Some(sink);
        self
    }

    /// Reports how far the call has got: `progress` out of `total` (if
    /// known), with an optional `message` for a person watching. The agent
    /// shows it in its live view and as a `tool_call_progress` event.
    ///
    /// Does nothing when the host takes no reports (no sink set), so a tool
    /// may report freely. A plugin tool's reports cross the plugin ABI
    /// (`call_with_notify`) to the host's sink.
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) {
        if let Some(sink) = &self.progress {
            sink.report(Progress {
                progress,
                total,
                message,
            });
        }
    }

    /// Reports that this call was handed to the runtime that runs it (a
    /// plugin's) but has not started there, held up by another call (see
    /// [`Stall`]). For tool adapters such as the plugin host, not for tools
    /// themselves; does nothing without a sink.
    pub fn stalled(&self, stall: Stall) {
        if let Some(sink) = &self.progress {
            sink.stalled(stall);
        }
    }

    /// Where this call's progress reports go, if anywhere: for an adapter
    /// that wraps the sink (renaming what it reports).
    pub fn progress_sink(&self) -> Option<&Arc<dyn ProgressSink>> {
        self.progress.as_ref()
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Collect(Mutex<Vec<Progress>>);

    impl ProgressSink for Collect {
        fn report(&self, progress: Progress) {
            if let Ok(mut all) = self.0.lock() {
                all.push(progress);
            }
        }
    }

    #[test]
    fn progress_reaches_the_sink_in_order_and_is_a_no_op_without_one() {
        ToolContext::new("c1").progress(1.0, None, None);
        let sink = Arc::new(Collect::default());
        let ctx = ToolContext::new("c1").with_progress_sink(sink.clone());
        ctx.clone().progress(1.0, Some(3.0), Some("one".into()));
        ctx.progress(2.0, Some(3.0), None);
        let all = sink.0.lock().map(|a| a.clone()).unwrap_or_default();
        assert_eq!(
            all,
            vec![
                Progress {
                    progress: 1.0,
                    total: Some(3.0),
                    message: Some("one".into())
                },
                Progress {
                    progress: 2.0,
                    total: Some(3.0),
                    message: None
                },
            ]
        );
    }
}
