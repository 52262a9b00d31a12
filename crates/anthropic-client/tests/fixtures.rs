//! The client and the local server, each against bodies from Anthropic's
//! documentation (`tests/fixtures/`), never against each other: the
//! client's request body for a conversation, its reading of a documented
//! response and stream; the server's acceptance of the documented request
//! and the shape of its answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use agent_core::{
    ContentBlock, InferenceConfig, Message, ModelRequest, Role, StopReason, StreamAccumulator,
    ToolResult, ToolResultContent, ToolUse, Usage,
};
use agent_testkit::wire_shape::{same_shape, sse_events};
use agent_testkit::{Scenario, ScriptedTurn};
use anthropic_client::StreamDecoder;
use anthropic_client::convert::{from_wire_response, to_wire_request};
use anthropic_client::mock::MockServer;
use serde_json::{Value, json};
use tool_api::ToolSpec;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

const PROMPT: &str = "What's the weather like in San Francisco?";
const TOOL_USE_ID: &str = "toolu_01A09q90qw90lq917835lq9";
/// Fields whose values are free-form objects (tool inputs).
const FREE: &[&str] = &["input"];

/// The conversation of `request_tool_result.json`, as the core holds it.
fn conversation() -> ModelRequest {
    ModelRequest {
        system: Some("Answer briefly.".into()),
        messages: vec![
            Message::user(PROMPT),
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Text {
                        text: "I'll check the current weather in San Francisco for you.".into(),
                    },
                    ContentBlock::ToolUse(ToolUse {
                        id: TOOL_USE_ID.into(),
                        name: "get_weather".into(),
                        input: json!({"location": "San Francisco, CA"}),
                    }),
                ],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult(ToolResult::success(
                    TOOL_USE_ID,
                    ToolResultContent::Text("15 degrees".into()),
                ))],
            },
        ],
        tools: vec![ToolSpec::new(
            "get_weather",
            "Get the current weather in a given location",
            json!({
                "type": "object",
                "properties": {
                    "location": {
                        "type": "string",
                        "description": "The city and state, e.g. San Francisco, CA"
                    }
                },
                "required": ["location"]
            }),
        )],
        inference: InferenceConfig {
            max_tokens: 1024,
            ..InferenceConfig::default()
        },
        ..Default::default()
    }
}

#[test]
fn the_client_sends_the_documented_request() {
    let body =
        serde_json::to_value(to_wire_request(&conversation(), "claude-opus-4-6", false)).unwrap();
    assert_eq!(body, fixture("request_tool_result.json"));
}

#[test]
fn the_client_reads_the_documented_response() {
    let wire = serde_json::from_value(fixture("response_tool_use.json")).unwrap();
    let r = from_wire_response(wire, Duration::ZERO);
    assert_eq!(r.message.content, conversation().messages[1].content);
    assert_eq!(r.stop_reason, StopReason::ToolUse);
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 472,
            output_tokens: 89,
            ..Default::default()
        }
    );
}

#[test]
fn the_client_reads_the_documented_stream() {
    let mut decoder = StreamDecoder::default();
    let mut acc = StreamAccumulator::default();
    for event in fixture("stream_tool_use.json").as_array().unwrap() {
        for e in decoder.decode(&event["data"].to_string()).unwrap() {
            acc.push(e).unwrap();
        }
    }
    let r = acc.finish(Duration::ZERO).unwrap();
    assert_eq!(
        r.message.content,
        [
            ContentBlock::Text {
                text: "Okay, let's check the weather for San Francisco, CA:".into()
            },
            ContentBlock::ToolUse(ToolUse {
                id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
                name: "get_weather".into(),
                input: json!({"location": "San Francisco, CA", "unit": "fahrenheit"}),
            })
        ]
    );
    assert_eq!(r.stop_reason, StopReason::ToolUse);
    assert_eq!(r.usage.output_tokens, 89);
}

async fn server() -> MockServer {
    MockServer::builder()
        .api_key("test-key")
        .models(["claude-opus-4-6"])
        .scenarios(vec![Scenario::new(
            "sf",
            Some(PROMPT),
            vec![
                ScriptedTurn {
                    text: Some("I'll check the current weather in San Francisco for you.".into()),
                    ..ScriptedTurn::tools([(
                        "get_weather",
                        json!({"location": "San Francisco, CA"}),
                    )])
                },
                ScriptedTurn::text("It is 15 degrees in San Francisco."),
            ],
        )])
        .start()
        .await
        .unwrap()
}

async fn post(server: &MockServer, body: &Value) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/messages", server.base_url()))
        .header("x-api-key", "test-key")
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_server_accepts_the_documented_request_and_answers_in_its_shape() {
    let server = server().await;
    let documented = fixture("request_tool_result.json");
    let (status, body) = post(&server, &documented).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    same_shape(&answer, &fixture("response_tool_use.json"), FREE).unwrap();
    assert_eq!(
        answer["content"][0]["text"],
        "It is 15 degrees in San Francisco."
    );
    assert_eq!(answer["stop_reason"], "end_turn");
    // The server read the documented request as the conversation it holds.
    let read = server.requests()[0].request.clone().unwrap();
    assert_eq!(read, conversation());

    // The first turn: the shorthand string content, the tool-use answer.
    let first = json!({
        "model": "claude-opus-4-6", "max_tokens": 1024, "tools": documented["tools"],
        "messages": [{"role": "user", "content": PROMPT}]
    });
    let (status, body) = post(&server, &first).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    same_shape(&answer, &fixture("response_tool_use.json"), FREE).unwrap();
    assert_eq!(answer["content"][1]["type"], "tool_use");
    assert_eq!(answer["stop_reason"], "tool_use");
}

#[tokio::test]
async fn the_server_streams_the_documented_events() {
    let server = server().await;
    let mut first = json!({
        "model": "claude-opus-4-6", "max_tokens": 1024, "stream": true,
        "tools": fixture("request_tool_result.json")["tools"],
        "messages": [{"role": "user", "content": PROMPT}]
    });
    let (status, body) = post(&server, &first).await;
    assert_eq!(status, 200, "{body}");
    let documented = fixture("stream_tool_use.json");
    let documented: Vec<&Value> = documented.as_array().unwrap().iter().collect();
    let events = sse_events(&body);
    let mut types = Vec::new();
    for (name, data) in &events {
        let data: Value = serde_json::from_str(data).unwrap();
        let kind = data["type"].as_str().unwrap().to_owned();
        assert_eq!(name.as_deref(), Some(kind.as_str()), "named as its type");
        // The documented event of the same type (and block or delta type).
        let inner = |e: &Value| {
            e.get("content_block")
                .or_else(|| e.get("delta"))
                .and_then(|d| d.get("type"))
                .cloned()
        };
        let model = documented
            .iter()
            .map(|e| &e["data"])
            .find(|e| e["type"] == kind.as_str() && inner(e) == inner(&data))
            .unwrap_or_else(|| panic!("no documented event like {data}"));
        same_shape(&data, model, FREE).unwrap_or_else(|e| panic!("{kind}: {e}"));
        types.push(kind);
    }
    assert_eq!(types.first().map(String::as_str), Some("message_start"));
    assert_eq!(types.last().map(String::as_str), Some("message_stop"));
    assert!(types.iter().any(|t| t == "content_block_delta"));

    // A field the API does not know is refused, as the API refuses it.
    first["stream_mode"] = json!("fast");
    let (status, body) = post(&server, &first).await;
    assert_eq!(status, 400, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert!(body.contains("stream_mode"), "{body}");
}

#[tokio::test]
async fn the_servers_errors_have_the_documented_shape() {
    let server = server().await;
    let mut request = fixture("request_tool_result.json");
    request["model"] = json!("claude-nope");
    let (status, body) = post(&server, &request).await;
    assert_eq!(status, 404, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    same_shape(&error, &fixture("error_not_found.json"), &[]).unwrap();
    assert_eq!(error["error"]["type"], "not_found_error");
}
