//! One model turn's attempts: the retry loop's [`Operation`] for model
//! calls, streamed or not, each attempt told as events.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use super::Agent;
use super::event::EventLog;
use crate::retry::{Operation, Verdict};
use crate::{EventKind, ModelError, ModelEvent, ModelRequest, ModelResponse, StreamAccumulator};

/// The request of turn `iteration`, sent once per attempt.
pub(super) struct ModelCall<'r> {
    pub agent: &'r Agent,
    pub log: &'r EventLog,
    pub request: ModelRequest,
    pub iteration: u32,
}

impl ModelCall<'_> {
    /// One attempt: streamed (text deltas become events) or not.
    async fn send(&self) -> Result<ModelResponse, ModelError> {
        if !self.agent.streaming {
            return self.agent.backend.converse(&self.request).await;
        }
        let start = Instant::now();
        let mut stream = self.agent.backend.converse_stream(&self.request);
        let mut acc = StreamAccumulator::default();
        while let Some(event) = stream.next().await {
            let event = event?;
            if let ModelEvent::TextDelta { text, .. } = &event {
                self.log.emit(EventKind::TextDelta {
                    iteration: self.iteration,
                    text: text.clone(),
                });
            }
            acc.push(event)?;
        }
        acc.finish(start.elapsed())
    }
}

/// Throttling and transient faults are tried again (no sooner than the
/// provider's hint); every other kind of error ends the turn.
impl Operation for ModelCall<'_> {
    type Output = ModelResponse;
    type Error = ModelError;

    fn attempt(
        &mut self,
        attempt: u32,
    ) -> impl Future<Output = Result<ModelResponse, ModelError>> + Send {
        let iteration = self.iteration;
        self.log
            .emit(EventKind::ModelCallStarted { iteration, attempt });
        let start = Instant::now();
        let this = &*self;
        async move {
            let response = this.send().await?;
            this.log.emit(EventKind::ModelCallFinished {
                iteration,
                attempt,
                stop_reason: response.stop_reason.clone(),
                usage: response.usage,
                elapsed: start.elapsed(),
            });
            Ok(response)
        }
    }

    fn classify(&self, error: &ModelError) -> Verdict {
        if error.is_retryable() {
            Verdict::Transient {
                retry_after: error.retry_after,
            }
        } else {
            Verdict::Final
        }
    }

    fn failed(&mut self, attempt: u32, error: &ModelError, retry_in: Option<Duration>) {
        self.log.emit(EventKind::ModelCallFailed {
            iteration: self.iteration,
            attempt,
            kind: error.kind,
            error: error.to_string(),
            retry_in,
            retry_after: error.retry_after,
        });
        if let Some(delay) = retry_in {
            tracing::debug!(attempt, ?delay, error = %error, "model call failed; retrying");
        }
    }
}
