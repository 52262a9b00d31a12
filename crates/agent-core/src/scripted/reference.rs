//! The reference work of `shared/bench/REFERENCE.md` as scenarios: the four
//! queries Q1–Q4, FANOUT-n and CHAIN-k. Shared by the scripted backend, the
//! local mock servers, the demo and the benchmarks, so all play the same turns.

use std::time::Duration;

use serde_json::json;

use super::{Scenario, ScriptedTurn};

pub use super::reference_tools::tools;

/// A reference tool's fixed delay, and the random range it can switch to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToolDelay {
    /// The tool's name.
    pub name: &'static str,
    /// Fixed delay.
    pub fixed: Duration,
    /// Random range (low, high).
    pub range: (Duration, Duration),
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Delays of the reference tools (`sleep_tool` sleeps its input instead).
pub const TOOL_DELAYS: [ToolDelay; 4] = [
    ToolDelay {
        name: "get_weather",
        fixed: ms(1250),
        range: (ms(1000), ms(1500)),
    },
    ToolDelay {
        name: "get_stock_price",
        fixed: ms(750),
        range: (ms(500), ms(1000)),
    },
    ToolDelay {
        name: "calculate_distance",
        fixed: ms(950),
        range: (ms(700), ms(1200)),
    },
    ToolDelay {
        name: "search_restaurants",
        fixed: ms(1600),
        range: (ms(1200), ms(2000)),
    },
];

/// The fixed delay of the reference tool `name`, if it is one.
pub fn fixed_delay(name: &str) -> Option<Duration> {
    TOOL_DELAYS.iter().find(|d| d.name == name).map(|d| d.fixed)
}

/// Q1–Q4, with their prompts and first-turn tool calls.
pub fn queries() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "Q1",
            Some("What's the weather in New York and the stock price of AAPL?"),
            vec![
                ScriptedTurn::tools([
                    ("get_weather", json!({"location": "New York"})),
                    ("get_stock_price", json!({"symbol": "AAPL"})),
                ]),
                ScriptedTurn::text(
                    "It is 22°C and partly cloudy in New York, and AAPL trades at $187.50.",
                ),
            ],
        ),
        Scenario::new(
            "Q2",
            Some(
                "I'm planning a trip from Boston to Miami. Get the weather for both cities, \
                 calculate the distance, and find Italian restaurants in Miami.",
            ),
            vec![
                ScriptedTurn::tools([
                    ("get_weather", json!({"location": "Boston"})),
                    ("get_weather", json!({"location": "Miami"})),
                    (
                        "calculate_distance",
                        json!({"origin": "Boston", "destination": "Miami"}),
                    ),
                    (
                        "search_restaurants",
                        json!({"location": "Miami", "cuisine": "Italian"}),
                    ),
                ]),
                ScriptedTurn::text(
                    "Boston is cool and Miami warm; the drive is about 2,450 km, and here are \
                     five Italian restaurants in Miami.",
                ),
            ],
        ),
        Scenario::new(
            "Q3",
            Some("Show me stock prices for GOOGL, TSLA, and AAPL, plus weather in San Francisco."),
            vec![
                ScriptedTurn::tools([
                    ("get_stock_price", json!({"symbol": "GOOGL"})),
                    ("get_stock_price", json!({"symbol": "TSLA"})),
                    ("get_stock_price", json!({"symbol": "AAPL"})),
                    ("get_weather", json!({"location": "San Francisco"})),
                ]),
                ScriptedTurn::text(
                    "Here are the three stock prices and the San Francisco weather.",
                ),
            ],
        ),
        Scenario::new(
            "Q4",
            Some(
                "Get weather for Seattle, calculate distance from Seattle to Portland, and find \
                 Asian restaurants in Portland.",
            ),
            vec![
                ScriptedTurn::tools([
                    ("get_weather", json!({"location": "Seattle"})),
                    (
                        "calculate_distance",
                        json!({"origin": "Seattle", "destination": "Portland"}),
                    ),
                    (
                        "search_restaurants",
                        json!({"location": "Portland", "cuisine": "Asian"}),
                    ),
                ]),
                ScriptedTurn::text(
                    "Seattle is rainy, Portland is 280 km away, and here are five Asian \
                     restaurants there.",
                ),
            ],
        ),
    ]
}

/// The prompt of FANOUT-`n`.
pub fn fanout_prompt(n: usize) -> String {
    format!("FANOUT-{n}: call sleep_tool {n} times in parallel.")
}

/// FANOUT-`n`: one turn of `n` parallel `sleep_tool(ms)` calls, then the answer.
pub fn fanout(n: usize, ms: u64) -> Scenario {
    let calls: Vec<_> = (0..n)
        .map(|_| ("sleep_tool", json!({ "ms": ms })))
        .collect();
    Scenario::new(
        format!("FANOUT-{n}"),
        Some(&fanout_prompt(n)),
        vec![
            ScriptedTurn::tools(calls),
            ScriptedTurn::text(format!("All {n} sleeps done.")),
        ],
    )
}

/// The prompt of CHAIN-`k`.
pub fn chain_prompt(k: usize) -> String {
    format!("CHAIN-{k}: call sleep_tool once per turn, {k} turns in a row.")
}

/// CHAIN-`k`: `k` turns of one `sleep_tool(0)` call each, then the answer.
pub fn chain(k: usize) -> Scenario {
    let mut turns: Vec<_> = (0..k)
        .map(|_| ScriptedTurn::tools([("sleep_tool", json!({ "ms": 0 }))]))
        .collect();
    turns.push(ScriptedTurn::text(format!("Chain of {k} done.")));
    Scenario::new(format!("CHAIN-{k}"), Some(&chain_prompt(k)), turns)
}

/// Every reference scenario a server should know: Q1–Q4, FANOUT-16/64/256/1024
/// (100 ms sleeps) and CHAIN-50.
pub fn all() -> Vec<Scenario> {
    let mut all = queries();
    for n in [16, 64, 256, 1024] {
        all.push(fanout(n, 100));
    }
    all.push(chain(50));
    all
}

/// The limit of a scenario at `model_latency` per model call: the model's
/// latency for each turn plus each turn's slowest tool (fixed delays; for
/// `sleep_tool`, its `ms`). The physical floor for a run.
pub fn limit(scenario: &Scenario, model_latency: Duration) -> Duration {
    let mut total = model_latency * scenario.turns.len() as u32;
    for turn in &scenario.turns {
        let slowest = turn
            .tool_calls
            .iter()
            .map(call_delay)
            .max()
            .unwrap_or_default();
        total += slowest;
    }
    total
}

/// The sum of every call's delay: what a one-at-a-time run spends in tools.
pub fn sequential_tool_time(scenario: &Scenario) -> Duration {
    scenario
        .turns
        .iter()
        .flat_map(|t| &t.tool_calls)
        .map(call_delay)
        .sum()
}

fn call_delay(call: &super::ScriptedCall) -> Duration {
    if call.name == "sleep_tool" {
        return Duration::from_millis(call.input.get("ms").and_then(|v| v.as_u64()).unwrap_or(0));
    }
    fixed_delay(&call.name).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_match_the_reference_table() {
        let q = queries();
        let limits: Vec<_> = q
            .iter()
            .map(|s| limit(s, Duration::ZERO).as_millis())
            .collect();
        assert_eq!(limits, [1250, 1600, 1250, 1600]);
        assert_eq!(sequential_tool_time(&q[1]), ms(5050));
        assert_eq!(limit(&q[0], ms(500)), ms(2250));
        assert_eq!(limit(&fanout(256, 100), Duration::ZERO), ms(100));
        assert_eq!(chain(50).turns.len(), 51);
    }
}
