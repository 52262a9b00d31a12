//! # demo-tools: the reference plugin
//!
//! The tools of the reference work (`shared/bench/REFERENCE.md`), as a plugin
//! library, one file per tool:
//!
//! | tool | input | fixed delay | random range |
//! |---|---|---|---|
//! | `get_weather` | `location` | 1.25 s | 1.0–1.5 s |
//! | `get_stock_price` | `symbol` | 0.75 s | 0.5–1.0 s |
//! | `calculate_distance` | `origin`, `destination` | 0.95 s | 0.7–1.2 s |
//! | `search_restaurants` | `location`, `cuisine?` | 1.60 s | 1.2–2.0 s |
//! | `sleep_tool` | `ms` | `ms` | – |
//! | `sleep_tool_blocking` | `ms` | `ms`, blocking a thread | – |
//! | `noop` | – | none | – |
//!
//! Delays sleep on the plugin runtime's timer, so a call in flight holds no
//! thread; `sleep_tool_blocking` does a `std::thread::sleep` on the runtime's
//! blocking pool, to measure the blocking path. The environment variable
//! `DEMO_TOOLS_DELAY` picks the delays, read at each call: `fixed` (the
//! default), `random` (uniform in the ranges above) or `none` (no delay, for
//! fast tests). Every delay ends early if the call is cancelled.
//!
//! Outputs are fake but deterministic: derived from a hash of the input, so
//! the same question always gets the same answer.

mod delay;
mod distance;
mod fake;
mod noop;
mod restaurants;
mod sleep;
mod sleep_blocking;
mod stock;
mod weather;

use std::sync::Arc;

use tool_api::{SpecError, Tool, Typed};

pub use delay::{DELAY_ENV, DelayMode};

/// Every tool of the plugin, in the order of its manifest.
pub fn tools() -> Result<Vec<Arc<dyn Tool>>, SpecError> {
    Ok(vec![
        Arc::new(Typed::new(weather::GetWeather)?),
        Arc::new(Typed::new(stock::GetStockPrice)?),
        Arc::new(Typed::new(distance::CalculateDistance)?),
        Arc::new(Typed::new(restaurants::SearchRestaurants)?),
        Arc::new(Typed::new(sleep::SleepTool)?),
        Arc::new(Typed::new(sleep_blocking::SleepToolBlocking)?),
        Arc::new(Typed::new(noop::Noop)?),
    ])
}

tool_api::export_plugin!(tools);

#[cfg(test)]
mod tests {
    #[test]
    fn the_manifest_passes_the_hosts_checks() {
        let tools = super::tools().unwrap();
        let manifest = tool_api::plugin::testing::manifest("demo-tools", "0", &tools).unwrap();
        let names: Vec<_> = manifest.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "get_weather",
                "get_stock_price",
                "calculate_distance",
                "search_restaurants",
                "sleep_tool",
                "sleep_tool_blocking",
                "noop"
            ]
        );
    }
}
