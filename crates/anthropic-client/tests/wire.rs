//! The Anthropic backend end to end against the local Messages API server:
//! what crosses the wire, and how every failure is reported.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use agent_core::{
    Agent, ContentBlock, Message, ModelBackend, ModelErrorKind, ModelEvent, Role,
    StreamAccumulator, ToolResult, ToolResultContent,
};
use agent_testkit::{Scenario, reference};
use anthropic_client::AnthropicBackend;
use anthropic_client::mock::{Fault, MockServer};
use futures::StreamExt;
use mock_support::testing::{collect, request, story, three_calls, weather};
use serde_json::json;

const KEY: &str = "sk-ant-test-0123456789";

async fn server(scenarios: Vec<Scenario>) -> MockServer {
    MockServer::builder()
        .api_key(KEY)
        .scenarios(scenarios)
        .start()
        .await
        .unwrap()
}

fn backend(server: &MockServer) -> AnthropicBackend {
    AnthropicBackend::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .model("claude-test")
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_follow_up_carries_every_result_in_one_user_message_in_call_order() {
    let server = server(vec![three_calls()]).await;
    let agent = Agent::builder()
        .backend(Arc::new(backend(&server)))
        .tools(reference::tools())
        .system("Be brief.")
        .build()
        .unwrap();
    let run = agent.run("Go.").await.unwrap();
    assert_eq!(run.answer, "Done.");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert!(first.authorized);
    assert_eq!(first.path, "/v1/messages");
    assert_eq!(first.headers["anthropic-version"], "2023-06-01");
    assert_eq!(first.headers["content-type"], "application/json");
    assert_eq!(first.headers["accept"], "text/event-stream");
    assert!(first.stream, "the agent streams by default");
    assert_eq!(first.body["model"], "claude-test");
    assert_eq!(first.body["max_tokens"], 4000);
    assert_eq!(first.body["system"], "Be brief.");
    let tools = first.body["tools"].as_array().unwrap();
    assert_eq!(tools[0]["name"], "get_weather");
    assert_eq!(tools[0]["input_schema"]["type"], "object");
    assert!(!first.headers.values().any(|v| v.contains(KEY)));

    let follow_up = &requests[1].body["messages"];
    assert_eq!(follow_up.as_array().unwrap().len(), 3);
    let asked: Vec<_> = follow_up[1]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["type"].clone(), b["id"].clone()))
        .collect();
    assert!(asked.iter().all(|(t, _)| t == "tool_use"), "{asked:?}");
    let results = follow_up[2]["content"].as_array().unwrap();
    assert_eq!(follow_up[2]["role"], "user");
    assert_eq!(results.len(), 3, "ONE user message holds every result");
    for (result, (_, id)) in results.iter().zip(&asked) {
        assert_eq!(result["type"], "tool_result");
        assert_eq!(&result["tool_use_id"], id, "results in call order");
    }
    // The 40 ms call finished last but comes first.
    assert_eq!(results[0]["content"][0]["text"], r#"{"slept_ms":40}"#);
    assert!(results[0].get("is_error").is_none());
    assert_eq!(results[2]["is_error"], true);
    assert!(
        results[2]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("unknown tool 'teleport'")
    );
}

#[tokio::test]
async fn streaming_sends_text_in_many_deltas_and_reports_usage() {
    let server = server(vec![story()]).await;
    let backend = backend(&server);
    let events: Vec<_> = collect(&backend, &request("story"))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let deltas = events
        .iter()
        .filter(|e| matches!(e, ModelEvent::TextDelta { .. }))
        .count();
    assert!(deltas > 5, "{deltas} deltas");
    assert_eq!(events[0], ModelEvent::MessageStart);
    let mut acc = StreamAccumulator::default();
    for e in events {
        acc.push(e).unwrap();
    }
    let r = acc.finish(Duration::ZERO).unwrap();
    assert_eq!(r.message.text(), agent_testkit::conformance::LONG_ANSWER);
    assert!(r.usage.input_tokens > 0 && r.usage.output_tokens > 0);
    let whole = backend.converse(&request("story")).await.unwrap();
    assert_eq!(whole.message, r.message);
    assert_eq!(whole.usage, r.usage);
    assert_eq!(server.requests()[1].body.get("stream"), None);
}

#[tokio::test]
async fn a_wrong_key_is_a_credentials_error_and_never_shown() {
    let server = server(vec![story()]).await;
    let wrong = AnthropicBackend::builder()
        .base_url(server.base_url())
        .api_key("sk-ant-wrong-secret")
        .build()
        .unwrap();
    assert!(!format!("{wrong:?}").contains("secret"));
    let e = wrong.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Credentials);
    assert!(!e.is_retryable());
    assert!(e.message.contains("invalid x-api-key"), "{e}");
    assert_eq!(e.request_id.as_deref(), Some("req_mock_000001"));
    assert!(!e.to_string().contains("secret"));
    let recorded = &server.requests()[0];
    assert!(!recorded.authorized);
    assert_eq!(recorded.status, 401);
}

// Anthropic's SDKs send the key as `x-api-key` or, in newer releases, as a
// bearer token; the local server takes both, as the API does.
#[tokio::test]
async fn the_server_takes_the_key_as_a_bearer_token_too() {
    let server = server(vec![story()]).await;
    let post = |auth: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/v1/messages", server.base_url()))
            .header("authorization", auth)
            .header("anthropic-version", "2023-06-01")
            .json(&json!({
                "model": "claude-test",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "story"}],
            }))
            .send()
    };
    let ok = post("Bearer sk-ant-test-0123456789").await.unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["type"], "message");
    let wrong = post("Bearer sk-ant-nope").await.unwrap();
    assert_eq!(wrong.status(), 401);
    // The scheme is case-insensitive.
    let lower = post("bearer sk-ant-test-0123456789").await.unwrap();
    assert_eq!(lower.status(), 200);
    let recorded = server.requests();
    assert!(recorded[0].authorized && !recorded[1].authorized && recorded[2].authorized);
}

#[tokio::test]
async fn every_fault_maps_to_its_kind_with_hints_kept() {
    let server = MockServer::builder()
        .api_key(KEY)
        .scenarios(vec![story()])
        .models(["claude-test"])
        .start()
        .await
        .unwrap();
    let backend = backend(&server);
    let cases = [
        (
            Fault::RateLimit {
                retry_after: Some(Duration::from_secs(3)),
            },
            ModelErrorKind::Throttled,
        ),
        (Fault::Overloaded, ModelErrorKind::Unavailable),
        (Fault::ServerError, ModelErrorKind::Unavailable),
        (
            Fault::Error {
                status: 400,
                error_type: "invalid_request_error".into(),
                message: "prompt is too long: 208326 tokens > 200000 maximum".into(),
            },
            ModelErrorKind::ContextOverflow,
        ),
        (
            Fault::Error {
                status: 403,
                error_type: "permission_error".into(),
                message: "Your API key does not have permission to use the specified resource."
                    .into(),
            },
            ModelErrorKind::Auth,
        ),
    ];
    for streaming in [false, true] {
        for (fault, kind) in &cases {
            server.push_fault(fault.clone());
            let e = if streaming {
                collect(&backend, &request("story"))
                    .await
                    .into_iter()
                    .find_map(Result::err)
                    .unwrap()
            } else {
                backend.converse(&request("story")).await.unwrap_err()
            };
            assert_eq!(e.kind, *kind, "{fault:?}: {e}");
            assert!(e.request_id.is_some(), "{e}");
            if matches!(fault, Fault::RateLimit { .. }) {
                assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
            }
        }
    }
    let other_model = AnthropicBackend::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .model("claude-nope")
        .build()
        .unwrap();
    let e = other_model.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::ModelNotFound);
    assert!(e.message.contains("claude-nope"), "{e}");
}

#[tokio::test]
async fn a_cut_stream_is_a_retryable_error_never_a_partial_answer() {
    let server = server(vec![story()]).await;
    let backend = backend(&server);
    server.push_fault(Fault::CutStream);
    let events = collect(&backend, &request("story")).await;
    let last = events.last().unwrap().as_ref().unwrap_err();
    assert_eq!(last.kind, ModelErrorKind::Stream, "{last}");
    assert!(last.is_retryable());
    assert!(events.iter().any(|e| e.is_ok()), "the stream started");
    server.push_fault(Fault::CutStream);
    let e = backend.converse(&request("story")).await.unwrap_err();
    assert!(e.is_retryable(), "{e}");
}

#[tokio::test]
async fn a_tool_result_without_its_tool_use_is_refused_like_the_api() {
    let server = server(vec![story()]).await;
    let mut bad = request("story");
    bad.messages.push(Message::assistant("Sure."));
    bad.messages.push(Message {
        role: Role::User,
        content: vec![ContentBlock::ToolResult(ToolResult::success(
            "toolu_ghost",
            ToolResultContent::Text("42".into()),
        ))],
    });
    let e = backend(&server).converse(&bad).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(
        e.message
            .contains("unexpected `tool_use_id` found in `tool_result` blocks: toolu_ghost"),
        "{e}"
    );
}

#[tokio::test]
async fn throttle_every_n_and_a_missing_key_header() {
    let server = MockServer::builder()
        .scenarios(vec![story()])
        .throttle_every(2)
        .retry_after(Some(Duration::from_millis(1500)))
        .start()
        .await
        .unwrap();
    let backend = AnthropicBackend::builder()
        .base_url(format!("{}/v1/", server.base_url()))
        .api_key("any-key-goes")
        .build()
        .unwrap();
    backend.converse(&request("story")).await.unwrap();
    let e = backend.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Throttled);
    assert_eq!(
        e.retry_after,
        Some(Duration::from_secs(2)),
        "whole seconds, rounded up"
    );
    backend.converse(&request("story")).await.unwrap();

    let raw = reqwest::Client::new()
        .post(format!("{}/v1/messages", server.base_url()))
        .json(&json!({"model": "m", "max_tokens": 5, "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["error"]["type"], "authentication_error");
}

#[tokio::test]
async fn an_unreachable_server_is_an_unreachable_error_retried_a_few_times() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let backend = AnthropicBackend::builder()
        .base_url(format!("http://{addr}"))
        .api_key(KEY)
        .build()
        .unwrap();
    let e = backend.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Unreachable, "{e}");
    assert!(e.is_retryable());
    assert!(e.message.contains(&addr.to_string()), "{e}");
}

#[tokio::test]
async fn scenarios_load_from_a_file_and_win_over_the_reference_work() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        r#"[{"name": "paris", "prompt": "What's the weather in New York and the stock price of AAPL?",
             "turns": [{"text": "From the file."}]}]"#,
    )
    .unwrap();
    let server = MockServer::builder()
        .api_key(KEY)
        .scenario_file(file.path())
        .unwrap()
        .start()
        .await
        .unwrap();
    let q1 = reference::queries()[0].prompt.clone().unwrap();
    let r = backend(&server).converse(&request(&q1)).await.unwrap();
    assert_eq!(r.message.text(), "From the file.");
    let q2 = reference::queries()[1].prompt.clone().unwrap();
    let r = backend(&server).converse(&request(&q2)).await.unwrap();
    assert_eq!(
        r.message.tool_uses().count(),
        4,
        "the reference work is still there"
    );
    let e = MockServer::builder()
        .scenario_file("/nonexistent/scenarios.json")
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/scenarios.json"), "{e}");
}

#[tokio::test]
async fn a_stream_cut_inside_a_tool_use_block_is_retryable_and_leaks_no_call() {
    let input = json!({"location": "San Francisco, CA"});
    let server = server(vec![weather(input.clone())]).await;
    let backend = backend(&server);
    server.push_fault(Fault::CutStream);
    let events = collect(&backend, &request("weather")).await;
    let last = events.last().unwrap().as_ref().unwrap_err();
    assert_eq!(last.kind, ModelErrorKind::Stream, "{last}");
    assert!(last.is_retryable());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Ok(ModelEvent::ToolUseStart { .. }))),
        "the cut falls inside the tool-use block: {events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Ok(ModelEvent::BlockStop { .. }))),
        "the block never closed: {events:?}"
    );

    // The agent retries the turn: the tool runs once, with its whole input.
    server.push_fault(Fault::CutStream);
    let agent = Agent::builder()
        .backend(Arc::new(backend))
        .tools(reference::tools())
        .build()
        .unwrap();
    let run = agent.run("weather").await.unwrap();
    assert_eq!(run.answer, "Cold.");
    assert_eq!(run.metrics.tool_calls, 1);
    let uses: Vec<_> = run.messages[1].tool_uses().collect();
    assert_eq!(uses.len(), 1);
    assert_eq!(uses[0].input, input);
}

#[tokio::test]
async fn q2_with_caching_sends_cache_control_and_reads_on_the_second_call() {
    let q2 = reference::queries()
        .into_iter()
        .find(|q| q.name == "Q2")
        .unwrap();
    for streaming in [false, true] {
        let server = server(vec![q2.clone()]).await;
        let agent = Agent::builder()
            .backend(Arc::new(backend(&server)))
            .tools(reference::tools())
            .system("You are a helpful assistant.")
            .streaming(streaming)
            .cache(Some(agent_core::CacheSettings::auto()))
            .tool_choice(agent_core::ToolChoice::Any)
            .build()
            .unwrap();
        let run = agent.run(q2.prompt.as_deref().unwrap()).await.unwrap();
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        let ephemeral = json!({"type": "ephemeral"});
        for r in &requests {
            let tools = r.body["tools"].as_array().unwrap();
            assert_eq!(tools.last().unwrap()["cache_control"], ephemeral);
            assert_eq!(r.body["system"][0]["cache_control"], ephemeral);
            let last = r.body["messages"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .clone();
            assert_eq!(
                last["content"].as_array().unwrap().last().unwrap()["cache_control"],
                ephemeral
            );
        }
        // Tool choice as the API spells it, on the first call only.
        assert_eq!(requests[0].body["tool_choice"], json!({"type": "any"}));
        assert_eq!(requests[1].body.get("tool_choice"), None);
        let turns = &run.metrics.turns;
        assert!(turns[0].usage.cache_write_input_tokens > 0);
        assert_eq!(
            turns[1].usage.cache_read_input_tokens, turns[0].usage.cache_write_input_tokens,
            "streaming {streaming}"
        );
        server.shutdown().await;
    }
}

#[tokio::test]
async fn bedrock_only_options_are_refused_naming_the_backend() {
    let server = server(vec![story()]).await;
    let mut request = request("Tell me a story.");
    request.guardrail = Some(agent_core::Guardrail::parse("gr-1").unwrap());
    let e = self::backend(&server).converse(&request).await.unwrap_err();
    assert!(
        e.message
            .contains("anthropic backend cannot carry guardrails"),
        "{e}"
    );
    request.guardrail = None;
    request.model_fields.insert("top_k".into(), json!(5));
    let backend = backend(&server);
    let mut stream = backend.converse_stream(&request);
    let e = stream.next().await.unwrap().unwrap_err();
    assert!(e.message.contains("--model-field"), "{e}");
    assert!(server.requests().is_empty(), "nothing was sent");
    server.shutdown().await;
}

#[tokio::test]
async fn a_tool_choice_naming_an_unknown_tool_is_refused_like_the_api() {
    let server = server(vec![story()]).await;
    let mut request = request("Tell me a story.");
    request.tools = vec![tool_api::ToolSpec::new(
        "get_weather",
        "Weather.",
        json!({"type": "object"}),
    )];
    request.tool_choice = Some(agent_core::ToolChoice::Tool("teleport".into()));
    let e = backend(&server).converse(&request).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(e.message.contains("Tool 'teleport' not found"), "{e}");
    assert_eq!(
        server.requests()[0].body["tool_choice"],
        json!({"type": "tool", "name": "teleport"})
    );
    server.shutdown().await;
}
