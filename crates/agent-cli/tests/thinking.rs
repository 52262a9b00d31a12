//! `--thinking` end to end: the real `agent` binary, the real Bedrock
//! backend (AWS SDK) and the local Converse server over HTTP, which signs
//! its reasoning and refuses a tool round that does not send it back first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use assert_cmd::Command;
use bedrock_client::mock::MockServer;
use common::{agent_in_fresh_home as agent, demo_plugin, run_blocking, stderr};
use serde_json::Value;

const Q1: &str = "What's the weather in New York and the stock price of AAPL?";

fn run(endpoint: &str, args: &[&str]) -> Command {
    let mut cmd = agent();
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args(["run", "--region", "us-east-1", "--endpoint-url", endpoint])
        .arg("--plugin")
        .arg(demo_plugin())
        .args(args)
        .arg(Q1);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_runs_a_tool_round_and_json_shows_the_reasoning() {
    let server = MockServer::builder().start().await.unwrap();
    let out = run_blocking(run(
        &server.endpoint_url(),
        &["--thinking", "2048", "--json"],
    ))
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasoning = doc["reasoning"].as_str().unwrap();
    assert!(reasoning.contains("I need get_weather"), "{reasoning}");
    assert_eq!(doc["messages"][1]["content"][0]["type"], "reasoning");
    assert!(
        doc["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "reasoning_delta"),
        "reasoning streamed as events"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let second = &requests[1].body;
    assert_eq!(
        second["additionalModelRequestFields"]["thinking"]["budget_tokens"],
        2048
    );
    assert!(
        second["messages"][1]["content"][0]["reasoningContent"]["reasoningText"]["signature"]
            .is_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thinking_budget_the_service_refuses_is_never_sent() {
    let server = MockServer::builder().start().await.unwrap();
    let out = run_blocking(run(&server.endpoint_url(), &["--thinking", "500"])).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("at least 1024"), "{}", stderr(&out));
    let out = run_blocking(run(
        &server.endpoint_url(),
        &["--thinking", "4000", "--max-tokens", "4000"],
    ))
    .await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("must be below max tokens (4000)"),
        "{}",
        stderr(&out)
    );
    assert!(server.requests().is_empty(), "nothing reached the server");
}
