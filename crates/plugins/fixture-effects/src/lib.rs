//! # fixture-effects: a tool with a side effect a test can count
//!
//! One tool, `mark`: input `{"path", "tag", "ms"}`. It first appends the
//! line `tag` to the file `path` (its side effect, made the moment the call
//! starts), then sleeps `ms` milliseconds (ending early if cancelled) and
//! answers `{"tag"}`. A test that kills the process running it counts, from
//! the file, how many times each call really ran.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, Typed, TypedTool, async_trait};

/// The input of `mark`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct MarkInput {
    /// The file to append the tag to.
    pub path: String,
    /// The line to append.
    pub tag: String,
    /// How long to sleep after, in milliseconds.
    pub ms: u64,
}

/// Appends its tag to a file, then sleeps.
pub struct Mark;

#[async_trait]
impl TypedTool for Mark {
    type Input = MarkInput;

    fn name(&self) -> &str {
        "mark"
    }

    fn description(&self) -> &str {
        "Appends `tag` as a line to the file `path`, then sleeps `ms` milliseconds."
    }

    async fn run(&self, input: MarkInput, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&input.path)
            .map_err(|e| ToolError::fatal(format!("cannot open {}: {e}", input.path)))?;
        writeln!(file, "{}", input.tag)
            .and_then(|()| file.sync_all())
            .map_err(|e| ToolError::fatal(format!("cannot write {}: {e}", input.path)))?;
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(input.ms)) => {}
            () = ctx.cancellation().cancelled() => {
                return Err(ToolError::fatal("the call was cancelled"));
            }
        }
        Ok(ToolOutput::Json(json!({ "tag": input.tag })))
    }
}

/// The plugin's tools: `mark`.
pub fn tools() -> Result<Vec<Arc<dyn Tool>>, tool_api::SpecError> {
    Ok(vec![Arc::new(Typed::new(Mark)?)])
}
