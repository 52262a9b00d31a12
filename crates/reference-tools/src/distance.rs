//! `calculate_distance`: distance and driving time between two cities (fake,
//! deterministic and symmetric).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

use crate::delay::CALCULATE_DISTANCE;
use crate::fake;

/// Average driving speed used for the time estimate, km/h.
const SPEED_KMH: i64 = 80;

/// The input of `calculate_distance`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Input {
    /// Start city, e.g. "Boston".
    origin: String,
    /// End city, e.g. "Miami".
    destination: String,
}

/// Distance and driving time between two cities.
pub(crate) struct CalculateDistance;

#[async_trait]
impl TypedTool for CalculateDistance {
    type Input = Input;

    fn name(&self) -> &str {
        "calculate_distance"
    }

    fn description(&self) -> &str {
        "Road distance (km) and estimated driving time between two cities."
    }

    async fn run(&self, input: Input, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        CALCULATE_DISTANCE.sleep(&ctx).await?;
        let (a, b) = (
            input.origin.trim().to_lowercase(),
            input.destination.trim().to_lowercase(),
        );
        let km = if a == b {
            0
        } else {
            // Symmetric: the same distance both ways.
            let (first, second) = if a <= b { (&a, &b) } else { (&b, &a) };
            fake::int(fake::hash(&[first, second]), 1, 50, 4_500)
        };
        let minutes = km * 60 / SPEED_KMH;
        Ok(ToolOutput::Json(json!({
            "origin": input.origin,
            "destination": input.destination,
            "distance_km": km,
            "estimated_time": format!("{} h {:02} min", minutes / 60, minutes % 60),
        })))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tool_api::Typed;
    use tool_api::plugin::testing;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn distance_is_symmetric() {
        let tool = Typed::new(CalculateDistance).unwrap();
        let there = testing::call(&tool, json!({"origin": "Boston", "destination": "Miami"}))
            .await
            .unwrap();
        let back = testing::call(&tool, json!({"origin": "Miami", "destination": "Boston"}))
            .await
            .unwrap();
        let (ToolOutput::Json(there), ToolOutput::Json(back)) = (there, back) else {
            panic!()
        };
        assert_eq!(there["distance_km"], back["distance_km"]);
        assert_eq!(there["origin"], "Boston");
        let same = testing::call(&tool, json!({"origin": "Oslo", "destination": "oslo"}))
            .await
            .unwrap();
        assert_eq!(
            same,
            ToolOutput::Json(
                json!({"origin": "Oslo", "destination": "oslo", "distance_km": 0, "estimated_time": "0 h 00 min"})
            )
        );
    }
}
