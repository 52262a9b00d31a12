//! `notifications/tools/list_changed` end to end through the agent: a real
//! server (tests/fixtures/changing_server.py, the official Python SDK) adds
//! a tool and removes one during a call; the next model request offers the
//! new list, the new tool is callable, the removed one is an unknown tool.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use agent_core::{Agent, ContentBlock, ModelBackend, ModelRequest, ToolResult, ToolResultContent};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};
use mcp_tools::{McpServerConfig, start_all};
use serde_json::json;
use tool_api::ToolRegistry;

/// Asks for `grow`, then for `fresh` and `doomed` together, then answers;
/// keeps every request.
fn recorder() -> ScriptedBackend {
    ScriptedBackend::new(vec![Scenario::new(
        "grow",
        Some("Grow, then use what grew."),
        vec![
            ScriptedTurn::tools([("grow", json!({}))]),
            ScriptedTurn::tools([("fresh", json!({"word": "hi"})), ("doomed", json!({}))]),
            ScriptedTurn::text("done"),
        ],
    )])
}

fn tool_names(request: &ModelRequest) -> Vec<String> {
    let mut names: Vec<String> = request.tools.iter().map(|t| t.name.clone()).collect();
    names.sort();
    names
}

fn results(request: &ModelRequest) -> Vec<ToolResult> {
    request
        .messages
        .last()
        .unwrap()
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::ToolResult(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn text(result: &ToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| match c {
            ToolResultContent::Text(t) => Some(t.clone()),
            // The Python SDK gives a typed result as structured content too.
            ToolResultContent::Json(v) => Some(v.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_tool_list_is_offered_on_the_next_request() {
    let Some(deps) = support::deps("a_changed_tool_list_is_offered_on_the_next_request") else {
        return;
    };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/changing_server.py"
    );
    let config = McpServerConfig::stdio("changing", deps.python(), vec![script.into()]);
    let sources = start_all(vec![config]).await.unwrap();
    let mut registry = ToolRegistry::new();
    sources.register_into(&mut registry).unwrap();
    let backend = Arc::new(recorder());
    let agent = Agent::builder()
        .backend(Arc::clone(&backend) as Arc<dyn ModelBackend>)
        .tools(registry)
        .build()
        .unwrap()
        .with_tool_sources(sources.tool_sources());

    let run = agent.run("Grow, then use what grew.").await.unwrap();
    assert_eq!(run.answer, "done");

    let requests = backend.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(tool_names(&requests[0]), ["doomed", "grow"]);
    // The list changed during the first batch: the second request offers
    // the new list.
    assert_eq!(tool_names(&requests[1]), ["fresh", "grow"]);
    let second = results(&requests[2]);
    assert_eq!(second.len(), 2);
    assert!(!second[0].is_error(), "{second:?}");
    assert!(text(&second[0]).contains("fresh: hi"), "{second:?}");
    assert!(second[1].is_error(), "{second:?}");
    assert!(
        text(&second[1]).contains("unknown tool 'doomed'"),
        "{second:?}"
    );
}
