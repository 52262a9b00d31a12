//! How long a tool sleeps: fixed by default, random on request, and never
//! past a cancellation.

use std::time::Duration;

use tool_api::{ToolContext, ToolError};

/// The environment variable that picks the delays: `fixed`, `random` or `none`.
pub const DELAY_ENV: &str = "DEMO_TOOLS_DELAY";

/// Which delays the tools use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayMode {
    /// The fixed delays of the reference work (the default).
    Fixed,
    /// Uniform in each tool's range.
    Random,
    /// No delay at all.
    None,
}

impl DelayMode {
    /// The mode [`DELAY_ENV`] asks for; anything unknown means [`Self::Fixed`].
    pub fn from_env() -> Self {
        match std::env::var(DELAY_ENV).as_deref().map(str::trim) {
            Ok(v) if v.eq_ignore_ascii_case("random") => Self::Random,
            Ok(v) if v.eq_ignore_ascii_case("none") => Self::None,
            _ => Self::Fixed,
        }
    }
}

/// A tool's delay: the fixed value and the random range, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Delay {
    pub fixed_ms: u64,
    pub range_ms: (u64, u64),
}

impl Delay {
    /// The delay for one call under `mode`.
    pub fn pick(&self, mode: DelayMode) -> Duration {
        Duration::from_millis(match mode {
            DelayMode::Fixed => self.fixed_ms,
            DelayMode::Random => fastrand::u64(self.range_ms.0..=self.range_ms.1),
            DelayMode::None => 0,
        })
    }

    /// Sleeps this delay (as [`DELAY_ENV`] says) on the runtime's timer.
    pub async fn sleep(&self, ctx: &ToolContext) -> Result<(), ToolError> {
        sleep(self.pick(DelayMode::from_env()), ctx).await
    }
}

/// Sleeps `duration` on the runtime's timer, or less if the call is cancelled.
pub(crate) async fn sleep(duration: Duration, ctx: &ToolContext) -> Result<(), ToolError> {
    if duration.is_zero() {
        // tokio's timer has millisecond ticks: a zero sleep still waits for
        // the next tick, which would make `sleep_tool(0)` cost about 1 ms.
        return if ctx.cancellation().is_cancelled() {
            Err(ToolError::fatal("the call was cancelled"))
        } else {
            Ok(())
        };
    }
    tokio::select! {
        () = tokio::time::sleep(duration) => Ok(()),
        () = ctx.cancellation().cancelled() => Err(ToolError::fatal("the call was cancelled")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_follow_the_mode() {
        let d = Delay {
            fixed_ms: 1250,
            range_ms: (1000, 1500),
        };
        assert_eq!(d.pick(DelayMode::Fixed), Duration::from_millis(1250));
        assert_eq!(d.pick(DelayMode::None), Duration::ZERO);
        for _ in 0..100 {
            let r = d.pick(DelayMode::Random);
            assert!(r >= Duration::from_millis(1000) && r <= Duration::from_millis(1500));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_ends_a_sleep() {
        let ctx = ToolContext::new("c");
        ctx.cancellation().cancel();
        assert!(sleep(Duration::from_secs(3600), &ctx).await.is_err());
    }
}
