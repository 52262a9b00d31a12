//! `--session`, `agent sessions`: conversations kept in the SQLite store
//! across processes, end to end through the real binary and the local
//! Converse server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use bedrock_client::mock::MockServer;
use common::event_ids as ids;
use common::server::{endpoint_args, start};
use common::sessions::{Q1, kill_mid_batch, naps, run, sleep_not_idempotent};
use common::sorted;
use common::wire::{tool_result_ids, tool_use_ids};
use common::{
    agent_process_with_keys as agent_process, agent_with_keys as agent, demo_plugin, stderr,
};
use serde_json::Value;

#[test]
fn a_session_continues_in_a_second_process() {
    let (rt, server) = start(MockServer::builder());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("store/sessions.db");

    let out = run(home.path(), &server, &store, Q1);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(home.path(), &server, &store, "Thanks!");
    assert!(out.status.success(), "{}", stderr(&out));

    // What crossed the wire: the second process's request holds the first
    // run's turns (prompt, tool calls, their results, the answer).
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "two turns for Q1, one for the follow-up");
    let last = requests[2].body["messages"].as_array().unwrap();
    assert_eq!(last.len(), 5, "the follow-up carries the whole history");
    assert_eq!(last[0]["content"][0]["text"], Q1);
    assert_eq!(last[4]["content"][0]["text"], "Thanks!");
    let asked = last[1]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b.get("toolUse").is_some())
        .count();
    assert_eq!(asked, 2);

    // The journal: each tool result on its own, before the batch's message.
    let out = agent(home.path())
        .args(["sessions", "export", "trip", "--session-store"])
        .arg(&store)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "message",
            "message",
            "tool_result",
            "tool_result",
            "message",
            "message",
            "message",
            "message"
        ]
    );

    // list, show, rm; the store from the environment this time.
    let out = agent(home.path())
        .env("AGENT_SESSION_STORE", &store)
        .args(["sessions", "list", "--json"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "trip");
    assert_eq!(list[0]["messages"], 6);
    let out = agent(home.path())
        .env("AGENT_SESSION_STORE", &store)
        .args(["sessions", "show", "trip"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("user: Thanks!"));
    let out = agent(home.path())
        .env("AGENT_SESSION_STORE", &store)
        .args(["sessions", "rm", "trip"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = agent(home.path())
        .env("AGENT_SESSION_STORE", &store)
        .args(["sessions", "show", "trip"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no session named `trip`"),
        "{}",
        stderr(&out)
    );
    drop(rt);
}

#[test]
fn chat_continues_a_session_too() {
    let (rt, server) = start(MockServer::builder());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    for line in [Q1, "Thanks!"] {
        let out = agent(home.path())
            .args(["chat", "--session", "talk", "--session-store"])
            .arg(&store)
            .args(endpoint_args(&server))
            .arg("--plugin")
            .arg(demo_plugin())
            .write_stdin(format!("{line}\n"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let last = requests[2].body["messages"].as_array().unwrap();
    assert_eq!(last.len(), 5, "the second chat holds the first one's turns");
    assert_eq!(last[4]["content"][0]["text"], "Thanks!");
    drop(rt);
}

#[test]
fn a_second_process_on_a_session_in_use_is_refused() {
    let (rt, server) = start(MockServer::builder());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    // A chat holds the session while it waits for input.
    let mut chat = agent_process(home.path())
        .args(["chat", "--session", "trip", "--session-store"])
        .arg(&store)
        .args(endpoint_args(&server))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let locks = home.path().join("sessions.db.locks");
    let held = || {
        std::fs::read_dir(&locks)
            .map(|d| {
                d.flatten()
                    .any(|f| std::fs::read_to_string(f.path()).is_ok_and(|s| !s.is_empty()))
            })
            .unwrap_or(false)
    };
    while !held() {
        assert!(chat.try_wait().unwrap().is_none(), "the chat ended early");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = run(home.path(), &server, &store, Q1);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("session `trip` is in use by another process (pid"),
        "{}",
        stderr(&out)
    );
    assert!(
        server.requests().is_empty(),
        "the refused run made no model call"
    );
    chat.kill().unwrap();
    chat.wait().unwrap();
    // A killed holder leaves no stale lock.
    let out = run(home.path(), &server, &store, Q1);
    assert!(out.status.success(), "{}", stderr(&out));
    drop(rt);
}

#[test]
fn an_unwritable_store_still_prints_the_answer_then_fails_clearly() {
    let (rt, server) = start(MockServer::builder());
    let home = tempfile::tempdir().unwrap();
    // A file where the store's directory should be: unwritable, root included.
    let file = home.path().join("plain-file");
    std::fs::write(&file, "").unwrap();
    let out = run(home.path(), &server, &file.join("sessions.db"), Q1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("New York"));
    assert!(
        stderr(&out).contains("session `trip` cannot be saved"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--session-store"), "{}", stderr(&out));
    drop(rt);
}

fn resume(home: &Path, server: &MockServer, store: &Path, extra: &[&str]) -> Value {
    let out = agent(home)
        .args(["resume", "naps", "--json", "--session-store"])
        .arg(store)
        .args(endpoint_args(server))
        .arg("--plugin")
        .arg(demo_plugin())
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("ERROR"),
        "a clean resume logs no error: {}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn resume_after_sigkill_replays_finished_calls_and_reruns_the_rest() {
    let (rt, server) = start(naps());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    let finished = kill_mid_batch(home.path(), &server, &store, &[]);
    assert_eq!(server.requests().len(), 1);

    let doc = resume(home.path(), &server, &store, &[]);
    assert_eq!(doc["answer"], "Rested.");
    // The finished calls were not run again; the interrupted ones were.
    assert_eq!(
        sorted(ids(&doc, "tool_call_replayed")),
        sorted(finished.clone())
    );
    let started = ids(&doc, "tool_call_started");
    assert_eq!(started.len(), 2);
    assert!(started.iter().all(|id| !finished.contains(id)));

    // The finished model call was not made again: one more request, which
    // answers all four calls in call order, in one message.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let messages = requests[1].body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    let asked = tool_use_ids(&messages[1]);
    let answered = tool_result_ids(&messages[2]);
    assert_eq!(asked.len(), 4);
    assert_eq!(answered, asked);
    let statuses: Vec<&str> = messages[2]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["toolResult"]["status"].as_str())
        .collect();
    assert!(statuses.iter().all(|s| *s == "success"), "{statuses:?}");

    // Nothing is left to resume.
    let out = agent(home.path())
        .args(["resume", "naps", "--session-store"])
        .arg(&store)
        .args(endpoint_args(&server))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to resume"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.requests().len(), 2);
    drop(rt);
}

#[test]
fn an_interrupted_non_idempotent_call_is_answered_with_an_error_not_rerun() {
    let (rt, server) = start(naps());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    let config = sleep_not_idempotent(home.path());
    let flags = ["--config", config.as_str()];
    kill_mid_batch(home.path(), &server, &store, &flags);

    let doc = resume(home.path(), &server, &store, &flags);
    assert_eq!(doc["answer"], "Rested.");
    assert!(
        ids(&doc, "tool_call_started").is_empty(),
        "nothing ran again"
    );
    assert_eq!(ids(&doc, "tool_call_replayed").len(), 4);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let results = requests[1].body["messages"][2]["content"]
        .as_array()
        .unwrap();
    let errors: Vec<String> = results
        .iter()
        .filter(|b| b["toolResult"]["status"] == "error")
        .map(|b| b["toolResult"]["content"].to_string())
        .collect();
    assert_eq!(errors.len(), 2, "{results:?}");
    assert!(
        errors.iter().all(|e| e.contains("not idempotent")),
        "{errors:?}"
    );
    drop(rt);
}

/// The `tool_call_finished` events of the resumed run's batch, by call id.
fn finished_events(doc: &Value) -> std::collections::BTreeMap<String, Value> {
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "tool_call_finished")
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e.clone()))
        .collect()
}

#[test]
fn resume_reports_every_call_of_the_batch_finished_with_the_replayed_ones_marked() {
    let (rt, server) = start(naps());
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    let journaled = kill_mid_batch(home.path(), &server, &store, &[]);
    assert_eq!(journaled.len(), 2);

    let doc = resume(home.path(), &server, &store, &[]);
    assert_eq!(doc["answer"], "Rested.");
    // The calls the model asked for, as the resumed run's request holds them.
    let asked: std::collections::BTreeSet<String> =
        server.requests()[1].body["messages"][1]["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["toolUse"]["toolUseId"].as_str().map(str::to_owned))
            .collect();
    assert_eq!(asked.len(), 4);
    let finished = finished_events(&doc);
    // Every call of the batch has its finished event...
    assert_eq!(
        finished
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        asked,
        "{doc}"
    );
    for (id, event) in &finished {
        if journaled.contains(id) {
            // ...the journaled ones marked replayed, not run, still
            // announced by `tool_call_replayed` too...
            assert_eq!(event["replayed"], true, "{event}");
            assert!(event["failure"].is_null(), "{event}");
            assert_eq!(event["attempts"], 0, "{event}");
        } else {
            // ...the ones run again without the field.
            assert!(event.get("replayed").is_none(), "{event}");
            assert!(event["failure"].is_null(), "{event}");
            assert_eq!(event["attempts"], 1, "{event}");
        }
    }
    assert_eq!(
        sorted(ids(&doc, "tool_call_replayed")),
        sorted(journaled.clone())
    );

    // An interrupted non-idempotent call is not run again either: marked
    // replayed, with the error it was answered with.
    let server = rt.block_on(naps().start()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("sessions.db");
    let config = sleep_not_idempotent(home.path());
    let flags = ["--config", config.as_str()];
    let journaled = kill_mid_batch(home.path(), &server, &store, &flags);
    let doc = resume(home.path(), &server, &store, &flags);
    let finished = finished_events(&doc);
    assert_eq!(finished.len(), 4, "{doc}");
    for (id, event) in &finished {
        assert_eq!(event["replayed"], true, "{event}");
        if !journaled.contains(id) {
            assert_eq!(event["failure"], "cancelled", "{event}");
            assert!(
                event["error"].as_str().unwrap().contains("not idempotent"),
                "{event}"
            );
        }
    }
    drop(rt);
}
