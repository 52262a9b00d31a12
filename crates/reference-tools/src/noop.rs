//! `noop`: answers at once; the plugin call round trip with nothing else in it.

use serde_json::json;
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

/// Does nothing, at once.
pub(crate) struct Noop;

#[async_trait]
impl TypedTool for Noop {
    type Input = ();

    fn name(&self) -> &str {
        "noop"
    }

    fn description(&self) -> &str {
        "Does nothing and answers at once (for measuring the call overhead)."
    }

    async fn run(&self, (): (), _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput::Json(json!({})))
    }
}
