//! `sleep_tool`: sleeps the given number of milliseconds on the plugin's timer.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

/// The longest sleep accepted, in milliseconds (10 minutes).
pub(crate) const MAX_MS: u64 = 600_000;

/// The input of `sleep_tool` and `sleep_tool_blocking`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Input {
    /// How long to sleep, in milliseconds (at most 600000).
    pub ms: u64,
}

impl Input {
    /// The duration, if within [`MAX_MS`].
    pub fn duration(&self) -> Result<Duration, ToolError> {
        if self.ms > MAX_MS {
            return Err(ToolError::invalid_input(format!(
                "`ms` is {}, more than the {MAX_MS} allowed",
                self.ms
            )));
        }
        Ok(Duration::from_millis(self.ms))
    }
}

/// Sleeps `ms` milliseconds without holding a thread.
pub(crate) struct SleepTool;

#[async_trait]
impl TypedTool for SleepTool {
    type Input = Input;

    fn name(&self) -> &str {
        "sleep_tool"
    }

    fn description(&self) -> &str {
        "Sleeps for `ms` milliseconds, then answers how long it slept."
    }

    async fn run(&self, input: Input, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        crate::delay::sleep(input.duration()?, &ctx).await?;
        Ok(ToolOutput::Json(json!({ "slept_ms": input.ms })))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tool_api::Typed;
    use tool_api::plugin::testing;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sleeps_on_the_timer() {
        let tool = Typed::new(SleepTool).unwrap();
        let start = tokio::time::Instant::now();
        let out = testing::call(&tool, json!({"ms": 100})).await;
        assert_eq!(out, Ok(ToolOutput::Json(json!({"slept_ms": 100}))));
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        let err = testing::call(&tool, json!({"ms": MAX_MS + 1}))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "invalid_input");
    }
}
