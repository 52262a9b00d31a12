//! Retry policies: [`RetryPolicy`] says whether and when to try again;
//! [`ExponentialBackoff`] is the policy most callers want.

use std::fmt;
use std::time::Duration;

/// Decides whether a failed attempt is tried again, and after what delay.
///
/// # Contract
///
/// - Only called for failures that may pass (a retryable tool error, a
///   throttled or transient model error); other failures are never retried.
/// - `attempt` is the 1-based number of the attempt that just failed.
/// - `retry_after` is the failing side's own hint, if it gave one; a policy
///   should not retry sooner than that.
/// - Return `None` to give up: the last error becomes the result.
/// - Called concurrently for many calls, so it keeps no per-call state.
///
/// # Example
///
/// A policy that retries twice, a fixed second apart:
///
/// ```
/// use std::time::Duration;
/// use agent_core::RetryPolicy;
///
/// #[derive(Debug)]
/// struct TwiceASecondApart;
///
/// impl RetryPolicy for TwiceASecondApart {
///     fn next_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
///         (attempt < self.max_attempts())
///             .then(|| retry_after.unwrap_or_default().max(Duration::from_secs(1)))
///     }
///     fn max_attempts(&self) -> u32 {
///         3
///     }
/// }
///
/// assert_eq!(TwiceASecondApart.next_delay(1, None), Some(Duration::from_secs(1)));
/// assert_eq!(TwiceASecondApart.next_delay(3, None), None);
/// ```
pub trait RetryPolicy: Send + Sync + fmt::Debug {
    /// The delay before the next attempt after attempt `attempt` failed, or
    /// `None` to stop.
    fn next_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration>;

    /// The most attempts this policy allows (the first one included), for
    /// messages such as "failed after 3 attempts".
    fn max_attempts(&self) -> u32;

    /// The most time retrying may take, counted from the first attempt's
    /// start: a retry whose delay would end past it is not made. `None`
    /// (the default): attempts alone bound the retries.
    fn budget(&self) -> Option<Duration> {
        None
    }
}

/// How a backoff delay is randomised, so that many callers failing together
/// do not retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    /// The exact exponential delay: deterministic, for tests.
    None,
    /// Uniform in `[0, delay]`.
    Full,
    /// Uniform in `[delay / 2, delay]`: spread out, yet never too eager.
    #[default]
    Equal,
}

/// Exponential backoff with a cap and jitter: the delay before retry `n` is
/// `min(cap, base * 2^(n-1))`, jittered, and never less than the failing
/// side's `retry_after` hint (itself capped by `max_retry_after`).
///
/// ```
/// use std::time::Duration;
/// use agent_core::{ExponentialBackoff, Jitter, RetryPolicy};
///
/// let policy = ExponentialBackoff::default()
///     .with_max_attempts(4)
///     .with_base(Duration::from_millis(100))
///     .with_jitter(Jitter::None);
/// assert_eq!(policy.next_delay(1, None), Some(Duration::from_millis(100)));
/// assert_eq!(policy.next_delay(3, None), Some(Duration::from_millis(400)));
/// assert_eq!(policy.next_delay(4, None), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExponentialBackoff {
    max_attempts: u32,
    base: Duration,
    cap: Duration,
    jitter: Jitter,
    max_retry_after: Duration,
    budget: Option<Duration>,
}

impl Default for ExponentialBackoff {
    /// For tool calls: 3 attempts, 100 ms base, 2 s cap, equal jitter.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            jitter: Jitter::Equal,
            max_retry_after: Duration::from_secs(60),
            budget: None,
        }
    }
}

impl ExponentialBackoff {
    /// For model calls: up to 100 attempts within 120 s, 200 ms base, 750 ms
    /// cap, equal jitter; `retry-after` hints honoured up to 60 s.
    ///
    /// Throttling comes in bursts: a short cap keeps retrying often enough
    /// that the first attempt after a burst ends goes through within a
    /// fraction of a second (375–750 ms later at most), and the many
    /// attempts ride out long bursts: twelve throttles in a row pass in
    /// 4–8 s, and at least 36 s of continuous throttling is survived (99
    /// retries of at least 375 ms) before the run fails, within the 120 s
    /// budget. Tune with [`with_max_attempts`](Self::with_max_attempts),
    /// [`with_cap`](Self::with_cap) and [`with_budget`](Self::with_budget).
    pub fn for_model() -> Self {
        Self {
            max_attempts: 100,
            base: Duration::from_millis(200),
            cap: Duration::from_millis(750),
            budget: Some(Duration::from_secs(120)),
            ..Self::default()
        }
    }

    /// A policy that never retries.
    pub fn never() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Most attempts, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delay before the first retry.
    pub fn with_base(mut self, base: Duration) -> Self {
        self.base = base;
        self
    }

    /// The longest delay between attempts.
    pub fn with_cap(mut self, cap: Duration) -> Self {
        self.cap = cap;
        self
    }

    /// How delays are randomised.
    pub fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The most time retrying may take from the first attempt's start
    /// (`None`: no limit but the attempts).
    pub fn with_budget(mut self, budget: Option<Duration>) -> Self {
        self.budget = budget;
        self
    }

    /// The longest `retry_after` hint honoured.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The delay before retry `attempt` (1-based) before jitter.
    fn exponential(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base.saturating_mul(factor).min(self.cap)
    }
}

impl RetryPolicy for ExponentialBackoff {
    fn next_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let delay = self.exponential(attempt);
        let jittered = match self.jitter {
            Jitter::None => delay,
            Jitter::Full => delay.mul_f64(fastrand::f64()),
            Jitter::Equal => delay / 2 + (delay / 2).mul_f64(fastrand::f64()),
        };
        let hint = retry_after
            .map(|h| h.min(self.max_retry_after))
            .unwrap_or_default();
        Some(jittered.max(hint))
    }

    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    fn budget(&self) -> Option<Duration> {
        self.budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_default_rides_out_long_bursts_and_recovers_fast() {
        let p = ExponentialBackoff::for_model();
        // Twelve throttles in a row are retried, within the budget even at
        // the longest jitter.
        let longest: Duration = (1..=12).map(|a| p.exponential(a)).sum();
        assert!(p.next_delay(12, None).is_some());
        assert!(longest < p.budget().unwrap());
        // At least 30 s of throttling is survived at the shortest jitter:
        // every retry the attempts allow, each at least half its delay.
        let shortest: Duration = (1..p.max_attempts()).map(|a| p.exponential(a) / 2).sum();
        assert!(shortest >= Duration::from_secs(30), "{shortest:?}");
        // And the wait after the last throttle of a burst is under a second.
        assert!(p.exponential(50) < Duration::from_secs(1));
        // A huge hint waits the documented 60 s cap, not longer.
        assert_eq!(
            p.next_delay(1, Some(Duration::from_secs(1_000_000_000))),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn grows_exponentially_up_to_the_cap() {
        let p = ExponentialBackoff::default()
            .with_max_attempts(10)
            .with_base(Duration::from_millis(100))
            .with_cap(Duration::from_millis(500))
            .with_jitter(Jitter::None);
        let delays: Vec<_> = (1..10)
            .map(|a| p.next_delay(a, None).unwrap().as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 500, 500, 500, 500, 500, 500]);
        assert_eq!(p.next_delay(10, None), None);
    }

    #[test]
    fn jitter_stays_in_its_bounds() {
        for jitter in [Jitter::Full, Jitter::Equal] {
            let p = ExponentialBackoff::default().with_jitter(jitter);
            for _ in 0..200 {
                let d = p.next_delay(2, None).unwrap();
                assert!(d <= Duration::from_millis(200), "{d:?}");
                if jitter == Jitter::Equal {
                    assert!(d >= Duration::from_millis(100), "{d:?}");
                }
            }
        }
    }

    #[test]
    fn honours_hints_up_to_a_maximum() {
        let p = ExponentialBackoff::default().with_jitter(Jitter::None);
        assert_eq!(
            p.next_delay(1, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            p.next_delay(1, Some(Duration::from_secs(600))),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            p.next_delay(1, Some(Duration::from_millis(1))),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn model_default_delays_are_exact_without_jitter() {
        let p = ExponentialBackoff::for_model().with_jitter(Jitter::None);
        let total: Duration = (1..=6).map(|a| p.next_delay(a, None).unwrap()).sum();
        assert_eq!(total, Duration::from_millis(200 + 400 + 750 * 4));
        assert!(p.next_delay(99, None).is_some());
        assert_eq!(p.next_delay(100, None), None);
    }
}
