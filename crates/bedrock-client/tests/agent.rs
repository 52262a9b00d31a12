//! End to end: the real `Agent` of agent-core, `BedrockBackend`, the real
//! AWS SDK and real HTTP to the local Converse server on 127.0.0.1, with
//! fast in-process reference tools. Asserts on what crossed the wire.
//!
//! Retries use a tiny backoff in real time (1 ms base, no jitter): real
//! sockets and a paused clock do not mix. Delays are asserted as the
//! policy chose them (from the run's events), never as wall time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use agent_core::{Agent, AgentRun, ContentBlock, EventKind, ModelErrorKind, Role};
use agent_testkit::{Scenario, reference};
use bedrock_client::mock::{Fault, MockServer, Outcome, RecordedRequest};
use common::{backend, fast_tools, tiny_backoff};
use serde_json::Value;

async fn agent(server: &MockServer, streaming: bool) -> Agent {
    Agent::builder()
        .backend(Arc::new(backend(server).await))
        .tools(fast_tools())
        .system("You are a helpful assistant.")
        .streaming(streaming)
        .model_retry(tiny_backoff())
        .build()
        .unwrap()
}

fn prompt(q: &Scenario) -> &str {
    q.prompt.as_deref().unwrap()
}

fn requests_for(server: &MockServer, prompt: &str) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.body["messages"][0]["content"][0]["text"] == prompt)
        .collect()
}

/// The model-call failures of a run: (iteration, attempt, kind, retry_in).
fn failures(run: &AgentRun) -> Vec<(u32, u32, ModelErrorKind, Option<Duration>)> {
    run.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ModelCallFailed {
                iteration,
                attempt,
                kind,
                retry_in,
                ..
            } => Some((*iteration, *attempt, *kind, *retry_in)),
            _ => None,
        })
        .collect()
}

/// The second request of `query` holds ONE user message with every
/// toolResult, in call order, ids matching the first turn's toolUse ids.
fn assert_results_in_one_message(second: &RecordedRequest, query: &Scenario) {
    let messages = second.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "prompt, tool uses, ONE results message");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[2]["role"], "user");
    let uses: Vec<&Value> = messages[1]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b.get("toolUse"))
        .collect();
    let names: Vec<&str> = uses.iter().map(|u| u["name"].as_str().unwrap()).collect();
    let want: Vec<&str> = query.turns[0]
        .tool_calls
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, want);
    for (u, c) in uses.iter().zip(&query.turns[0].tool_calls) {
        assert_eq!(u["input"], c.input, "tool input sent back exactly");
    }
    let results = messages[2]["content"].as_array().unwrap();
    assert!(
        results.iter().all(|b| b.get("toolResult").is_some()),
        "only toolResult blocks"
    );
    let answered: Vec<&str> = results
        .iter()
        .map(|b| b["toolResult"]["toolUseId"].as_str().unwrap())
        .collect();
    let ids: Vec<&str> = uses
        .iter()
        .map(|u| u["toolUseId"].as_str().unwrap())
        .collect();
    assert_eq!(answered, ids, "every result, in call order");
    for (r, c) in results.iter().zip(&query.turns[0].tool_calls) {
        assert_eq!(r["toolResult"]["status"], "success");
        let json = &r["toolResult"]["content"][0]["json"];
        assert_eq!(json["tool"], c.name.as_str());
        assert_eq!(json["input"], c.input);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_queries_streaming_and_not() {
    for streaming in [true, false] {
        let server = MockServer::builder().start().await.unwrap();
        let agent = agent(&server, streaming).await;
        let queries = reference::queries();
        let runs = futures::future::join_all(queries.iter().map(|q| agent.run(prompt(q)))).await;
        for (q, run) in queries.iter().zip(runs) {
            let run = run.unwrap();
            assert_eq!(
                Some(run.answer.as_str()),
                q.turns[1].text.as_deref(),
                "{}",
                q.name
            );
            assert_eq!(run.metrics.iterations, 2);
            assert_eq!(run.metrics.model_calls, 2, "no retries");
            assert_eq!(run.metrics.tool_calls as usize, q.turns[0].tool_calls.len());
            assert!(run.metrics.usage.input_tokens > 0 && run.metrics.usage.output_tokens > 0);
            if streaming {
                assert!(
                    run.events
                        .iter()
                        .any(|e| matches!(e.kind, EventKind::TextDelta { .. })),
                    "{}: streamed text arrives as events",
                    q.name
                );
            }
            let seen = requests_for(&server, prompt(q));
            assert_eq!(seen.len(), 2, "{}", q.name);
            assert!(seen.iter().all(|r| r.stream == streaming));
            assert!(
                seen.iter()
                    .all(|r| r.header("amz-sdk-request") == Some("attempt=1; max=1"))
            );
            assert_results_in_one_message(&seen[1], q);
        }
    }
}

#[tokio::test]
async fn every_second_request_throttled_costs_one_retry_each() {
    let server = MockServer::builder()
        .throttle_every(2)
        .start()
        .await
        .unwrap();
    let agent = agent(&server, true).await;
    let mut failed = 0;
    for q in reference::queries() {
        let run = agent.run(prompt(&q)).await.unwrap();
        assert_eq!(Some(run.answer.as_str()), q.turns[1].text.as_deref());
        let f = failures(&run);
        assert!(f.iter().all(|(_, attempt, kind, retry_in)| *attempt == 1
            && *kind == ModelErrorKind::Throttled
            && *retry_in == Some(Duration::from_millis(1))));
        failed += f.len();
    }
    // Requests alternate ok / throttled: 8 answers, 7 throttles between them.
    let requests = server.requests();
    assert_eq!(requests.len(), 15);
    assert_eq!(failed, 7);
    for (i, r) in requests.iter().enumerate() {
        let throttled = matches!(r.outcome, Outcome::Fault(Fault::Throttle));
        assert_eq!(throttled, (i + 1) % 2 == 0, "request {}", i + 1);
        assert_eq!(r.header("amz-sdk-request"), Some("attempt=1; max=1"));
    }
}

#[tokio::test]
async fn a_burst_of_six_throttles_is_retried_by_the_policy_alone() {
    for streaming in [false, true] {
        let server = MockServer::builder()
            .fail_next([Fault::Throttle; 6])
            .start()
            .await
            .unwrap();
        let agent = agent(&server, streaming).await;
        let q1 = &reference::queries()[0];
        let run = agent.run(prompt(q1)).await.unwrap();
        assert_eq!(Some(run.answer.as_str()), q1.turns[1].text.as_deref());
        // Six throttled attempts then success, then the second turn: 8
        // requests, exactly what the policy says, not multiplied by the SDK.
        assert_eq!(server.requests().len(), 8);
        assert_eq!(run.metrics.model_calls, 8);
        let delays: Vec<_> = failures(&run).iter().map(|f| f.3).collect();
        let ms = |n| Some(Duration::from_millis(n));
        assert_eq!(delays, [ms(1), ms(2), ms(4), ms(8), ms(16), ms(32)]);
        let attempts: Vec<_> = failures(&run).iter().map(|f| (f.0, f.1)).collect();
        assert_eq!(attempts, [(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6)]);
    }
}

#[tokio::test]
async fn throttles_past_the_policy_stop_the_run_after_max_attempts() {
    // One throttle more than the policy's attempts (the model policy's
    // default, 100, at a 50 ms cap: about 5 s).
    let burst = tiny_backoff_attempts() as usize + 1;
    let server = MockServer::builder()
        .fail_next(std::iter::repeat_n(Fault::Throttle, burst))
        .start()
        .await
        .unwrap();
    let agent = agent(&server, true).await;
    let err = agent
        .run(prompt(&reference::queries()[0]))
        .await
        .unwrap_err();
    let e = err.model_error().unwrap();
    assert_eq!(e.kind, ModelErrorKind::Throttled);
    assert_eq!(server.requests().len() as u32, tiny_backoff_attempts());
    assert_eq!(
        e.request_id.as_deref(),
        Some(server.requests().last().unwrap().request_id.as_str())
    );
}

fn tiny_backoff_attempts() -> u32 {
    use agent_core::RetryPolicy;
    tiny_backoff().max_attempts()
}

#[tokio::test]
async fn a_retry_after_hint_sets_the_delay() {
    let server = MockServer::builder()
        .retry_after(Duration::from_millis(50))
        .fail_next([Fault::Throttle])
        .start()
        .await
        .unwrap();
    let agent = agent(&server, false).await;
    let run = agent.run(prompt(&reference::queries()[0])).await.unwrap();
    assert_eq!(
        failures(&run),
        [(
            1,
            1,
            ModelErrorKind::Throttled,
            Some(Duration::from_millis(50))
        )]
    );
}

#[tokio::test]
async fn a_stream_cut_mid_message_is_retried_and_nothing_partial_leaks() {
    for fault in [Fault::StreamCut, Fault::StreamError] {
        // Request 2, the final answer, breaks after some of its text.
        let server = MockServer::builder()
            .fault_every(2, fault)
            .start()
            .await
            .unwrap();
        let agent = agent(&server, true).await;
        let q2 = &reference::queries()[1];
        let run = agent.run(prompt(q2)).await.unwrap();
        let answer = q2.turns[1].text.as_deref().unwrap();
        assert_eq!(run.answer, answer, "{fault:?}");
        assert_eq!(
            failures(&run),
            [(2, 1, ModelErrorKind::Stream, Some(Duration::from_millis(1)))],
            "{fault:?}"
        );
        // The conversation holds whole messages only: no partial answer.
        let roles: Vec<Role> = run.messages.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::User, Role::Assistant, Role::User, Role::Assistant]
        );
        assert_eq!(
            run.messages[3].content,
            [ContentBlock::Text {
                text: answer.into()
            }]
        );
        // The retry sent the same conversation again, byte for byte.
        let seen = server.requests();
        assert_eq!(seen.len(), 3);
        assert!(matches!(seen[1].outcome, Outcome::Fault(f) if f == fault));
        assert_eq!(seen[1].raw_body, seen[2].raw_body);
        // Text streamed before the break was announced void by the failure event.
        let deltas_before_failure = run
            .events
            .iter()
            .take_while(|e| !matches!(e.kind, EventKind::ModelCallFailed { .. }))
            .filter(|e| matches!(e.kind, EventKind::TextDelta { iteration: 2, .. }))
            .count();
        if fault == Fault::StreamError {
            assert!(deltas_before_failure > 0, "the break came mid-message");
        }
    }
}

#[tokio::test]
async fn a_cut_converse_response_is_retried() {
    let server = MockServer::builder()
        .fail_next([Fault::StreamCut])
        .start()
        .await
        .unwrap();
    let agent = agent(&server, false).await;
    let run = agent.run(prompt(&reference::queries()[0])).await.unwrap();
    assert_eq!(
        failures(&run),
        [(1, 1, ModelErrorKind::Stream, Some(Duration::from_millis(1)))]
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_validation_error_stops_the_run_with_the_services_message() {
    let server = MockServer::builder()
        .fail_next([Fault::Reject])
        .start()
        .await
        .unwrap();
    let agent = agent(&server, true).await;
    let err = agent
        .run(prompt(&reference::queries()[0]))
        .await
        .unwrap_err();
    let e = err.model_error().unwrap();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert_eq!(e.message, "The request was refused (injected fault).");
    let seen = server.requests();
    assert_eq!(seen.len(), 1, "not retried");
    assert_eq!(e.request_id.as_deref(), Some(seen[0].request_id.as_str()));
    assert!(err.to_string().contains(&seen[0].request_id));
}

#[tokio::test]
async fn an_unknown_model_id_stops_the_run_at_once() {
    let server = MockServer::builder().start().await.unwrap();
    let agent = Agent::builder()
        .backend(Arc::new(
            common::backend_for(&server, "anthropic-claude-9").await,
        ))
        .tools(fast_tools())
        .model_retry(tiny_backoff())
        .build()
        .unwrap();
    let err = agent
        .run(prompt(&reference::queries()[0]))
        .await
        .unwrap_err();
    let e = err.model_error().unwrap();
    assert_eq!(e.kind, ModelErrorKind::ModelNotFound);
    assert_eq!(e.message, "The provided model identifier is invalid.");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_context_overflow_is_its_own_kind() {
    let server = MockServer::builder()
        .max_input_tokens(10)
        .start()
        .await
        .unwrap();
    let agent = agent(&server, true).await;
    let err = agent
        .run(prompt(&reference::queries()[0]))
        .await
        .unwrap_err();
    let e = err.model_error().unwrap();
    assert_eq!(e.kind, ModelErrorKind::ContextOverflow, "{e}");
    assert_eq!(server.requests().len(), 1);
}
