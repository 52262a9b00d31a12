//! One run of the loop, as its state diagram reads: think, execute tools,
//! think again, respond (see [`AgentState`]).

use std::sync::Arc;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::eager::Started;
use super::event::EventLog;
use super::metrics::{BatchMetrics, TurnMetrics};
use super::model_call::{ModelCall, Thought};
use super::{
    Agent, AgentError, AgentErrorKind, AgentRun, AgentState, Conversation, EventKind, RunMetrics,
    RunOptions,
};
use crate::retry::{self, Retried, Stopped};
use crate::session::Journaling;
use crate::{
    CallObserver, ContentBlock, Message, ModelError, ModelRequest, Role, StopReason, ToolUse,
};

pub(super) struct Run<'a> {
    pub(super) agent: &'a Agent,
    pub(super) conversation: &'a mut Conversation,
    pub(super) cancel: CancellationToken,
    pub(super) log: Arc<EventLog>,
    /// Journals messages and, beside the event log, each tool result.
    pub(super) journaling: Arc<Journaling>,
    state: AgentState,
    pub(super) metrics: RunMetrics,
    /// Model turns taken so far.
    pub(super) iteration: u32,
    /// When the last model turn's answer was complete.
    answered: Instant,
    /// The tool choice of the next model call, taken by it: the agent's
    /// on the first call only (structured output may force one again).
    pub(super) tool_choice: Option<crate::ToolChoice>,
    /// The last response's model-specific fields.
    model_fields: Option<serde_json::Value>,
    /// Structured output: the schema and the repairs so far (`structured.rs`).
    pub(super) structured: Option<super::structured::Output>,
}

/// Where the run goes next: the edges of [`AgentState`]'s diagram.
pub(super) enum Next<'a> {
    /// Ask the model (state `Thinking`).
    Think,
    /// Run the calls the model asked for (state `ExecutingTools`), some of
    /// which may have started while its message streamed in.
    ExecuteTools(Vec<ToolUse>, Option<Started<'a>>),
    /// Finish an interrupted batch, `finished` replayed from the journal
    /// (state `ExecutingTools`; see `resume.rs`).
    ResumeTools {
        calls: Vec<ToolUse>,
        finished: Vec<crate::ToolResult>,
    },
    /// The model answered (states `Responding`, then `Completed`).
    Respond {
        answer: String,
        stop_reason: StopReason,
    },
    /// The run ends without an answer (state `Error`).
    Stop(Stop),
}

pub(super) enum Stop {
    MaxIterations(u32),
    Model(ModelError),
    Cancelled,
    Guardrail(String),
    InvalidOutput { attempts: u32, error: String },
}

impl<'a> Run<'a> {
    pub fn new(agent: &'a Agent, conversation: &'a mut Conversation, options: RunOptions) -> Self {
        let log = Arc::new(EventLog::new(options.events));
        Self {
            agent,
            conversation,
            cancel: options.cancel.unwrap_or_default(),
            log: log.clone(),
            journaling: Arc::new(Journaling::new(options.journal, log)),
            state: AgentState::Idle,
            metrics: RunMetrics::default(),
            iteration: 0,
            answered: Instant::now(),
            tool_choice: agent.options.tool_choice.clone(),
            model_fields: None,
            structured: options
                .output
                .or_else(|| agent.options.output.clone())
                .map(super::structured::Output::new),
        }
    }

    /// The state machine: each state is a method that says where to go next.
    pub async fn go(self, prompt: &str) -> Result<AgentRun, AgentError> {
        self.journaling.message(&Message::user(prompt));
        self.conversation.push_user_text(prompt);
        self.drive(Next::Think).await
    }

    /// Runs the state machine from `next` until the run ends.
    pub(super) async fn drive(mut self, mut next: Next<'a>) -> Result<AgentRun, AgentError> {
        loop {
            next = match next {
                Next::Think => {
                    self.move_to(AgentState::Thinking);
                    self.think().await
                }
                Next::ExecuteTools(calls, early) => {
                    self.move_to(AgentState::ExecutingTools);
                    self.execute_tools(&calls, early).await
                }
                Next::ResumeTools { calls, finished } => {
                    self.move_to(AgentState::ExecutingTools);
                    self.resume_tools(calls, finished).await
                }
                Next::Respond {
                    answer,
                    stop_reason,
                } => return Ok(self.respond(answer, stop_reason)),
                Next::Stop(stop) => return Err(self.stop(stop)),
            };
        }
    }

    /// One model turn, retried by the agent's policy: an answer, or tool
    /// calls to run.
    async fn think(&mut self) -> Next<'a> {
        let max = self.agent.max_iterations;
        if self.iteration >= max {
            return Next::Stop(Stop::MaxIterations(max));
        }
        self.iteration += 1;
        let iteration = self.iteration;
        self.log.set_iteration(iteration);
        let agent: &'a Agent = self.agent;
        let mut call = ModelCall {
            agent,
            log: self.log.clone(),
            observer: self.journaling.clone(),
            request: ModelRequest {
                system: agent.system.clone(),
                messages: self.conversation.messages().to_vec(),
                tools: self.request_tools(),
                inference: agent.inference.clone(),
                tool_choice: self.tool_choice.take(),
                ..agent.options.base_request()
            },
            iteration,
            cancel: self.cancel.clone(),
        };
        let turn_start = Instant::now();
        let retried = retry::run(&mut call, agent.model_retry.as_ref(), &self.cancel).await;
        self.record_turn(iteration, turn_start, &retried);
        self.answered = Instant::now();
        let Thought { response, early } = match retried.result {
            Ok(thought) => thought,
            Err(Stopped::Failed(e)) => return Next::Stop(Stop::Model(e)),
            Err(Stopped::Cancelled) => return Next::Stop(Stop::Cancelled),
        };
        self.model_fields = response.model_fields;
        let message = response.message;
        if response.stop_reason == StopReason::GuardrailIntervened {
            return self.guardrail_stop(message, early).await;
        }
        let (mut message, early) = match self
            .structured_turn(message, &response.stop_reason, early)
            .await
        {
            Ok(next) => return next,
            Err(unhandled) => unhandled,
        };
        let has_calls = message.tool_uses().next().is_some();
        if response.stop_reason == StopReason::MaxTokens || !has_calls {
            // Calls of a message cut by max_tokens are not answered: any
            // that started early (complete ones, before the cut) stop.
            if let Some(early) = early {
                early.cancel().await;
            }
            // A call cut off by max_tokens has incomplete input: it is not
            // run, and not kept, so the conversation stays valid.
            message
                .content
                .retain(|b| !matches!(b, ContentBlock::ToolUse(_)));
            let answer = message.text();
            if !message.content.is_empty() {
                self.push(message);
            }
            return Next::Respond {
                answer,
                stop_reason: response.stop_reason,
            };
        }
        let calls = message.tool_uses().cloned().collect();
        self.push(message);
        Next::ExecuteTools(calls, early)
    }

    /// Runs the turn's calls at once and answers each, in call order, in
    /// ONE user message; then the model thinks again, unless cancelled.
    async fn execute_tools(&mut self, calls: &[ToolUse], early: Option<Started<'a>>) -> Next<'a> {
        let mut batch_start = Instant::now();
        let observer: Arc<dyn CallObserver> = self.journaling.clone();
        let outcomes = match early {
            // The calls started early are the message's first calls (they
            // started in the order the stream gave them): the rest join
            // their batch, which answers all of them in call order.
            Some(mut early) if calls.starts_with(&early.calls) => {
                for call in &calls[early.calls.len()..] {
                    early.batch.start(call);
                }
                batch_start = early.batch.started_at();
                early.batch.finish(calls).await
            }
            other => {
                // A stream whose blocks came out of order: start over, in
                // call order, rather than answer calls out of it.
                if let Some(early) = other {
                    early.cancel().await;
                    batch_start = Instant::now();
                }
                self.agent
                    .executor
                    .execute(&self.agent.tools, calls, &self.cancel, observer)
                    .await
            }
        };
        let hidden = self.answered.saturating_duration_since(batch_start);
        let batch = BatchMetrics::from_outcomes(batch_start.elapsed(), hidden, &outcomes);
        self.metrics.tool_time += batch.wall;
        self.metrics.hidden_tool_time += batch.hidden;
        self.metrics.sequential_tool_time += batch.sequential;
        self.metrics.tool_calls += outcomes.len() as u32;
        if let Some(turn) = self.metrics.turns.last_mut() {
            turn.tools = Some(batch);
        }
        self.push(Message {
            role: Role::User,
            content: outcomes
                .into_iter()
                .map(|o| ContentBlock::ToolResult(o.result))
                .collect(),
        });
        if self.cancel.is_cancelled() {
            return Next::Stop(Stop::Cancelled);
        }
        Next::Think
    }

    /// The model answered: wrap the run up.
    fn respond(mut self, answer: String, stop_reason: StopReason) -> AgentRun {
        self.move_to(AgentState::Responding);
        self.move_to(AgentState::Completed);
        self.finish(answer, Some(stop_reason))
    }

    /// The run ends early; what it did so far is kept.
    fn stop(mut self, stop: Stop) -> AgentError {
        self.move_to(AgentState::Error);
        let kind = match stop {
            Stop::MaxIterations(limit) => AgentErrorKind::MaxIterations { limit },
            Stop::Model(e) => AgentErrorKind::Model(e),
            Stop::Cancelled => AgentErrorKind::Cancelled,
            Stop::Guardrail(message) => AgentErrorKind::GuardrailIntervened { message },
            Stop::InvalidOutput { attempts, error } => {
                AgentErrorKind::InvalidOutput { attempts, error }
            }
        };
        AgentError {
            kind,
            run: Box::new(self.finish(String::new(), None)),
        }
    }

    fn record_turn(
        &mut self,
        iteration: u32,
        turn_start: Instant,
        retried: &Retried<Thought<'_>, ModelError>,
    ) {
        let model_time = turn_start.elapsed();
        self.metrics.model_time += model_time;
        self.metrics.model_calls += retried.attempts;
        self.metrics.iterations = iteration;
        let usage = retried
            .result
            .as_ref()
            .map(|r| r.response.usage)
            .unwrap_or_default();
        self.metrics.usage += usage;
        self.metrics.turns.push(TurnMetrics {
            iteration,
            model_time,
            model_attempts: retried.attempts,
            usage,
            tools: None,
        });
    }

    /// Adds `message` to the conversation, journaled first.
    pub(super) fn push(&mut self, message: Message) {
        self.journaling.message(&message);
        self.conversation.push(message);
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

    pub(super) fn finish(mut self, answer: String, stop_reason: Option<StopReason>) -> AgentRun {
        self.metrics.wall = self.log.start().elapsed();
        AgentRun {
            answer,
            stop_reason,
            messages: self.conversation.messages().to_vec(),
            events: self.log.take(),
            metrics: self.metrics,
            output: self.structured.and_then(|s| s.value),
            model_fields: self.model_fields,
        }
    }
}
