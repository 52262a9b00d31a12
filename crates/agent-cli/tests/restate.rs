//! `agent serve --restate` against the real Restate server (npm
//! `@restatedev/restate-server`, installed by `.ci/install-restate`): the
//! endpoint registered through Restate's admin API, a turn invoked through
//! its ingress, the endpoint SIGKILLed during the tool batch and restarted,
//! and the invocation finishing without repeating the finished model call
//! or the finished tool calls. Everything on 127.0.0.1.
//!
//! Restate 1.7 asks GitHub for its latest release once at start-up (no
//! setting turns that off); where the name does not resolve, as here, it
//! logs one error and goes on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::TcpListener;
use std::path::Path;

use bedrock_client::mock::MockServer;
use common::event_ids as ids;
use common::restate::{Restate, endpoint, free_port, http, restate_server, wait_for};
use common::server::start;
use common::sorted;
use common::wire::{blocks, tool_result_ids, tool_use_ids};
use serde_json::{Value, json};

/// Retries of the invocation come quickly while its endpoint is down, and
/// go on long enough for the restarted one.
const RETRY_POLICY: &str = r#"
[default-retry-policy]
initial-interval = "100ms"
exponentiation-factor = 2.0
max-interval = "1s"
max-attempts = 200
on-max-attempts = "kill"
"#;

/// The batch: two instant calls and two of eight seconds (time enough for
/// Restate to acknowledge the instant ones first, even on a busy machine).
fn scenario(effects: &Path) -> String {
    let mark = |tag: &str, ms: u64| json!({ "name": "mark", "input": { "path": effects, "tag": tag, "ms": ms } });
    json!([{
        "name": "marks",
        "prompt": "Mark things",
        "turns": [
            { "text": "Marking.", "tool_calls": [mark("a", 0), mark("b", 8000), mark("c", 0), mark("d", 8000)] },
            { "text": "Marked." },
            { "text": "You're welcome." }
        ]
    }])
    .to_string()
}

/// The endpoint on `port`, its log appended to `log` (the restarted one
/// writes after the killed one).
fn endpoint_appending(
    port: u16,
    server: &MockServer,
    home: &Path,
    log: &Path,
) -> common::KillOnDrop {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    endpoint(port, server, home, log)
}

/// The tags in the effects file, one per call that really ran.
fn marks(effects: &Path) -> Vec<String> {
    let mut tags: Vec<String> = std::fs::read_to_string(effects)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    tags.sort();
    tags
}

/// The tool results in the steps Restate has stored for `send` so far (each
/// as its JSON text), read through the admin API's SQL endpoint: a step's
/// result is the endpoint's JSON, stored as bytes.
fn journaled_results(restate: &Restate) -> Vec<String> {
    let query = json!({
        "query": "SELECT j.entry_json FROM sys_journal j JOIN sys_invocation i ON j.id = i.id \
                  WHERE i.target_handler_name = 'send' AND j.entry_type = 'Notification: Run'"
    });
    let Ok((200, rows)) = http("POST", &format!("{}/query", restate.admin), Some(query)) else {
        return Vec::new();
    };
    let mut results = Vec::new();
    for row in rows["rows"].as_array().into_iter().flatten() {
        let Some(entry) = row["entry_json"]
            .as_str()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
        else {
            continue;
        };
        let bytes: Vec<u8> = entry["Notification"]["Completion"]["Run"]["result"]["Success"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect();
        let Ok(step) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        for e in step["entries"].as_array().into_iter().flatten() {
            if e["type"] == "tool_result" {
                results.push(e["result"].to_string());
            }
        }
    }
    results
}

#[test]
fn a_killed_endpoint_finishes_the_turn_without_repeating_finished_steps() {
    let Some(binary) = restate_server() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let effects = home.path().join("effects.log");
    let endpoint_log = home.path().join("endpoint.log");
    let scenarios = bedrock_client::mock::parse_scenarios(&scenario(&effects)).unwrap();
    let (rt, server) = start(MockServer::builder().scenarios(scenarios));
    let restate = Restate::start(&binary, home.path(), "agent-test", RETRY_POLICY);
    let port = free_port();
    let first = endpoint_appending(port, &server, home.path(), &endpoint_log);
    restate.register(&format!("http://127.0.0.1:{port}"));

    // The turn, through the ingress, from a thread of its own: it answers
    // only once the endpoint is back.
    let send = format!("{}/Agent/session-1/send", restate.ingress);
    let turn = std::thread::spawn({
        let send = send.clone();
        move || http("POST", &send, Some(json!("Mark things")))
    });

    // Kill once all four calls have started and Restate has acknowledged
    // the steps holding the two instant calls' results (the slow ones are
    // still sleeping).
    wait_for("the instant calls' results in Restate's journal", || {
        let results = journaled_results(&restate);
        marks(&effects).len() == 4
            && results.len() == 2
            && results.iter().any(|r| r.contains(r#""tag":"a""#))
            && results.iter().any(|r| r.contains(r#""tag":"c""#))
    });
    assert_eq!(server.requests().len(), 1);
    drop(first); // SIGKILL: no cleanup of any kind
    assert_eq!(marks(&effects), ["a", "b", "c", "d"]);

    let _second = endpoint_appending(port, &server, home.path(), &endpoint_log);
    let (status, doc) = turn.join().unwrap().unwrap();
    let log = std::fs::read_to_string(&endpoint_log).unwrap_or_default();
    assert_eq!(status, 200, "{doc}\nendpoint log:\n{log}");
    assert_eq!(doc["answer"], "Marked.", "{doc}");

    // The finished model call was not made again: one more request, which
    // answers all four calls in call order, in one message.
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "endpoint log:\n{log}");
    let messages = requests[1].body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    let asked = tool_use_ids(&messages[1]);
    let answered = tool_result_ids(&messages[2]);
    assert_eq!(asked.len(), 4);
    assert_eq!(answered, asked);
    assert!(
        blocks(&messages[2]).all(|b| b["toolResult"]["status"] == "success"),
        "{}",
        messages[2]
    );

    // The finished calls did not run again (their results were replayed);
    // the two in flight when the endpoint died did.
    assert_eq!(marks(&effects), ["a", "b", "b", "c", "d", "d"]);
    assert_eq!(
        sorted(ids(&doc, "tool_call_replayed")),
        sorted(vec![asked[0].to_owned(), asked[2].to_owned()])
    );
    assert_eq!(ids(&doc, "tool_call_started").len(), 2);

    // The next turn of the session sees the first one, in order; the
    // shared handler reads the conversation.
    let (status, doc) = http("POST", &send, Some(json!("Thanks!"))).unwrap();
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["answer"], "You're welcome.");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let last = requests[2].body["messages"].as_array().unwrap();
    assert_eq!(last.len(), 5, "the second turn carries the first");
    assert_eq!(last[4]["content"][0]["text"], "Thanks!");
    let (status, conversation) = http(
        "POST",
        &format!("{}/Agent/session-1/conversation", restate.ingress),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{conversation}");
    assert_eq!(conversation.as_array().unwrap().len(), 6);
    drop(rt);
}

#[test]
fn serve_says_what_it_needs_and_why_it_cannot_listen() {
    let home = tempfile::tempdir().unwrap();
    let agent = || common::agent_in(home.path());
    let out = agent()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("agent serve needs --restate"), "{stderr}");

    // A port already taken: the address and what to do, exit 2.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = agent()
        .args(["serve", "--restate", "--listen"])
        .arg(addr.to_string())
        .args([
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")) && stderr.contains("--listen"),
        "{stderr}"
    );
}
