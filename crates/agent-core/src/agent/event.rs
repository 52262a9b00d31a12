//! [`AgentEvent`]: everything that happens in a run, as it happens.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use tool_api::ToolError;

use super::AgentState;
use crate::executor::{CallFailure, CallObserver, CallOutcome};
use crate::{ModelErrorKind, StopReason, ToolUse, Usage};

/// An event, stamped with the time since the run started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentEvent {
    /// Time since the run started.
    #[serde(with = "crate::duration_ms", rename = "at_ms")]
    pub at: Duration,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The run moved between states.
    State {
        /// The state it left.
        from: AgentState,
        /// The state it entered.
        to: AgentState,
    },
    /// A model call starts.
    ModelCallStarted {
        /// Which model turn (1-based).
        iteration: u32,
        /// Which attempt of this turn (1-based).
        attempt: u32,
    },
    /// A model call returned.
    ModelCallFinished {
        /// Which model turn.
        iteration: u32,
        /// Which attempt.
        attempt: u32,
        /// Why the model stopped.
        stop_reason: StopReason,
        /// Tokens used.
        usage: Usage,
        /// How long the call took.
        #[serde(with = "crate::duration_ms", rename = "elapsed_ms")]
        elapsed: Duration,
    },
    /// A model call failed. Text streamed during this attempt is void.
    ModelCallFailed {
        /// Which model turn.
        iteration: u32,
        /// Which attempt.
        attempt: u32,
        /// The kind of failure.
        kind: ModelErrorKind,
        /// The error, as the provider told it.
        error: String,
        /// When the next attempt starts, if there is one.
        #[serde(with = "crate::duration_ms::option", rename = "retry_in_ms")]
        retry_in: Option<Duration>,
        /// How long the service asked callers to wait (its `Retry-After`),
        /// if it said: longer than `retry_in` when the policy capped it
        /// (`ExponentialBackoff::with_max_retry_after`, 60 s by default),
        /// which a live view says rather than seem to ignore the service.
        #[serde(
            with = "crate::duration_ms::option",
            rename = "retry_after_ms",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        retry_after: Option<Duration>,
    },
    /// Streamed answer text.
    TextDelta {
        /// Which model turn.
        iteration: u32,
        /// The new text.
        text: String,
    },
    /// Streamed reasoning text (extended thinking), before the answer.
    ReasoningDelta {
        /// Which model turn.
        iteration: u32,
        /// The new reasoning text.
        text: String,
    },
    /// A tool call cannot start at once: it waits for `reason` (a limit, a
    /// resource, a rate). Calls that start at once are not reported queued.
    ToolCallQueued {
        /// Which model turn asked for it.
        iteration: u32,
        /// Its position in the model's message.
        index: usize,
        /// Its id.
        id: String,
        /// The tool.
        name: String,
        /// What it waits for first.
        reason: crate::WaitReason,
    },
    /// A tool call starts (it got its concurrency slot).
    ToolCallStarted {
        /// Which model turn asked for it.
        iteration: u32,
        /// Its position in the model's message.
        index: usize,
        /// Its id.
        id: String,
        /// The tool.
        name: String,
        /// The input.
        input: Value,
    },
    /// A tool call attempt failed retryably and will be tried again.
    ToolCallRetrying {
        /// Which model turn.
        iteration: u32,
        /// Its position.
        index: usize,
        /// Its id.
        id: String,
        /// The tool.
        name: String,
        /// The attempt that failed.
        attempt: u32,
        /// Why.
        error: String,
        /// The delay before the next attempt.
        #[serde(with = "crate::duration_ms", rename = "delay_ms")]
        delay: Duration,
    },
    /// A running tool call reported progress (an MCP server's
    /// `notifications/progress`, or [`tool_api::ToolContext::progress`]).
    ToolCallProgress {
        /// Which model turn.
        iteration: u32,
        /// Its position.
        index: usize,
        /// Its id.
        id: String,
        /// The tool.
        name: String,
        /// How far it has got.
        progress: f64,
        /// What `progress` reaches when it is done, if the tool knows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total: Option<f64>,
        /// What it is doing now, if it said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// A plugin tool call was handed to its plugin but has not started:
    /// another call's blocking code holds the plugin's worker thread
    /// (`held_by`). Reported once per attempt, after a threshold (250 ms by
    /// default); plugins built before the ABI could say so report none.
    ToolCallStalled {
        /// Which model turn.
        iteration: u32,
        /// Its position.
        index: usize,
        /// Its id.
        id: String,
        /// The tool.
        name: String,
        /// The call holding the worker.
        held_by: StallHolder,
        /// How long this call had waited to start when reported.
        #[serde(with = "crate::duration_ms", rename = "waited_ms")]
        waited: Duration,
    },
    /// A tool call ended.
    ToolCallFinished {
        /// Which model turn.
        iteration: u32,
        /// Its position.
        index: usize,
        /// Its id.
        id: String,
        /// The tool.
        name: String,
        /// Why it failed, if it did.
        failure: Option<CallFailure>,
        /// The error message sent to the model, if it failed.
        error: Option<String>,
        /// When it was queued, from the batch's start.
        #[serde(with = "crate::duration_ms", rename = "queued_ms", default)]
        queued: Duration,
        /// When it started, from the batch's start.
        #[serde(with = "crate::duration_ms", rename = "started_ms")]
        started: Duration,
        /// How long it ran.
        #[serde(with = "crate::duration_ms", rename = "elapsed_ms")]
        elapsed: Duration,
        /// Attempts made.
        attempts: u32,
        /// Answered from the cache (`cache_ttl`): an identical call's
        /// result, the tool not run.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        cached: bool,
        /// On resume: not run in this process, its result taken from the
        /// session's journal (or, for a non-idempotent tool cut off
        /// mid-call, an error saying it was not repeated); the same call's
        /// [`EventKind::ToolCallReplayed`] comes just before. Its times and
        /// `attempts` are 0; `failure` is `failed` for a journaled error
        /// result (the original kind is not journaled) and `cancelled` for
        /// the interrupted non-idempotent call.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        replayed: bool,
        /// What held it back between `queued_ms` and `started_ms`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        waits: Vec<crate::CallWait>,
    },
    /// An event of a sub-agent ([`crate::Agent::as_tool`]) running as tool
    /// call `index` of this run: its events nest under that call.
    SubAgent {
        /// Which model turn of this run asked for the call.
        iteration: u32,
        /// The call's position.
        index: usize,
        /// The call's id.
        id: String,
        /// The tool (the sub-agent's name as a tool).
        name: String,
        /// The sub-agent's event (its time from its own start).
        inner: Box<AgentEvent>,
    },
    /// On resume: a call of the interrupted batch that is not run again,
    /// its result taken from the session's journal (or, for a
    /// non-idempotent tool cut off mid-call, an error saying so). Followed
    /// by the call's [`EventKind::ToolCallFinished`] with `replayed`, so
    /// the finished events cover every call of the batch.
    ToolCallReplayed {
        /// Which model turn.
        iteration: u32,
        /// Its position.
        index: usize,
        /// Its id.
        id: String,
        /// The tool.
        name: String,
        /// Whether the result is an error.
        error: bool,
        /// Not replayed but not repeated either: a call of a non-idempotent
        /// tool cut off mid-call, never journaled, answered with an error
        /// saying it was interrupted.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        interrupted: bool,
    },
    /// The context manager shortened the conversation to fit the window.
    ContextReduced {
        /// The model turn about to be asked (or retried).
        iteration: u32,
        /// The manager (`sliding`, `summarize`).
        manager: String,
        /// Messages dropped (whole exchanges).
        dropped: usize,
        /// Whether a summary of them stays in the conversation.
        summarized: bool,
        /// The estimated input before, in tokens.
        tokens_before: u64,
        /// The estimated input after, in tokens.
        tokens_after: u64,
        /// Whether the service had refused the request as too long.
        overflow: bool,
    },
    /// A tool's adaptive limit (`adaptive` in its scheduling) moved: down
    /// when a call of it was throttled, up as its calls succeed.
    ToolLimitChanged {
        /// Which model turn.
        iteration: u32,
        /// The tool.
        name: String,
        /// Calls of it at once before.
        from: usize,
        /// Calls of it at once from now on.
        to: usize,
    },
}

/// The call holding a plugin's worker while another waits to start
/// ([`EventKind::ToolCallStalled`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StallHolder {
    /// Its tool (the name the model knows it by).
    pub tool: String,
    /// Its id (the model's `toolUseId`), when the plugin says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// How long it had held the worker without yielding.
    #[serde(with = "crate::duration_ms", rename = "for_ms")]
    pub held_for: Duration,
}

/// Records a run's events and forwards each to the subscriber, if any.
/// Also the executor's observer, so tool events join the same stream.
pub(crate) struct EventLog {
    start: Instant,
    iteration: AtomicU32,
    events: Mutex<Vec<AgentEvent>>,
    subscriber: Option<UnboundedSender<AgentEvent>>,
    /// Tokens of the sub-agents' model calls, from their events.
    sub_usage: Mutex<Usage>,
}

impl EventLog {
    pub fn new(subscriber: Option<UnboundedSender<AgentEvent>>) -> Self {
        Self {
            start: Instant::now(),
            iteration: AtomicU32::new(0),
            events: Mutex::new(Vec::new()),
            subscriber,
            sub_usage: Mutex::new(Usage::default()),
        }
    }

    pub fn start(&self) -> Instant {
        self.start
    }

    pub fn set_iteration(&self, iteration: u32) {
        self.iteration.store(iteration, Ordering::Relaxed);
    }

    pub fn iteration(&self) -> u32 {
        self.iteration.load(Ordering::Relaxed)
    }

    pub fn emit(&self, kind: EventKind) {
        let event = AgentEvent {
            at: self.start.elapsed(),
            kind,
        };
        if let Some(tx) = &self.subscriber {
            // A subscriber that went away just stops listening.
            let _ = tx.send(event.clone());
        }
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }

    /// Emits `event` of the sub-agent running as call `index` (`id`, tool
    /// `name`), its model calls' tokens added to the sub-agents' usage.
    pub fn nested(&self, index: usize, id: &str, name: &str, event: AgentEvent) {
        let usage = model_usage(&event);
        if let Ok(mut sub) = self.sub_usage.lock() {
            *sub += usage;
        }
        self.emit(EventKind::SubAgent {
            iteration: self.iteration(),
            index,
            id: id.to_owned(),
            name: name.to_owned(),
            inner: Box::new(event),
        });
    }

    /// Tokens of the sub-agents' model calls so far.
    pub fn sub_usage(&self) -> Usage {
        self.sub_usage.lock().map(|u| *u).unwrap_or_default()
    }

    pub fn take(&self) -> Vec<AgentEvent> {
        self.events
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }
}

impl CallObserver for EventLog {
    fn call_queued(&self, index: usize, call: &ToolUse, reason: crate::WaitReason) {
        self.emit(EventKind::ToolCallQueued {
            iteration: self.iteration(),
            index,
            id: call.id.clone(),
            name: call.name.clone(),
            reason,
        });
    }

    fn call_started(&self, index: usize, call: &ToolUse) {
        self.emit(EventKind::ToolCallStarted {
            iteration: self.iteration(),
            index,
            id: call.id.clone(),
            name: call.name.clone(),
            input: call.input.clone(),
        });
    }

    fn call_retrying(
        &self,
        index: usize,
        call: &ToolUse,
        attempt: u32,
        error: &ToolError,
        delay: Duration,
    ) {
        self.emit(EventKind::ToolCallRetrying {
            iteration: self.iteration(),
            index,
            id: call.id.clone(),
            name: call.name.clone(),
            attempt,
            error: error.to_string(),
            delay,
        });
    }

    fn call_progress(&self, index: usize, call: &ToolUse, progress: &tool_api::Progress) {
        self.emit(EventKind::ToolCallProgress {
            iteration: self.iteration(),
            index,
            id: call.id.clone(),
            name: call.name.clone(),
            progress: progress.progress,
            total: progress.total,
            message: progress.message.clone(),
        });
    }

    fn call_stalled(&self, index: usize, call: &ToolUse, stall: &tool_api::Stall) {
        self.emit(EventKind::ToolCallStalled {
            iteration: self.iteration(),
            index,
            id: call.id.clone(),
            name: call.name.clone(),
            held_by: StallHolder {
                tool: stall.held_by_tool.clone(),
                id: stall.held_by_call.clone(),
                held_for: stall.held_for,
            },
            waited: stall.waited,
        });
    }

    fn call_finished(&self, outcome: &CallOutcome) {
        self.emit(EventKind::ToolCallFinished {
            iteration: self.iteration(),
            index: outcome.index,
            id: outcome.id.clone(),
            name: outcome.name.clone(),
            failure: outcome.failure,
            error: outcome.failure.map(|_| {
                outcome
                    .result
                    .content
                    .iter()
                    .map(crate::ToolResultContent::to_text)
                    .collect::<String>()
            }),
            queued: outcome.queued,
            started: outcome.started,
            elapsed: outcome.elapsed,
            attempts: outcome.attempts,
            cached: outcome.cached,
            replayed: false,
            waits: outcome.waits.clone(),
        });
    }

    fn tool_limit_changed(&self, tool: &str, from: usize, to: usize) {
        self.emit(EventKind::ToolLimitChanged {
            iteration: self.iteration(),
            name: tool.to_owned(),
            from,
            to,
        });
    }
}

/// The tokens of a model call `event` reports, however deep it is nested.
fn model_usage(event: &AgentEvent) -> Usage {
    match &event.kind {
        EventKind::ModelCallFinished { usage, .. } => *usage,
        EventKind::SubAgent { inner, .. } => model_usage(inner),
        _ => Usage::default(),
    }
}
