//! A tool's stall report ([`tool_api::ToolContext::stalled`], what the
//! plugin host sends when a plugin call cannot start) becomes a
//! `tool_call_stalled` event of that call, through a session journal too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use agent_core::{Agent, EventKind, StallHolder};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};
use serde_json::{Value, json};
use tool_api::{Stall, ToolOutput, ToolRegistry};

mod common;

/// `waits`: reports itself stalled behind `hog` (call `c0`), then answers.
fn tools() -> ToolRegistry {
    let waits = common::tool("waits", |_: Value, ctx: tool_api::ToolContext| async move {
        ctx.stalled(Stall {
            held_by_tool: "hog".into(),
            held_by_call: Some("c0".into()),
            held_for: Duration::from_millis(400),
            waited: Duration::from_millis(250),
        });
        Ok(ToolOutput::text("ok"))
    });
    let mut registry = ToolRegistry::new();
    registry.register(waits, "test").unwrap();
    registry
}

#[tokio::test(start_paused = true)]
async fn a_stall_report_is_an_event_of_its_call() {
    let backend = ScriptedBackend::new(vec![Scenario::new(
        "stalled",
        None,
        vec![
            ScriptedTurn::tools([("waits", json!({}))]),
            ScriptedTurn::text("done"),
        ],
    )]);
    let agent = Agent::builder()
        .backend(Arc::new(backend))
        .tools(tools())
        .build()
        .unwrap();
    let run = agent.run("wait").await.unwrap();
    let stalls: Vec<_> = run
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ToolCallStalled { .. }))
        .collect();
    assert_eq!(stalls.len(), 1, "{:?}", run.events);
    let EventKind::ToolCallStalled {
        iteration,
        index,
        name,
        held_by,
        waited,
        ..
    } = &stalls[0].kind
    else {
        unreachable!()
    };
    assert_eq!((*iteration, *index, name.as_str()), (1, 0, "waits"));
    assert_eq!(
        *held_by,
        StallHolder {
            tool: "hog".into(),
            id: Some("c0".into()),
            held_for: Duration::from_millis(400)
        }
    );
    assert_eq!(*waited, Duration::from_millis(250));
    let json = serde_json::to_value(stalls[0]).unwrap();
    assert_eq!(json["event"], "tool_call_stalled", "{json}");
    assert_eq!(
        json["held_by"],
        json!({"tool": "hog", "id": "c0", "for_ms": 400.0}),
        "{json}"
    );
    assert_eq!(json["waited_ms"], 250.0, "{json}");
    // Old JSON without the event still reads, and this one reads back.
    let back: agent_core::AgentEvent = serde_json::from_value(json).unwrap();
    assert_eq!(&back, stalls[0]);
}
