//! One model turn's attempts: the retry loop's [`Operation`] for model
//! calls, streamed or not, each attempt told as events.

use std::future::Future;
use std::time::Duration;

use std::sync::Arc;

use futures::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Agent;
use super::eager::{EagerStart, Started};
use super::event::EventLog;
use crate::retry::{Operation, Verdict};
use crate::{
    CallObserver, EventKind, ModelError, ModelEvent, ModelRequest, ModelResponse, StreamAccumulator,
};

/// The request of turn `iteration`, sent once per attempt.
pub(super) struct ModelCall<'r> {
    pub agent: &'r Agent,
    pub log: Arc<EventLog>,
    /// Hears of each call started early (the event log, and the session
    /// journal when there is one).
    pub observer: Arc<dyn CallObserver>,
    pub request: ModelRequest,
    /// The run's hooks and approvals, for calls started early.
    pub gate: Option<Arc<crate::hooks::Gate>>,
    pub iteration: u32,
    /// The run's token: calls started early are cancelled with the run.
    pub cancel: CancellationToken,
    /// The run's span: calls started early are traced under it, beside
    /// this turn's `chat` span rather than inside it.
    pub run_span: tracing::Span,
    /// The tools of this turn, for calls started early.
    pub tools: Arc<tool_api::ToolRegistry>,
    /// Attempts of this turn that found nothing accepting the connection:
    /// at [`crate::UNREACHABLE_ATTEMPTS`] the turn gives up.
    pub unreachable: u32,
}

/// A model turn's answer, and the tool calls already started from it.
pub(super) struct Thought<'r> {
    pub response: ModelResponse,
    /// Calls started while the answer streamed in (eager start).
    pub early: Option<Started<'r>>,
}

impl<'r> ModelCall<'r> {
    /// One attempt: streamed (text deltas become events, complete tool
    /// calls start at once unless eager start is off) or not.
    async fn send(&self) -> Result<Thought<'r>, ModelError> {
        if !self.agent.streaming {
            let response = self.agent.backend.converse(&self.request).await?;
            return Ok(Thought {
                response,
                early: None,
            });
        }
        let start = Instant::now();
        let mut eager = self.agent.eager.then(|| {
            EagerStart::new(
                self.agent,
                Arc::clone(&self.tools),
                &self.cancel,
                self.observer.clone(),
                self.gate.clone(),
            )
            .with_host(self.log.clone())
            .traced_under(self.run_span.clone())
        });
        let mut stream = self.agent.backend.converse_stream(&self.request);
        let mut acc = StreamAccumulator::default();
        let streamed: Result<(), ModelError> = async {
            while let Some(event) = stream.next().await {
                let event = event?;
                match &event {
                    ModelEvent::TextDelta { text, .. } => self.log.emit(EventKind::TextDelta {
                        iteration: self.iteration,
                        text: text.clone(),
                    }),
                    ModelEvent::ReasoningDelta { text, .. } => {
                        self.log.emit(EventKind::ReasoningDelta {
                            iteration: self.iteration,
                            text: text.clone(),
                        })
                    }
                    _ => {}
                }
                // Before `push`, which takes the event: a `BlockStop` adds
                // nothing, so the block is already whole in `acc`.
                if let Some(eager) = eager.as_mut() {
                    eager.saw(&event, &mut acc);
                }
                acc.push(event)?;
            }
            Ok(())
        }
        .await;
        let early = eager.and_then(EagerStart::into_started);
        let response = streamed.and_then(|()| acc.finish(start.elapsed()));
        match response {
            Ok(response) => Ok(Thought { response, early }),
            Err(e) => {
                // The attempt failed: its calls are not the model's last
                // word. Cancelled (each ends with an event) before the error
                // goes to the retry loop.
                if let Some(early) = early {
                    early.cancel().await;
                }
                Err(e)
            }
        }
    }
}

/// Throttling and transient faults are tried again (no sooner than the
/// provider's hint), a server that refuses connections only
/// [`crate::UNREACHABLE_ATTEMPTS`] times; every other kind of error ends
/// the turn.
impl<'r> Operation for ModelCall<'r> {
    type Output = Thought<'r>;
    type Error = ModelError;

    fn attempt(
        &mut self,
        attempt: u32,
    ) -> impl Future<Output = Result<Thought<'r>, ModelError>> + Send {
        let iteration = self.iteration;
        self.log
            .emit(EventKind::ModelCallStarted { iteration, attempt });
        let start = Instant::now();
        let this = &*self;
        async move {
            let thought = this.send().await?;
            let response = &thought.response;
            this.log.emit(EventKind::ModelCallFinished {
                iteration,
                attempt,
                stop_reason: response.stop_reason.clone(),
                usage: response.usage,
                elapsed: start.elapsed(),
            });
            Ok(thought)
        }
    }

    fn classify(&self, error: &ModelError) -> Verdict {
        let down = error.kind == crate::ModelErrorKind::Unreachable;
        if down && self.unreachable + 1 >= crate::UNREACHABLE_ATTEMPTS {
            Verdict::Final
        } else if error.is_retryable() {
            Verdict::Transient {
                retry_after: error.retry_after,
            }
        } else {
            Verdict::Final
        }
    }

    fn failed(&mut self, attempt: u32, error: &ModelError, retry_in: Option<Duration>) {
        if error.kind == crate::ModelErrorKind::Unreachable {
            self.unreachable += 1;
        }
        crate::telemetry::chat_attempt_failed(attempt, error, retry_in);
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
