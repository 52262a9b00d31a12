//! The reference work of `shared/bench/REFERENCE.md`: the four queries
//! Q1–Q4, FANOUT-n and CHAIN-k as scenarios, their limits, and the tools they
//! call. Shared by the scripted backend, the local mock servers, the demo and
//! the benchmarks, so all play the same turns.
//!
//! The tools and their delays are the `reference-tools` crate's ([`tools`],
//! [`TOOL_DELAYS`]), which the demo plugin exports: one implementation and
//! one delay table, whether the tools run in process or as the plugin
//! library.

use std::time::Duration;

pub use reference_tools::{TOOL_DELAYS, ToolDelay, fixed_delay};
use serde_json::json;
use tool_api::ToolRegistry;

use crate::scenario::{Scenario, ScriptedCall, ScriptedTurn};

/// The names of the reference tools, in the order [`tools`] offers them.
pub const TOOL_NAMES: [&str; 5] = [
    "get_weather",
    "get_stock_price",
    "calculate_distance",
    "search_restaurants",
    "sleep_tool",
];

/// The reference tools, in process: the `reference-tools` crate's, which
/// the demo plugin exports, so in-process runs and plugin runs call the same
/// code. Each sleeps its delay ([`TOOL_DELAYS`]; `sleep_tool` its `ms`) on tokio's
/// timer, so under a paused clock a run takes exact virtual time; the
/// variable `DEMO_TOOLS_DELAY` changes the delays as it does the plugin's.
pub fn tools() -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    // The plugin's specs are valid by construction (its own tests check the
    // manifest); this module's test checks all five arrive.
    let all = reference_tools::tools().unwrap_or_default();
    for name in TOOL_NAMES {
        if let Some(tool) = all.iter().find(|t| t.spec().name == name) {
            let _ = registry.register(tool.clone(), "reference-tools");
        }
    }
    registry
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

/// What the [`summary`] scenario answers.
pub const SUMMARY_ANSWER: &str = "Earlier in this conversation the assistant called the tools \
the task needed and received their results; nothing from those turns is left open.";

/// The summariser's request (`--context summarize`,
/// `agent_core::context::Summarizing`): one user message that starts with
/// [`agent_core::context::SUMMARY_INSTRUCTION`] and quotes the exchanges to
/// drop as text, answered with [`SUMMARY_ANSWER`]. In [`all`], first, so a
/// local server summarises as the real service would.
pub fn summary() -> Scenario {
    Scenario::new(
        "SUMMARY",
        Some(agent_core::context::SUMMARY_INSTRUCTION),
        vec![ScriptedTurn::text(SUMMARY_ANSWER)],
    )
}

/// The prompt of the sub-agents demo ([`subagents`]).
pub const SUBAGENTS_PROMPT: &str =
    "SUBAGENTS: have a researcher look into each of Q1, Q2 and Q3, all at once, and sum up.";

/// The sub-agents demo (`agent demo --subagents`): a lead agent whose one
/// tool is `researcher`, a sub-agent with the reference tools
/// (`Agent::as_tool`). Its first turn asks three researchers at once, with
/// the prompts of Q1, Q2 and Q3, which the same server plays for them; then
/// it sums up. Not in [`all`]: only a host that offers `researcher` plays it.
pub fn subagents() -> Scenario {
    let calls: Vec<_> = queries()
        .into_iter()
        .take(3)
        .map(|q| {
            (
                "researcher",
                json!({ "prompt": q.prompt.unwrap_or_default() }),
            )
        })
        .collect();
    Scenario::new(
        "SUBAGENTS",
        Some(SUBAGENTS_PROMPT),
        vec![
            ScriptedTurn::tools(calls),
            ScriptedTurn::text(
                "Three researchers reported: New York and AAPL, the Boston–Miami trip, and \
                 the Seattle–Portland trip are all covered above.",
            ),
        ],
    )
}

/// Every reference scenario a server should know: the summary request
/// ([`summary`]), Q1–Q4, FANOUT-16/64/256/1024 (100 ms sleeps) and CHAIN-50.
pub fn all() -> Vec<Scenario> {
    // First: a summary request quotes the conversation it summarises, so
    // a later scenario's prompt is in it too.
    let mut all = vec![summary()];
    all.extend(queries());
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

fn call_delay(call: &ScriptedCall) -> Duration {
    if call.name == "sleep_tool" {
        return Duration::from_millis(call.input.get("ms").and_then(|v| v.as_u64()).unwrap_or(0));
    }
    fixed_delay(&call.name).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

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

    #[test]
    fn all_five_tools_register() {
        assert_eq!(tools().names().collect::<Vec<_>>(), TOOL_NAMES);
    }
}
