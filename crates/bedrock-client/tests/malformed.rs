//! The real SDK and `BedrockBackend` against a hand-written server that
//! answers as a broken Converse service could: duplicated or invalid
//! tool-use ids, missing fields, unreadable bodies, stalled streams, events
//! after `messageStop`, exception frames of unknown types. Each must end as a
//! classified error (retryable where a new attempt may help) before anything
//! runs, never as a quietly wrong answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/raw.rs"]
mod raw;

use std::time::Duration;

use agent_core::{ModelBackend, ModelErrorKind, ModelEvent, StreamAccumulator};
use bedrock_client::BedrockBackend;
use futures::StreamExt;
use raw::{Answer, RawServer, event, exception, json_ok};
use serde_json::json;

async fn backend(server: &RawServer, idle: Option<Duration>) -> BedrockBackend {
    // Fixed keys and region: the SDK never probes the instance-metadata address.
    let mut builder = BedrockBackend::builder()
        .region("us-east-1")
        .endpoint_url(server.url.clone())
        .static_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    if let Some(idle) = idle {
        builder = builder.stream_idle_timeout(idle);
    }
    builder.build().await.unwrap()
}

fn request() -> agent_core::ModelRequest {
    common::first_request("What's the weather in Paris and the price of AAPL?")
}

fn tool_use(id: &str, name: &str, input: serde_json::Value) -> serde_json::Value {
    json!({"toolUse": {"toolUseId": id, "name": name, "input": input}})
}

fn converse_body(content: serde_json::Value) -> serde_json::Value {
    json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
        "metrics": {"latencyMs": 1}
    })
}

async fn stream_result(
    backend: &BedrockBackend,
) -> (
    Vec<ModelEvent>,
    Result<agent_core::ModelResponse, agent_core::ModelError>,
) {
    let request = request();
    let mut events = Vec::new();
    let mut acc = StreamAccumulator::default();
    let mut stream = backend.converse_stream(&request);
    while let Some(item) = stream.next().await {
        match item {
            Ok(e) => {
                events.push(e.clone());
                if let Err(e) = acc.push(e) {
                    return (events, Err(e));
                }
            }
            Err(e) => return (events, Err(e)),
        }
    }
    (events, acc.finish(Duration::ZERO))
}

#[tokio::test]
async fn a_duplicated_tool_use_id_is_refused_before_anything_runs() {
    let server = RawServer::start(vec![json_ok(converse_body(json!([
        tool_use("t1", "get_weather", json!({"location": "Paris"})),
        tool_use("t1", "get_stock_price", json!({"symbol": "AAPL"})),
    ])))])
    .await;
    let err = backend(&server, None)
        .await
        .converse(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ModelErrorKind::Stream, "{err}");
    assert!(err.message.contains("t1"), "{err}");
    assert!(err.message.contains("more than once"), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn tool_inputs_are_matched_to_their_blocks_by_position() {
    // Distinct ids, keys out of order: the raw inputs are restored in place.
    let server = RawServer::start(vec![json_ok(converse_body(json!([
        tool_use("a", "get_weather", json!({"z": 1, "location": "Paris"})),
        tool_use("b", "get_stock_price", json!({"symbol": "AAPL"})),
    ])))])
    .await;
    let response = backend(&server, None)
        .await
        .converse(&request())
        .await
        .unwrap();
    let uses: Vec<_> = response.message.tool_uses().collect();
    assert_eq!(uses[0].name, "get_weather");
    assert_eq!(uses[0].input.to_string(), r#"{"z":1,"location":"Paris"}"#);
    assert_eq!(uses[1].input, json!({"symbol": "AAPL"}));
}

#[tokio::test]
async fn tool_use_ids_and_names_the_service_would_refuse_are_refused() {
    for (id, name, needle) in [
        ("bad id!", "get_weather", "tool-use id"),
        ("", "get_weather", "tool-use id"),
        (&*"x".repeat(65), "get_weather", "tool-use id"),
        ("t1", "get weather", "tool name"),
        ("t1", "", "tool name"),
    ] {
        let server = RawServer::start(vec![json_ok(converse_body(json!([tool_use(
            id,
            name,
            json!({})
        )])))])
        .await;
        let err = backend(&server, None)
            .await
            .converse(&request())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ModelErrorKind::Stream, "{id:?} {name:?}: {err}");
        assert!(err.message.contains(needle), "{id:?} {name:?}: {err}");
    }
}

#[tokio::test]
async fn a_streamed_duplicated_tool_use_id_is_refused() {
    let start = |i: i32, id: &str, name: &str| {
        event(
            "contentBlockStart",
            json!({"contentBlockIndex": i, "start": {"toolUse": {"toolUseId": id, "name": name}}}),
        )
    };
    let mut frames = event("messageStart", json!({"role": "assistant"}));
    frames.extend(start(0, "t1", "get_weather"));
    frames.extend(event("contentBlockStop", json!({"contentBlockIndex": 0})));
    frames.extend(start(1, "t1", "get_stock_price"));
    let server = RawServer::start(vec![Answer::Stream(frames)]).await;
    let (_, result) = stream_result(&backend(&server, None).await).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind, ModelErrorKind::Stream, "{err}");
    assert!(err.message.contains("more than once"), "{err}");
}

#[tokio::test]
async fn a_response_without_content_or_stop_reason_is_a_retryable_error() {
    let no_content = json!({
        "output": {"message": {"role": "assistant"}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1}
    });
    let no_stop = json!({
        "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1}
    });
    for (body, needle) in [(no_content, "content"), (no_stop, "stopReason")] {
        let server = RawServer::start(vec![json_ok(body)]).await;
        let err = backend(&server, None)
            .await
            .converse(&request())
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert_eq!(err.kind, ModelErrorKind::Stream, "{err}");
        assert!(err.message.contains(needle), "{err}");
    }
}

#[tokio::test]
async fn an_unreadable_200_response_is_a_retryable_stream_error() {
    let server = RawServer::start(vec![Answer::Body(
        200,
        "application/json",
        b"{\"output\": {\"message\": [not json".to_vec(),
    )])
    .await;
    let err = backend(&server, None)
        .await
        .converse(&request())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ModelErrorKind::Stream, "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_stream_that_stalls_is_cut_by_the_idle_timeout() {
    let frames = event("messageStart", json!({"role": "assistant"}));
    let server = RawServer::start(vec![Answer::StreamThenStall(
        frames,
        Duration::from_secs(30),
    )])
    .await;
    let backend = backend(&server, Some(Duration::from_millis(200))).await;
    let (events, result) = stream_result(&backend).await;
    assert_eq!(events, vec![ModelEvent::MessageStart]);
    let err = result.unwrap_err();
    assert_eq!(err.kind, ModelErrorKind::Stream, "{err}");
    assert!(err.is_retryable());
    assert!(err.message.contains("no event for 200 ms"), "{err}");
}

#[tokio::test]
async fn events_after_message_stop_are_ignored() {
    let mut frames = event("messageStart", json!({"role": "assistant"}));
    frames.extend(event(
        "contentBlockDelta",
        json!({"contentBlockIndex": 0, "delta": {"text": "Hello"}}),
    ));
    frames.extend(event("contentBlockStop", json!({"contentBlockIndex": 0})));
    frames.extend(event("messageStop", json!({"stopReason": "end_turn"})));
    frames.extend(event(
        "contentBlockDelta",
        json!({"contentBlockIndex": 0, "delta": {"text": " and more"}}),
    ));
    frames.extend(event(
        "metadata",
        json!({"usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4}, "metrics": {"latencyMs": 5}}),
    ));
    let server = RawServer::start(vec![Answer::Stream(frames)]).await;
    let (_, result) = stream_result(&backend(&server, None).await).await;
    let response = result.unwrap();
    assert_eq!(response.message.text(), "Hello");
    assert_eq!(response.usage.input_tokens, 3);
}

#[tokio::test]
async fn an_exception_frame_of_an_unknown_type_keeps_its_type_name() {
    let mut frames = event("messageStart", json!({"role": "assistant"}));
    frames.extend(exception("brandNewException", "something new went wrong"));
    let server = RawServer::start(vec![Answer::Stream(frames)]).await;
    let (_, result) = stream_result(&backend(&server, None).await).await;
    let err = result.unwrap_err();
    assert!(err.message.contains("brandNewException"), "{err}");
    assert!(err.message.contains("something new went wrong"), "{err}");
}
