//! Scheduling through the real `agent` binary, the real Bedrock backend
//! (AWS SDK), the real demo plugin and the local Converse server: tool
//! calls start while the model's streamed message is still arriving
//! (unless `--no-eager`), and `[tools.NAME]` rules in `agent.toml` apply.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use assert_cmd::Command;
use bedrock_client::mock::MockServer;
use common::demo_plugin;
use serde_json::Value;

/// The binary with a clean, offline environment and throwaway AWS keys.
fn agent() -> Command {
    common::agent_with_keys(&tempfile::tempdir().unwrap().keep())
}

const Q2: &str = "I'm planning a trip from Boston to Miami. Get the weather for both cities, \
                  calculate the distance, and find Italian restaurants in Miami.";

/// The kinds of the first turn's events, from its model call's start to the
/// batch's last start: where the tool starts fall against the model's end.
fn first_turn(doc: &Value) -> Vec<String> {
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["iteration"] == 1)
        .filter_map(|e| {
            let kind = e["event"].as_str().unwrap();
            matches!(kind, "model_call_finished" | "tool_call_started").then(|| kind.to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_start_before_the_message_ends_unless_no_eager() {
    let plugin = demo_plugin();
    let server = MockServer::builder().start().await.unwrap();
    let endpoint = server.endpoint_url();
    let run = |eager: bool| {
        let mut cmd = agent();
        cmd.args([
            "run",
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
            "--plugin",
        ])
        .arg(&plugin);
        if !eager {
            cmd.arg("--no-eager");
        }
        cmd.arg(Q2);
        cmd
    };
    let started = "tool_call_started".to_string();
    let finished = "model_call_finished".to_string();

    let out = tokio::task::spawn_blocking({
        let mut cmd = run(true);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    // All four calls started as the stream went past their blocks, before
    // the model call was over.
    assert_eq!(
        first_turn(&doc),
        [
            started.clone(),
            started.clone(),
            started.clone(),
            started.clone(),
            finished.clone()
        ]
    );
    assert_eq!(doc["messages"].as_array().unwrap().len(), 4);

    let out = tokio::task::spawn_blocking({
        let mut cmd = run(false);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        first_turn(&doc),
        [
            finished,
            started.clone(),
            started.clone(),
            started.clone(),
            started
        ]
    );
}

#[test]
fn config_shows_where_eager_start_was_turned_off() {
    let out = agent()
        .args(["config", "--json", "--no-eager"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["eager"]["value"], false);
    assert_eq!(s["eager"]["source"]["from"], "flag");
    let out = agent()
        .env("AGENT_EAGER", "no")
        .args(["config", "--json"])
        .output()
        .unwrap();
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["eager"]["value"], false);
    assert_eq!(s["eager"]["source"]["from"], "env");
    let out = agent().args(["config", "--json"]).output().unwrap();
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["eager"]["value"], true);
    assert_eq!(s["eager"]["source"]["from"], "default");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_rules_from_agent_toml_apply_and_unknown_names_are_reported() {
    let plugin = demo_plugin();
    let server = MockServer::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        "[tools.get_weather]\nconcurrency = 1\n\n[tools.no_such_tool]\ntimeout = 5\n",
    )
    .unwrap();
    let mut cmd = agent();
    cmd.args([
        "run",
        "--json",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &server.endpoint_url(),
        "--config",
    ])
    .arg(&config)
    .arg("--plugin")
    .arg(&plugin)
    .arg(Q2);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("[tools.no_such_tool] names no loaded tool"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls = doc["metrics"]["turns"][0]["tools"]["calls"]
        .as_array()
        .unwrap()
        .clone();
    let weather: Vec<&Value> = calls
        .iter()
        .filter(|c| c["name"] == "get_weather")
        .collect();
    assert_eq!(weather.len(), 2);
    // One at a time: the second starts after the first ended.
    let end =
        weather[0]["started_ms"].as_f64().unwrap() + weather[0]["elapsed_ms"].as_f64().unwrap();
    assert!(
        weather[1]["started_ms"].as_f64().unwrap() >= end - 1.0,
        "{weather:?}"
    );
    // Why and how long the second waited, per call in --json: queued
    // before it started, held back by its tool's limit; the first did not
    // wait. The event stream says it was queued, and why.
    assert!(weather[0].get("waits").is_none(), "{weather:?}");
    assert_eq!(
        weather[1]["waits"][0]["reason"], "tool_limit",
        "{weather:?}"
    );
    assert!(weather[1]["waits"][0]["ms"].as_f64().unwrap() > 0.0);
    assert!(
        weather[1]["queued_ms"].as_f64().unwrap() < weather[1]["started_ms"].as_f64().unwrap(),
        "{weather:?}"
    );
    let queued: Vec<&Value> = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "tool_call_queued")
        .collect();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(
        (&queued[0]["name"], &queued[0]["reason"]),
        (&Value::from("get_weather"), &Value::from("tool_limit"))
    );
    // The other tools did not wait for them.
    let distance = calls
        .iter()
        .find(|c| c["name"] == "calculate_distance")
        .unwrap();
    assert!(distance["started_ms"].as_f64().unwrap() < end, "{calls:?}");
}

#[test]
fn cache_ttl_without_idempotent_is_refused_naming_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(&config, "[tools.lookup]\ncache_ttl = 30\n").unwrap();
    let out = agent()
        .args(["config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[tools.lookup] cache_ttl needs idempotent = true"),
        "{stderr}"
    );
    std::fs::write(
        &config,
        "[tools.lookup]\ncache_ttl = 30\nidempotent = true\nconcurrency = 2\npriority = 3\n",
    )
    .unwrap();
    let out = agent()
        .args(["config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("lookup: concurrency 2 priority 3 cache_ttl 30 s"),
        "{shown}"
    );
    std::fs::write(&config, "[tools.lookup]\nrate = \"5 per second\"\n").unwrap();
    let out = agent()
        .args(["config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[tools.lookup] rate"), "{stderr}");
}

#[test]
fn an_adaptive_limit_is_shown_as_its_range_and_a_bad_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.toml");
    let show = |text: &str| {
        std::fs::write(&config, text).unwrap();
        agent()
            .args(["config", "--config"])
            .arg(&config)
            .output()
            .unwrap()
    };
    let out = show("[tools.lookup]\nadaptive = true\nconcurrency = 8\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("lookup: concurrency 8 adaptive 1..8"),
        "{shown}"
    );
    let out = show("[tools.lookup]\nadaptive = [2, 6]\n");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("lookup: adaptive 2..6"), "{shown}");
    let out = show("[tools.lookup]\nadaptive = [0, 4]\n");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[tools.lookup] adaptive = [0, 4] must be [MIN, MAX]"),
        "{stderr}"
    );
}
