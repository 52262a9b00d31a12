//! `agent resume` and `--session` refusing what would spoil a session,
//! before anything runs: a resume without the interrupted run's tools, a
//! session that does not exist, a conversation with tool calls continued
//! without tools; and what a resume reports (its batch in the metrics, a
//! cut-off non-idempotent call labelled as such). The real binary, the
//! demo plugin, the local Converse server, a real SIGKILL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Output;

use bedrock_client::mock::MockServer;
use common::server::{endpoint_args, start};
use common::sessions::{Q1, kill_mid_batch, naps, sleep_not_idempotent};
use common::{agent_with_keys as agent, demo_plugin, stderr};
use serde_json::Value;

/// The session's journal, straight from the store.
fn journal(store: &Path, name: &str) -> Vec<agent_core::JournalEntry> {
    let store = session_sqlite::SqliteStore::open_read_only(store).unwrap();
    agent_core::SessionStore::entries(&store, name).unwrap()
}

fn resume(home: &Path, server: &MockServer, store: &Path, flags: &[&str]) -> Output {
    agent(home)
        .args(["resume", "naps", "--session-store"])
        .arg(store)
        .args(endpoint_args(server))
        .args(flags)
        .output()
        .unwrap()
}

#[test]
fn a_resume_without_the_runs_tools_is_refused_and_spoils_nothing() {
    let (rt, server) = start(naps());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    kill_mid_batch(home.path(), &server, &store, &[]);
    let before = journal(&store, "naps");

    // No --plugin: refused before anything runs, naming the tool and the flags.
    let out = resume(home.path(), &server, &store, &["--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("sleep_tool"), "{err}");
    assert!(err.contains("--plugin"), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "usage", "{doc}");
    assert_eq!(journal(&store, "naps"), before, "nothing was journaled");
    assert_eq!(server.requests().len(), 1, "no model call was made");

    // With the tools, the session resumes as if the refusal never happened.
    let plugin = demo_plugin();
    let plugin = plugin.to_str().unwrap();
    let out = resume(
        home.path(),
        &server,
        &store,
        &["--json", "--plugin", plugin],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["answer"], "Rested.");
    let requests = server.requests();
    let results = requests[1].body["messages"][2]["content"]
        .as_array()
        .unwrap();
    let statuses: Vec<&Value> = results
        .iter()
        .filter_map(|b| b.get("toolResult"))
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses.len(), 4, "{results:?}");
    assert!(statuses.iter().all(|s| *s == "success"), "{results:?}");

    // The resumed batch is a turn of the metrics, every call in it.
    let m = &doc["metrics"];
    let turns = m["turns"].as_array().unwrap();
    let batch = turns
        .iter()
        .find_map(|t| t["tools"].as_object())
        .expect("a turn with the resumed batch");
    let calls = batch["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 4, "{batch:?}");
    let replayed: Vec<bool> = calls.iter().map(|c| c["replayed"] == true).collect();
    assert_eq!(replayed.iter().filter(|r| **r).count(), 2, "{calls:?}");
    // The two three-second sleeps ran again: their time is counted.
    assert!(m["sequential_tool_ms"].as_f64().unwrap() >= 6000.0, "{m}");
    assert!(m["tool_ms"].as_f64().unwrap() >= 3000.0, "{m}");
    drop(rt);
}

#[test]
fn resuming_a_session_that_does_not_exist_creates_nothing() {
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    let run = |args: &[&str]| {
        agent(home.path())
            .env("AGENT_SESSION_STORE", &store)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["resume", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no session named `nope`"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("agent sessions list"),
        "{}",
        stderr(&out)
    );
    assert!(!store.exists(), "no store was created");

    // An existing store: the session is still not created.
    session_sqlite::SqliteStore::open(&store).unwrap();
    let out = run(&["resume", "nope", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "usage", "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no session named `nope`"),
        "{doc}"
    );
    let out = run(&["resume", ""]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("session name is empty"),
        "{}",
        stderr(&out)
    );
    let out = run(&["sessions", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list, serde_json::json!([]), "nothing was created");

    for sub in ["show", "rm", "export"] {
        let out = run(&["sessions", sub, "nope"]);
        assert_eq!(out.status.code(), Some(2), "{sub}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no session named `nope`"),
            "{sub}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_session_with_tool_calls_continued_without_tools_is_refused_before_the_call() {
    let (rt, server) = start(MockServer::builder());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    let run = |prompt: &str, plugin: bool| {
        let mut cmd = agent(home.path());
        cmd.args(["run", "--session", "trip", "--session-store"])
            .arg(&store)
            .args(endpoint_args(&server));
        if plugin {
            cmd.arg("--plugin").arg(demo_plugin());
        }
        cmd.arg(prompt).output().unwrap()
    };
    let out = run(Q1, true);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = journal(&store, "trip");
    let out = run("And tomorrow?", false);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("get_weather") && err.contains("get_stock_price"),
        "{err}"
    );
    assert!(err.contains("--plugin"), "{err}");
    assert_eq!(server.requests().len(), 2, "no model call was made");
    assert_eq!(
        journal(&store, "trip"),
        before,
        "the prompt was not journaled"
    );
    drop(rt);
}

#[test]
fn a_cut_off_non_idempotent_call_is_labelled_not_repeated() {
    let (rt, server) = start(naps());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    let config = sleep_not_idempotent(home.path());
    kill_mid_batch(home.path(), &server, &store, &["--config", &config]);
    let plugin = demo_plugin();
    let out = resume(
        home.path(),
        &server,
        &store,
        &["--config", &config, "--plugin", plugin.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    // The live view (plain, stderr not a terminal): the journaled calls
    // are replayed, the cut-off ones are not repeated.
    assert_eq!(
        err.matches("replayed noop from the session").count(),
        2,
        "{err}"
    );
    assert_eq!(
        err.matches("sleep_tool not repeated: interrupted, not idempotent")
            .count(),
        2,
        "{err}"
    );
    assert!(!err.contains("replayed sleep_tool"), "{err}");
    drop(rt);
}
