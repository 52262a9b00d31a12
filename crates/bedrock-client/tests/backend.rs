//! The real SDK and `BedrockBackend` against the local Converse server over
//! HTTP on 127.0.0.1: both operations, the wire format, byte-stable bodies,
//! and the errors the service answers with.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use agent_core::{
    ContentBlock, Message, ModelBackend, ModelErrorKind, ModelEvent, Role, StopReason,
    StreamAccumulator, ToolResult, ToolResultContent,
};
use agent_testkit::reference;
use bedrock_client::mock::{Fault, MockServer, Outcome};
use common::{backend, backend_for, first_request};
use futures::StreamExt;
use serde_json::{Value, json};

async fn collect_stream(
    backend: &dyn ModelBackend,
    request: &agent_core::ModelRequest,
) -> (
    Vec<ModelEvent>,
    Result<agent_core::ModelResponse, agent_core::ModelError>,
) {
    let mut events = Vec::new();
    let mut acc = StreamAccumulator::default();
    let mut stream = backend.converse_stream(request);
    while let Some(item) = stream.next().await {
        match item {
            Ok(e) => {
                events.push(e.clone());
                acc.push(e).unwrap();
            }
            Err(e) => return (events, Err(e)),
        }
    }
    (events, acc.finish(std::time::Duration::ZERO))
}

#[tokio::test]
async fn converse_plays_q1_and_sends_the_wire_format() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let q1 = &reference::queries()[0];
    let request = first_request(q1.prompt.as_deref().unwrap());
    let response = backend.converse(&request).await.unwrap();
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    let uses: Vec<_> = response.message.tool_uses().collect();
    assert_eq!(uses.len(), 2);
    assert_eq!(uses[0].name, "get_weather");
    assert_eq!(uses[0].input, json!({"location": "New York"}));
    assert!(response.usage.input_tokens > 0);

    let recorded = server.requests();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert!(!r.stream);
    assert_eq!(r.model_id, bedrock_client::DEFAULT_MODEL_ID);
    assert!(
        r.header("authorization")
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    );
    assert_eq!(
        r.body["system"],
        json!([{"text": "You are a helpful assistant."}])
    );
    assert_eq!(r.body["inferenceConfig"], json!({"maxTokens": 4000}));
    assert_eq!(
        r.body["messages"][0],
        json!({"role": "user", "content": [{"text": q1.prompt.as_deref().unwrap()}]})
    );
    assert_eq!(
        r.body["toolConfig"]["tools"][0]["toolSpec"]["name"],
        "get_weather"
    );
    // The SDK's own retries are off: one attempt allowed.
    assert_eq!(r.header("amz-sdk-request"), Some("attempt=1; max=1"));
}

#[tokio::test]
async fn converse_stream_plays_q2_with_all_calls_in_one_message() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let q2 = &reference::queries()[1];
    let (events, response) =
        collect_stream(&backend, &first_request(q2.prompt.as_deref().unwrap())).await;
    let response = response.unwrap();
    assert_eq!(events.first(), Some(&ModelEvent::MessageStart));
    assert!(
        matches!(events.last(), Some(ModelEvent::Metadata { .. })),
        "usage comes last"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ModelEvent::ToolInputDelta { .. }))
    );
    let names: Vec<_> = response
        .message
        .tool_uses()
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "get_weather",
            "get_weather",
            "calculate_distance",
            "search_restaurants"
        ]
    );
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert!(response.usage.output_tokens > 0);
    assert!(server.requests()[0].stream);
}

/// The second request of Q1 after the first turn, answered by `results`.
fn second_request(
    first: &agent_core::ModelRequest,
    turn: &Message,
    results: Vec<ContentBlock>,
) -> agent_core::ModelRequest {
    let mut r = first.clone();
    r.messages.push(turn.clone());
    r.messages.push(Message {
        role: Role::User,
        content: results,
    });
    r
}

#[tokio::test]
async fn a_full_conversation_round_trips_tool_results() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let first = first_request(reference::queries()[0].prompt.as_deref().unwrap());
    let turn = backend.converse(&first).await.unwrap().message;
    let results: Vec<_> = turn
        .tool_uses()
        .enumerate()
        .map(|(i, u)| {
            ContentBlock::ToolResult(if i == 0 {
                ToolResult::success(
                    &u.id,
                    ToolResultContent::Json(
                        json!({"temperature": 22, "big": u64::MAX, "neg": -7, "f": 0.1}),
                    ),
                )
            } else {
                ToolResult::error(&u.id, "the stock service timed out")
            })
        })
        .collect();
    let second = second_request(&first, &turn, results);
    let response = backend.converse(&second).await.unwrap();
    assert_eq!(response.stop_reason, StopReason::EndTurn);
    assert!(response.message.text().contains("New York"));

    let body = &server.requests()[1].body;
    let user = &body["messages"][2];
    assert_eq!(user["role"], "user");
    let blocks = user["content"].as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    let ids: Vec<_> = turn.tool_uses().map(|u| u.id.clone()).collect();
    assert_eq!(blocks[0]["toolResult"]["toolUseId"], ids[0].as_str());
    assert_eq!(blocks[0]["toolResult"]["status"], "success");
    assert_eq!(
        blocks[0]["toolResult"]["content"][0]["json"],
        json!({"temperature": 22, "big": u64::MAX, "neg": -7, "f": 0.1})
    );
    assert_eq!(blocks[1]["toolResult"]["toolUseId"], ids[1].as_str());
    assert_eq!(blocks[1]["toolResult"]["status"], "error");
    assert_eq!(
        blocks[1]["toolResult"]["content"][0]["text"],
        "the stock service timed out"
    );
    // Numbers cross exactly, as text too.
    let raw = String::from_utf8(server.requests()[1].raw_body.clone()).unwrap();
    assert!(
        raw.contains(r#"{"temperature":22,"big":18446744073709551615,"neg":-7,"f":0.1}"#),
        "{raw}"
    );
}

#[tokio::test]
async fn the_same_request_gives_the_same_bytes_with_keys_in_order() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let first = first_request(reference::queries()[0].prompt.as_deref().unwrap());
    let turn = backend.converse(&first).await.unwrap().message;
    // A tool result object with many keys, in a deliberate, unsorted order.
    let mut obj = serde_json::Map::new();
    for k in [
        "zeta", "alpha", "mike", "bravo", "yankee", "charlie", "xray", "delta",
    ] {
        obj.insert(k.into(), json!({"z": 1, "a": [1, {"q": 2, "b": 3}]}));
    }
    let results = turn
        .tool_uses()
        .map(|u| {
            ContentBlock::ToolResult(ToolResult::success(
                &u.id,
                ToolResultContent::Json(Value::Object(obj.clone())),
            ))
        })
        .collect();
    let second = second_request(&first, &turn, results);
    for _ in 0..3 {
        backend.converse(&second).await.unwrap();
        backend
            .converse_stream(&second)
            .for_each(|_| async {})
            .await;
    }
    let bodies: Vec<_> = server.requests()[1..]
        .iter()
        .map(|r| r.raw_body.clone())
        .collect();
    assert_eq!(bodies.len(), 6);
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "request bodies differ"
    );
    let raw = String::from_utf8(bodies[0].clone()).unwrap();
    // Keys in the order the caller built them, for tool results and schemas.
    assert!(
        raw.contains(r#"{"zeta":{"z":1,"a":[1,{"q":2,"b":3}]},"alpha""#),
        "{raw}"
    );
    assert!(
        raw.contains(r#""json":{"type":"object","properties":{"location""#),
        "{raw}"
    );
}

#[tokio::test]
async fn converse_keeps_the_models_key_order_in_tool_inputs() {
    let scenario = agent_testkit::Scenario::new(
        "order",
        Some("key order please"),
        vec![agent_testkit::ScriptedTurn::tools([(
            "calculate_distance",
            json!({"origin": "Seattle", "destination": "Portland", "alpha": 1}),
        )])],
    );
    let server = MockServer::builder()
        .scenarios([scenario])
        .start()
        .await
        .unwrap();
    let backend = backend(&server).await;
    let response = backend
        .converse(&first_request("key order please"))
        .await
        .unwrap();
    let input = &response.message.tool_uses().next().unwrap().input;
    assert_eq!(
        input.to_string(),
        r#"{"origin":"Seattle","destination":"Portland","alpha":1}"#
    );
}

#[tokio::test]
async fn a_validation_error_reaches_the_caller_with_message_and_request_id() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let first = first_request(reference::queries()[0].prompt.as_deref().unwrap());
    let turn = backend.converse(&first).await.unwrap().message;
    // Only one of the two calls answered.
    let id = turn.tool_uses().next().unwrap().id.clone();
    let missing = turn.tool_uses().nth(1).unwrap().id.clone();
    let bad = second_request(
        &first,
        &turn,
        vec![ContentBlock::ToolResult(ToolResult::error(&id, "x"))],
    );
    for stream in [false, true] {
        let err = if stream {
            collect_stream(&backend, &bad).await.1.unwrap_err()
        } else {
            backend.converse(&bad).await.unwrap_err()
        };
        assert_eq!(err.kind, ModelErrorKind::Validation);
        assert!(!err.is_retryable());
        assert_eq!(
            err.message,
            format!(
                "Expected toolResult blocks at messages.2.content for the following Ids: {missing}"
            )
        );
        let last = server.requests().last().cloned().unwrap();
        assert_eq!(err.request_id.as_deref(), Some(last.request_id.as_str()));
        assert!(err.to_string().contains(&last.request_id));
    }
}

#[tokio::test]
async fn an_unknown_model_id_is_model_not_found() {
    let server = MockServer::builder().start().await.unwrap();
    for (id, status) in [
        ("gpt-4o", 400),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/nope",
            404,
        ),
    ] {
        let backend = backend_for(&server, id).await;
        let request = first_request("What's the weather in New York and the stock price of AAPL?");
        let err = backend.converse(&request).await.unwrap_err();
        assert_eq!(err.kind, ModelErrorKind::ModelNotFound, "{err}");
        assert!(!err.is_retryable());
        let (_, streamed) = collect_stream(&backend, &request).await;
        assert_eq!(streamed.unwrap_err().kind, ModelErrorKind::ModelNotFound);
        let last = server.requests().last().cloned().unwrap();
        assert_eq!(last.model_id, id);
        assert!(matches!(last.outcome, Outcome::Rejected { status: s, .. } if s == status));
    }
}

#[tokio::test]
async fn injected_faults_have_their_kinds() {
    let server = MockServer::builder()
        .retry_after(std::time::Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let backend = backend(&server).await;
    let request = first_request("What's the weather in New York and the stock price of AAPL?");
    let cases = [
        (Fault::Throttle, ModelErrorKind::Throttled),
        (Fault::InternalError, ModelErrorKind::Unavailable),
        (Fault::Unavailable, ModelErrorKind::Unavailable),
        (Fault::ModelNotReady, ModelErrorKind::Unavailable),
        (Fault::ModelTimeout, ModelErrorKind::Unavailable),
        (Fault::StreamError, ModelErrorKind::Unavailable),
        (Fault::StreamCut, ModelErrorKind::Stream),
    ];
    for (fault, kind) in cases {
        server.inject([fault]);
        let err = backend.converse(&request).await.unwrap_err();
        assert_eq!(err.kind, kind, "{fault:?}: {err}");
        assert!(err.is_retryable(), "{fault:?}");
        if fault == Fault::Throttle {
            assert_eq!(err.retry_after, Some(std::time::Duration::from_secs(2)));
            assert!(err.request_id.is_some());
        }
    }
    // The SDK never retried: one request per call.
    assert_eq!(server.requests().len(), cases.len());
    assert!(
        server
            .requests()
            .iter()
            .all(|r| matches!(r.outcome, Outcome::Fault(_)))
    );
}

#[tokio::test]
async fn stream_faults_mid_message_are_retryable_stream_errors() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let request = first_request("What's the weather in New York and the stock price of AAPL?");
    for fault in [Fault::StreamCut, Fault::StreamError] {
        server.inject([fault]);
        let (events, result) = collect_stream(&backend, &request).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ModelErrorKind::Stream, "{fault:?}: {err}");
        assert!(err.is_retryable());
        assert!(
            err.request_id.is_some(),
            "{fault:?}: the stream's request id is kept"
        );
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ModelEvent::MessageStop { .. }))
        );
        if fault == Fault::StreamError {
            assert_eq!(err.message, bedrock_client::mock::STREAM_ERROR_MESSAGE);
            assert!(
                events.contains(&ModelEvent::MessageStart),
                "events before the error arrive"
            );
        }
    }
    // And the next call goes through.
    let (_, ok) = collect_stream(&backend, &request).await;
    assert_eq!(ok.unwrap().stop_reason, StopReason::ToolUse);
}

#[tokio::test]
async fn unsigned_requests_are_refused_with_403() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The SDK always signs, so speak HTTP by hand.
    let server = MockServer::builder().start().await.unwrap();
    let body = r#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#;
    let mut tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "POST /model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse HTTP/1.1\r\nhost: {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        server.addr(),
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(
        answer.contains("x-amzn-errortype: MissingAuthenticationTokenException:"),
        "{answer}"
    );
    assert!(answer.contains("x-amzn-requestid: "), "{answer}");
    let r = &server.requests()[0];
    assert_eq!(r.model_id, "us.anthropic.claude-sonnet-4-20250514-v1:0");
    assert!(matches!(&r.outcome, Outcome::Rejected { status: 403, .. }));
}

#[tokio::test]
async fn recording_can_be_turned_off_for_long_runs() {
    let server = MockServer::builder()
        .record(false)
        .throttle_every(2)
        .start()
        .await
        .unwrap();
    let backend = backend(&server).await;
    let request = first_request("What's the weather in New York and the stock price of AAPL?");
    backend.converse(&request).await.unwrap();
    // The count for every-Nth faults goes on without a record.
    let err = backend.converse(&request).await.unwrap_err();
    assert_eq!(err.kind, ModelErrorKind::Throttled);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_stream_cut_inside_a_tool_use_block_is_retryable_and_leaks_no_call() {
    use agent_testkit::{Scenario, ScriptedTurn};
    // A long input: many deltas, so half the frames end inside the block.
    let input = json!({"location": "San Francisco, California, United States of America"});
    let scenario = Scenario::new(
        "weather",
        Some("weather"),
        vec![
            ScriptedTurn::tools([("get_weather", input.clone())]),
            ScriptedTurn::text("Cold."),
        ],
    );
    let server = MockServer::builder()
        .scenarios([scenario])
        .start()
        .await
        .unwrap();
    let backend = backend(&server).await;
    server.inject([Fault::StreamCut]);
    let (events, result) = collect_stream(&backend, &first_request("weather")).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind, ModelErrorKind::Stream, "{err}");
    assert!(err.is_retryable());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ModelEvent::ToolUseStart { .. })),
        "the cut falls inside the tool-use block: {events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ModelEvent::BlockStop { .. })),
        "the block never closed: {events:?}"
    );

    // The agent retries the turn: the tool runs once, with its whole input.
    server.inject([Fault::StreamCut]);
    let agent = agent_core::Agent::builder()
        .backend(std::sync::Arc::new(backend))
        .tools(common::fast_tools())
        .build()
        .unwrap();
    let run = agent.run("weather").await.unwrap();
    assert_eq!(run.answer, "Cold.");
    assert_eq!(run.metrics.tool_calls, 1);
    let uses: Vec<_> = run.messages[1].tool_uses().collect();
    assert_eq!(uses.len(), 1);
    assert_eq!(uses[0].input, input);
}

/// A recursive input type: its normalised schema refers to itself through
/// the root `$defs`.
#[allow(dead_code)]
#[derive(schemars::JsonSchema)]
struct Tree {
    name: String,
    children: Vec<Tree>,
}

#[tokio::test]
async fn tool_schema_refs_must_resolve_in_the_root_defs() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let mut request = first_request(reference::queries()[0].prompt.as_deref().unwrap());
    let schema = tool_api::schema::schema_for::<Tree>().unwrap();
    request
        .tools
        .push(tool_api::ToolSpec::new("tree", "A tree.", schema));
    backend.converse(&request).await.unwrap();

    let tree = request.tools.last_mut().unwrap();
    tree.input_schema["properties"]["children"]["items"]["$ref"] = json!("#");
    let e = backend.converse(&request).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation, "{e}");
    assert!(e.message.contains("the reference '#'"), "{e}");
    let at = format!(
        "toolConfig.tools.{}.toolSpec.inputSchema.json",
        request.tools.len() - 1
    );
    assert!(e.message.contains(&at), "{e}");
}
