//! `get_stock_price`: the latest price of a stock (fake, deterministic).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

use crate::delay::GET_STOCK_PRICE;
use crate::fake;

/// The input of `get_stock_price`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Input {
    /// Ticker symbol, e.g. "AAPL".
    symbol: String,
}

/// The latest price of a stock.
pub(crate) struct GetStockPrice;

#[async_trait]
impl TypedTool for GetStockPrice {
    type Input = Input;

    fn name(&self) -> &str {
        "get_stock_price"
    }

    fn description(&self) -> &str {
        "Latest price of a stock by ticker symbol: price (USD), change since the last close, volume."
    }

    async fn run(&self, input: Input, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        if input.symbol.trim().is_empty() {
            return Err(ToolError::invalid_input(
                "`symbol` is empty; give a ticker symbol such as \"AAPL\"",
            ));
        }
        GET_STOCK_PRICE.sleep(&ctx).await?;
        let symbol = input.symbol.trim().to_ascii_uppercase();
        let h = fake::hash(&[&symbol]);
        let cents = fake::int(h, 1, 1_000, 100_000);
        let change_cents = fake::int(h, 2, -500, 500);
        Ok(ToolOutput::Json(json!({
            "symbol": symbol,
            "price": cents as f64 / 100.0,
            "change": change_cents as f64 / 100.0,
            "volume": fake::int(h, 3, 100_000, 90_000_000),
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
    async fn prices_are_stable_per_symbol() {
        let tool = Typed::new(GetStockPrice).unwrap();
        let a = testing::call(&tool, json!({"symbol": "aapl"}))
            .await
            .unwrap();
        let b = testing::call(&tool, json!({"symbol": "AAPL"}))
            .await
            .unwrap();
        assert_eq!(a, b);
        let ToolOutput::Json(a) = a else { panic!() };
        assert_eq!(a["symbol"], "AAPL");
        let price = a["price"].as_f64().unwrap();
        assert!((10.0..=1000.0).contains(&price));
    }

    #[tokio::test]
    async fn an_empty_symbol_is_refused() {
        let tool = Typed::new(GetStockPrice).unwrap();
        let err = testing::call(&tool, json!({"symbol": " "}))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "invalid_input");
    }
}
