//! What every case plays with: the system prompt, the reference tools
//! plus an always-failing one, and a long answer to stream.

use std::sync::Arc;

use tool_api::{ToolError, ToolRegistry, tool_fn};

use crate::reference;
use crate::scenario::{Scenario, ScriptedTurn};

/// The system prompt every case sends; checked on the server side.
pub const SYSTEM_PROMPT: &str = "You are the model of the backend conformance suite.";

/// The error message of `fail_tool`, the suite's always-failing tool.
pub const TOOL_FAILURE: &str = "the disk is on fire";

/// The answer of the streamed-answer and stream-cut cases: long enough to
/// arrive in several deltas from a server that splits text.
pub const LONG_ANSWER: &str = "Once upon a time, a runtime called many tools at once. \
    Every result came back in one message, in the order the model asked for them, \
    and the model, pleased, wrote this answer in many small pieces so that the \
    conformance suite could watch each of them arrive.";

/// The reference tools plus `fail_tool`, which always fails, and
/// `render_chart`, which returns an image.
pub(super) fn tools() -> Result<ToolRegistry, String> {
    let mut registry = reference::tools();
    for tool in reference_tools::media_tools().map_err(|e| e.to_string())? {
        registry
            .register(tool, "conformance")
            .map_err(|e| e.to_string())?;
    }
    let fail = tool_fn("fail_tool", "Always fails.", |(): (), _ctx| async {
        Err(ToolError::fatal(TOOL_FAILURE))
    })
    .map_err(|e| format!("fail_tool: {e}"))?;
    registry
        .register(Arc::new(fail), "conformance")
        .map_err(|e| e.to_string())?;
    Ok(registry)
}

/// The scenario of the streamed-answer and fault cases: one long answer.
pub(super) fn story() -> Scenario {
    Scenario::new(
        "story",
        Some("Tell me a story, in many words."),
        vec![ScriptedTurn::text(LONG_ANSWER)],
    )
}
