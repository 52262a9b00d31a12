//! One run of the loop: think, execute tools, think again, answer.

use std::sync::Arc;

use futures::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::event::EventLog;
use super::metrics::{BatchMetrics, TurnMetrics};
use super::{
    Agent, AgentError, AgentErrorKind, AgentRun, AgentState, Conversation, EventKind, RunMetrics,
    RunOptions,
};
use crate::{
    ContentBlock, ModelError, ModelEvent, ModelRequest, ModelResponse, StopReason,
    StreamAccumulator,
};

pub(super) struct Run<'a> {
    agent: &'a Agent,
    conversation: &'a mut Conversation,
    cancel: CancellationToken,
    log: Arc<EventLog>,
    state: AgentState,
    metrics: RunMetrics,
}

enum Stop {
    MaxIterations(u32),
    Model(ModelError),
    Cancelled,
}

impl<'a> Run<'a> {
    pub fn new(agent: &'a Agent, conversation: &'a mut Conversation, options: RunOptions) -> Self {
        Self {
            agent,
            conversation,
            cancel: options.cancel.unwrap_or_default(),
            log: Arc::new(EventLog::new(options.events)),
            state: AgentState::Idle,
            metrics: RunMetrics::default(),
        }
    }

    pub async fn go(mut self, prompt: &str) -> Result<AgentRun, AgentError> {
        self.conversation.push_user_text(prompt);
        self.move_to(AgentState::Thinking);
        match self.turns().await {
            Ok((answer, stop_reason)) => {
                self.move_to(AgentState::Responding);
                self.move_to(AgentState::Completed);
                Ok(self.finish(answer, Some(stop_reason)))
            }
            Err(stop) => {
                self.move_to(AgentState::Error);
                let kind = match stop {
                    Stop::MaxIterations(limit) => AgentErrorKind::MaxIterations { limit },
                    Stop::Model(e) => AgentErrorKind::Model(e),
                    Stop::Cancelled => AgentErrorKind::Cancelled,
                };
                Err(AgentError {
                    kind,
                    run: Box::new(self.finish(String::new(), None)),
                })
            }
        }
    }

    /// Model turns until an answer, each followed by its tool batch.
    async fn turns(&mut self) -> Result<(String, StopReason), Stop> {
        let max = self.agent.max_iterations;
        for iteration in 1..=max {
            self.log.set_iteration(iteration);
            let response = self.think(iteration).await?;
            let mut message = response.message;
            let has_calls = message.tool_uses().next().is_some();
            if response.stop_reason == StopReason::MaxTokens || !has_calls {
                // A call cut off by max_tokens has incomplete input: it is not
                // run, and not kept, so the conversation stays valid.
                message
                    .content
                    .retain(|b| !matches!(b, ContentBlock::ToolUse(_)));
                let answer = message.text();
                if !message.content.is_empty() {
                    self.conversation.push(message);
                }
                return Ok((answer, response.stop_reason));
            }
            let calls: Vec<_> = message.tool_uses().cloned().collect();
            self.conversation.push(message);
            self.move_to(AgentState::ExecutingTools);
            let batch_start = Instant::now();
            let observer: Arc<dyn crate::CallObserver> = self.log.clone();
            let outcomes = self
                .agent
                .executor
                .execute(&self.agent.tools, &calls, &self.cancel, observer)
                .await;
            let batch = BatchMetrics::from_outcomes(batch_start.elapsed(), &outcomes);
            self.metrics.tool_time += batch.wall;
            self.metrics.sequential_tool_time += batch.sequential;
            self.metrics.tool_calls += outcomes.len() as u32;
            if let Some(turn) = self.metrics.turns.last_mut() {
                turn.tools = Some(batch);
            }
            // Every result of the turn, in call order, in ONE user message.
            self.conversation.push(crate::Message {
                role: crate::Role::User,
                content: outcomes
                    .into_iter()
                    .map(|o| ContentBlock::ToolResult(o.result))
                    .collect(),
            });
            if self.cancel.is_cancelled() {
                return Err(Stop::Cancelled);
            }
            self.move_to(AgentState::Thinking);
        }
        Err(Stop::MaxIterations(max))
    }

    /// One model turn, retried by the agent's policy.
    async fn think(&mut self, iteration: u32) -> Result<ModelResponse, Stop> {
        let request = ModelRequest {
            system: self.agent.system.clone(),
            messages: self.conversation.messages().to_vec(),
            tools: self.agent.specs.as_ref().clone(),
            inference: self.agent.inference.clone(),
        };
        let turn_start = Instant::now();
        let mut attempt = 1;
        let result = loop {
            self.log
                .emit(EventKind::ModelCallStarted { iteration, attempt });
            self.metrics.model_calls += 1;
            let call_start = Instant::now();
            let result = tokio::select! {
                biased;
                () = self.cancel.cancelled() => break Err(Stop::Cancelled),
                r = self.call_model(&request, iteration) => r,
            };
            match result {
                Ok(response) => {
                    self.log.emit(EventKind::ModelCallFinished {
                        iteration,
                        attempt,
                        stop_reason: response.stop_reason.clone(),
                        usage: response.usage,
                        elapsed: call_start.elapsed(),
                    });
                    break Ok(response);
                }
                Err(e) => {
                    let retry_in = if e.is_retryable() {
                        self.agent.model_retry.next_delay(attempt, e.retry_after)
                    } else {
                        None
                    };
                    self.log.emit(EventKind::ModelCallFailed {
                        iteration,
                        attempt,
                        kind: e.kind,
                        error: e.to_string(),
                        retry_in,
                    });
                    let Some(delay) = retry_in else {
                        break Err(Stop::Model(e));
                    };
                    tracing::debug!(attempt, ?delay, error = %e, "model call failed; retrying");
                    tokio::select! {
                        biased;
                        () = self.cancel.cancelled() => break Err(Stop::Cancelled),
                        () = tokio::time::sleep(delay) => {}
                    }
                    attempt += 1;
                }
            }
        };
        let model_time = turn_start.elapsed();
        self.metrics.model_time += model_time;
        self.metrics.iterations = iteration;
        let usage = result.as_ref().map(|r| r.usage).unwrap_or_default();
        self.metrics.usage += usage;
        self.metrics.turns.push(TurnMetrics {
            iteration,
            model_time,
            model_attempts: attempt,
            usage,
            tools: None,
        });
        result
    }

    /// One attempt: streamed (text deltas become events) or not.
    async fn call_model(
        &self,
        request: &ModelRequest,
        iteration: u32,
    ) -> Result<ModelResponse, ModelError> {
        if !self.agent.streaming {
            return self.agent.backend.converse(request).await;
        }
        let start = Instant::now();
        let mut stream = self.agent.backend.converse_stream(request);
        let mut acc = StreamAccumulator::default();
        while let Some(event) = stream.next().await {
            let event = event?;
            if let ModelEvent::TextDelta { text, .. } = &event {
                self.log.emit(EventKind::TextDelta {
                    iteration,
                    text: text.clone(),
                });
            }
            acc.push(event)?;
        }
        acc.finish(start.elapsed())
    }

    fn move_to(&mut self, to: AgentState) {
        if !self.state.can_move_to(to) {
            // A bug in this loop, never the caller's doing: log, don't panic.
            tracing::error!(from = ?self.state, ?to, "illegal agent state transition");
        }
        self.log.emit(EventKind::State {
            from: self.state,
            to,
        });
        self.state = to;
    }

    fn finish(mut self, answer: String, stop_reason: Option<StopReason>) -> AgentRun {
        self.metrics.wall = self.log.start().elapsed();
        AgentRun {
            answer,
            stop_reason,
            messages: self.conversation.messages().to_vec(),
            events: self.log.take(),
            metrics: self.metrics,
        }
    }
}
