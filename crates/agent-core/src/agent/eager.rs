//! Eager start: a streamed model attempt starts each tool call as soon as
//! the stream has moved past its block, while the model is still writing
//! the rest of its message.
//!
//! # Contract
//!
//! - A tool-use block starts once it is complete (its `BlockStop` came and
//!   its input is a JSON object) **and** the stream went on past it: the
//!   next block opened, or the message stopped for a reason other than
//!   `max_tokens`. A block cut off by `max_tokens` is always the last one,
//!   so it never runs; calls before it may have started and are cancelled,
//!   as a cut message's calls are never answered.
//! - The calls of a failed attempt (a broken stream, a throttle mid-stream)
//!   are cancelled before the attempt reports its error, and each ends with
//!   a `cancelled` event. The retried attempt starts its own calls afresh,
//!   even identical ones: a result is never carried from one attempt to
//!   another, so what the model reads always comes from calls of the
//!   message it wrote.
//! - A cancelled run or a dropped attempt drops its batch, which stops its
//!   calls at once (see [`crate::executor::Batch`]).
//! - Results still go back in call order, in one message: the turn's batch
//!   is finished by the loop, which starts the calls not yet started.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::executor::Batch;
use crate::{CallObserver, ModelEvent, StopReason, StreamAccumulator, ToolUse};

use super::Agent;
use super::event::EventLog;

/// Calls started from one streamed attempt, in the order of the message.
pub(super) struct Started<'a> {
    /// Their batch, to finish with the rest of the turn's calls.
    pub batch: Batch<'a>,
    /// The calls started, in order.
    pub calls: Vec<ToolUse>,
}

impl Started<'_> {
    /// Cancels the calls and waits for them to end.
    pub async fn cancel(self) {
        self.batch.cancel(&self.calls).await;
    }
}

/// Follows one attempt's stream and starts calls from it.
pub(super) struct EagerStart<'a> {
    agent: &'a Agent,
    tools: Arc<tool_api::ToolRegistry>,
    cancel: CancellationToken,
    observer: Arc<dyn CallObserver>,
    gate: Option<Arc<crate::hooks::Gate>>,
    /// The run's event log, the calls' host context (sub-agents' events).
    host: Option<Arc<EventLog>>,
    /// A complete block that starts once the stream moves past it.
    held: Option<(usize, ToolUse)>,
    started: Option<Started<'a>>,
    /// The span the calls' spans go under (the run's).
    span: Option<tracing::Span>,
}

impl<'a> EagerStart<'a> {
    pub fn new(
        agent: &'a Agent,
        tools: Arc<tool_api::ToolRegistry>,
        cancel: &CancellationToken,
        observer: Arc<dyn CallObserver>,
        gate: Option<Arc<crate::hooks::Gate>>,
    ) -> Self {
        Self {
            agent,
            tools,
            cancel: cancel.clone(),
            observer,
            gate,
            host: None,
            held: None,
            started: None,
            span: None,
        }
    }

    /// Traces the calls it starts under `span` rather than the span
    /// current when the first starts (the attempt's `chat` span).
    pub fn traced_under(mut self, span: tracing::Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Gives the calls started `log` as their host context.
    pub fn with_host(mut self, log: Arc<EventLog>) -> Self {
        self.host = Some(log);
        self
    }

    /// Sees `event`, before `acc` takes it (`acc` holds every block the
    /// event may complete: a `BlockStop` adds nothing).
    pub fn saw(&mut self, event: &ModelEvent, acc: &mut StreamAccumulator) {
        match event {
            ModelEvent::BlockStop { index } => {
                if let Some(call) = acc.tool_use(*index) {
                    self.release();
                    self.held = Some((*index, call));
                }
            }
            ModelEvent::ToolUseStart { index, .. }
            | ModelEvent::TextDelta { index, .. }
            | ModelEvent::ReasoningDelta { index, .. }
            | ModelEvent::ReasoningSignature { index, .. }
            | ModelEvent::RedactedReasoning { index, .. }
            | ModelEvent::ToolInputDelta { index, .. } => {
                if self.held.as_ref().is_some_and(|(held, _)| held != index) {
                    self.release();
                }
            }
            ModelEvent::MessageStop { stop_reason } => {
                if *stop_reason == StopReason::MaxTokens {
                    self.held = None;
                } else {
                    self.release();
                }
            }
            ModelEvent::MessageStart
            | ModelEvent::Metadata { .. }
            | ModelEvent::ModelFields { .. } => {}
        }
    }

    fn release(&mut self) {
        let Some((_, call)) = self.held.take() else {
            return;
        };
        let span = &self.span;
        let gate = &self.gate;
        let host = &self.host;
        let started = self.started.get_or_insert_with(|| {
            let mut batch = self
                .agent
                .executor
                .batch_shared(Arc::clone(&self.tools), &self.cancel, self.observer.clone())
                .with_gate(gate.clone())
                .with_host(host.clone().map(|h| h as _));
            if let Some(span) = span {
                batch.trace_under(span.clone());
            }
            Started {
                batch,
                calls: Vec::new(),
            }
        });
        started.batch.start(&call);
        started.calls.push(call);
    }

    /// The calls started, if any.
    pub fn into_started(self) -> Option<Started<'a>> {
        self.started
    }
}
