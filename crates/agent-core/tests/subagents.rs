//! Agents as tools: sub-agents asked for in one turn run in parallel inside
//! the parent's calls, their events nest under those calls, their tokens
//! roll up, and the parent's limits (a timeout) reach them. Paused clock,
//! scripted backend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use agent_core::{Agent, ContentBlock, EventKind, ExecutorConfig, ToolResultContent};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};
use common::tool;
use serde_json::{Value, json};
use tool_api::ToolOutput;

/// The lead asks three researchers at once; each researcher looks one
/// thing up (a one-second tool) and answers.
fn backend() -> Arc<ScriptedBackend> {
    let mut scenarios = vec![Scenario::new(
        "lead",
        Some("Compare a, b and c."),
        vec![
            ScriptedTurn::tools([
                ("researcher", json!({"prompt": "look up a"})),
                ("researcher", json!({"prompt": "look up b"})),
                ("researcher", json!({"prompt": "look up c"})),
            ]),
            ScriptedTurn::text("a, b and c compared."),
        ],
    )];
    for x in ["a", "b", "c"] {
        scenarios.push(Scenario::new(
            format!("research {x}"),
            Some(&format!("look up {x}")),
            vec![
                ScriptedTurn::tools([("lookup", json!({"topic": x}))]),
                ScriptedTurn::text(format!("{x} is fine.")),
            ],
        ));
    }
    Arc::new(ScriptedBackend::new(scenarios).with_latency(Duration::from_millis(100)))
}

fn researcher(backend: Arc<ScriptedBackend>, done: Arc<AtomicU32>) -> Agent {
    let lookup = tool("lookup", move |input: Value, _| {
        let done = done.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            done.fetch_add(1, Ordering::SeqCst);
            Ok(ToolOutput::text(format!("facts about {}", input["topic"])))
        }
    });
    Agent::builder()
        .backend(backend)
        .tool(lookup)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn sub_agents_run_in_parallel_with_nested_events_and_rolled_up_usage() {
    let backend = backend();
    let done = Arc::new(AtomicU32::new(0));
    let sub = researcher(backend.clone(), done.clone());
    let lead = Agent::builder()
        .backend(backend.clone())
        .tool(sub.as_tool("researcher", "Researches one topic."))
        .build()
        .unwrap();
    let run = lead.run("Compare a, b and c.").await.unwrap();
    assert_eq!(run.answer, "a, b and c compared.");
    assert_eq!(done.load(Ordering::SeqCst), 3);
    // In parallel: lead turn (0.1 s) + one sub-run (0.1 + 1 + 0.1 s) +
    // lead turn (0.1 s); one after another it would be 3.8 s.
    assert_eq!(run.metrics.wall, Duration::from_millis(1400));
    // The model got each researcher's answer, in call order.
    let results: Vec<String> = run.messages[2]
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolResult(r) => match &r.content[0] {
                ToolResultContent::Text(t) => t.clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(results, ["a is fine.", "b is fine.", "c is fine."]);
    // Each sub-run's events nest under its call, as they happened.
    for (index, id) in ["tooluse_0_0", "tooluse_0_1", "tooluse_0_2"]
        .iter()
        .enumerate()
    {
        let nested: Vec<&str> = run
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::SubAgent {
                    index: i,
                    id: call,
                    name,
                    inner,
                    ..
                } if *i == index => {
                    assert_eq!(call, id);
                    assert_eq!(name, "researcher");
                    Some(match &inner.kind {
                        EventKind::ModelCallFinished { .. } => "model",
                        EventKind::ToolCallStarted { name, .. } if name == "lookup" => {
                            "lookup started"
                        }
                        EventKind::ToolCallFinished { failure: None, .. } => "lookup finished",
                        _ => "",
                    })
                }
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .collect();
        // Eager start: the lookup starts as its block streams in, before
        // the sub-agent's model call is finished.
        assert_eq!(
            nested,
            ["lookup started", "model", "lookup finished", "model"],
            "call {index}"
        );
    }
    // Between the lead's call start and finish.
    let at =
        |pred: &dyn Fn(&EventKind) -> bool| run.events.iter().find(|e| pred(&e.kind)).unwrap().at;
    let started = at(&|k| matches!(k, EventKind::ToolCallStarted { index: 0, .. }));
    let first_nested = at(&|k| matches!(k, EventKind::SubAgent { index: 0, .. }));
    let finished = at(&|k| matches!(k, EventKind::ToolCallFinished { index: 0, .. }));
    assert!(started <= first_nested && first_nested < finished);
    // Usage: three researchers' worth, beside the lead's own.
    let alone = researcher(backend.clone(), Arc::new(AtomicU32::new(0)))
        .run("look up a")
        .await
        .unwrap();
    let mut three = alone.metrics.usage;
    three += alone.metrics.usage;
    three += alone.metrics.usage;
    assert!(three.input_tokens > 0);
    assert_eq!(run.metrics.sub_agent_usage, three);
    let mut total = run.metrics.usage;
    total += three;
    assert_eq!(run.metrics.total_usage(), total);
    // --json carries the nesting too.
    let json = serde_json::to_value(&run.events).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "sub_agent"
                && e["inner"]["event"] == "tool_call_started"
                && e["inner"]["name"] == "lookup")
    );
}

#[tokio::test(start_paused = true)]
async fn the_parents_timeout_reaches_the_sub_agent() {
    let backend = backend();
    let done = Arc::new(AtomicU32::new(0));
    let sub = researcher(backend.clone(), done.clone());
    let lead = Agent::builder()
        .backend(backend.clone())
        .tool(sub.as_tool("researcher", "Researches one topic."))
        .executor(
            ExecutorConfig::default()
                .with_tool_timeout("researcher", Some(Duration::from_millis(500))),
        )
        .build()
        .unwrap();
    let run = lead.run("Compare a, b and c.").await.unwrap();
    assert_eq!(run.metrics.wall, Duration::from_millis(700));
    let timed_out = run
        .events
        .iter()
        .filter(|e| {
            matches!(
                &e.kind,
                EventKind::ToolCallFinished {
                    failure: Some(agent_core::CallFailure::TimedOut),
                    ..
                }
            )
        })
        .count();
    assert_eq!(timed_out, 3);
    // The sub-agents' lookups were stopped with them: none ever finishes.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(done.load(Ordering::SeqCst), 0);
}
