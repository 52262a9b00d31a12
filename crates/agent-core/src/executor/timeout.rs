//! Per-call timeout: the call's future is dropped at its deadline.

use std::future::Future;
use std::time::Duration;

/// The call did not finish within its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("timed out after {0:?}")]
pub struct TimedOut(pub Duration);

/// Runs `fut` to completion, or drops it after `limit` (no limit: `None`).
///
/// On tokio's clock, so a paused test clock makes timeouts exact.
pub async fn with_timeout<F: Future>(
    limit: Option<Duration>,
    fut: F,
) -> Result<F::Output, TimedOut> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, fut)
            .await
            .map_err(|_| TimedOut(limit)),
        None => Ok(fut.await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn drops_the_future_at_the_deadline() {
        let start = tokio::time::Instant::now();
        let r = with_timeout(
            Some(Duration::from_secs(1)),
            tokio::time::sleep(Duration::from_secs(10)),
        )
        .await;
        assert_eq!(r, Err(TimedOut(Duration::from_secs(1))));
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        assert_eq!(with_timeout(None, async { 7 }).await, Ok(7));
    }
}
