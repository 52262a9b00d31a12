//! A call run the way the host runs it: each attempt under a timeout, a
//! retryable failure tried again after a delay, a timed-out attempt
//! cancelled. For plugin authors who want to see their tool retried and
//! timed out in a unit test without depending on the agent runtime
//! (`agent-core`), whose executor applies the same rules.

use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::call_with;
use crate::{Tool, ToolContext, ToolError, ToolOutput};

/// How [`call_with_policy`] runs a call: the host executor's rules, with a
/// fixed, deterministic backoff instead of its jittered exponential one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// How long one attempt may take; `None` waits forever. An attempt that
    /// takes longer is dropped, its token fired, and not retried.
    pub timeout: Option<Duration>,
    /// The most attempts, the first one included (at least one is made).
    pub max_attempts: u32,
    /// The wait before each retry; a tool's `retry_after` hint, when longer,
    /// is waited instead.
    pub backoff: Duration,
}

impl Default for Policy {
    /// The executor's defaults: a 60 s timeout per attempt and 3 attempts;
    /// a 100 ms wait between them.
    fn default() -> Self {
        Self {
            timeout: Some(Duration::from_secs(60)),
            max_attempts: 3,
            backoff: Duration::from_millis(100),
        }
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The tool answered (through the plugin payloads, so a panic is a fatal
    /// error here, as in a plugin).
    Answered(Result<ToolOutput, ToolError>),
    /// The attempt took longer than the timeout; its token was fired.
    TimedOut,
}

/// Every attempt of one call, in order: the last one is how the call ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempts(pub Vec<Attempt>);

impl Attempts {
    /// How the call ended: the last attempt's answer, or `None` if it timed
    /// out.
    pub fn result(&self) -> Option<&Result<ToolOutput, ToolError>> {
        match self.0.last() {
            Some(Attempt::Answered(result)) => Some(result),
            Some(Attempt::TimedOut) | None => None,
        }
    }

    /// How many attempts were made.
    pub fn count(&self) -> usize {
        self.0.len()
    }
}

/// Calls `tool` with `input` as the host does under `policy`: attempt `n`
/// gets a context with `attempt() == n` and the timeout as its deadline,
/// goes through the plugin payloads (see [`call_with`]), and is retried
/// while it fails with [`ToolError::Retryable`] and attempts remain; an
/// attempt that times out is dropped and its cancellation token fired.
///
/// Timeouts and waits are tokio timers: under
/// `#[tokio::test(start_paused = true)]` they take no real time.
pub async fn call_with_policy(tool: &dyn Tool, input: Value, policy: &Policy) -> Attempts {
    let mut attempts = Vec::new();
    let mut number = 1;
    loop {
        let token = CancellationToken::new();
        let mut ctx = ToolContext::new("test-call")
            .with_attempt(number)
            .with_cancellation(token.clone());
        let call = match policy.timeout {
            Some(timeout) => {
                ctx = ctx.with_deadline((tokio::time::Instant::now() + timeout).into_std());
                tokio::time::timeout(timeout, call_with(tool, input.clone(), ctx))
                    .await
                    .ok()
            }
            None => Some(call_with(tool, input.clone(), ctx).await),
        };
        let Some(result) = call else {
            token.cancel();
            attempts.push(Attempt::TimedOut);
            break;
        };
        let delay = match &result {
            Err(ToolError::Retryable { retry_after, .. }) if number < policy.max_attempts => {
                Some(retry_after.unwrap_or_default().max(policy.backoff))
            }
            _ => None,
        };
        attempts.push(Attempt::Answered(result));
        let Some(delay) = delay else { break };
        tokio::time::sleep(delay).await;
        number += 1;
    }
    Attempts(attempts)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use serde_json::json;

    use super::*;
    use crate::tool_fn;

    #[tokio::test(start_paused = true)]
    async fn a_retryable_failure_is_tried_again_with_the_next_attempt_number() {
        let flaky = tool_fn("flaky", "", |(): (), ctx: ToolContext| async move {
            if ctx.attempt() < 3 {
                Err(ToolError::retry_after("busy", Duration::from_secs(2)))
            } else {
                Ok(ToolOutput::text(format!("attempt {}", ctx.attempt())))
            }
        })
        .unwrap();
        let started = tokio::time::Instant::now();
        let attempts = call_with_policy(&flaky, json!(null), &Policy::default()).await;
        assert_eq!(attempts.count(), 3);
        assert_eq!(attempts.result(), Some(&Ok(ToolOutput::text("attempt 3"))));
        // Two waits of the tool's hint, longer than the backoff.
        assert_eq!(started.elapsed(), Duration::from_secs(4));

        let once = Policy {
            max_attempts: 1,
            ..Policy::default()
        };
        let attempts = call_with_policy(&flaky, json!(null), &once).await;
        assert_eq!(
            attempts.0,
            [Attempt::Answered(Err(ToolError::retry_after(
                "busy",
                Duration::from_secs(2)
            )))]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_attempt_times_out_is_cancelled_and_not_retried() {
        let cancelled = Arc::new(AtomicBool::new(false));
        let seen = cancelled.clone();
        let slow = tool_fn("slow", "", move |(): (), ctx: ToolContext| {
            let seen = seen.clone();
            async move {
                let token = ctx.cancellation().clone();
                // Notices the cancellation even after its future is dropped,
                // as work a tool spawned would.
                tokio::spawn(async move {
                    token.cancelled().await;
                    seen.store(true, Ordering::SeqCst);
                });
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(ToolOutput::text("late"))
            }
        })
        .unwrap();
        let policy = Policy {
            timeout: Some(Duration::from_secs(5)),
            ..Policy::default()
        };
        let started = tokio::time::Instant::now();
        let attempts = call_with_policy(&slow, json!(null), &policy).await;
        assert_eq!(attempts.0, [Attempt::TimedOut]);
        assert_eq!(attempts.result(), None);
        assert_eq!(started.elapsed(), Duration::from_secs(5));
        tokio::task::yield_now().await;
        assert!(cancelled.load(Ordering::SeqCst));
    }
}
