//! Rate limit: a token bucket per tool, for APIs that allow N calls per
//! second or minute. The bucket holds N tokens and refills N per period;
//! each call start takes one, in the order the calls reach it.
//!
//! Written as reservations (the generic cell rate algorithm): each call is
//! given the time it may start, so waiting is one sleep, with no polling.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// One tool's bucket.
#[derive(Debug)]
pub(super) struct RateLimit {
    /// Time between two tokens.
    interval: Duration,
    /// How far ahead of its time a call may start: a full bucket's worth.
    burst: Duration,
    /// When the bucket would be full again were no more calls to come.
    theoretical: Mutex<Option<Instant>>,
}

impl RateLimit {
    /// `n` (at least 1) call starts per `period`.
    pub fn new(n: u32, period: Duration) -> Self {
        let n = n.max(1);
        let interval = period / n;
        Self {
            interval,
            burst: interval * (n - 1),
            theoretical: Mutex::new(None),
        }
    }

    /// Takes the next token: the instant the call may start (now, or later).
    pub fn reserve(&self) -> Instant {
        let now = Instant::now();
        let Ok(mut tat) = self.theoretical.lock() else {
            return now;
        };
        let at = tat.map_or(now, |t| t.max(now));
        *tat = Some(at + self.interval);
        at.checked_sub(self.burst)
            .map_or(now, |start| start.max(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_then_one_per_interval() {
        let rate = RateLimit::new(2, Duration::from_secs(1));
        let t0 = Instant::now();
        let at: Vec<Duration> = (0..5).map(|_| rate.reserve() - t0).collect();
        let ms = Duration::from_millis;
        assert_eq!(at, [ms(0), ms(0), ms(500), ms(1000), ms(1500)]);
        // Idle long enough, the bucket is full again.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let t1 = Instant::now();
        assert_eq!(rate.reserve(), t1);
        assert_eq!(rate.reserve(), t1);
        assert_eq!(rate.reserve(), t1 + ms(500));
    }
}
