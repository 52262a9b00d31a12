//! `sleep_tool_blocking`: sleeps with `std::thread::sleep`, holding a thread of
//! the plugin runtime's blocking pool for the whole call. It exists to measure
//! the blocking path against [`crate::sleep`]'s timer-based one.

use serde_json::json;
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

use crate::sleep::Input;

/// Sleeps `ms` milliseconds on a blocking thread.
pub(crate) struct SleepToolBlocking;

#[async_trait]
impl TypedTool for SleepToolBlocking {
    type Input = Input;

    fn name(&self) -> &str {
        "sleep_tool_blocking"
    }

    fn description(&self) -> &str {
        "Sleeps for `ms` milliseconds on a blocking thread (std::thread::sleep), then answers \
         how long it slept."
    }

    async fn run(&self, input: Input, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let duration = input.duration()?;
        tokio::task::spawn_blocking(move || std::thread::sleep(duration))
            .await
            .map_err(|e| ToolError::fatal(format!("the blocking sleep failed: {e}")))?;
        Ok(ToolOutput::Json(json!({ "slept_ms": input.ms })))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tool_api::Typed;
    use tool_api::plugin::testing;

    use super::*;

    #[tokio::test]
    async fn sleeps_on_a_blocking_thread() {
        let tool = Typed::new(SleepToolBlocking).unwrap();
        let out = testing::call(&tool, json!({"ms": 1})).await;
        assert_eq!(out, Ok(ToolOutput::Json(json!({"slept_ms": 1}))));
    }
}
