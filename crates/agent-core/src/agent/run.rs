//! One run of the loop, as its state diagram reads: think, execute tools,
//! think again, respond (see [`AgentState`]).

use std::sync::Arc;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::eager::Started;
use super::event::EventLog;
use super::metrics::{BatchMetrics, TurnMetrics};
use super::model_call::{ModelCall, Thought};
use super::{
    Agent, AgentError, AgentErrorKind, AgentRun, AgentState, Conversation, EventKind, RunMetrics,
    RunOptions,
};
use crate::hooks::{Decisions, Gate, HookFailure, PausedBatch};
use crate::retry::{self, Retried, Stopped};
use crate::session::Journaling;
use crate::telemetry;
use crate::{CallObserver, ContentBlock, Message, ModelError, Role, StopReason, ToolUse};

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
    /// The run's `invoke_agent` span (see [`crate::telemetry`]).
    pub(super) span: tracing::Span,
    /// What the run knows of its input's size (see `context.rs`).
    pub(super) context: super::context::ContextState,
    /// The hooks and approvals every call of this run passes (`None`: none).
    pub(super) gate: Option<Arc<Gate>>,
    /// Sent with the prompt (`RunOptions::with_attachments`).
    attachments: Vec<crate::ContentBlock>,
    /// The tool choice of the next model call, taken by it: the agent's
    /// on the first call only (structured output may force one again).
    pub(super) tool_choice: Option<crate::ToolChoice>,
    /// The last response's model-specific fields.
    model_fields: Option<serde_json::Value>,
    /// Structured output: the schema and the repairs so far (`structured.rs`).
    pub(super) structured: Option<super::structured::Output>,
    /// The tools of this turn (the agent's, refreshed before each model
    /// request when a source changed: `tool_source.rs`).
    pub(super) tools: Arc<tool_api::ToolRegistry>,
    pub(super) specs: Arc<Vec<tool_api::ToolSpec>>,
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
        /// Cut off by a crash (calls of non-idempotent tools are not run
        /// again), rather than paused for approval (they never started).
        interrupted: bool,
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
    Hook(HookFailure),
    Paused(Box<PausedBatch>),
    Guardrail(String),
    InvalidOutput {
        attempts: u32,
        error: String,
    },
    /// Resume: the tools continuing needs are missing (`resume_tools.rs`).
    MissingTools(Vec<String>),
}

impl<'a> Run<'a> {
    pub fn new(agent: &'a Agent, conversation: &'a mut Conversation, options: RunOptions) -> Self {
        let log = Arc::new(EventLog::new(options.events));
        let gate = Gate::new(
            &agent.hooks,
            &agent.approvals,
            options.approver,
            Decisions::new(),
        );
        Self {
            gate,
            tools: Arc::clone(&agent.tools),
            specs: Arc::clone(&agent.specs),
            agent,
            conversation,
            cancel: options.cancel.unwrap_or_default(),
            log: log.clone(),
            journaling: Arc::new(Journaling::new(options.journal, log)),
            state: AgentState::Idle,
            metrics: RunMetrics::default(),
            iteration: 0,
            answered: Instant::now(),
            span: telemetry::agent_span(agent.backend.as_ref()),
            context: Default::default(),
            attachments: options.attachments,
            tool_choice: agent.options.tool_choice.clone(),
            model_fields: None,
            structured: options
                .output
                .or_else(|| agent.options.output.clone())
                .map(|schema| {
                    let native = agent.backend.native_structured_output();
                    super::structured::Output::new(schema, native)
                }),
        }
    }

    /// The state machine: each state is a method that says where to go next.
    pub async fn go(mut self, prompt: &str) -> Result<AgentRun, AgentError> {
        let mut message = Message::user(prompt);
        message.content.append(&mut self.attachments);
        self.journaling.message(&message);
        self.conversation.push_user_blocks(message.content);
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
                Next::ResumeTools {
                    calls,
                    finished,
                    interrupted,
                } => {
                    self.move_to(AgentState::ExecutingTools);
                    self.resume_tools(calls, finished, interrupted).await
                }
                Next::Respond {
                    answer,
                    stop_reason,
                } => return Ok(self.respond(answer, stop_reason)),
                Next::Stop(stop) => return Err(self.stop(stop)),
            };
        }
    }

    /// The next request (see `context.rs`), as the run's model hooks leave
    /// it.
    async fn hooked_request(
        &self,
        tool_choice: Option<crate::ToolChoice>,
    ) -> Result<crate::ModelRequest, HookFailure> {
        let mut request = self.request();
        request.tool_choice = tool_choice;
        if let Some(gate) = &self.gate {
            gate.hooks().before_model(&mut request).await?;
        }
        Ok(request)
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
        self.refresh_tools().await;
        self.fit_context().await;
        let tool_choice = self.tool_choice.take();
        let request = match self.hooked_request(tool_choice).await {
            Ok(request) => request,
            Err(e) => return Next::Stop(Stop::Hook(e)),
        };
        let mut call = ModelCall {
            agent,
            log: self.log.clone(),
            observer: self.journaling.clone(),
            request,
            gate: self.gate.clone(),
            iteration,
            cancel: self.cancel.clone(),
            run_span: self.span.clone(),
            tools: Arc::clone(&self.tools),
            unreachable: 0,
        };
        let backend = agent.backend.as_ref();
        let chat = telemetry::chat_span(backend, &call.request, iteration, agent.capture_content);
        let turn_start = Instant::now();
        let mut retried = retry::run(&mut call, agent.model_retry.as_ref(), &self.cancel)
            .instrument(chat.clone())
            .await;
        // A context overflow the service reported: shortened once, tried once more.
        if let Err(Stopped::Failed(e)) = &retried.result
            && self.recover_from_overflow(e).await
        {
            let tool_choice = call.request.tool_choice.clone();
            call.request = match self.hooked_request(tool_choice).await {
                Ok(request) => request,
                Err(e) => return Next::Stop(Stop::Hook(e)),
            };
            let first = retried.attempts;
            retried = retry::run(&mut call, agent.model_retry.as_ref(), &self.cancel)
                .instrument(chat.clone())
                .await;
            retried.attempts += first;
        }
        if let Ok(thought) = &retried.result {
            self.saw_usage(call.request.messages.len(), thought.response.usage);
        }
        let capture = agent.capture_content;
        let elapsed = turn_start.elapsed();
        let result = retried.result.as_ref().map(|t| &t.response);
        telemetry::chat_finished(&chat, backend, result, retried.attempts, elapsed, capture);
        self.record_turn(iteration, turn_start, &retried);
        self.answered = Instant::now();
        let Thought { response, early } = match retried.result {
            Ok(thought) => thought,
            Err(Stopped::Failed(mut e)) => {
                if e.kind == crate::ModelErrorKind::Unreachable {
                    e.message = format!("{} (tried {} times)", e.message, retried.attempts);
                }
                return Next::Stop(Stop::Model(e));
            }
            Err(Stopped::Cancelled) => return Next::Stop(Stop::Cancelled),
        };
        if let Some(gate) = &self.gate
            && let Err(e) = gate.hooks().after_model(&response).await
        {
            if let Some(early) = early {
                early.cancel().await;
            }
            return Next::Stop(Stop::Hook(e));
        }
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
                let mut batch = self
                    .agent
                    .executor
                    .batch_shared(Arc::clone(&self.tools), &self.cancel, observer)
                    .with_gate(self.gate.clone())
                    .with_host(Some(self.log.clone()));
                for call in calls {
                    batch.start(call);
                }
                batch.finish(calls).await
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
        let at: Vec<usize> = (0..calls.len()).collect();
        if let Some(paused) = self.paused(calls, &at, &outcomes, &[]) {
            return Next::Stop(Stop::Paused(Box::new(paused)));
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
        telemetry::run_finished(&self.span, &self.metrics, Some(&stop_reason), None);
        self.finish(answer, Some(stop_reason))
    }

    /// The run ends early; what it did so far is kept.
    pub(super) fn stop(mut self, stop: Stop) -> AgentError {
        self.move_to(AgentState::Error);
        let kind = match stop {
            Stop::MaxIterations(limit) => AgentErrorKind::MaxIterations { limit },
            Stop::Model(e) => AgentErrorKind::Model(e),
            Stop::Cancelled => AgentErrorKind::Cancelled,
            Stop::Hook(e) => AgentErrorKind::Hook(e),
            Stop::Paused(p) => AgentErrorKind::ApprovalNeeded(p),
            Stop::Guardrail(message) => AgentErrorKind::GuardrailIntervened { message },
            Stop::InvalidOutput { attempts, error } => {
                AgentErrorKind::InvalidOutput { attempts, error }
            }
            Stop::MissingTools(tools) => AgentErrorKind::MissingTools { tools },
        };
        telemetry::run_finished(&self.span, &self.metrics, None, Some(&kind));
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
        self.metrics.sub_agent_usage = self.log.sub_usage();
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
