//! The reference tools, in process: each sleeps its fixed delay on tokio's
//! timer, then answers a small JSON object. For tests (under a paused clock
//! they finish in exact virtual time), examples and executor benchmarks; the
//! demo plugin ships the same tools as a dynamic library.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolRegistry, ToolSpec};

use super::reference::fixed_delay;

struct ReferenceTool {
    spec: ToolSpec,
}

fn string_field(input: &Value, field: &str) -> Result<String, ToolError> {
    input
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ToolError::invalid_input(format!("field `{field}` (a string) is required")))
}

#[async_trait]
impl Tool for ReferenceTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, input: Value, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let name = self.spec.name.as_str();
        let delay = if name == "sleep_tool" {
            let ms = input.get("ms").and_then(Value::as_u64).ok_or_else(|| {
                ToolError::invalid_input("field `ms` (a non-negative integer) is required")
            })?;
            Duration::from_millis(ms)
        } else {
            fixed_delay(name).unwrap_or_default()
        };
        let output = match name {
            "get_weather" => {
                let location = string_field(&input, "location")?;
                json!({"location": location, "temperature": 22, "condition": "partly cloudy", "humidity": 60, "wind_speed": 12})
            }
            "get_stock_price" => {
                let symbol = string_field(&input, "symbol")?;
                json!({"symbol": symbol, "price": 187.5, "change": 1.25, "volume": 52_000_000u64})
            }
            "calculate_distance" => {
                let origin = string_field(&input, "origin")?;
                let destination = string_field(&input, "destination")?;
                json!({"origin": origin, "destination": destination, "distance_km": 2450, "estimated_time": "22 h"})
            }
            "search_restaurants" => {
                let location = string_field(&input, "location")?;
                let cuisine = input
                    .get("cuisine")
                    .and_then(Value::as_str)
                    .unwrap_or("any")
                    .to_owned();
                json!({"location": location, "cuisine": cuisine,
                       "restaurants": ["Trattoria Uno", "Casa Due", "Osteria Tre", "Bistro Quattro", "Cucina Cinque"]})
            }
            _ => json!({ "slept_ms": delay.as_millis() as u64 }),
        };
        tokio::time::sleep(delay).await;
        Ok(ToolOutput::Json(output))
    }
}

fn string_props(props: &[(&str, &str)], required: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = props
        .iter()
        .map(|(name, desc)| {
            (
                (*name).to_owned(),
                json!({"type": "string", "description": desc}),
            )
        })
        .collect();
    json!({"type": "object", "properties": properties, "required": required})
}

/// The reference tools (`get_weather`, `get_stock_price`,
/// `calculate_distance`, `search_restaurants`, `sleep_tool`), in process.
pub fn tools() -> ToolRegistry {
    let specs = [
        ToolSpec::new(
            "get_weather",
            "Current weather for a city.",
            string_props(&[("location", "City name")], &["location"]),
        ),
        ToolSpec::new(
            "get_stock_price",
            "Latest price of a stock.",
            string_props(&[("symbol", "Ticker symbol")], &["symbol"]),
        ),
        ToolSpec::new(
            "calculate_distance",
            "Distance and travel time between two cities.",
            string_props(
                &[("origin", "Start city"), ("destination", "End city")],
                &["origin", "destination"],
            ),
        ),
        ToolSpec::new(
            "search_restaurants",
            "Restaurants in a city, optionally by cuisine.",
            string_props(
                &[
                    ("location", "City name"),
                    ("cuisine", "Cuisine, e.g. Italian"),
                ],
                &["location"],
            ),
        ),
        ToolSpec::new(
            "sleep_tool",
            "Sleeps for `ms` milliseconds.",
            json!({"type": "object", "properties": {"ms": {"type": "integer", "minimum": 0}}, "required": ["ms"]}),
        ),
    ];
    let mut registry = ToolRegistry::new();
    for spec in specs {
        // The specs above are valid by construction; a failure here would be
        // caught by this module's test.
        let _ = registry.register(Arc::new(ReferenceTool { spec }), "agent_core::reference");
    }
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_five_register() {
        assert_eq!(
            tools().names().collect::<Vec<_>>(),
            [
                "get_weather",
                "get_stock_price",
                "calculate_distance",
                "search_restaurants",
                "sleep_tool"
            ]
        );
    }
}
