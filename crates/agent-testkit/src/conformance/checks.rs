//! Checks the cases share: on a run's conversation and usage, and on what
//! the server received.

use agent_core::{
    AgentRun, ContentBlock, EventKind, InferenceConfig, Message, ModelErrorKind, ModelRequest,
    Role, ToolResult, ToolResultContent, ToolUse,
};

use super::fixtures::tools;
use super::session::mode;
use crate::conversation_rules::validate_conversation;
use crate::scenario::ScriptedCall;
use crate::select::first_prompt;

/// The text of a tool result, JSON serialised.
pub(super) fn result_text(result: &ToolResult) -> String {
    result
        .content
        .iter()
        .map(ToolResultContent::to_text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The tool results of a results message, which must hold nothing else.
pub(super) fn results_of(message: &Message) -> Result<Vec<&ToolResult>, String> {
    ensure!(
        message.role == Role::User,
        "tool results came in a {:?} message",
        message.role
    );
    message
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => Ok(r),
            other => Err(format!(
                "the results message holds a block that is not a tool result: {other:?}"
            )),
        })
        .collect()
}

/// The run's conversation is one the service accepts.
pub(super) fn check_valid(run: &AgentRun, streaming: bool) -> Result<(), String> {
    let request = ModelRequest {
        system: None,
        messages: run.messages.clone(),
        tools: tools()?.specs().cloned().collect(),
        inference: InferenceConfig::default(),
        ..Default::default()
    };
    validate_conversation(&request)
        .map_err(|e| format!("[{}] invalid conversation: {e}", mode(streaming)))
}

/// The run reported token usage both ways.
pub(super) fn check_usage(run: &AgentRun, streaming: bool) -> Result<(), String> {
    let usage = run.metrics.usage;
    ensure!(
        usage.input_tokens > 0 && usage.output_tokens > 0,
        "[{}] token usage was not reported: {usage:?}",
        mode(streaming)
    );
    Ok(())
}

/// `request` (the server's view of the follow-up) asks for `expected` calls
/// in its second message and answers all of them, in call order, in ONE
/// user message. Returns the results.
pub(super) fn check_results_in_order<'r>(
    request: &'r ModelRequest,
    expected: &[ScriptedCall],
    label: &str,
) -> Result<(Vec<&'r ToolUse>, Vec<&'r ToolResult>), String> {
    ensure!(
        request.messages.len() == 3,
        "{label}: the follow-up request holds {} messages, not 3 (prompt, tool uses, ONE results message)",
        request.messages.len()
    );
    let asked = &request.messages[1];
    ensure!(
        asked.role == Role::Assistant,
        "{label}: message 1 is not the assistant's"
    );
    let uses: Vec<&ToolUse> = asked.tool_uses().collect();
    let names: Vec<&str> = uses.iter().map(|u| u.name.as_str()).collect();
    let want: Vec<&str> = expected.iter().map(|c| c.name.as_str()).collect();
    ensure!(
        names == want,
        "{label}: the tool uses sent back are {names:?}, not {want:?}"
    );
    for (u, c) in uses.iter().zip(expected) {
        ensure!(
            u.input == c.input,
            "{label}: the input of `{}` came back as {}, not {}",
            u.name,
            u.input,
            c.input
        );
        ensure!(!u.id.is_empty(), "{label}: a tool use has an empty id");
    }
    let results = results_of(&request.messages[2]).map_err(|e| format!("{label}: {e}"))?;
    let answered: Vec<&str> = results.iter().map(|r| r.tool_use_id.as_str()).collect();
    let ids: Vec<&str> = uses.iter().map(|u| u.id.as_str()).collect();
    ensure!(
        answered == ids,
        "{label}: results answer {answered:?}; the calls, in order, were {ids:?}"
    );
    Ok((uses, results))
}

/// The requests of the conversation started by `prompt`.
pub(super) fn requests_for<'r>(
    requests: &'r [ModelRequest],
    prompt: &str,
) -> Vec<&'r ModelRequest> {
    requests
        .iter()
        .filter(|r| first_prompt(r) == prompt)
        .collect()
}

/// The kinds of the model calls that failed during the run, in order.
pub(super) fn failed_kinds(run: &AgentRun) -> Vec<ModelErrorKind> {
    run.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ModelCallFailed { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect()
}
