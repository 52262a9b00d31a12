//! One call, start to end: wait for a slot, then attempts under a timeout,
//! driven by the shared retry loop ([`crate::retry::run`]), with panics and
//! cancellation turned into results.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tool_api::{Tool, ToolContext, ToolError, ToolOutput};

use super::adaptive::{AdaptiveLimit, LimitChange};
use super::admission::Admission;
use super::admission::Rules;
use super::cache::{Follower, Leader};
use super::limit::ConcurrencyLimit;
use super::timeout::with_timeout;
use super::wait::CallWait;
use super::{CallFailure, CallObserver, CallOutcome, CallPolicy};
use crate::hooks::Gate;
use crate::retry::{self, Operation, Stopped, Verdict};
use crate::{ToolResult, ToolResultContent, ToolUse};

/// Everything a call's task owns.
pub(super) struct CallTask {
    pub index: usize,
    pub call: ToolUse,
    pub tool: Arc<dyn Tool>,
    pub policy: CallPolicy,
    pub cancel: CancellationToken,
    pub observer: Arc<dyn CallObserver>,
    pub batch_start: Instant,
    /// The executor already told the observer the call started (its slot
    /// was free at once), so starts are reported in call order.
    pub announced: bool,
    /// The first of identical calls of a cached tool: shares its success.
    pub leader: Option<Leader>,
    /// The call's `execute_tool` span, and whether content goes on it.
    pub span: tracing::Span,
    pub capture: bool,
    /// The run's hooks and approvals, if any: their `after_tool` hooks see
    /// the result before anyone else.
    pub gate: Option<Arc<Gate>>,
    /// The batch's host context, the tool's [`super::scope::current`].
    pub host: Option<Arc<dyn std::any::Any + Send + Sync>>,
    /// Its tool's adaptive limit once admitted, and the window its current
    /// attempt started in (see `adaptive.rs`).
    pub adaptive: Option<(Arc<AdaptiveLimit>, u64)>,
    /// When the batch was given it, from the batch's start.
    pub queued: Duration,
    /// What it waited for before it ran.
    pub waits: Vec<CallWait>,
}

/// Why one attempt failed (cancellation is the retry loop's to see).
pub(super) enum AttemptError {
    Tool(ToolError),
    TimedOut,
    Panicked(String),
}

impl CallTask {
    /// Runs the call once `slot` (its places in the lines of its limits and
    /// resources, taken in call order by the executor) comes up.
    pub async fn run(mut self, slot: Admission) -> CallOutcome {
        let permit = tokio::select! {
            biased;
            () = self.cancel.cancelled() => {
                let outcome = self.outcome(Err((CallFailure::Cancelled, cancelled_message())), 0, Instant::now());
                self.finished(&outcome);
                return outcome;
            }
            permit = slot.admitted() => permit,
        };
        let mut permit = permit;
        self.waits = std::mem::take(&mut permit.waits);
        let start = Instant::now();
        if !self.announced {
            self.observer.call_started(self.index, &self.call);
        }
        self.adaptive = permit
            .adaptive()
            .map(|(limit, window)| (limit.clone(), window));
        let policy = self.policy.retry.clone();
        let cancel = self.cancel.clone();
        let retried = retry::run(&mut self, policy.as_ref(), &cancel).await;
        let result = match retried.result {
            Ok(out) => {
                if let Some(leader) = self.leader.take() {
                    leader.succeeded(&out);
                }
                if let Some((limit, _)) = &self.adaptive {
                    let change = limit.succeeded();
                    self.limit_changed(change);
                }
                Ok(out)
            }
            Err(Stopped::Cancelled) => Err((CallFailure::Cancelled, cancelled_message())),
            Err(Stopped::Failed(e)) => Err(self.failure(e, retried.attempts)),
        };
        // Timed before the slot is freed, so a call that waited for this
        // slot never appears to start before this one ended.
        let outcome = self.outcome(result, retried.attempts, start);
        drop(permit);
        self.finish(outcome).await
    }

    /// The `after_tool` hooks on `outcome`, then the observer hears of it.
    pub async fn finish(&self, mut outcome: CallOutcome) -> CallOutcome {
        if let Some(gate) = &self.gate
            && gate.after(&self.call, &mut outcome.result).await
        {
            outcome.failure = Some(CallFailure::HookFailed);
        }
        self.finished(&outcome);
        outcome
    }

    /// The call's span and the observer hear of `outcome`, final.
    pub fn finished(&self, outcome: &CallOutcome) {
        crate::telemetry::tool_finished(&self.span, outcome, self.capture);
        self.observer.call_finished(outcome);
    }

    /// Waits for the identical call `follower` follows, then answers with
    /// its result, or runs itself if that call did not succeed.
    pub async fn follow(
        mut self,
        mut follower: Follower,
        rules: Arc<Rules>,
        limit: ConcurrencyLimit,
        ttl: Duration,
    ) -> CallOutcome {
        let waited = Instant::now();
        loop {
            let output = match follower.wait().await {
                Some(output) => Some(output),
                // That call failed: look again (another may have succeeded
                // or started meanwhile), else lead and run.
                None => match rules.cache.lookup(&self.call.name, &self.call.input, ttl) {
                    super::cache::Lookup::Hit(output) => Some(output),
                    super::cache::Lookup::Follow(next) => {
                        follower = next;
                        continue;
                    }
                    super::cache::Lookup::Lead(leader) => {
                        self.leader = Some(leader);
                        None
                    }
                },
            };
            if let Some(output) = output {
                let outcome = self.cached(output, waited);
                return self.finish(outcome).await;
            }
            let rules_of = rules.of(&self.call.name);
            let slot = rules.enqueue(&limit, rules_of, &self.call.input);
            return self.run(slot).await;
        }
    }

    /// Tells the observer of a move of the tool's adaptive limit.
    fn limit_changed(&self, change: Option<LimitChange>) {
        if let Some(LimitChange { from, to }) = change {
            self.observer.tool_limit_changed(&self.call.name, from, to);
        }
    }

    /// The failure class and the message the model reads for the last
    /// attempt's error.
    fn failure(&self, error: AttemptError, attempts: u32) -> (CallFailure, String) {
        match error {
            AttemptError::Tool(e) if e.is_retryable() && attempts > 1 => (
                CallFailure::RetriesExhausted,
                format!("{e} (failed after {attempts} attempts)"),
            ),
            AttemptError::Tool(e @ ToolError::InvalidInput(_)) => (
                CallFailure::InvalidInput,
                format!("{e}. Fix the input and call the tool again."),
            ),
            AttemptError::Tool(e) => (CallFailure::Failed, e.to_string()),
            AttemptError::TimedOut => {
                let limit = self.policy.timeout.unwrap_or_default();
                (
                    CallFailure::TimedOut,
                    format!(
                        "tool `{}` did not finish within {:.1} s and was stopped; try a smaller \
                         request, or continue without this result",
                        self.call.name,
                        limit.as_secs_f64()
                    ),
                )
            }
            AttemptError::Panicked(msg) => (
                CallFailure::Panicked,
                format!(
                    "tool `{}` crashed (panic: {msg}); this is a bug in the tool, not in the input",
                    self.call.name
                ),
            ),
        }
    }

    /// The outcome of a call answered with an identical call's `output`,
    /// from `start` (when it began waiting for it) to now.
    pub fn cached(&self, output: ToolOutput, start: Instant) -> CallOutcome {
        let mut outcome = self.outcome(Ok(output), 0, start);
        outcome.cached = true;
        outcome
    }

    pub(super) fn outcome(
        &self,
        result: Result<ToolOutput, (CallFailure, String)>,
        attempts: u32,
        start: Instant,
    ) -> CallOutcome {
        let (result, failure) = match result {
            Ok(out) => {
                let out = super::output_limit::limit(out, self.policy.max_output_bytes);
                (ToolResult::from_output(&self.call.id, out), None)
            }
            Err((failure, message)) => {
                // An error's message is held to the same limit.
                let message = ToolResultContent::from(super::output_limit::limit(
                    ToolOutput::Text(message),
                    self.policy.max_output_bytes,
                ))
                .to_text();
                (ToolResult::error(&self.call.id, message), Some(failure))
            }
        };
        CallOutcome {
            index: self.index,
            id: self.call.id.clone(),
            name: self.call.name.clone(),
            result,
            failure,
            queued: self.queued,
            started: start.saturating_duration_since(self.batch_start),
            elapsed: start.elapsed(),
            attempts,
            cached: false,
            waits: self.waits.clone(),
        }
    }
}

/// Each attempt runs the tool under the call's timeout, with its panics
/// caught; only [`ToolError::Retryable`] failures are tried again.
impl Operation for CallTask {
    type Output = ToolOutput;
    type Error = AttemptError;

    fn attempt(
        &mut self,
        attempt: u32,
    ) -> impl Future<Output = Result<ToolOutput, AttemptError>> + Send {
        // A retry is a new start under the limit as it is now; the first
        // attempt keeps the window of its admission, so calls admitted
        // together and throttled together count as one burst.
        if let Some((limit, window)) = &mut self.adaptive
            && attempt > 1
        {
            *window = limit.window();
        }
        let token = self.cancel.child_token();
        let mut ctx = ToolContext::new(self.call.id.clone())
            .with_attempt(attempt)
            .with_cancellation(token.clone())
            .with_progress_sink(Arc::new(super::progress::CallProgress {
                index: self.index,
                call: self.call.clone(),
                observer: self.observer.clone(),
            }));
        if let Some(t) = self.policy.timeout {
            ctx = ctx.with_deadline((Instant::now() + t).into_std());
        }
        let call = self.tool.call(self.call.input.clone(), ctx);
        let call = match &self.host {
            None => futures::future::Either::Left(call),
            Some(host) => {
                let scope = super::scope::CallScope {
                    index: self.index,
                    host: host.clone(),
                };
                futures::future::Either::Right(super::scope::within(scope, call))
            }
        };
        let call = AssertUnwindSafe(call).catch_unwind();
        let timeout = self.policy.timeout;
        async move {
            // The tool's future is dropped on a timeout, a cancelled run or
            // a dropped batch; the token tells work it spawned (a plugin's
            // runtime, a blocking thread) to stop as well.
            let stop_on_drop = token.drop_guard();
            let result = match with_timeout(timeout, call).await {
                Ok(Ok(result)) => result.map_err(AttemptError::Tool),
                Ok(Err(panic)) => Err(AttemptError::Panicked(panic_message(panic.as_ref()))),
                Err(_) => return Err(AttemptError::TimedOut),
            };
            stop_on_drop.disarm();
            result
        }
    }

    fn classify(&self, error: &AttemptError) -> Verdict {
        match error {
            AttemptError::Tool(ToolError::Retryable { retry_after, .. }) => Verdict::Transient {
                retry_after: *retry_after,
            },
            _ => Verdict::Final,
        }
    }

    fn failed(&mut self, attempt: u32, error: &AttemptError, retry_in: Option<Duration>) {
        // The tool's "slow down": a retryable error with a retry-after.
        if let (
            AttemptError::Tool(ToolError::Retryable {
                retry_after: Some(_),
                ..
            }),
            Some((limit, window)),
        ) = (error, &self.adaptive)
        {
            let change = limit.throttled(*window);
            self.limit_changed(change);
        }
        if let (AttemptError::Tool(e), Some(delay)) = (error, retry_in) {
            self.observer
                .call_retrying(self.index, &self.call, attempt, e, delay);
        }
    }
}

pub(super) fn cancelled_message() -> String {
    "the run was cancelled before this tool call finished; no result".into()
}

/// The text of a panic payload (`&str` or `String`), as `std` prints it.
pub(super) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text panic payload".into()
    }
}
