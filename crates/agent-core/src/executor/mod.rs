//! [`ToolExecutor`]: runs every tool call of a turn at once.
//!
//! Each concern is a small module, testable alone, in tower's manner:
//! [`limit`] (how many calls run at once), [`timeout`] (how long one attempt
//! may take), [`crate::retry`] (whether and when to try again), and `call`,
//! which composes them for one call with panic and cancellation isolation.

mod call;
mod config;
pub mod limit;
mod observer;
mod outcome;
mod output_limit;
pub mod timeout;

use std::sync::Arc;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tool_api::ToolRegistry;

pub use config::{CallPolicy, ExecutorConfig};
pub use limit::{ConcurrencyLimit, Queued};
pub use observer::CallObserver;
pub use outcome::{CallFailure, CallOutcome};

use crate::{ToolResult, ToolUse};

/// Runs the tool calls of a turn concurrently and returns one outcome per
/// call, in call order.
///
/// # Contract
///
/// - Long-lived: make one per agent and reuse it; its concurrency limit is
///   shared by every batch and run that goes through it.
/// - Every call of a batch starts at once, as slots allow: at most
///   `max_concurrency` run together, the rest wait their turn in order.
/// - Each call runs under its [`CallPolicy`]: a timeout per attempt, and
///   retries with backoff for [`tool_api::ToolError::Retryable`] failures.
///   Invalid input, fatal errors, timeouts and panics are not retried.
/// - Isolation: an unknown tool, an error, a timeout or a panic becomes that
///   call's error result, with a message the model can act on; the other
///   calls finish normally.
/// - Results come back in the order of `calls`, never completion order: the
///   order is part of the next prompt and of its cache.
/// - Cancelling `cancel` stops every call in flight or waiting; each still
///   gets an (error) outcome, so every `toolUse` can be answered.
/// - Dropping the future of `execute` before it returns stops the batch's
///   calls too (their tokens fire, their tasks are aborted and free their
///   slots at once); no outcome is reported for them.
/// - Each call runs in its own tokio task, so CPU-bound in-process tools use
///   every worker thread.
///
/// ```
/// use std::sync::Arc;
/// use agent_core::{ExecutorConfig, ToolExecutor, ToolUse};
/// use tokio_util::sync::CancellationToken;
/// use tool_api::{tool_fn, ToolOutput, ToolRegistry};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut tools = ToolRegistry::new();
/// let ping = tool_fn("ping", "Answers pong.", |(): (), _| async { Ok(ToolOutput::text("pong")) }).unwrap();
/// tools.register(Arc::new(ping), "built-in").unwrap();
///
/// let executor = ToolExecutor::new(ExecutorConfig::default());
/// let calls = vec![
///     ToolUse { id: "a".into(), name: "ping".into(), input: serde_json::json!({}) },
///     ToolUse { id: "b".into(), name: "pong".into(), input: serde_json::json!({}) },
/// ];
/// let outcomes = executor.execute(&tools, &calls, &CancellationToken::new(), Arc::new(())).await;
/// assert!(outcomes[0].is_success());
/// assert!(!outcomes[1].is_success()); // unknown tool: an error result, not a failed batch
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ToolExecutor {
    config: Arc<ExecutorConfig>,
    limit: ConcurrencyLimit,
}

impl ToolExecutor {
    /// An executor with `config`.
    pub fn new(config: ExecutorConfig) -> Self {
        let limit = ConcurrencyLimit::new(config.max_concurrency());
        Self {
            config: Arc::new(config),
            limit,
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &ExecutorConfig {
        &self.config
    }

    /// Runs `calls` against `tools`; see the type's contract.
    pub async fn execute(
        &self,
        tools: &ToolRegistry,
        calls: &[ToolUse],
        cancel: &CancellationToken,
        observer: Arc<dyn CallObserver>,
    ) -> Vec<CallOutcome> {
        let batch_start = Instant::now();
        let mut in_flight = InFlight::new(cancel.child_token());
        let mut pending = Vec::with_capacity(calls.len());
        for (index, call) in calls.iter().enumerate() {
            let refused = |failure, message: String| {
                observer.call_started(index, call);
                let outcome = CallOutcome {
                    index,
                    id: call.id.clone(),
                    name: call.name.clone(),
                    result: ToolResult::error(&call.id, message),
                    failure: Some(failure),
                    started: batch_start.elapsed(),
                    elapsed: std::time::Duration::ZERO,
                    attempts: 0,
                };
                observer.call_finished(&outcome);
                Pending::Done(Box::new(outcome))
            };
            let Some(registered) = tools.get(&call.name) else {
                let available: Vec<&str> = tools.names().collect();
                pending.push(refused(
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
                ));
                continue;
            };
            if !call.input.is_object() {
                pending.push(refused(
                    CallFailure::InvalidInput,
                    format!(
                        "invalid input: the input of `{}` must be a JSON object matching its schema, \
                         not {}. Fix the input and call the tool again.",
                        call.name, call.input
                    ),
                ));
                continue;
            }
            let slot = self.limit.enqueue();
            // A call whose slot is free starts now: say so here, in call
            // order, rather than from its task, whose first poll comes in no
            // set order on worker threads.
            let announced = slot.is_ready();
            if announced {
                observer.call_started(index, call);
            }
            let task = call::CallTask {
                index,
                call: call.clone(),
                tool: registered.tool.clone(),
                policy: self.config.policy_for(&call.name),
                cancel: in_flight.cancel.clone(),
                observer: observer.clone(),
                batch_start,
                announced,
            };
            let handle = tokio::spawn(task.run(slot));
            in_flight.tasks.push(handle.abort_handle());
            pending.push(Pending::Running(handle));
        }

        let mut outcomes = Vec::with_capacity(pending.len());
        for (index, p) in pending.into_iter().enumerate() {
            outcomes.push(match p {
                Pending::Done(outcome) => *outcome,
                Pending::Running(handle) => match handle.await {
                    Ok(outcome) => outcome,
                    // The task catches the tool's panics itself; this is the
                    // belt to its braces (an observer panicking, say).
                    Err(e) => {
                        let call = &calls[index];
                        let message = if e.is_panic() {
                            format!(
                                "tool `{}` crashed: {}",
                                call.name,
                                call::panic_message(e.into_panic().as_ref())
                            )
                        } else {
                            format!("tool `{}` was stopped before it finished", call.name)
                        };
                        CallOutcome {
                            index,
                            id: call.id.clone(),
                            name: call.name.clone(),
                            result: ToolResult::error(&call.id, message),
                            failure: Some(CallFailure::Panicked),
                            started: std::time::Duration::ZERO,
                            elapsed: batch_start.elapsed(),
                            attempts: 1,
                        }
                    }
                },
            });
        }
        in_flight.disarm();
        outcomes
    }
}

/// A batch's calls in flight, stopped if the batch's future is dropped
/// before it collected them all (a dropped run, a caller's timeout): their
/// tokens fire and their tasks are aborted, so no call outlives its batch
/// or keeps its concurrency slot.
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
