//! # reference-tools
//!
//! The tools of the reference work (`shared/bench/REFERENCE.md`), typed, one
//! file per tool. There is one implementation of them: the demo plugin
//! (`crates/plugins/demo`, `demo-tools`) exports these as a plugin library,
//! and `agent-testkit` runs them in process.
//!
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
//! | `render_chart` (demo plugin only, [`media_tools`]) | `values` | none | – |
//!
//! The delays are [`TOOL_DELAYS`], the one table of them in the workspace:
//! the reference work's limits (`agent-testkit`) are computed from it too.
//! Delays sleep on tokio's timer (the plugin runtime's, in the plugin), so a
//! call in flight holds no thread and a paused test clock makes them exact;
//! `sleep_tool_blocking` does a `std::thread::sleep` on the runtime's
//! blocking pool, to measure the blocking path. The environment variable
//! `DEMO_TOOLS_DELAY` picks the delays, read at each call: `fixed` (the
//! default), `random` (uniform in the ranges above) or `none` (no delay, for
//! fast tests). Every delay ends early if the call is cancelled.
//!
//! Outputs are fake but deterministic: derived from a hash of the input, so
//! the same question always gets the same answer.

mod chart;
mod delay;
mod distance;
mod fake;
mod noop;
mod png;
mod restaurants;
mod sleep;
mod sleep_blocking;
mod stock;
mod weather;

use std::sync::Arc;

use tool_api::{SpecError, Tool, Typed};

pub use delay::{DELAY_ENV, DelayMode, TOOL_DELAYS, ToolDelay, fixed_delay};

/// Every tool, in the order of the demo plugin's manifest.
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

/// The tools beyond the reference work that the demo plugin exports too:
/// `render_chart` (a bar chart as a PNG image with a caption), the example
/// of rich tool output. Not in [`tools`], so the reference work's requests
/// stay as they are.
pub fn media_tools() -> Result<Vec<Arc<dyn Tool>>, SpecError> {
    Ok(vec![Arc::new(Typed::new(chart::RenderChart)?)])
}

/// [`tools`] and [`media_tools`]: the demo plugin's manifest, in order.
pub fn demo_tools() -> Result<Vec<Arc<dyn Tool>>, SpecError> {
    let mut all = tools()?;
    all.extend(media_tools()?);
    Ok(all)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_delay_belongs_to_a_tool() {
        let tools = super::tools().unwrap();
        for delay in super::TOOL_DELAYS {
            assert!(
                tools.iter().any(|t| t.spec().name == delay.name),
                "{}",
                delay.name
            );
        }
    }
}
