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

/// A reference tool's delay: the fixed value and the random range.
///
/// [`TOOL_DELAYS`] is the one table of them: the tools sleep by it, and the
/// reference work (`agent-testkit`) computes each query's limit from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolDelay {
    /// The tool's name.
    pub name: &'static str,
    /// Fixed delay (the default mode).
    pub fixed: Duration,
    /// Random range (low, high), both included.
    pub range: (Duration, Duration),
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `get_weather`: 1.25 s fixed, 1.0–1.5 s random.
pub(crate) const GET_WEATHER: ToolDelay = ToolDelay {
    name: "get_weather",
    fixed: ms(1250),
    range: (ms(1000), ms(1500)),
};

/// `get_stock_price`: 0.75 s fixed, 0.5–1.0 s random.
pub(crate) const GET_STOCK_PRICE: ToolDelay = ToolDelay {
    name: "get_stock_price",
    fixed: ms(750),
    range: (ms(500), ms(1000)),
};

/// `calculate_distance`: 0.95 s fixed, 0.7–1.2 s random.
pub(crate) const CALCULATE_DISTANCE: ToolDelay = ToolDelay {
    name: "calculate_distance",
    fixed: ms(950),
    range: (ms(700), ms(1200)),
};

/// `search_restaurants`: 1.60 s fixed, 1.2–2.0 s random.
pub(crate) const SEARCH_RESTAURANTS: ToolDelay = ToolDelay {
    name: "search_restaurants",
    fixed: ms(1600),
    range: (ms(1200), ms(2000)),
};

/// The delays of the reference tools with one (the sleep tools sleep their
/// input instead, `noop` not at all).
pub const TOOL_DELAYS: [ToolDelay; 4] = [
    GET_WEATHER,
    GET_STOCK_PRICE,
    CALCULATE_DISTANCE,
    SEARCH_RESTAURANTS,
];

/// The fixed delay of the tool `name`, if it has one in [`TOOL_DELAYS`].
pub fn fixed_delay(name: &str) -> Option<Duration> {
    TOOL_DELAYS.iter().find(|d| d.name == name).map(|d| d.fixed)
}

impl ToolDelay {
    /// The delay for one call under `mode`.
    pub fn pick(&self, mode: DelayMode) -> Duration {
        match mode {
            DelayMode::Fixed => self.fixed,
            DelayMode::Random => {
                let (low, high) = self.range;
                ms(fastrand::u64(
                    low.as_millis() as u64..=high.as_millis() as u64,
                ))
            }
            DelayMode::None => Duration::ZERO,
        }
    }

    /// Sleeps this delay (as [`DELAY_ENV`] says) on the runtime's timer.
    pub(crate) async fn sleep(&self, ctx: &ToolContext) -> Result<(), ToolError> {
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
        let d = GET_WEATHER;
        assert_eq!(d.pick(DelayMode::Fixed), Duration::from_millis(1250));
        assert_eq!(d.pick(DelayMode::None), Duration::ZERO);
        for _ in 0..100 {
            let r = d.pick(DelayMode::Random);
            assert!(r >= Duration::from_millis(1000) && r <= Duration::from_millis(1500));
        }
    }

    #[test]
    fn fixed_delays_by_name() {
        assert_eq!(fixed_delay("search_restaurants"), Some(ms(1600)));
        assert_eq!(fixed_delay("sleep_tool"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_ends_a_sleep() {
        let ctx = ToolContext::new("c");
        ctx.cancellation().cancel();
        assert!(sleep(Duration::from_secs(3600), &ctx).await.is_err());
    }
}
