//! The client and the local server, each against bodies from OpenAI's API
//! reference (`tests/fixtures/`), never against each other: the client's
//! request body for a conversation, its reading of a documented completion
//! and chunk stream; the server's acceptance of the documented request and
//! the shape of its answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use agent_core::{
    ContentBlock, InferenceConfig, Message, ModelRequest, Role, StopReason, StreamAccumulator,
    ToolResult, ToolResultContent, ToolUse, Usage,
};
use agent_testkit::wire_shape::{same_shape, sse_events};
use agent_testkit::{Scenario, ScriptedTurn};
use openai_client::StreamDecoder;
use openai_client::convert::{MaxTokensField, from_wire_response, to_wire_request};
use openai_client::mock::MockServer;
use serde_json::{Value, json};
use tool_api::ToolSpec;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

const PROMPT: &str = "What is the weather like in Paris today?";
const CALL_ID: &str = "call_DdmO9pD3xa9XTPNJ32zg2hcA";

fn paris() -> Value {
    json!({"location": "Paris, France"})
}

/// The conversation of `request_tool_result.json`, as the core holds it.
fn conversation() -> ModelRequest {
    ModelRequest {
        system: Some("Answer briefly.".into()),
        messages: vec![
            Message::user(PROMPT),
            Message {
                role: Role::Assistant,
                content: vec![ContentBlock::ToolUse(ToolUse {
                    id: CALL_ID.into(),
                    name: "get_weather".into(),
                    input: paris(),
                })],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult(ToolResult::success(
                    CALL_ID,
                    ToolResultContent::Text("14 degrees".into()),
                ))],
            },
        ],
        tools: vec![ToolSpec::new(
            "get_weather",
            "Get current temperature for a given location.",
            json!({
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "City and country e.g. Bogotá, Colombia"}
                },
                "required": ["location"],
                "additionalProperties": false
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
    let wire = to_wire_request(&conversation(), "gpt-4.1", false, MaxTokensField::MaxTokens);
    let body = serde_json::to_value(wire).unwrap();
    assert_eq!(body, fixture("request_tool_result.json"));
}

#[test]
fn the_client_reads_the_documented_completions() {
    let wire = serde_json::from_value(fixture("response_tool_calls.json")).unwrap();
    let r = from_wire_response(wire, Duration::ZERO).unwrap();
    assert_eq!(r.message.content, conversation().messages[1].content);
    assert_eq!(r.stop_reason, StopReason::ToolUse);
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 66,
            output_tokens: 17,
            ..Default::default()
        }
    );
    let wire = serde_json::from_value(fixture("response_text.json")).unwrap();
    let r = from_wire_response(wire, Duration::ZERO).unwrap();
    assert_eq!(r.message.text(), "Hello! How can I assist you today?");
    assert_eq!(r.stop_reason, StopReason::EndTurn);
}

#[test]
fn the_client_reads_the_documented_stream() {
    let mut decoder = StreamDecoder::default();
    let mut acc = StreamAccumulator::default();
    for data in fixture("stream_tool_calls.json").as_array().unwrap() {
        let data = match data {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for e in decoder.decode(&data).unwrap() {
            acc.push(e).unwrap();
        }
    }
    let r = acc.finish(Duration::ZERO).unwrap();
    assert_eq!(
        r.message.content,
        [
            ContentBlock::Text {
                text: "Let me check.".into()
            },
            ContentBlock::ToolUse(ToolUse {
                id: CALL_ID.into(),
                name: "get_weather".into(),
                input: paris(),
            })
        ]
    );
    assert_eq!(r.stop_reason, StopReason::ToolUse);
    assert_eq!(r.usage.output_tokens, 17);
}

async fn server() -> MockServer {
    MockServer::builder()
        .api_key("sk-test")
        .models(["gpt-4.1"])
        .scenarios(vec![Scenario::new(
            "paris",
            Some(PROMPT),
            vec![
                ScriptedTurn::tools([("get_weather", paris())]),
                ScriptedTurn::text("It is 14 degrees in Paris."),
            ],
        )])
        .start()
        .await
        .unwrap()
}

async fn post(server: &MockServer, key: &str, body: &Value) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .bearer_auth(key)
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
    let (status, body) = post(&server, "sk-test", &documented).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    same_shape(&answer, &fixture("response_text.json"), &[]).unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "It is 14 degrees in Paris."
    );
    // The server read the documented request as the conversation it holds.
    let read = server.requests()[0].request.clone().unwrap();
    assert_eq!(read, conversation());

    let first = json!({
        "model": "gpt-4.1", "tools": documented["tools"],
        "messages": [{"role": "user", "content": PROMPT}]
    });
    let (status, body) = post(&server, "sk-test", &first).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    same_shape(&answer, &fixture("response_tool_calls.json"), &[]).unwrap();
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
}

#[tokio::test]
async fn the_server_streams_the_documented_chunks() {
    let server = server().await;
    let mut first = json!({
        "model": "gpt-4.1", "stream": true, "stream_options": {"include_usage": true},
        "tools": fixture("request_tool_result.json")["tools"],
        "messages": [{"role": "user", "content": PROMPT}]
    });
    let (status, body) = post(&server, "sk-test", &first).await;
    assert_eq!(status, 200, "{body}");
    let documented = fixture("stream_tool_calls.json");
    let documented = documented.as_array().unwrap();
    let events = sse_events(&body);
    assert_eq!(events.last().unwrap().1, "[DONE]");
    for (_, data) in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(data).unwrap();
        // Each chunk has the shape of one of the documented chunks.
        let errors: Vec<String> = documented
            .iter()
            .filter_map(|d| same_shape(&chunk, d, &[]).err())
            .collect();
        assert!(errors.len() < documented.len(), "{chunk}: {errors:#?}");
    }
    assert!(events.len() > 5, "{body}");

    // An argument OpenAI does not know is refused.
    first["include_usage"] = json!(true);
    let (status, body) = post(&server, "sk-test", &first).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("include_usage"), "{body}");
}

#[tokio::test]
async fn the_servers_errors_have_the_documented_shape() {
    let server = server().await;
    let (status, body) = post(&server, "sk-wrong", &fixture("request_tool_result.json")).await;
    assert_eq!(status, 401, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    same_shape(&error, &fixture("error_invalid_api_key.json"), &[]).unwrap();
    assert_eq!(error["error"]["code"], "invalid_api_key");
}
