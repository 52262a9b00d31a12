//! [`Batch`]: one turn's calls, started one at a time and collected in call
//! order. [`ToolExecutor::execute`] starts them all at once; eager start
//! starts each as soon as the model's stream completes its block.

use std::sync::Arc;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tool_api::ToolRegistry;
use tracing::Instrument;

use super::cache::Lookup;
use super::call::{self, CallTask};
use super::{CallFailure, CallObserver, CallOutcome, ToolExecutor};
use crate::hooks::Gate;
use crate::telemetry;
use crate::{ToolResult, ToolUse};

/// The calls of one turn, started one at a time with [`Batch::start`] and
/// collected, in the order they were started, with [`Batch::finish`].
///
/// # Contract
///
/// - The `n`-th call started is call `n` of the batch: its index in events
///   and outcomes. Start calls in the order of the model's message.
/// - Starting a call never waits: it takes its place in the concurrency
///   limit's line and runs in its own task (see [`ToolExecutor`]).
/// - [`Batch::finish`] waits for every call and returns the outcomes in
///   call order; [`Batch::cancel`] cancels them first, so each still ends
///   (with a `cancelled` outcome, told to the observer).
/// - Dropping a batch before it finished stops its calls at once (tokens
///   fired, tasks aborted, slots freed); no outcome is reported for them.
pub struct Batch<'a> {
    executor: &'a ToolExecutor,
    tools: Tools<'a>,
    observer: Arc<dyn CallObserver>,
    start: Instant,
    in_flight: InFlight,
    pending: Vec<Pending>,
    /// The span the calls' `execute_tool` spans go under.
    span: tracing::Span,
    /// The run's hooks and approvals: each call passes them in its own task.
    gate: Option<Arc<Gate>>,
    /// The host's context, which each call's tool sees ([`super::scope`]).
    host: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("started", &self.pending.len())
            .finish_non_exhaustive()
    }
}

/// The registry a batch looks its calls up in: borrowed from the caller,
/// or shared with an agent whose tool list may change between batches (a
/// batch keeps the list it started with).
pub(super) enum Tools<'a> {
    Borrowed(&'a ToolRegistry),
    Shared(Arc<ToolRegistry>),
}

impl std::ops::Deref for Tools<'_> {
    type Target = ToolRegistry;

    fn deref(&self) -> &ToolRegistry {
        match self {
            Self::Borrowed(tools) => tools,
            Self::Shared(tools) => tools,
        }
    }
}

impl<'a> Batch<'a> {
    pub(super) fn with_capacity(
        executor: &'a ToolExecutor,
        tools: Tools<'a>,
        cancel: &CancellationToken,
        observer: Arc<dyn CallObserver>,
        capacity: usize,
    ) -> Self {
        Self {
            executor,
            tools,
            observer,
            start: Instant::now(),
            in_flight: InFlight::new(cancel.child_token()),
            pending: Vec::with_capacity(capacity),
            span: tracing::Span::current(),
            gate: None,
            host: None,
        }
    }

    /// Traces the calls started from now on under `span` (by default, the
    /// span current when the batch was made); see [`crate::telemetry`].
    pub fn trace_under(&mut self, span: tracing::Span) {
        self.span = span;
    }

    /// Gives every call started from now on `host` as its
    /// [`super::scope::CallScope`]'s context (the agent gives its run's
    /// event log, which sub-agents tell their events to).
    pub fn with_host(mut self, host: Option<Arc<dyn std::any::Any + Send + Sync>>) -> Self {
        self.host = host;
        self
    }

    /// Passes every call started from now on through `gate` (the run's
    /// hooks and approvals), in the call's own task.
    pub(crate) fn with_gate(mut self, gate: Option<Arc<Gate>>) -> Self {
        self.gate = gate;
        self
    }

    /// When the batch was made: the origin of its outcomes' `started`.
    pub fn started_at(&self) -> Instant {
        self.start
    }

    /// Calls started so far.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no call was started.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Starts `call` as the batch's next call.
    pub fn start(&mut self, call: &ToolUse) {
        let index = self.pending.len();
        let observer = &self.observer;
        let batch_start = self.start;
        let capture = self.executor.capture_content;
        let span = telemetry::tool_span(&self.span, call, capture);
        let queued = batch_start.elapsed();
        let refused = |failure, message: String| {
            observer.call_started(index, call);
            let outcome = CallOutcome {
                index,
                id: call.id.clone(),
                name: call.name.clone(),
                result: ToolResult::error(&call.id, message),
                failure: Some(failure),
                queued,
                started: queued,
                elapsed: std::time::Duration::ZERO,
                attempts: 0,
                cached: false,
                waits: Vec::new(),
            };
            telemetry::tool_finished(&span, &outcome, capture);
            observer.call_finished(&outcome);
            Pending::Done(Box::new(outcome))
        };
        let Some(registered) = self.tools.get(&call.name) else {
            let available: Vec<&str> = self.tools.names().collect();
            let done = refused(
                CallFailure::UnknownTool,
                format!(
                    "unknown tool '{}'; available: {}",
                    call.name,
                    if available.is_empty() {
                        "(none)".into()
                    } else {
                        available.join(", ")
                    }
                ),
            );
            self.pending.push(done);
            return;
        };
        if !call.input.is_object() {
            let done = refused(
                CallFailure::InvalidInput,
                format!(
                    "invalid input: the input of `{}` must be a JSON object matching its schema, \
                     not {}. Fix the input and call the tool again.",
                    call.name, call.input
                ),
            );
            self.pending.push(done);
            return;
        }
        let rules = self.executor.rules.of(&call.name);
        let mut task = CallTask {
            index,
            call: call.clone(),
            tool: registered.tool.clone(),
            policy: self.executor.config.policy_for(&call.name),
            cancel: self.in_flight.cancel.clone(),
            observer: self.observer.clone(),
            batch_start,
            announced: false,
            leader: None,
            span: span.clone(),
            capture,
            gate: self.gate.clone(),
            host: self.host.clone(),
            adaptive: None,
            queued,
            waits: Vec::new(),
        };
        if let Some(gate) = &self.gate {
            // Hooks and approvals may take long (a person answers): the call
            // takes its place in the lines only once they let it through,
            // so it holds no slot meanwhile and its siblings run.
            let gated = super::gated::run(self.executor.clone(), task, gate.clone());
            let handle = tokio::spawn(gated.instrument(span));
            self.in_flight.tasks.push(handle.abort_handle());
            self.pending.push(Pending::Running(handle));
            return;
        }
        if let Some(ttl) = rules.and_then(|r| r.cache) {
            match self
                .executor
                .rules
                .cache
                .lookup(&call.name, &call.input, ttl)
            {
                Lookup::Hit(output) => {
                    self.observer.call_started(index, call);
                    let outcome = task.cached(output, Instant::now());
                    task.finished(&outcome);
                    self.pending.push(Pending::Done(Box::new(outcome)));
                    return;
                }
                Lookup::Follow(follower) => {
                    // It waits for the identical call, then answers with its
                    // result, or runs itself if that call did not succeed.
                    self.observer.call_started(index, call);
                    task.announced = true;
                    let rules = self.executor.rules.clone();
                    let limit = self.executor.limit.clone();
                    let follow = task.follow(follower, rules, limit, ttl);
                    let handle = tokio::spawn(follow.instrument(span));
                    self.in_flight.tasks.push(handle.abort_handle());
                    self.pending.push(Pending::Running(handle));
                    return;
                }
                Lookup::Lead(leader) => task.leader = Some(leader),
            }
        }
        let slot = self
            .executor
            .rules
            .enqueue(&self.executor.limit, rules, &call.input);
        // A call whose slot is free starts now: say so here, in call
        // order, rather than from its task, whose first poll comes in no
        // set order on worker threads.
        task.announced = slot.is_ready();
        if task.announced {
            self.observer.call_started(index, call);
        } else if let Some(reason) = slot.first_wait() {
            // Only a call that waits is reported queued: the hot path (a
            // free slot) emits nothing more.
            self.observer.call_queued(index, call, reason);
        }
        let handle = tokio::spawn(task.run(slot).instrument(span));
        self.in_flight.tasks.push(handle.abort_handle());
        self.pending.push(Pending::Running(handle));
    }

    /// Cancels every call still waiting or running, then collects them all
    /// as [`Batch::finish`] does.
    pub async fn cancel(self, calls: &[ToolUse]) -> Vec<CallOutcome> {
        self.in_flight.cancel.cancel();
        self.finish(calls).await
    }

    /// Waits for every call and returns their outcomes in call order.
    /// `calls` are the calls started, in order (they name a call whose task
    /// died in the outcome that answers it).
    pub async fn finish(self, calls: &[ToolUse]) -> Vec<CallOutcome> {
        let Self {
            pending,
            in_flight,
            start: batch_start,
            ..
        } = self;
        let mut outcomes = Vec::with_capacity(pending.len());
        for (index, p) in pending.into_iter().enumerate() {
            outcomes.push(match p {
                Pending::Done(outcome) => *outcome,
                Pending::Running(handle) => match handle.await {
                    Ok(outcome) => outcome,
                    // The task catches the tool's panics itself; this is the
                    // belt to its braces (an observer panicking, say).
                    Err(e) => {
                        let (id, name) = calls
                            .get(index)
                            .map(|c| (c.id.clone(), c.name.clone()))
                            .unwrap_or_default();
                        let message = if e.is_panic() {
                            format!(
                                "tool `{name}` crashed: {}",
                                call::panic_message(e.into_panic().as_ref())
                            )
                        } else {
                            format!("tool `{name}` was stopped before it finished")
                        };
                        CallOutcome {
                            index,
                            result: ToolResult::error(&id, message),
                            id,
                            name,
                            failure: Some(CallFailure::Panicked),
                            queued: std::time::Duration::ZERO,
                            started: std::time::Duration::ZERO,
                            elapsed: batch_start.elapsed(),
                            attempts: 1,
                            cached: false,
                            waits: Vec::new(),
                        }
                    }
                },
            });
        }
        in_flight.disarm();
        outcomes
    }
}

/// A batch's calls in flight, stopped if the batch is dropped before it
/// collected them all (a dropped run, a caller's timeout, a failed model
/// attempt's eager calls): their tokens fire and their tasks are aborted,
/// so no call outlives its batch or keeps its concurrency slot.
struct InFlight {
    /// The batch's own child of the caller's token: the caller's token is
    /// never cancelled on its behalf.
    cancel: CancellationToken,
    tasks: Vec<tokio::task::AbortHandle>,
    armed: bool,
}

impl InFlight {
    fn new(cancel: CancellationToken) -> Self {
        Self {
            cancel,
            tasks: Vec::new(),
            armed: true,
        }
    }

    /// Every call was collected: nothing is left to stop, and tokens of
    /// calls that finished are not cancelled after the fact.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.armed {
            self.cancel.cancel();
            for task in &self.tasks {
                task.abort();
            }
        }
    }
}

enum Pending {
    Done(Box<CallOutcome>),
    Running(tokio::task::JoinHandle<CallOutcome>),
}
