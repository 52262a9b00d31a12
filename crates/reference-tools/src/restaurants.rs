//! `search_restaurants`: five restaurants in a city, optionally of one cuisine
//! (fake, deterministic).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

use crate::delay::SEARCH_RESTAURANTS;
use crate::fake;

const FIRST: [&str; 8] = [
    "The", "Little", "Golden", "Blue", "Old", "Royal", "Green", "Silver",
];
const SECOND: [&str; 8] = [
    "Olive", "Lantern", "Harbor", "Garden", "Table", "Spoon", "Oak", "Corner",
];
const KIND: [&str; 5] = ["Kitchen", "Bistro", "House", "Café", "Grill"];

/// The input of `search_restaurants`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Input {
    /// City name, e.g. "Miami".
    location: String,
    /// Cuisine, e.g. "Italian"; any cuisine if absent.
    #[serde(default)]
    cuisine: Option<String>,
}

/// Five restaurants in a city.
pub(crate) struct SearchRestaurants;

#[async_trait]
impl TypedTool for SearchRestaurants {
    type Input = Input;

    fn name(&self) -> &str {
        "search_restaurants"
    }

    fn description(&self) -> &str {
        "Five restaurants in a city, optionally of one cuisine."
    }

    async fn run(&self, input: Input, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        SEARCH_RESTAURANTS.sleep(&ctx).await?;
        let cuisine = input
            .cuisine
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| "any".to_owned());
        let h = fake::hash(&[&input.location, &cuisine]);
        let restaurants: Vec<String> = (0..5u64)
            .map(|i| {
                format!(
                    "{} {} {}",
                    fake::pick(h, 10 * i + 1, &FIRST),
                    fake::pick(h, 10 * i + 2, &SECOND),
                    fake::pick(h, 10 * i + 3, &KIND)
                )
            })
            .collect();
        Ok(ToolOutput::Json(json!({
            "location": input.location,
            "cuisine": cuisine,
            "restaurants": restaurants,
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
    async fn five_names_and_a_default_cuisine() {
        let tool = Typed::new(SearchRestaurants).unwrap();
        let out = testing::call(&tool, json!({"location": "Miami"}))
            .await
            .unwrap();
        let ToolOutput::Json(out) = out else { panic!() };
        assert_eq!(out["cuisine"], "any");
        assert_eq!(out["restaurants"].as_array().unwrap().len(), 5);
        let again = testing::call(&tool, json!({"location": "Miami", "cuisine": null}))
            .await
            .unwrap();
        assert_eq!(again, ToolOutput::Json(out));
    }
}
