//! # fixture-effects: tools whose effects a test can see
//!
//! - `mark`: input `{"path", "tag", "ms"}`. It first appends the line `tag`
//!   to the file `path` (its side effect, made the moment the call starts),
//!   then sleeps `ms` milliseconds (ending early if cancelled) and answers
//!   `{"tag"}`. A test that kills the process running it counts, from the
//!   file, how many times each call really ran.
//! - `count_up`: input `{"steps", "ms"}`. Reports progress `i` of `steps`
//!   (message `step i`) every `ms` milliseconds, then answers `{"steps"}`:
//!   progress through the plugin ABI.
//! - `hog_worker`: input `{"ms"}`. Blocks the thread polling it for `ms`
//!   milliseconds with `std::thread::sleep` inside async code (the mistake
//!   `spawn_blocking` avoids), so the plugin's one worker is held and its
//!   other calls cannot start: what the host reports as a stalled call.

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

/// The input of `count_up`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CountUpInput {
    /// How many steps to report.
    pub steps: u32,
    /// Milliseconds between reports.
    pub ms: u64,
}

/// Reports its progress step by step.
pub struct CountUp;

#[async_trait]
impl TypedTool for CountUp {
    type Input = CountUpInput;

    fn name(&self) -> &str {
        "count_up"
    }

    fn description(&self) -> &str {
        "Counts to `steps`, one step every `ms` milliseconds, reporting each as progress."
    }

    async fn run(&self, input: CountUpInput, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let total = f64::from(input.steps);
        for step in 1..=input.steps {
            tokio::time::sleep(Duration::from_millis(input.ms)).await;
            ctx.progress(f64::from(step), Some(total), Some(format!("step {step}")));
        }
        Ok(ToolOutput::Json(json!({ "steps": input.steps })))
    }
}

/// The input of `hog_worker`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct HogInput {
    /// How long to hold the thread, in milliseconds.
    pub ms: u64,
}

/// Blocks the worker thread polling it.
pub struct HogWorker;

#[async_trait]
impl TypedTool for HogWorker {
    type Input = HogInput;

    fn name(&self) -> &str {
        "hog_worker"
    }

    fn description(&self) -> &str {
        "Blocks the plugin's worker thread for `ms` milliseconds (std::thread::sleep in async code)."
    }

    async fn run(&self, input: HogInput, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        // Deliberately wrong: blocking code belongs in spawn_blocking.
        std::thread::sleep(Duration::from_millis(input.ms));
        Ok(ToolOutput::Json(json!({ "held_ms": input.ms })))
    }
}

/// The plugin's tools: `mark`, `count_up`, `hog_worker`.
pub fn tools() -> Result<Vec<Arc<dyn Tool>>, tool_api::SpecError> {
    Ok(vec![
        Arc::new(Typed::new(Mark)?),
        Arc::new(Typed::new(CountUp)?),
        Arc::new(Typed::new(HogWorker)?),
    ])
}
