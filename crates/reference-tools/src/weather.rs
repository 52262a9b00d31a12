//! `get_weather`: current weather for a city (fake, deterministic).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

use crate::delay::GET_WEATHER;
use crate::fake;

const CONDITIONS: [&str; 6] = [
    "sunny",
    "partly cloudy",
    "cloudy",
    "light rain",
    "rain",
    "windy",
];

/// The input of `get_weather`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Input {
    /// City name, e.g. "New York".
    location: String,
}

/// Current weather for a city.
pub(crate) struct GetWeather;

#[async_trait]
impl TypedTool for GetWeather {
    type Input = Input;

    fn name(&self) -> &str {
        "get_weather"
    }

    fn description(&self) -> &str {
        "Current weather for a city: temperature (°C), condition, humidity (%) and wind speed (km/h)."
    }

    async fn run(&self, input: Input, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        GET_WEATHER.sleep(&ctx).await?;
        let h = fake::hash(&[&input.location]);
        Ok(ToolOutput::Json(json!({
            "location": input.location,
            "temperature": fake::int(h, 1, -5, 35),
            "condition": fake::pick(h, 2, &CONDITIONS),
            "humidity": fake::int(h, 3, 30, 90),
            "wind_speed": fake::int(h, 4, 0, 40),
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
    async fn answers_the_same_for_the_same_city() {
        let tool = Typed::new(GetWeather).unwrap();
        let start = tokio::time::Instant::now();
        let a = testing::call(&tool, json!({"location": "Paris"}))
            .await
            .unwrap();
        assert_eq!(start.elapsed(), std::time::Duration::from_millis(1250));
        let b = testing::call(&tool, json!({"location": "paris"}))
            .await
            .unwrap();
        let (ToolOutput::Json(a), ToolOutput::Json(b)) = (a, b) else {
            panic!("not json")
        };
        assert_eq!(a["location"], "Paris");
        assert_eq!(a["temperature"], b["temperature"]);
        assert!(CONDITIONS.contains(&a["condition"].as_str().unwrap()));
    }

    #[tokio::test]
    async fn a_missing_location_is_invalid_input() {
        let tool = Typed::new(GetWeather).unwrap();
        let err = testing::call(&tool, json!({})).await.unwrap_err();
        assert!(
            err.to_string().contains("missing field `location`"),
            "{err}"
        );
    }
}
