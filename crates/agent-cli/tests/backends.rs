//! `--backend anthropic|openai` through the real binary, against each API's
//! local server, and `agent mock-server --protocol`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command as StdCommand, Stdio};

use common::{agent_in_fresh_home as agent, demo_plugin, run_blocking as output};
use serde_json::Value;

const Q1: &str = "What's the weather in New York and the stock price of AAPL?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_backend_answers_with_one_results_message() {
    let server = anthropic_client::mock::MockServer::builder()
        .start()
        .await
        .unwrap();
    let mut cmd = agent();
    cmd.env("ANTHROPIC_API_KEY", "sk-ant-test")
        .args([
            "run",
            "--json",
            "--backend",
            "anthropic",
            "--base-url",
            &server.base_url(),
            "--plugin",
        ])
        .arg(demo_plugin())
        .arg(Q1);
    let out = output(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["stop_reason"], "end_turn");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.authorized), "x-api-key was sent");
    // The second request: the tool results in ONE user message, in call order.
    let messages = requests[1].body["messages"].as_array().unwrap();
    let asked: Vec<&str> = messages[1]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    let answered: Vec<&str> = messages[2]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_result")
        .map(|b| b["tool_use_id"].as_str().unwrap())
        .collect();
    assert_eq!(asked.len(), 2);
    assert_eq!(answered, asked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_backend_answers_with_one_tool_message_per_call() {
    let server = openai_client::mock::MockServer::builder()
        .start()
        .await
        .unwrap();
    let mut cmd = agent();
    cmd.args([
        "run",
        "--no-stream",
        "--backend",
        "openai",
        "--base-url",
        &server.base_url(),
        "--plugin",
    ])
    .arg(demo_plugin())
    .arg(Q1);
    let out = output(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("New York"));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let messages = requests[1].body["messages"].as_array().unwrap();
    let ids: Vec<&str> = messages
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    let asked: Vec<&str> =
        messages.iter().find(|m| m["role"] == "assistant").unwrap()["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
    assert_eq!(ids, asked, "one tool message per call, in call order");
}

#[test]
fn a_missing_api_key_is_one_line_and_exit_3() {
    let out = agent()
        .args(["run", "--backend", "anthropic", "hello"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("ANTHROPIC_API_KEY is not set"), "{err}");
}

#[test]
fn keys_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        "backend = \"anthropic\"\napi_key = \"sk-from-file-123\"\n",
    )
    .unwrap();
    for json in [false, true] {
        let mut cmd = agent();
        cmd.env("OPENAI_API_KEY", "sk-from-env-456")
            .args(["config", "--config"])
            .arg(&config);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("sk-from"), "{all}");
        assert!(all.contains("(set)"), "{all}");
    }
}

/// Starts `agent mock-server ARGS` and returns it with the URL of its
/// first line.
fn spawn_mock(args: &[&str]) -> (std::process::Child, String) {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("agent"))
        .arg("mock-server")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    (child, url)
}

/// The status line of a minimal POST of `body` to `url` + `path`.
fn post_status(url: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, target) = match rest.split_once('/') {
        Some((host, prefix)) => (host, format!("/{prefix}{path}")),
        None => (rest, path.to_owned()),
    };
    let mut tcp = std::net::TcpStream::connect(host).unwrap();
    write!(
        tcp,
        "POST {target} HTTP/1.1\r\nhost: {host}\r\nauthorization: AWS4-HMAC-SHA256 test\r\n\
         x-api-key: test\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn mock_server_prints_its_address_first() {
    for (protocol, suffix) in [("bedrock", ""), ("anthropic", ""), ("openai", "/v1")] {
        let (mut child, url) = spawn_mock(&["--protocol", protocol]);
        child.kill().unwrap();
        let _ = child.wait();
        // Exactly `http://127.0.0.1:PORT` and the protocol's base path.
        let rest = url
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("{protocol}: {url}"));
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let port: u16 = rest[..digits]
            .parse()
            .unwrap_or_else(|e| panic!("{protocol}: {url}: {e}"));
        assert_ne!(port, 0, "{protocol}: {url}");
        assert_eq!(&rest[digits..], suffix, "{protocol}: {url}");
    }
}

#[test]
fn mock_server_injects_the_faults_it_is_asked_for() {
    let body = r#"{"model": "mock", "max_tokens": 10, "messages": [{"role": "user", "content": [{"text": "hi"}]}]}"#;
    for (protocol, path) in [
        ("bedrock", "/model/mock/converse"),
        ("anthropic", "/v1/messages"),
        ("openai", "/chat/completions"),
    ] {
        let (mut child, url) = spawn_mock(&["--protocol", protocol, "--server-error-every", "1"]);
        let status = post_status(&url, path, body);
        child.kill().unwrap();
        let _ = child.wait();
        assert!(status.starts_with("HTTP/1.1 500"), "{protocol}: {status}");
    }
    let out = agent()
        .args(["mock-server", "--cut-every", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cut-every must be at least 1"));
}
