//! `--image` / `--document`, and a plugin tool returning an image, end to
//! end: the real `agent` binary, the real demo plugin library, the real
//! Bedrock backend (AWS SDK) and the local Converse server over HTTP, which
//! checks image bytes and document names as the service does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use agent_testkit::{Scenario, ScriptedTurn};
use assert_cmd::Command;
use bedrock_client::mock::{MockServer, Outcome};
use common::{agent_in_fresh_home as agent, demo_plugin, run_blocking, stderr};
use serde_json::json;

const Q1: &str = "What's the weather in New York and the stock price of AAPL?";

fn run(endpoint: &str, args: &[&str], prompt: &str) -> Command {
    let mut cmd = agent();
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args(["run", "--region", "us-east-1", "--endpoint-url", endpoint])
        .arg("--plugin")
        .arg(demo_plugin())
        .args(args)
        .arg(prompt);
    cmd
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_and_a_document_go_with_the_prompt() {
    let dir = tempfile::tempdir().unwrap();
    // A PNG named .jpg: the format comes from the bytes.
    let image = write(dir.path(), "photo.jpg", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let doc = write(dir.path(), "q3 report.v2.pdf", b"%PDF-1.4\n%...");
    let server = MockServer::builder().start().await.unwrap();
    let out = run_blocking(run(
        &server.endpoint_url(),
        &["--image", &image, "--document", &doc],
        Q1,
    ))
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let first = &server.requests()[0];
    assert!(
        matches!(first.outcome, Outcome::Answered { .. }),
        "{:?}",
        first.outcome
    );
    let content = &first.body["messages"][0]["content"];
    assert_eq!(content[0]["text"], Q1);
    assert_eq!(content[1]["image"]["format"], "png");
    assert_eq!(content[2]["document"]["format"], "pdf");
    assert_eq!(content[2]["document"]["name"], "q3 report-v2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_attachments_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let text = write(dir.path(), "photo.png", b"not an image at all");
    let mut big = b"GIF89a".to_vec();
    big.resize(3_750_001, 0);
    let huge = write(dir.path(), "huge.gif", &big);
    let missing = dir.path().join("missing.pdf").display().to_string();
    let server = MockServer::builder().start().await.unwrap();
    for (args, want) in [
        (
            ["--image", text.as_str()],
            "not a PNG, JPEG, GIF or WebP image",
        ),
        (
            ["--image", huge.as_str()],
            "over the image limit of 3750000 bytes",
        ),
        (["--document", missing.as_str()], "cannot read the file"),
    ] {
        let out = run_blocking(run(&server.endpoint_url(), &args, Q1)).await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(want), "{}", stderr(&out));
    }
    assert!(server.requests().is_empty());
}

/// `render_chart` in the demo plugin returns a caption and a PNG; the
/// image crosses the plugin ABI and goes to the model as an image block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_tool_returning_an_image() {
    let prompt = "Draw a bar chart of 3, 1 and 2.";
    let server = MockServer::builder()
        .scenarios([Scenario::new(
            "CHART",
            Some(prompt),
            vec![
                ScriptedTurn::tools([("render_chart", json!({"values": [3, 1, 2]}))]),
                ScriptedTurn::text("Here is the chart."),
            ],
        )])
        .start()
        .await
        .unwrap();
    let out = run_blocking(run(&server.endpoint_url(), &[], prompt)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(matches!(requests[1].outcome, Outcome::Answered { .. }));
    let result = &requests[1].body["messages"][2]["content"][0]["toolResult"];
    assert_eq!(
        result["content"][0]["text"],
        "A bar chart of 3 values (largest 3)."
    );
    assert_eq!(result["content"][1]["image"]["format"], "png");
    let b64 = result["content"][1]["image"]["source"]["bytes"]
        .as_str()
        .unwrap();
    let png = agent_core::Blob::from_base64(b64).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
}
