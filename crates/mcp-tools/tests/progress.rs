//! `notifications/progress` end to end through the agent: a real server
//! (tests/fixtures/progress_server.py, the official Python SDK) reports
//! progress during a call; each report becomes a `tool_call_progress`
//! event of that call, in order, with its values, before the call ends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};

use agent_core::{Agent, EventKind};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};
use mcp_tools::{McpServerConfig, start_all};
use serde_json::json;
use tool_api::ToolRegistry;

/// Asks for `crawl` over 3 pages, then answers.
fn crawler() -> ScriptedBackend {
    ScriptedBackend::new(vec![Scenario::new(
        "crawl",
        Some("Crawl three pages."),
        vec![
            ScriptedTurn::tools([("crawl", json!({"pages": 3}))]),
            ScriptedTurn::text("done"),
        ],
    )])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_notifications_become_events_of_the_call_in_order() {
    let Some(deps) = support::deps("progress_notifications_become_events_of_the_call_in_order")
    else {
        return;
    };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/progress_server.py"
    );
    let config = McpServerConfig::stdio("progress", deps.python(), vec![script.into()]);
    let sources = start_all(vec![config]).await.unwrap();
    let mut registry = ToolRegistry::new();
    sources.register_into(&mut registry).unwrap();
    let agent = Agent::builder()
        .backend(crawler())
        .tools(registry)
        .build()
        .unwrap();

    let run = agent.run("Crawl three pages.").await.unwrap();
    assert_eq!(run.answer, "done");

    // The call's events from its start to its end, progress in between.
    let events: Vec<EventKind> = run
        .events
        .iter()
        .map(|e| e.kind.clone())
        .filter(|k| {
            matches!(
                k,
                EventKind::ToolCallStarted { .. }
                    | EventKind::ToolCallProgress { .. }
                    | EventKind::ToolCallFinished { .. }
            )
        })
        .collect();
    assert!(
        matches!(&events[0], EventKind::ToolCallStarted { id, .. } if id == "tooluse_0_0"),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(EventKind::ToolCallFinished { id, failure: None, .. }) if id == "tooluse_0_0"),
        "{events:?}"
    );
    let progress: Vec<_> = events[1..events.len() - 1]
        .iter()
        .map(|k| match k {
            EventKind::ToolCallProgress {
                iteration,
                index,
                id,
                name,
                progress,
                total,
                message,
            } => {
                assert_eq!(
                    (*iteration, *index, id.as_str(), name.as_str()),
                    (1, 0, "tooluse_0_0", "crawl")
                );
                (*progress, *total, message.clone())
            }
            other => panic!("not a progress event: {other:?}"),
        })
        .collect();
    let expected: Vec<_> = (1..=3)
        .map(|i| (f64::from(i), Some(3.0), Some(format!("page {i}"))))
        .collect();
    assert_eq!(progress, expected);

    // As `--json` writes it.
    let json = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(json["event"], "tool_call_progress", "{json}");
    assert_eq!(json["progress"], 1.0, "{json}");
    assert_eq!(json["total"], 3.0, "{json}");
    assert_eq!(json["message"], "page 1", "{json}");
}

/// Collects one call's reports.
#[derive(Default)]
struct Collect(Mutex<Vec<f64>>);

impl tool_api::ProgressSink for Collect {
    fn report(&self, progress: tool_api::Progress) {
        self.0.lock().unwrap().push(progress.progress);
    }
}

/// A server whose last report and answer arrive in one read
/// (tests/fixtures/raw_server.py, `count`): the report still reaches the
/// call, before it returns. (rmcp handles a notification on a task of its
/// own but a response at once; the reports are taken off the wire instead.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_sent_right_before_the_answer_still_reaches_the_call() {
    use tool_api::{Tool, ToolContext};
    let Some(deps) = support::deps("a_report_sent_right_before_the_answer") else {
        return;
    };
    let sources = start_all(vec![deps.raw("raw")]).await.unwrap();
    let count = sources
        .tools
        .iter()
        .find(|t| t.spec().name == "count")
        .unwrap();
    let calls = (0..40).map(|i| async move {
        let sink = Arc::new(Collect::default());
        let ctx = ToolContext::new(format!("c{i}")).with_progress_sink(sink.clone());
        let output = count.call(json!({"steps": 3}), ctx).await.unwrap();
        let seen = sink.0.lock().unwrap().clone();
        (output, seen)
    });
    for (output, seen) in futures::future::join_all(calls).await {
        assert_eq!(seen, [1.0, 2.0, 3.0], "{output:?}");
    }
}
