//! `agent tools --call NAME --input JSON`: one tool call, no model, through
//! the same executor as a run (the tool's timeout and retries from the
//! settings), so a plugin author can try a tool as the agent would call it.

use std::sync::Arc;
use std::time::Duration;

use agent_core::{CallFailure, CallOutcome, ToolExecutor, ToolResultContent, ToolUse};
use serde::Serialize;
use tool_api::ToolRegistry;

use agent_cli::assemble;
use agent_cli::exit::Failure;
use agent_cli::settings::Settings;
use agent_cli::signals::Signals;

/// The id the call gets, where a model would give its `toolUseId`.
const CALL_ID: &str = "tooluse_cli_0";

/// `--json`: the call's outcome as the executor reports it.
#[derive(Serialize)]
struct CallDocument<'a> {
    tool: &'a str,
    /// The output (on success) or the error message, as the model would
    /// receive it.
    content: &'a [ToolResultContent],
    /// Why it failed, if it did (`invalid_input`, `timed_out`…).
    failure: Option<CallFailure>,
    attempts: u32,
    #[serde(with = "agent_core::duration_ms", rename = "elapsed_ms")]
    elapsed: Duration,
}

/// Runs `name` once with `input` (JSON text) and prints its output;
/// `settings` are validated by the caller.
///
/// Exit codes: 0 the tool answered; 2 the input is not JSON, names no
/// loaded tool, or the tool refused it (`invalid_input`, its message
/// naming the field); 5 the tool failed (an error, every retry used, a
/// timeout, a panic); 130/143 interrupted.
pub async fn call(
    registry: ToolRegistry,
    settings: &Settings,
    name: &str,
    input: &str,
    json: bool,
) -> Result<(), Failure> {
    let input: serde_json::Value = serde_json::from_str(input)
        .map_err(|e| Failure::Usage(format!("--input is not valid JSON: {e}")))?;
    if registry.get(name).is_none() {
        let known: Vec<&str> = registry.iter().map(|t| t.spec.name.as_str()).collect();
        return Err(Failure::Usage(format!(
            "no tool `{name}` is loaded (the tools: {}); pass its plugin with --plugin PATH",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    }
    let executor = ToolExecutor::new(assemble::executor_config(settings));
    let call = ToolUse {
        id: CALL_ID.into(),
        name: name.into(),
        input,
    };
    let signals = Signals::listen(false);
    let (cancel, _watching) = signals.token();
    let outcome = executor
        .execute(
            &registry,
            std::slice::from_ref(&call),
            &cancel,
            Arc::new(()),
        )
        .await
        .into_iter()
        .next()
        .ok_or_else(|| Failure::Other("the executor returned no outcome; this is a bug".into()))?;
    if json {
        agent_cli::json::print(&CallDocument {
            tool: name,
            content: &outcome.result.content,
            failure: outcome.failure,
            attempts: outcome.attempts,
            elapsed: outcome.elapsed,
        })?;
    } else if outcome.failure.is_none() {
        agent_cli::stdout::write(&printable(&outcome))?;
    }
    let failure = match outcome.failure {
        None => return Ok(()),
        Some(f) => f,
    };
    // An input refused says so itself ("invalid input: … missing field
    // `location`"); other failures get their kind in front.
    let message = match failure {
        CallFailure::InvalidInput => text(&outcome),
        _ => format!("{}: {}", failure_name(failure), text(&outcome)),
    };
    let failure = match failure {
        CallFailure::InvalidInput | CallFailure::UnknownTool => Failure::Usage(message),
        CallFailure::Cancelled => Failure::Interrupted(
            signals
                .received()
                .unwrap_or(agent_cli::signals::Signal::Interrupt),
        ),
        _ => Failure::ToolCall(message),
    };
    Err(if json {
        Failure::Documented(Box::new(failure))
    } else {
        failure
    })
}

/// The output for a person: text as is, JSON pretty-printed.
fn printable(outcome: &CallOutcome) -> String {
    let mut out = String::new();
    for c in &outcome.result.content {
        match c {
            ToolResultContent::Text(t) => out.push_str(&agent_cli::render::sanitize::text(t)),
            ToolResultContent::Json(v) => {
                out.push_str(&serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()))
            }
            other => out.push_str(&other.to_text()),
        }
        out.push('\n');
    }
    out
}

/// The result's text, for an error message.
fn text(outcome: &CallOutcome) -> String {
    outcome
        .result
        .content
        .iter()
        .map(ToolResultContent::to_text)
        .collect::<Vec<_>>()
        .join(" ")
}

fn failure_name(f: CallFailure) -> String {
    serde_json::to_value(f)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{f:?}"))
}
