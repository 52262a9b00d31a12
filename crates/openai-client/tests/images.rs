//! Images through the OpenAI-compatible backend, over HTTP to the local
//! Chat Completions server on 127.0.0.1: images in user messages go as
//! `image_url` parts with `data:` URLs; what Chat Completions cannot carry
//! (thinking, documents, images in tool results) is refused before sending,
//! naming the backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use agent_core::{
    Blob, ContentBlock, Document, Image, ImageFormat, InferenceConfig, Message, ModelBackend,
    ModelErrorKind, ModelRequest, Thinking, ToolResult, ToolResultContent,
};
use agent_testkit::{Scenario, ScriptedTurn, reference};
use openai_client::OpenAiBackend;
use openai_client::mock::MockServer;
use serde_json::json;

const KEY: &str = "sk-proj-test-0123456789";
const LOOK: &str = "What is in this picture?";

async fn server() -> MockServer {
    MockServer::builder()
        .api_key(KEY)
        .scenarios(vec![Scenario::new(
            "look",
            Some(LOOK),
            vec![ScriptedTurn::text("A chart.")],
        )])
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

fn with(extra: Vec<ContentBlock>) -> ModelRequest {
    let mut message = Message::user(LOOK);
    message.content.extend(extra);
    ModelRequest {
        system: None,
        messages: vec![message],
        tools: reference::tools().specs().cloned().collect(),
        inference: InferenceConfig::default(),
        ..Default::default()
    }
}

fn png() -> Image {
    Image::from_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).unwrap()
}

#[tokio::test]
async fn an_image_goes_as_a_data_url_part() {
    let server = server().await;
    let backend = backend(&server);
    let response = backend
        .converse(&with(vec![ContentBlock::Image(png())]))
        .await
        .unwrap();
    assert_eq!(response.message.text(), "A chart.");
    let sent = &server.requests()[0];
    let b64 = png().source.bytes().unwrap().to_base64();
    assert_eq!(
        sent.body["messages"][0]["content"],
        json!([
            {"type": "text", "text": LOOK},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{b64}")}}
        ])
    );
    assert_eq!(
        sent.request.as_ref().unwrap().messages[0].content[1],
        ContentBlock::Image(png())
    );
    // Bytes that are not the format named are refused by the server.
    let lying = Image {
        format: ImageFormat::Jpeg,
        source: png().source,
    };
    let e = backend
        .converse(&with(vec![ContentBlock::Image(lying)]))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(e.message.contains("unsupported image"), "{e}");
}

#[tokio::test]
async fn what_chat_completions_cannot_carry_is_refused_by_name() {
    let server = server().await;
    let backend = backend(&server);
    let doc = Document::from_bytes("a.pdf", b"%PDF-1.4".to_vec()).unwrap();
    let e = backend
        .converse(&with(vec![ContentBlock::Document(doc)]))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::InvalidRequest);
    assert!(
        e.message.contains("openai backend cannot send documents"),
        "{e}"
    );
    let mut thinking = with(vec![]);
    thinking.inference.thinking = Some(Thinking::budget(2048));
    let e = backend.converse(&thinking).await.unwrap_err();
    assert!(
        e.message
            .contains("openai backend cannot send extended thinking"),
        "{e}"
    );
    let mut result = with(vec![]);
    result.messages[0].content = vec![ContentBlock::ToolResult(ToolResult {
        tool_use_id: "call_1".into(),
        content: vec![ToolResultContent::Image(Image {
            format: ImageFormat::Png,
            source: agent_core::MediaSource::Bytes(Blob::from(b"\x89PNG\r\n\x1a\n".to_vec())),
        })],
        status: agent_core::ToolResultStatus::Success,
    })];
    let e = backend.converse(&result).await.unwrap_err();
    assert!(
        e.message
            .contains("openai backend cannot send images in tool results"),
        "{e}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}
