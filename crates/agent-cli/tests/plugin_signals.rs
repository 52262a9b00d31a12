//! What a plugin says about its calls before they end, through the real
//! `agent` binary, the real plugin library (the effects fixture) and the
//! local Converse server: a plugin tool's progress reports are
//! `tool_call_progress` events, and a call that cannot start because
//! another call's blocking code holds the plugin's worker is a
//! `tool_call_stalled` event naming that call, in `--json` and in the plain
//! live view. Real delays only order the calls; nothing asserts on time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use agent_testkit::{Scenario, ScriptedTurn};
use bedrock_client::mock::MockServer;
use common::stderr;
use serde_json::{Value, json};

/// The effects plugin (`count_up`, `hog_worker`), built once.
fn effects() -> PathBuf {
    tool_api::plugin::testing::cargo_build_plugin_example("fixture-effects", "fixture_effects", &[])
        .expect("build fixture-effects")
}

/// `agent run PROMPT` against `endpoint` with the effects plugin, on one
/// plugin worker (whatever the machine's environment says).
async fn run(endpoint: &str, json: bool, prompt: &str) -> Output {
    let mut cmd = common::agent_in_fresh_home();
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("TOOL_API_PLUGIN_WORKERS", "1")
        .args(["run", "--region", "us-east-1", "--endpoint-url", endpoint])
        .arg("--plugin")
        .arg(effects());
    if json {
        cmd.arg("--json");
    }
    cmd.arg(prompt);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn events<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_tools_progress_reports_are_events_of_its_call() {
    let prompt = "Count to three.";
    let server = MockServer::builder()
        .scenarios([Scenario::new(
            "COUNT",
            Some(prompt),
            vec![
                ScriptedTurn::tools([("count_up", json!({"steps": 3, "ms": 5}))]),
                ScriptedTurn::text("Counted."),
            ],
        )])
        .start()
        .await
        .unwrap();
    let out = run(&server.endpoint_url(), true, prompt).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let progress: Vec<Value> = events(&doc, "tool_call_progress")
        .into_iter()
        .map(|e| {
            assert_eq!(e["id"], "tooluse_0_0", "{e}");
            assert_eq!(e["name"], "count_up", "{e}");
            json!([e["progress"], e["total"], e["message"]])
        })
        .collect();
    assert_eq!(
        progress,
        [
            json!([1.0, 3.0, "step 1"]),
            json!([2.0, 3.0, "step 2"]),
            json!([3.0, 3.0, "step 3"])
        ]
    );
    assert!(events(&doc, "tool_call_stalled").is_empty());
}

/// `hog_worker` blocks the plugin's one worker for 1.5 s. The model's
/// message is streamed over 900 ms, its three calls' blocks a third apart,
/// so with eager start the hog is on the worker some 300 ms before the two
/// `count_up` calls are sent: they cannot start, and each is reported once,
/// naming the hog's call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_behind_a_blocked_plugin_worker_is_reported_stalled() {
    let prompt = "Hog the worker, then count.";
    let server = MockServer::builder()
        .latency(Duration::from_millis(900))
        .pace_stream(true)
        .scenarios([Scenario::new(
            "HOG",
            Some(prompt),
            vec![
                ScriptedTurn::tools([
                    ("hog_worker", json!({"ms": 1500})),
                    ("count_up", json!({"steps": 1, "ms": 1})),
                    ("count_up", json!({"steps": 1, "ms": 1})),
                ]),
                ScriptedTurn::text("Done."),
            ],
        )])
        .start()
        .await
        .unwrap();
    let endpoint = server.endpoint_url();

    let out = run(&endpoint, true, prompt).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stalled = events(&doc, "tool_call_stalled");
    let mut ids: Vec<&str> = stalled.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["tooluse_0_1", "tooluse_0_2"], "{stalled:?}");
    for e in &stalled {
        assert_eq!(e["name"], "count_up", "{e}");
        assert_eq!(e["held_by"]["tool"], "hog_worker", "{e}");
        assert_eq!(e["held_by"]["id"], "tooluse_0_0", "{e}");
    }
    // Every call still answered.
    let finished = events(&doc, "tool_call_finished");
    assert_eq!(finished.len(), 3);
    assert!(
        finished.iter().all(|e| e["failure"].is_null()),
        "{finished:?}"
    );

    // The plain live view (stderr not a terminal) says it on a line.
    let out = run(&endpoint, false, prompt).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("stalled ")).collect();
    assert_eq!(lines.len(), 2, "{err}");
    for line in lines {
        assert!(
            line.contains("stalled count_up: not started after"),
            "{line}"
        );
        assert!(
            line.contains("the plugin's worker is held by hog_worker (tooluse_0_0) for"),
            "{line}"
        );
    }
}
