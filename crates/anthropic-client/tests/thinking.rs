//! Extended thinking, images and documents through the Anthropic backend:
//! the real backend over HTTP to the local Messages server on 127.0.0.1,
//! which signs the thinking it writes and checks it comes back first and
//! unchanged, and checks image bytes against their media type.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use agent_core::{
    Agent, Blob, ContentBlock, Document, EventKind, Image, ImageFormat, InferenceConfig, Message,
    ModelBackend, ModelErrorKind, ModelRequest, Reasoning, Thinking,
};
use agent_testkit::{Scenario, ScriptedTurn, reference};
use anthropic_client::AnthropicBackend;
use anthropic_client::mock::MockServer;
use serde_json::json;

const KEY: &str = "sk-ant-test-0123456789";

async fn server() -> MockServer {
    MockServer::builder()
        .api_key(KEY)
        .scenarios(vec![Scenario::new(
            "weather",
            Some("Weather in Paris?"),
            vec![
                ScriptedTurn::tools([("get_weather", json!({"location": "Paris"}))]),
                ScriptedTurn::text("Sunny."),
            ],
        )])
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
async fn a_tool_round_with_thinking_sends_the_signed_thinking_back_first() {
    let server = server().await;
    for streaming in [false, true] {
        let agent = Agent::builder()
            .backend(Arc::new(backend(&server)))
            .tools(reference::tools())
            .streaming(streaming)
            .thinking(2048)
            .build()
            .unwrap();
        let run = agent.run("Weather in Paris?").await.unwrap();
        assert_eq!(run.answer, "Sunny.");
        let ContentBlock::Reasoning(Reasoning {
            text,
            signature: Some(signature),
        }) = &run.messages[1].content[0]
        else {
            panic!("no signed reasoning first: {:?}", run.messages[1])
        };
        assert!(text.contains("I need get_weather"), "{text}");
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
        let requests = server.requests();
        let second = &requests[requests.len() - 1];
        assert_eq!(second.status, 200);
        assert_eq!(
            second.body["thinking"],
            json!({"type": "enabled", "budget_tokens": 2048})
        );
        assert_eq!(
            second.body["messages"][1]["content"][0],
            json!({"type": "thinking", "thinking": text, "signature": signature})
        );
    }
}

#[tokio::test]
async fn the_server_refuses_missing_or_forged_thinking_and_lying_images() {
    let server = server().await;
    let backend = backend(&server);
    let round = |first: Vec<ContentBlock>| {
        let mut content = first;
        content.push(ContentBlock::ToolUse(agent_core::ToolUse {
            id: "toolu_1".into(),
            name: "get_weather".into(),
            input: json!({"location": "Paris"}),
        }));
        ModelRequest {
            system: None,
            messages: vec![
                Message::user("Weather in Paris?"),
                Message {
                    role: agent_core::Role::Assistant,
                    content,
                },
                Message {
                    role: agent_core::Role::User,
                    content: vec![ContentBlock::ToolResult(agent_core::ToolResult::success(
                        "toolu_1",
                        agent_core::ToolResultContent::Text("sunny".into()),
                    ))],
                },
            ],
            tools: reference::tools().specs().cloned().collect(),
            inference: InferenceConfig {
                thinking: Some(Thinking::budget(2048)),
                ..InferenceConfig::default()
            },
            ..Default::default()
        }
    };
    let e = backend.converse(&round(vec![])).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(
        e.message
            .contains("Expected `thinking` or `redacted_thinking`"),
        "{e}"
    );
    let forged = ContentBlock::Reasoning(Reasoning {
        text: "hm".into(),
        signature: Some("Zm9yZ2Vk".into()),
    });
    let e = backend.converse(&round(vec![forged])).await.unwrap_err();
    assert!(e.message.contains("Invalid `signature`"), "{e}");

    let mut with_image = ModelRequest {
        system: None,
        messages: vec![Message::user("Weather in Paris?")],
        tools: reference::tools().specs().cloned().collect(),
        inference: InferenceConfig::default(),
        ..Default::default()
    };
    let png = Image::from_bytes(b"\x89PNG\r\n\x1a\n....".to_vec()).unwrap();
    let lying = Image {
        format: ImageFormat::Gif,
        source: png.source.clone(),
    };
    with_image.messages[0]
        .content
        .push(ContentBlock::Image(lying));
    let e = backend.converse(&with_image).await.unwrap_err();
    assert!(
        e.message
            .contains("Image does not match the provided media type image/gif"),
        "{e}"
    );
    with_image.messages[0].content[1] = ContentBlock::Image(png);
    with_image.messages[0].content.push(ContentBlock::Document(
        Document::from_bytes("report.pdf", b"%PDF-1.4 ...".to_vec()).unwrap(),
    ));
    backend.converse(&with_image).await.unwrap();
    let sent = server.requests().pop().unwrap();
    assert_eq!(
        sent.body["messages"][0]["content"][1]["source"]["media_type"],
        "image/png"
    );
    assert_eq!(
        sent.body["messages"][0]["content"][2],
        json!({"type": "document", "title": "report", "source": {
            "type": "base64", "media_type": "application/pdf",
            "data": Blob::from(b"%PDF-1.4 ...".to_vec()).to_base64()}})
    );
}

#[tokio::test]
async fn what_the_api_cannot_take_is_refused_before_sending() {
    let server = server().await;
    let backend = backend(&server);
    let mut request = ModelRequest {
        system: None,
        messages: vec![Message::user("Weather in Paris?")],
        tools: reference::tools().specs().cloned().collect(),
        inference: InferenceConfig {
            thinking: Some(Thinking::budget(500)),
            ..InferenceConfig::default()
        },
        ..Default::default()
    };
    let e = backend.converse(&request).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::InvalidRequest);
    request.inference.thinking = None;
    request.messages[0].content.push(ContentBlock::Document(
        Document::from_bytes("sheet.xlsx", b"PK\x03\x04 xl/".to_vec()).unwrap(),
    ));
    let e = backend.converse(&request).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("anthropic backend cannot send xlsx documents"),
        "{e}"
    );
    assert!(server.requests().is_empty());
}
