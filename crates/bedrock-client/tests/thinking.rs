//! Extended thinking end to end: the real `Agent`, `BedrockBackend`, the
//! real AWS SDK and HTTP to the local Converse server on 127.0.0.1, which
//! signs the reasoning it writes and checks it comes back first and
//! unchanged, as Bedrock does. Asserts on what crossed the wire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use agent_core::{
    Agent, ContentBlock, EventKind, InferenceConfig, Message, ModelBackend, ModelErrorKind,
    ModelRequest, Reasoning, Role, Thinking, ToolResult, ToolResultContent, ToolUse,
};
use agent_testkit::reference;
use bedrock_client::mock::{MockServer, Outcome};
use common::{backend, backend_for, fast_tools, reference_specs, tiny_backoff};
use futures::StreamExt;
use serde_json::json;

const FIELDS: &str = r#""additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2048},"anthropic_beta":["interleaved-thinking-2025-05-14"]}"#;

async fn q2_with_thinking(streaming: bool) {
    let server = MockServer::builder().start().await.unwrap();
    let agent = Agent::builder()
        .backend(Arc::new(backend(&server).await))
        .tools(fast_tools())
        .streaming(streaming)
        .model_retry(tiny_backoff())
        .thinking(2048)
        .build()
        .unwrap();
    let q2 = &reference::queries()[1];
    let run = agent.run(q2.prompt.as_deref().unwrap()).await.unwrap();
    assert_eq!(run.answer, q2.turns[1].text.as_deref().unwrap());

    // The reasoning the model sent, as the run keeps it: first in its turn.
    let ContentBlock::Reasoning(Reasoning {
        text,
        signature: Some(signature),
    }) = &run.messages[1].content[0]
    else {
        panic!(
            "the assistant turn does not start with signed reasoning: {:?}",
            run.messages[1]
        );
    };
    assert!(text.contains("  I need get_weather"), "{text}");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        let raw = String::from_utf8(r.raw_body.clone()).unwrap();
        assert!(raw.contains(FIELDS), "thinking fields, exactly: {raw}");
        assert!(
            matches!(r.outcome, Outcome::Answered { .. }),
            "{:?}",
            r.outcome
        );
    }
    // The second request sends the reasoning back first, byte for byte.
    let second = String::from_utf8(requests[1].raw_body.clone()).unwrap();
    let block = format!(
        r#""role":"assistant","content":[{{"reasoningContent":{{"reasoningText":{{"text":{},"signature":{}}}}}}},{{"toolUse""#,
        serde_json::to_string(text).unwrap(),
        serde_json::to_string(signature).unwrap()
    );
    assert!(second.contains(&block), "want {block}\nin {second}");
    if streaming {
        let streamed: String = run
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ReasoningDelta { iteration: 1, text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(&streamed, text);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn q2_with_thinking_sends_the_signed_reasoning_back_first() {
    q2_with_thinking(false).await;
}

#[tokio::test]
async fn q2_with_thinking_streamed() {
    q2_with_thinking(true).await;
}

fn tool_round(first: Vec<ContentBlock>) -> ModelRequest {
    let mut content = first;
    content.push(ContentBlock::ToolUse(ToolUse {
        id: "tooluse_0_0".into(),
        name: "get_weather".into(),
        input: json!({"location": "Paris"}),
    }));
    ModelRequest {
        system: None,
        messages: vec![
            Message::user("What's the weather in Paris?"),
            Message {
                role: Role::Assistant,
                content,
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult(ToolResult::success(
                    "tooluse_0_0",
                    ToolResultContent::Text("sunny".into()),
                ))],
            },
        ],
        tools: reference_specs(),
        inference: InferenceConfig {
            thinking: Some(Thinking::budget(2048)),
            ..InferenceConfig::default()
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn the_server_refuses_a_tool_round_without_or_with_changed_reasoning() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let e = backend.converse(&tool_round(vec![])).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(
        e.message.contains(
            "Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled"
        ),
        "{e}"
    );
    let forged = ContentBlock::Reasoning(Reasoning {
        text: "I will call get_weather.".into(),
        signature: Some("Zm9yZ2Vk".into()),
    });
    let e = backend
        .converse(&tool_round(vec![forged]))
        .await
        .unwrap_err();
    assert!(
        e.message
            .contains("Invalid `signature` in `thinking` block"),
        "{e}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn each_thinking_rule_is_checked_before_sending() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend_for(&server, "us.anthropic.claude-3-7-sonnet-20250219-v1:0").await;
    let with = |budget: u32, max_tokens: u32, temperature: Option<f32>| {
        let mut r = common::first_request(reference::queries()[0].prompt.as_deref().unwrap());
        r.inference = InferenceConfig {
            max_tokens,
            temperature,
            thinking: Some(Thinking::budget(budget)),
            ..InferenceConfig::default()
        };
        r
    };
    for (request, want) in [
        (with(1023, 4000, None), "at least 1024"),
        (with(4000, 4000, None), "below max tokens (4000)"),
        (with(2048, 4000, Some(0.7)), "leave the temperature unset"),
    ] {
        let e = backend.converse(&request).await.unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::InvalidRequest);
        assert!(e.to_string().contains(want), "{e}");
        let mut stream = backend.converse_stream(&request);
        let e = stream.next().await.unwrap().unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::InvalidRequest);
        assert!(stream.next().await.is_none());
    }
    assert!(server.requests().is_empty(), "nothing reached the server");
    // Within the rules, the request goes, without the interleaved beta
    // (Claude 3.7 has none).
    backend.converse(&with(1024, 1025, None)).await.unwrap();
    let raw = String::from_utf8(server.requests()[0].raw_body.clone()).unwrap();
    assert!(
        raw.contains(
            r#""additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}"#
        ),
        "{raw}"
    );
    server.shutdown().await;
}
