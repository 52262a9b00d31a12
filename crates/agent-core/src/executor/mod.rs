//! [`ToolExecutor`]: runs every tool call of a turn at once.
//!
//! Each concern is a small module, testable alone, in tower's manner:
//! [`limit`] (how many calls run at once), [`timeout`] (how long one attempt
//! may take), [`crate::retry`] (whether and when to try again), and `call`,
//! which composes them for one call with panic and cancellation isolation.
//! `batch` starts a turn's calls one by one (all at once, or as the model's
//! stream completes each: eager start) and collects them in call order.
//!
//! Per-tool scheduling rules (docs/SCHEDULING.md), one module each:
//! `resource` (exclusive and shared resources, keyed by the input),
//! `priority` (the global line by priority), `rate` (a token bucket per
//! tool), `cache` (results of idempotent tools), `adaptive` (a tool's limit
//! that shrinks when it is throttled and grows back, AIMD), `wait` (what a
//! call waited for, reported per call), and `admission`, which
//! composes them into what one call waits for. With no rules declared none
//! of them is touched.

mod adaptive;
mod admission;
mod batch;
mod cache;
mod call;
mod config;
mod gated;
pub mod limit;
mod observer;
mod outcome;
mod output_limit;
mod priority;
mod progress;
mod rate;
mod resource;
pub mod scope;
pub mod timeout;
mod wait;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tool_api::ToolRegistry;

pub use batch::Batch;
use batch::Tools;
pub use config::{CallPolicy, ExecutorConfig};
pub use limit::{ConcurrencyLimit, Queued};
pub use observer::CallObserver;
pub use outcome::{CallFailure, CallOutcome};
pub use wait::{CallWait, WaitReason};

use crate::ToolUse;

/// Runs the tool calls of a turn concurrently and returns one outcome per
/// call, in call order.
///
/// # Contract
///
/// - Long-lived: make one per agent and reuse it; its concurrency limit is
///   shared by every batch and run that goes through it.
/// - Every call of a batch starts at once, as slots allow: at most
///   `max_concurrency` run together, the rest wait their turn in order.
/// - Per-tool rules from [`ExecutorConfig`] (a tool's own limit, exclusive
///   and shared resources taken in call order, priority, rate, a result
///   cache for idempotent tools) hold a call back until they allow it; a
///   call waiting for them holds no global slot.
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
    /// Per-tool rules, shared by every batch.
    rules: Arc<admission::Rules>,
    /// Each call's input and result on its trace span ([`crate::telemetry`]).
    capture_content: bool,
}

impl ToolExecutor {
    /// An executor with `config`.
    pub fn new(config: ExecutorConfig) -> Self {
        // Priorities order the global line only when some tool has one:
        // otherwise the plain, first come first served limit.
        let prioritised = config.scheduling.values().any(|s| s.priority.is_some());
        let limit = if prioritised {
            ConcurrencyLimit::with_priorities(config.max_concurrency())
        } else {
            ConcurrencyLimit::new(config.max_concurrency())
        };
        let rules = admission::Rules::new(config.scheduling.iter());
        Self {
            config: Arc::new(config),
            limit,
            rules: Arc::new(rules),
            capture_content: false,
        }
    }

    /// Records each call's input and result on its `execute_tool` span
    /// (default `false`: they may hold private data); see
    /// [`crate::telemetry`].
    pub fn with_content_capture(mut self, on: bool) -> Self {
        self.capture_content = on;
        self
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
        let mut batch =
            Batch::with_capacity(self, Tools::Borrowed(tools), cancel, observer, calls.len());
        for call in calls {
            batch.start(call);
        }
        batch.finish(calls).await
    }

    /// An empty batch whose calls are started one by one, as they become
    /// known (eager start: while the model is still writing its message);
    /// see [`Batch`].
    pub fn batch<'a>(
        &'a self,
        tools: &'a ToolRegistry,
        cancel: &CancellationToken,
        observer: Arc<dyn CallObserver>,
    ) -> Batch<'a> {
        Batch::with_capacity(self, Tools::Borrowed(tools), cancel, observer, 0)
    }

    /// [`ToolExecutor::batch`] with a registry shared with its owner rather
    /// than borrowed: an agent whose tool list is refreshed between turns
    /// (see `agent::ToolSource`) hands each batch the list of its turn.
    pub fn batch_shared<'a>(
        &'a self,
        tools: Arc<ToolRegistry>,
        cancel: &CancellationToken,
        observer: Arc<dyn CallObserver>,
    ) -> Batch<'a> {
        Batch::with_capacity(self, Tools::Shared(tools), cancel, observer, 0)
    }
}
