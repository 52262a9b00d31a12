//! One call, start to end: wait for a slot, then attempts under a timeout,
//! retried by the policy, with panics and cancellation turned into results.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tool_api::{Tool, ToolContext, ToolError, ToolOutput};

use super::limit::Queued;
use super::timeout::with_timeout;
use super::{CallFailure, CallObserver, CallOutcome, CallPolicy};
use crate::{ToolResult, ToolUse};

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
}

enum Attempt {
    Done(Result<ToolOutput, ToolError>),
    TimedOut,
    Panicked(String),
    Cancelled,
}

impl CallTask {
    /// Runs the call once `slot` (its place in the limit's line, taken in
    /// call order by the executor) comes up.
    pub async fn run(self, slot: Queued) -> CallOutcome {
        let permit = tokio::select! {
            biased;
            () = self.cancel.cancelled() => {
                let outcome = self.outcome(Err((CallFailure::Cancelled, cancelled_message())), 0, Instant::now());
                self.observer.call_finished(&outcome);
                return outcome;
            }
            permit = slot.acquired() => permit,
        };
        let start = Instant::now();
        if !self.announced {
            self.observer.call_started(self.index, &self.call);
        }
        let mut attempt = 1;
        let result = loop {
            match self.attempt(attempt).await {
                Attempt::Done(Ok(out)) => break Ok(out),
                Attempt::Done(Err(e)) if e.is_retryable() => {
                    let hint = match &e {
                        ToolError::Retryable { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    let Some(delay) = self.policy.retry.next_delay(attempt, hint) else {
                        break Err(if attempt > 1 {
                            (
                                CallFailure::RetriesExhausted,
                                format!("{e} (failed after {attempt} attempts)"),
                            )
                        } else {
                            (CallFailure::Failed, e.to_string())
                        });
                    };
                    self.observer
                        .call_retrying(self.index, &self.call, attempt, &e, delay);
                    tokio::select! {
                        biased;
                        () = self.cancel.cancelled() => break Err((CallFailure::Cancelled, cancelled_message())),
                        () = tokio::time::sleep(delay) => {}
                    }
                    attempt += 1;
                }
                Attempt::Done(Err(e @ ToolError::InvalidInput(_))) => {
                    break Err((
                        CallFailure::InvalidInput,
                        format!("{e}. Fix the input and call the tool again."),
                    ));
                }
                Attempt::Done(Err(e)) => break Err((CallFailure::Failed, e.to_string())),
                Attempt::TimedOut => {
                    let limit = self.policy.timeout.unwrap_or_default();
                    break Err((
                        CallFailure::TimedOut,
                        format!(
                            "tool `{}` did not finish within {:.1} s and was stopped; try a smaller \
                             request, or continue without this result",
                            self.call.name,
                            limit.as_secs_f64()
                        ),
                    ));
                }
                Attempt::Panicked(msg) => {
                    break Err((
                        CallFailure::Panicked,
                        format!(
                            "tool `{}` crashed (panic: {msg}); this is a bug in the tool, not in the input",
                            self.call.name
                        ),
                    ));
                }
                Attempt::Cancelled => break Err((CallFailure::Cancelled, cancelled_message())),
            }
        };
        // Timed before the slot is freed, so a call that waited for this
        // slot never appears to start before this one ended.
        let outcome = self.outcome(result, attempt, start);
        drop(permit);
        self.observer.call_finished(&outcome);
        outcome
    }

    async fn attempt(&self, attempt: u32) -> Attempt {
        let token = self.cancel.child_token();
        let mut ctx = ToolContext::new(self.call.id.clone())
            .with_attempt(attempt)
            .with_cancellation(token.clone());
        if let Some(t) = self.policy.timeout {
            ctx = ctx.with_deadline((Instant::now() + t).into_std());
        }
        let call = AssertUnwindSafe(self.tool.call(self.call.input.clone(), ctx)).catch_unwind();
        let result = tokio::select! {
            biased;
            () = self.cancel.cancelled() => Attempt::Cancelled,
            r = with_timeout(self.policy.timeout, call) => match r {
                Ok(Ok(result)) => Attempt::Done(result),
                Ok(Err(panic)) => Attempt::Panicked(panic_message(panic.as_ref())),
                Err(_) => Attempt::TimedOut,
            },
        };
        if matches!(result, Attempt::TimedOut | Attempt::Cancelled) {
            // The future is dropped; the token tells work it spawned (a
            // plugin's runtime, a blocking thread) to stop as well.
            token.cancel();
        }
        result
    }

    fn outcome(
        &self,
        result: Result<ToolOutput, (CallFailure, String)>,
        attempts: u32,
        start: Instant,
    ) -> CallOutcome {
        let (result, failure) = match result {
            Ok(out) => (ToolResult::success(&self.call.id, out.into()), None),
            Err((failure, message)) => (ToolResult::error(&self.call.id, message), Some(failure)),
        };
        CallOutcome {
            index: self.index,
            id: self.call.id.clone(),
            name: self.call.name.clone(),
            result,
            failure,
            started: start.saturating_duration_since(self.batch_start),
            elapsed: start.elapsed(),
            attempts,
        }
    }
}

fn cancelled_message() -> String {
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
