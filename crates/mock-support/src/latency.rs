//! The model's latency: how long a local server waits before it answers.

use std::time::Duration;

/// The last part of a wait, slept on a thread rather than on tokio's timer.
const FINE: Duration = Duration::from_millis(3);

/// Waits `latency`; returns at once for zero, without touching the timer.
///
/// Precise to tens of microseconds on the real clock: tokio's timer has
/// millisecond ticks and rounds up, so a plain `sleep(500 ms)` answers
/// about 1.3 ms late, and a benchmark against this server would count that
/// as the client's overhead. So all but the last 3 ms is slept on tokio's
/// timer and the rest on a blocking-pool thread (held for at most those
/// 3 ms). On a paused tokio clock (tests with `start_paused`) the wait is
/// exact in virtual time (a short one may also take up to 3 ms of real
/// time).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// mock_support::latency::wait(std::time::Duration::ZERO).await;
/// # }
/// ```
pub async fn wait(latency: Duration) {
    if latency.is_zero() {
        return;
    }
    let virtual_start = tokio::time::Instant::now();
    let real_start = std::time::Instant::now();
    if latency > FINE {
        tokio::time::sleep(latency - FINE).await;
    }
    let real = real_start.elapsed();
    let virtual_elapsed = virtual_start.elapsed();
    if real + FINE < virtual_elapsed {
        // tokio's clock ran ahead of the real one: it is paused and
        // auto-advancing. Stay on it.
        tokio::time::sleep(latency.saturating_sub(virtual_elapsed)).await;
        return;
    }
    let rest = latency.saturating_sub(real);
    if !rest.is_zero() {
        // A panic of `thread::sleep` is not possible; a failed join (the
        // runtime shutting down) only ends the wait early.
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
    // On the real clock tokio's time has passed `latency` by now. On a
    // paused clock the test above can miss (a short latency, a loaded
    // machine): whatever virtual time is still owed is slept here, so the
    // wait is exact there too.
    let owed = latency.saturating_sub(virtual_start.elapsed());
    if !owed.is_zero() {
        tokio::time::sleep(owed).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_the_latency_exactly_on_a_paused_clock() {
        let start = tokio::time::Instant::now();
        wait(Duration::from_millis(250)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(250));
        wait(Duration::ZERO).await;
        assert_eq!(start.elapsed(), Duration::from_millis(250));
        for ms in [1, 3, 5] {
            let before = tokio::time::Instant::now();
            wait(Duration::from_millis(ms)).await;
            assert_eq!(before.elapsed(), Duration::from_millis(ms));
        }
    }

    // A lower bound only: how close it comes is for the benchmarks.
    #[tokio::test]
    async fn never_answers_early_on_the_real_clock() {
        for ms in [1, 3, 4, 20] {
            let latency = Duration::from_millis(ms);
            let start = std::time::Instant::now();
            wait(latency).await;
            assert!(start.elapsed() >= latency, "{ms} ms");
        }
    }
}
