//! The retry loop, written once: attempt, classify the failure, ask the
//! policy for a delay, sleep unless cancelled, attempt again.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::RetryPolicy;

/// Something worth retrying: a tool call, a model turn.
///
/// # Contract
///
/// - [`Operation::attempt`] is called once per attempt, numbered from 1, and
///   the future it returns is dropped unfinished if the run is cancelled
///   meanwhile; work that must outlive that drop (a spawned task, a plugin's
///   runtime) is the operation's to stop.
/// - [`Operation::classify`] decides which failures may pass; only those go
///   to the [`RetryPolicy`].
/// - [`Operation::failed`] hears of every failed attempt before the loop
///   sleeps or gives up, so callers record attempts and emit events there.
pub trait Operation {
    /// What a successful attempt yields.
    type Output;
    /// What a failed attempt yields.
    type Error;

    /// Starts attempt `attempt` (1-based). Work done before the returned
    /// future is polled (an event saying the attempt starts) happens even
    /// when the run is already cancelled, so every attempt begun is seen.
    fn attempt(
        &mut self,
        attempt: u32,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;

    /// Whether a later attempt may succeed where this one failed.
    fn classify(&self, error: &Self::Error) -> Verdict;

    /// Attempt `attempt` failed with `error`; the next one starts after
    /// `retry_in`, or there is none (`None`: the error is final, or the
    /// policy gave up).
    fn failed(&mut self, attempt: u32, error: &Self::Error, retry_in: Option<Duration>) {
        let _ = (attempt, error, retry_in);
    }
}

/// How a failure is judged by the operation that saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No later attempt can succeed: the error is the result.
    Final,
    /// A later attempt may succeed (throttling, a transient fault).
    Transient {
        /// The failing side's own hint of how long to wait, if it gave one.
        retry_after: Option<Duration>,
    },
}

/// Why a retried operation ended without a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped<E> {
    /// The last attempt's error: final, or the policy gave up.
    Failed(E),
    /// The cancellation token fired, during an attempt or a backoff.
    Cancelled,
}

/// The end of [`run()`]: the result, and how many attempts were begun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retried<T, E> {
    /// The first success, or why there was none.
    pub result: Result<T, Stopped<E>>,
    /// Attempts begun, a cancelled one included (at least 1).
    pub attempts: u32,
}

/// Drives `operation` until an attempt succeeds, a failure is final, the
/// `policy` gives up, or `cancel` fires.
///
/// Cancellation wins over a result that is ready at the same moment, both
/// during an attempt and during a backoff, so a cancelled run never starts
/// another attempt. Time is tokio's, so tests on a paused clock are exact.
///
/// ```
/// use std::time::Duration;
/// use agent_core::{ExponentialBackoff, Jitter};
/// use agent_core::retry::{self, Operation, Verdict};
/// use tokio_util::sync::CancellationToken;
///
/// /// Fails twice, then answers.
/// struct Flaky;
///
/// impl Operation for Flaky {
///     type Output = &'static str;
///     type Error = &'static str;
///     fn attempt(&mut self, attempt: u32) -> impl Future<Output = Result<&'static str, &'static str>> + Send {
///         async move { if attempt < 3 { Err("busy") } else { Ok("done") } }
///     }
///     fn classify(&self, _: &&'static str) -> Verdict {
///         Verdict::Transient { retry_after: None }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let policy = ExponentialBackoff::default().with_jitter(Jitter::None);
/// let retried = retry::run(&mut Flaky, &policy, &CancellationToken::new()).await;
/// assert_eq!(retried.result, Ok("done"));
/// assert_eq!(retried.attempts, 3);
/// # }
/// ```
pub async fn run<O, P>(
    operation: &mut O,
    policy: &P,
    cancel: &CancellationToken,
) -> Retried<O::Output, O::Error>
where
    O: Operation,
    P: RetryPolicy + ?Sized,
{
    let started = tokio::time::Instant::now();
    let mut attempt = 1;
    loop {
        let attempting = operation.attempt(attempt);
        let result = tokio::select! {
            biased;
            () = cancel.cancelled() => Err(Stopped::Cancelled),
            r = attempting => r.map_err(Stopped::Failed),
        };
        let error = match result {
            Err(Stopped::Failed(error)) => error,
            result => {
                return Retried {
                    result,
                    attempts: attempt,
                };
            }
        };
        let retry_in = match operation.classify(&error) {
            Verdict::Final => None,
            Verdict::Transient { retry_after } => policy
                .next_delay(attempt, retry_after)
                .filter(|delay| within_budget(policy.budget(), started.elapsed() + *delay)),
        };
        operation.failed(attempt, &error, retry_in);
        let Some(delay) = retry_in else {
            return Retried {
                result: Err(Stopped::Failed(error)),
                attempts: attempt,
            };
        };
        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                return Retried {
                    result: Err(Stopped::Cancelled),
                    attempts: attempt,
                };
            }
            () = tokio::time::sleep(delay) => {}
        }
        attempt += 1;
    }
}

/// Whether a retry that would start `at` after the first attempt fits the
/// policy's budget.
fn within_budget(budget: Option<Duration>, at: Duration) -> bool {
    budget.is_none_or(|b| at <= b)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use tokio::time::Instant;

    use super::*;
    use crate::{ExponentialBackoff, Jitter};

    /// An error: transient with an optional hint, or final.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Fault {
        Transient(Option<Duration>),
        Final,
    }

    /// Plays a script of results, one per attempt (each after `work`), and
    /// records what the loop told it.
    #[derive(Default)]
    struct Script {
        results: VecDeque<Result<&'static str, Fault>>,
        work: Duration,
        /// Attempt numbers, and when each began.
        began: Vec<(u32, Duration)>,
        /// (attempt, retry_in) of each failure reported.
        failures: Vec<(u32, Option<Duration>)>,
        start: Option<Instant>,
    }

    impl Script {
        fn new(results: impl IntoIterator<Item = Result<&'static str, Fault>>) -> Self {
            Self {
                results: results.into_iter().collect(),
                start: Some(Instant::now()),
                ..Self::default()
            }
        }
    }

    impl Operation for Script {
        type Output = &'static str;
        type Error = Fault;

        fn attempt(
            &mut self,
            attempt: u32,
        ) -> impl Future<Output = Result<&'static str, Fault>> + Send {
            let at = self.start.map(|s| s.elapsed()).unwrap_or_default();
            self.began.push((attempt, at));
            let result = self.results.pop_front().unwrap_or(Err(Fault::Final));
            let work = self.work;
            async move {
                tokio::time::sleep(work).await;
                result
            }
        }

        fn classify(&self, error: &Fault) -> Verdict {
            match error {
                Fault::Transient(retry_after) => Verdict::Transient {
                    retry_after: *retry_after,
                },
                Fault::Final => Verdict::Final,
            }
        }

        fn failed(&mut self, attempt: u32, _: &Fault, retry_in: Option<Duration>) {
            self.failures.push((attempt, retry_in));
        }
    }

    fn exact(attempts: u32) -> ExponentialBackoff {
        ExponentialBackoff::default()
            .with_max_attempts(attempts)
            .with_base(Duration::from_millis(100))
            .with_jitter(Jitter::None)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_failures_with_numbered_attempts() {
        let mut op = Script::new([
            Err(Fault::Transient(None)),
            Err(Fault::Transient(None)),
            Ok("ok"),
        ]);
        let retried = run(&mut op, &exact(5), &CancellationToken::new()).await;
        assert_eq!(retried.result, Ok("ok"));
        assert_eq!(retried.attempts, 3);
        assert_eq!(op.began, [(1, ms(0)), (2, ms(100)), (3, ms(300))]);
        assert_eq!(op.failures, [(1, Some(ms(100))), (2, Some(ms(200)))]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_final_error_is_not_retried() {
        let mut op = Script::new([Err(Fault::Transient(None)), Err(Fault::Final), Ok("never")]);
        let retried = run(&mut op, &exact(5), &CancellationToken::new()).await;
        assert_eq!(retried.result, Err(Stopped::Failed(Fault::Final)));
        assert_eq!(retried.attempts, 2);
        assert_eq!(op.failures, [(1, Some(ms(100))), (2, None)]);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_policys_attempts() {
        let mut op = Script::new(std::iter::repeat_n(Err(Fault::Transient(None)), 10));
        let start = Instant::now();
        let retried = run(&mut op, &exact(3), &CancellationToken::new()).await;
        assert_eq!(retried.result, Err(Stopped::Failed(Fault::Transient(None))));
        assert_eq!(retried.attempts, 3);
        assert_eq!(
            op.failures,
            [(1, Some(ms(100))), (2, Some(ms(200))), (3, None)]
        );
        assert_eq!(start.elapsed(), ms(300), "no sleep after the last attempt");
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_starts_past_the_budget() {
        // Delays 100, 200, 400, 800 ms; each attempt works 50 ms. The third
        // retry would start at 50+100+50+200+50+400 = 850 ms: inside a 900 ms
        // budget; the fourth at 850+50+800 = 1700 ms: past it.
        let mut op = Script::new(std::iter::repeat_n(Err(Fault::Transient(None)), 10));
        op.work = ms(50);
        let policy = exact(10).with_budget(Some(ms(900)));
        let start = Instant::now();
        let retried = run(&mut op, &policy, &CancellationToken::new()).await;
        assert_eq!(retried.attempts, 4);
        assert_eq!(
            op.failures,
            [
                (1, Some(ms(100))),
                (2, Some(ms(200))),
                (3, Some(ms(400))),
                (4, None)
            ]
        );
        assert_eq!(start.elapsed(), ms(900), "gave up without sleeping");
    }

    #[tokio::test(start_paused = true)]
    async fn the_failing_sides_hint_is_respected() {
        let mut op = Script::new([
            Err(Fault::Transient(Some(Duration::from_secs(5)))),
            Ok("ok"),
        ]);
        let retried = run(&mut op, &exact(3), &CancellationToken::new()).await;
        assert_eq!(retried.result, Ok("ok"));
        assert_eq!(op.began, [(1, ms(0)), (2, Duration::from_secs(5))]);
        assert_eq!(op.failures, [(1, Some(Duration::from_secs(5)))]);
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_during_a_backoff_stops_before_the_next_attempt() {
        let mut op = Script::new([
            Err(Fault::Transient(Some(Duration::from_secs(10)))),
            Ok("late"),
        ]);
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            c.cancel();
        });
        let start = Instant::now();
        let retried = run(&mut op, &exact(3), &cancel).await;
        assert_eq!(retried.result, Err(Stopped::Cancelled));
        assert_eq!(retried.attempts, 1, "the failed attempt, no new one");
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        assert_eq!(op.began.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_during_an_attempt_drops_it() {
        let mut op = Script::new([Err(Fault::Transient(None)), Ok("late")]);
        op.work = Duration::from_secs(10);
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(12)).await;
            c.cancel();
        });
        let start = Instant::now();
        let retried = run(&mut op, &exact(3), &cancel).await;
        assert_eq!(retried.result, Err(Stopped::Cancelled));
        assert_eq!(retried.attempts, 2);
        assert_eq!(start.elapsed(), Duration::from_secs(12));
    }

    #[tokio::test(start_paused = true)]
    async fn an_already_cancelled_run_begins_one_attempt_and_stops() {
        let mut op = Script::new([Ok("never")]);
        let cancel = CancellationToken::new();
        cancel.cancel();
        let retried = run(&mut op, &exact(3), &cancel).await;
        assert_eq!(retried.result, Err(Stopped::Cancelled));
        assert_eq!(retried.attempts, 1);
        assert_eq!(op.began, [(1, ms(0))]);
    }
}
