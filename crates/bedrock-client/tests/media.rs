//! Images and documents end to end: the real AWS SDK over HTTP to the local
//! Converse server on 127.0.0.1, which checks image magic bytes and
//! document names as the service does. Asserts on what crossed the wire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use agent_core::{
    Agent, Blob, ContentBlock, Document, Image, ImageFormat, MediaSource, ModelBackend,
    ModelErrorKind,
};
use agent_testkit::{Scenario, ScriptedTurn};
use bedrock_client::mock::{MockServer, Outcome};
use common::{backend, first_request, tiny_backoff};
use serde_json::{Value, json};
use tool_api::{OutputPart, ToolContext, ToolOutput, ToolRegistry};

const CHART: &str = "Draw a bar chart of 3, 1 and 2.";

fn chart_scenario() -> Scenario {
    Scenario::new(
        "CHART",
        Some(CHART),
        vec![
            ScriptedTurn::tools([("render_chart", json!({"values": [3, 1, 2]}))]),
            ScriptedTurn::text("Here is the chart."),
        ],
    )
}

/// A PNG, as the chart tool draws it.
async fn chart_png() -> Blob {
    let tools = reference_tools::media_tools().unwrap();
    let out = tools[0]
        .call(json!({"values": [3, 1, 2]}), ToolContext::new("t"))
        .await
        .unwrap();
    let ToolOutput::Parts(parts) = out else {
        panic!("not parts")
    };
    let OutputPart::Image(image) = &parts[1] else {
        panic!("not an image")
    };
    image.source.bytes().unwrap().clone()
}

#[tokio::test]
async fn a_tool_returning_an_image() {
    let server = MockServer::builder()
        .scenarios([chart_scenario()])
        .start()
        .await
        .unwrap();
    let mut tools = ToolRegistry::new();
    for t in reference_tools::media_tools().unwrap() {
        tools.register(t, "test").unwrap();
    }
    for streaming in [false, true] {
        let agent = Agent::builder()
            .backend(Arc::new(backend(&server).await))
            .tools(tools.clone())
            .streaming(streaming)
            .model_retry(tiny_backoff())
            .build()
            .unwrap();
        let run = agent.run(CHART).await.unwrap();
        assert_eq!(run.answer, "Here is the chart.");
    }
    let png = chart_png().await;
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for second in [&requests[1], &requests[3]] {
        assert!(
            matches!(second.outcome, Outcome::Answered { .. }),
            "{:?}",
            second.outcome
        );
        let result = &second.body["messages"][2]["content"][0]["toolResult"];
        assert_eq!(
            result["content"],
            json!([
                {"text": "A bar chart of 3 values (largest 3)."},
                {"image": {"format": "png", "source": {"bytes": png.to_base64()}}}
            ])
        );
    }
    server.shutdown().await;
}

fn png_image() -> Image {
    Image::from_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).unwrap()
}

fn with_attachments(extra: Vec<ContentBlock>) -> agent_core::ModelRequest {
    let q1 = agent_testkit::reference::queries()[0]
        .prompt
        .clone()
        .unwrap();
    let mut request = first_request(&q1);
    request.messages[0].content.extend(extra);
    request
}

#[tokio::test]
async fn an_image_and_a_document_attached_to_the_prompt() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let doc = Document::from_bytes("notes (v2).md", b"# Notes\nAll fine.".to_vec()).unwrap();
    let request = with_attachments(vec![
        ContentBlock::Image(png_image()),
        ContentBlock::Document(doc),
    ]);
    backend.converse(&request).await.unwrap();
    let sent = &server.requests()[0];
    assert!(
        matches!(sent.outcome, Outcome::Answered { .. }),
        "{:?}",
        sent.outcome
    );
    let content = sent.body["messages"][0]["content"].as_array().unwrap();
    assert_eq!(
        content[1],
        json!({"image": {"format": "png", "source": {"bytes": png_image().source.bytes().unwrap().to_base64()}}})
    );
    assert_eq!(content[2]["document"]["name"], "notes (v2)");
    assert_eq!(content[2]["document"]["format"], "md");
    assert_eq!(
        content[2]["document"]["source"]["bytes"],
        Value::String(Blob::from(b"# Notes\nAll fine.".to_vec()).to_base64())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_server_checks_magic_bytes_and_document_names() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let lying = Image {
        format: ImageFormat::Jpeg,
        source: png_image().source,
    };
    let e = backend
        .converse(&with_attachments(vec![ContentBlock::Image(lying)]))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(e.message.contains("not a valid jpeg image"), "{e}");
    let badly_named = Document {
        name: "report.final.pdf".into(),
        format: agent_core::DocumentFormat::Pdf,
        source: MediaSource::Bytes(Blob::from(b"%PDF-1.4".to_vec())),
    };
    let e = backend
        .converse(&with_attachments(vec![ContentBlock::Document(badly_named)]))
        .await
        .unwrap_err();
    assert!(
        e.message
            .contains("The document file name can only contain"),
        "{e}"
    );
    // An image by S3 location goes as the service's s3Location.
    let s3 = Image {
        format: ImageFormat::Png,
        source: MediaSource::S3 {
            uri: "s3://bucket/chart.png".into(),
            bucket_owner: None,
        },
    };
    backend
        .converse(&with_attachments(vec![ContentBlock::Image(s3)]))
        .await
        .unwrap();
    let last = server.requests().pop().unwrap();
    assert_eq!(
        last.body["messages"][0]["content"][1]["image"]["source"],
        json!({"s3Location": {"uri": "s3://bucket/chart.png"}})
    );
    server.shutdown().await;
}
