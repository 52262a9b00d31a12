//! The model's latency: how long a local server waits before it answers.

use std::time::Duration;

/// Waits `latency`; returns at once for zero, without touching the timer.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// mock_support::latency::wait(std::time::Duration::ZERO).await;
/// # }
/// ```
pub async fn wait(latency: Duration) {
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_the_latency() {
        let start = tokio::time::Instant::now();
        wait(Duration::from_millis(250)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(250));
        wait(Duration::ZERO).await;
        assert_eq!(start.elapsed(), Duration::from_millis(250));
    }
}
