//! The OpenAI-compatible backend end to end against the local Chat
//! Completions server: what crosses the wire, and how every failure is
//! reported.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use agent_core::{
    Agent, ContentBlock, Message, ModelBackend, ModelErrorKind, ModelEvent, Role,
    StreamAccumulator, ToolResult, ToolResultContent,
};
use agent_testkit::{Scenario, reference};
use mock_support::testing::{collect, request, story, three_calls, weather};
use openai_client::mock::{Fault, MockServer};
use openai_client::{MaxTokensField, OpenAiBackend};
use serde_json::json;

const KEY: &str = "sk-proj-test-0123456789";

async fn server(scenarios: Vec<Scenario>) -> MockServer {
    MockServer::builder()
        .api_key(KEY)
        .scenarios(scenarios)
        .start()
        .await
        .unwrap()
}

fn backend(server: &MockServer) -> OpenAiBackend {
    OpenAiBackend::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .model("gpt-test")
        .build()
        .unwrap()
}

#[tokio::test]
async fn n_results_go_out_as_n_tool_messages_in_call_order() {
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
    assert_eq!(first.path, "/v1/chat/completions");
    assert_eq!(first.headers["accept"], "text/event-stream");
    assert!(first.stream);
    let body = &first.body;
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["max_tokens"], 4000, "not api.openai.com: max_tokens");
    assert_eq!(body["parallel_tool_calls"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "Go."})
    );
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["name"], "get_weather");
    assert_eq!(body["tools"][0]["function"]["parameters"]["type"], "object");

    let messages = requests[1].body["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        6,
        "system, user, assistant, three tool messages"
    );
    let calls = messages[2]["tool_calls"].as_array().unwrap();
    assert_eq!(messages[2]["role"], "assistant");
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0]["function"]["arguments"], r#"{"ms":40}"#);
    for (tool, call) in messages[3..].iter().zip(calls) {
        assert_eq!(tool["role"], "tool");
        assert_eq!(tool["tool_call_id"], call["id"], "in call order");
    }
    // The 40 ms call finished last but comes first.
    assert_eq!(messages[3]["content"], r#"{"slept_ms":40}"#);
    let error = messages[5]["content"].as_str().unwrap();
    assert!(
        error.starts_with("Error: unknown tool 'teleport'"),
        "{error}"
    );
    // The server's view as core types: ONE user message of three results.
    let core = requests[1].request.as_ref().unwrap();
    assert_eq!(core.messages.len(), 3);
    assert_eq!(core.messages[2].content.len(), 3);
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
    let second = &server.requests()[1].body;
    assert_eq!(second.get("stream"), None);
    assert_eq!(second.get("stream_options"), None);
}

#[tokio::test]
async fn keys_are_checked_sent_as_bearer_and_never_shown() {
    let server = server(vec![story()]).await;
    let wrong = OpenAiBackend::builder()
        .base_url(server.base_url())
        .api_key("sk-proj-wrong-secret")
        .build()
        .unwrap();
    assert!(!format!("{wrong:?}").contains("secret"));
    let e = wrong.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Credentials);
    assert!(!e.is_retryable());
    assert!(e.message.contains("Incorrect API key"), "{e}");
    assert_eq!(e.request_id.as_deref(), Some("req_mock_000001"));
    assert!(!e.to_string().contains("secret"));

    let keyless = OpenAiBackend::builder()
        .base_url(server.base_url())
        .build()
        .unwrap();
    let e = keyless.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Credentials);
    assert!(e.message.contains("didn't provide an API key"), "{e}");

    // A server without keys (Ollama) takes a backend without one.
    let open = MockServer::builder()
        .scenarios(vec![story()])
        .start()
        .await
        .unwrap();
    let r = OpenAiBackend::builder()
        .base_url(open.base_url())
        .build()
        .unwrap()
        .converse(&request("story"))
        .await
        .unwrap();
    assert_eq!(r.message.text(), agent_testkit::conformance::LONG_ANSWER);
}

#[tokio::test]
async fn every_fault_maps_to_its_kind_with_hints_kept() {
    let server = MockServer::builder()
        .api_key(KEY)
        .scenarios(vec![story()])
        .models(["gpt-test"])
        .start()
        .await
        .unwrap();
    let backend = backend(&server);
    let cases = [
        (
            Fault::RateLimit {
                retry_after: Some(Duration::from_millis(2500)),
            },
            ModelErrorKind::Throttled,
        ),
        (Fault::Overloaded, ModelErrorKind::Unavailable),
        (Fault::ServerError, ModelErrorKind::Unavailable),
        (
            Fault::Error {
                status: 400,
                code: Some("context_length_exceeded".into()),
                message: "This model's maximum context length is 128000 tokens.".into(),
            },
            ModelErrorKind::ContextOverflow,
        ),
        (
            Fault::Error {
                status: 429,
                code: Some("insufficient_quota".into()),
                message: "You exceeded your current quota.".into(),
            },
            ModelErrorKind::QuotaExceeded,
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
                assert_eq!(e.retry_after, Some(Duration::from_millis(2500)));
            }
        }
    }
    let other_model = OpenAiBackend::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .model("gpt-nope")
        .build()
        .unwrap();
    let e = other_model.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::ModelNotFound);
    assert!(e.message.contains("gpt-nope"), "{e}");
}

#[tokio::test]
async fn a_cut_stream_is_a_retryable_error_never_a_partial_answer() {
    let server = server(vec![story()]).await;
    let backend = backend(&server);
    server.push_fault(Fault::CutStream);
    let events = collect(&backend, &request("story")).await;
    let last = events.last().unwrap().as_ref().unwrap_err();
    assert_eq!(last.kind, ModelErrorKind::Stream, "{last}");
    assert!(events.iter().any(|e| e.is_ok()), "the stream started");
    server.push_fault(Fault::CutStream);
    let e = backend.converse(&request("story")).await.unwrap_err();
    assert!(e.is_retryable(), "{e}");
}

#[tokio::test]
async fn a_tool_message_without_its_call_is_refused_like_openai() {
    let server = server(vec![story()]).await;
    let mut bad = request("story");
    bad.messages.push(Message::assistant("Sure."));
    bad.messages.push(Message {
        role: Role::User,
        content: vec![ContentBlock::ToolResult(ToolResult::success(
            "call_ghost",
            ToolResultContent::Text("42".into()),
        ))],
    });
    let e = backend(&server).converse(&bad).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(
        e.message
            .contains("messages with role 'tool' must be a response to a preceeding message"),
        "{e}"
    );
}

#[tokio::test]
async fn max_completion_tokens_when_asked_and_a_wrong_path_points_at_the_base_url() {
    let server = server(vec![story()]).await;
    let backend = OpenAiBackend::builder()
        .base_url(server.base_url())
        .api_key(KEY)
        .max_tokens_field(MaxTokensField::MaxCompletionTokens)
        .build()
        .unwrap();
    let mut r = request("story");
    r.inference.max_tokens = 77;
    backend.converse(&r).await.unwrap();
    let body = &server.requests()[0].body;
    assert_eq!(body["max_completion_tokens"], 77);
    assert!(body.get("max_tokens").is_none());

    let wrong = OpenAiBackend::builder()
        .base_url(format!("http://{}/api", server.addr()))
        .api_key(KEY)
        .build()
        .unwrap();
    let e = wrong.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Other, "{e}");
    assert!(e.message.contains("Invalid URL"), "{e}");

    let models: serde_json::Value = reqwest::get(format!("{}/models", server.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["object"], "list");
}

#[tokio::test]
async fn throttle_every_n_then_success() {
    let server = MockServer::builder()
        .scenarios(vec![story()])
        .throttle_every(2)
        .start()
        .await
        .unwrap();
    let backend = OpenAiBackend::builder()
        .base_url(server.base_url())
        .build()
        .unwrap();
    backend.converse(&request("story")).await.unwrap();
    let e = backend.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Throttled);
    assert_eq!(e.retry_after, Some(Duration::from_secs(1)));
    backend.converse(&request("story")).await.unwrap();
    assert_eq!(
        server
            .requests()
            .iter()
            .map(|r| r.status)
            .collect::<Vec<_>>(),
        [200, 429, 200]
    );
}

#[tokio::test]
async fn scenarios_load_from_a_file() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        r#"[{"name": "hello", "prompt": "hello there", "turns": [
            {"tool_calls": [{"name": "sleep_tool", "input": {"ms": 1}}]},
            {"text": "General Kenobi."}]}]"#,
    )
    .unwrap();
    let server = MockServer::builder()
        .scenario_file(file.path())
        .unwrap()
        .start()
        .await
        .unwrap();
    let agent = Agent::builder()
        .backend(Arc::new(
            OpenAiBackend::builder()
                .base_url(server.base_url())
                .build()
                .unwrap(),
        ))
        .tools(reference::tools())
        .streaming(false)
        .build()
        .unwrap();
    let run = agent.run("Hello there").await.unwrap();
    assert_eq!(run.answer, "General Kenobi.");
    assert_eq!(run.metrics.tool_calls, 1);
}

#[tokio::test]
async fn an_unreachable_server_is_an_unreachable_error_retried_a_few_times() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let backend = OpenAiBackend::builder()
        .base_url(format!("http://{addr}/v1"))
        .build()
        .unwrap();
    let e = backend.converse(&request("story")).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Unreachable, "{e}");
    assert!(e.is_retryable());
}

#[tokio::test]
async fn a_stream_cut_inside_a_tool_call_is_retryable_and_leaks_no_call() {
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
        "the cut falls inside the tool call: {events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Ok(ModelEvent::BlockStop { .. }))),
        "the call never closed: {events:?}"
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
async fn tool_choice_goes_as_the_api_spells_it_and_an_unknown_tool_is_refused() {
    let server = server(vec![story()]).await;
    let backend = backend(&server);
    let mut request = request("Tell me a story.");
    request.tools = vec![tool_api::ToolSpec::new(
        "get_weather",
        "Weather.",
        json!({"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}),
    )];
    request.tool_choice = Some(agent_core::ToolChoice::Tool("get_weather".into()));
    let response = backend.converse(&request).await.unwrap();
    let call = response.message.tool_uses().next().unwrap();
    assert_eq!(call.name, "get_weather", "the forced tool is called");
    assert_eq!(
        server.requests()[0].body["tool_choice"],
        json!({"type": "function", "function": {"name": "get_weather"}})
    );
    request.tool_choice = Some(agent_core::ToolChoice::Any);
    backend.converse(&request).await.unwrap();
    assert_eq!(server.requests()[1].body["tool_choice"], "required");
    request.tool_choice = Some(agent_core::ToolChoice::Tool("teleport".into()));
    let e = backend.converse(&request).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(e.message.contains("'teleport'"), "{e}");
    // Guardrails are Bedrock's: refused before sending, naming the backend.
    request.tool_choice = None;
    request.guardrail = Some(agent_core::Guardrail::parse("gr-1").unwrap());
    let e = backend.converse(&request).await.unwrap_err();
    assert!(
        e.message
            .contains("the openai backend cannot carry guardrails"),
        "{e}"
    );
    assert_eq!(server.requests().len(), 3);
    server.shutdown().await;
}
