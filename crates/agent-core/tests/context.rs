//! Context management end to end on tokio's paused clock with the scripted
//! backend: long conversations kept under the window by the sliding window
//! and by summarising, pairs never split, and an overflow the service
//! reports recovered once, or reported with what to do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use agent_core::context::{SUMMARY_TAG, SlidingWindow, Summarizing};
use agent_core::{Agent, AgentRun, ContentBlock, EventKind, ModelErrorKind, ModelRequest, Role};
use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn, input_tokens, validate_conversation};
use serde_json::json;
use tool_api::ToolOutput;

const PROMPT: &str = "Read the 30 pages, one at a time.";
const TURNS: usize = 30;
const SUMMARY: &str = "Earlier: pages read, nothing found yet.";

fn long_task() -> Scenario {
    let mut turns: Vec<ScriptedTurn> = (0..TURNS)
        .map(|i| ScriptedTurn::tools([("fetch", json!({ "page": i }))]))
        .collect();
    turns.push(ScriptedTurn::text("All 30 pages read."));
    Scenario::new("long", Some(PROMPT), turns)
}

/// Answers the summariser's requests (listed first: a summary request
/// quotes the task's prompt, which the long scenario would match too).
fn summariser() -> Scenario {
    Scenario::new(
        "summary",
        Some("Summarise the earlier part"),
        vec![ScriptedTurn::text(SUMMARY)],
    )
}

fn builder(backend: &Arc<ScriptedBackend>) -> agent_core::AgentBuilder {
    Agent::builder()
        .backend(backend.clone())
        .tool(common::tool("fetch", |input, _| async move {
            Ok(ToolOutput::text(format!(
                "page {}: {}",
                input["page"],
                "lorem ipsum ".repeat(150)
            )))
        }))
        .max_iterations(40)
}

/// A scripted model taking 100 ms a call (on the paused clock).
fn model(backend: ScriptedBackend) -> Arc<ScriptedBackend> {
    Arc::new(backend.with_latency(Duration::from_millis(100)))
}

fn is_summary_request(r: &ModelRequest) -> bool {
    agent_testkit::first_prompt(r).starts_with("Summarise the earlier part")
}

/// Every request the task made: valid (pairs, roles), starting with the
/// task's prompt.
fn assert_task_requests_valid(requests: &[ModelRequest]) {
    for r in requests.iter().filter(|r| !is_summary_request(r)) {
        validate_conversation(r).unwrap();
        assert_eq!(r.messages[0].role, Role::User);
        assert!(r.messages[0].text().starts_with(PROMPT));
        // Each results message answers exactly the calls just before it.
        for pair in r.messages.windows(2) {
            if pair[1].role == Role::User && pair[0].role == Role::Assistant {
                let asked: Vec<&str> = pair[0].tool_uses().map(|u| u.id.as_str()).collect();
                let answered: Vec<&str> = pair[1]
                    .content
                    .iter()
                    .filter_map(|b| match b {
                        ContentBlock::ToolResult(t) => Some(t.tool_use_id.as_str()),
                        _ => None,
                    })
                    .collect();
                assert_eq!(asked, answered);
            }
        }
    }
}

fn reductions(run: &AgentRun) -> Vec<(usize, bool, bool)> {
    run.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ContextReduced {
                dropped,
                summarized,
                overflow,
                ..
            } => Some((*dropped, *summarized, *overflow)),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_sliding_window_keeps_a_long_run_under_the_window() {
    let backend = model(ScriptedBackend::new(vec![long_task()]));
    let agent = builder(&backend)
        .context_manager(SlidingWindow)
        .context_window(4000)
        .build()
        .unwrap();
    let run = agent.run(PROMPT).await.unwrap();
    assert_eq!(run.answer, "All 30 pages read.");
    assert_eq!(run.metrics.tool_calls as usize, TURNS, "every page, once");
    let requests = backend.requests();
    assert_eq!(requests.len(), TURNS + 1);
    assert_task_requests_valid(&requests);
    for r in &requests {
        assert!(input_tokens(r) <= 4000, "{} tokens sent", input_tokens(r));
    }
    let reduced = reductions(&run);
    assert!(!reduced.is_empty());
    assert!(
        reduced
            .iter()
            .all(|&(dropped, summarized, overflow)| dropped > 0
                && dropped.is_multiple_of(2)
                && !summarized
                && !overflow)
    );
    // The last request still holds the latest exchange and the task.
    let last = requests.last().unwrap();
    assert!(last.messages.len() < 2 * TURNS + 1);
    assert_eq!(last.messages[0].text(), PROMPT);
    assert_eq!(run.messages.len(), last.messages.len() + 1);
}

#[tokio::test(start_paused = true)]
async fn summarising_keeps_one_summary_in_the_first_message() {
    let backend = model(ScriptedBackend::new(vec![summariser(), long_task()]));
    let agent = builder(&backend)
        .context_manager(Summarizing::new(200))
        .context_window(5000)
        .build()
        .unwrap();
    let run = agent.run(PROMPT).await.unwrap();
    assert_eq!(run.answer, "All 30 pages read.");
    assert_eq!(run.metrics.tool_calls as usize, TURNS);
    let requests = backend.requests();
    assert_task_requests_valid(&requests);
    let summaries: Vec<&ModelRequest> = requests.iter().filter(|r| is_summary_request(r)).collect();
    let reduced = reductions(&run);
    assert!(!reduced.is_empty());
    assert_eq!(
        summaries.len(),
        reduced.len(),
        "one summary call per reduction"
    );
    assert!(
        reduced
            .iter()
            .all(|&(d, summarized, _)| d > 0 && d.is_multiple_of(2) && summarized)
    );
    for s in &summaries {
        assert!(s.tools.is_empty() && s.messages.len() == 1);
        assert!(s.messages[0].text().contains("called tool fetch"));
    }
    // The second summary folds in the first.
    assert!(summaries[1].messages[0].text().contains(SUMMARY));
    let task: Vec<&ModelRequest> = requests.iter().filter(|r| !is_summary_request(r)).collect();
    assert_eq!(task.len(), TURNS + 1);
    let last = task.last().unwrap();
    let tagged = last.messages[0]
        .content
        .iter()
        .filter(|b| matches!(b, ContentBlock::Text { text } if text.starts_with(SUMMARY_TAG)))
        .count();
    assert_eq!(tagged, 1, "one summary at a time");
    assert!(last.messages[0].text().contains(SUMMARY));
    for r in &task {
        assert!(input_tokens(r) <= 5000, "{} tokens sent", input_tokens(r));
    }
}

#[tokio::test(start_paused = true)]
async fn an_overflow_the_service_reports_is_reduced_then_retried_once() {
    // No window known: only the service's refusal starts a reduction.
    let backend = model(ScriptedBackend::new(vec![long_task()]).with_max_input_tokens(3000));
    let agent = builder(&backend)
        .context_manager(SlidingWindow)
        .build()
        .unwrap();
    let run = agent.run(PROMPT).await.unwrap();
    assert_eq!(run.answer, "All 30 pages read.");
    assert_eq!(run.metrics.tool_calls as usize, TURNS);
    let overflows = run
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::ModelCallFailed {
                    kind: ModelErrorKind::ContextOverflow,
                    ..
                }
            )
        })
        .count();
    let reduced = reductions(&run);
    assert!(overflows > 0);
    assert_eq!(reduced.len(), overflows, "each overflow reduced once");
    assert!(reduced.iter().all(|&(_, _, overflow)| overflow));
    assert_task_requests_valid(&backend.requests());
}

#[tokio::test(start_paused = true)]
async fn without_a_manager_an_overflow_ends_the_run_saying_what_to_do() {
    let backend = model(ScriptedBackend::new(vec![long_task()]).with_max_input_tokens(3000));
    let agent = builder(&backend).build().unwrap();
    let err = agent.run(PROMPT).await.unwrap_err();
    assert_eq!(
        err.model_error().unwrap().kind,
        ModelErrorKind::ContextOverflow
    );
    let text = err.to_string();
    assert!(text.contains("--context sliding"), "{text}");
    assert!(reductions(&err.run).is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_overflow_nothing_can_fix_fails_after_one_reduction_attempt() {
    // The first result alone is over the limit: no exchange may go.
    let backend = model(ScriptedBackend::new(vec![long_task()]).with_max_input_tokens(300));
    let agent = builder(&backend)
        .context_manager(SlidingWindow)
        .build()
        .unwrap();
    let err = agent.run(PROMPT).await.unwrap_err();
    assert_eq!(
        err.model_error().unwrap().kind,
        ModelErrorKind::ContextOverflow
    );
    assert!(err.to_string().contains("--context-window"), "{err}");
    // The first turn fit; the second overflowed and was not sent again.
    assert_eq!(backend.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn count_tokens_confirms_an_estimate_over_the_window() {
    let backend = model(ScriptedBackend::new(vec![long_task()]).with_token_counting());
    let agent = builder(&backend)
        .context_manager(SlidingWindow)
        .context_window(4000)
        .build()
        .unwrap();
    let run = agent.run(PROMPT).await.unwrap();
    assert_eq!(run.metrics.tool_calls as usize, TURNS);
    let counted = backend.counted();
    assert!(!counted.is_empty(), "asked the backend to count");
    // Asked only when the estimate was over the window, not every turn.
    assert!(counted.len() < TURNS, "{} counts", counted.len());
    for r in backend.requests() {
        assert!(input_tokens(&r) <= 4000);
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_summary_falls_back_to_dropping_without_one() {
    // No scenario answers the summariser: its call fails.
    let backend = model(ScriptedBackend::new(vec![long_task()]));
    let agent = builder(&backend)
        .context_manager(Summarizing::default())
        .context_window(5000)
        .build()
        .unwrap();
    let run = agent.run(PROMPT).await.unwrap();
    assert_eq!(run.metrics.tool_calls as usize, TURNS);
    let reduced = reductions(&run);
    assert!(!reduced.is_empty());
    assert!(
        reduced
            .iter()
            .all(|&(d, summarized, _)| d > 0 && !summarized)
    );
    assert!(backend.requests().iter().any(is_summary_request));
    assert_task_requests_valid(&backend.requests());
}
