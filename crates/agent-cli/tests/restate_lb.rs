//! Two `agent serve --restate` endpoints behind one deployment address
//! (docs/SCALING.md): the real Restate server (as in tests/restate.rs)
//! registers the `restate-lb` proxy's address, which spreads invocations
//! over the two real endpoints round robin, each invocation's HTTP/2 stream
//! carried both ways through it. Sessions sent at once all get their own
//! right answers, and each endpoint ran some of them (its tool's side
//! effects land in its own working directory). Everything on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use bedrock_client::mock::MockServer;
use common::KillOnDrop;
use common::restate::{Restate, free_port, http, restate_server};
use restate_lb::Proxy;
use serde_json::{Value, json};

/// Sessions sent at once.
const SESSIONS: usize = 8;

/// Each session's script: one `mark` call writing the session's tag to
/// `served.log` (a relative path: the endpoint's own working directory)
/// and sleeping a little, so the sessions are in flight together; then the
/// session's own answer.
fn scenarios() -> String {
    let sessions: Vec<Value> = (0..SESSIONS)
        .map(|i| {
            json!({
                "name": format!("session-{i}"),
                "prompt": format!("Mark for session {i}"),
                "turns": [
                    { "text": "Marking.", "tool_calls": [{
                        "name": "mark",
                        "input": { "path": "served.log", "tag": format!("s{i}"), "ms": 300 }
                    }] },
                    { "text": format!("Done s{i}.") }
                ]
            })
        })
        .collect();
    Value::Array(sessions).to_string()
}

/// `agent serve --restate` on `port`, working in `dir` (its tool's
/// `served.log` lands there), the local Converse server as its model.
fn endpoint(port: u16, server: &MockServer, dir: &Path) -> KillOnDrop {
    std::fs::create_dir_all(dir).unwrap();
    let log = std::fs::File::create(dir.join("endpoint.log")).unwrap();
    common::restate::endpoint(port, server, dir, log)
}

/// The tags an endpoint's tool wrote: the sessions whose turn it ran.
fn served(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join("served.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn sessions_spread_over_two_endpoints_behind_one_address() {
    let Some(binary) = restate_server() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let scenarios = bedrock_client::mock::parse_scenarios(&scenarios()).unwrap();
    let server = rt
        .block_on(MockServer::builder().scenarios(scenarios).start())
        .unwrap();
    let restate = Restate::start(&binary, home.path(), "agent-test-lb", "");
    let dirs = [
        home.path().join("endpoint-a"),
        home.path().join("endpoint-b"),
    ];
    let ports = [free_port(), free_port()];
    let _endpoints: Vec<KillOnDrop> = dirs
        .iter()
        .zip(ports)
        .map(|(dir, port)| endpoint(port, &server, dir))
        .collect();
    let proxy = rt
        .block_on(Proxy::start(
            "127.0.0.1:0".parse().unwrap(),
            ports.map(|p| format!("http://127.0.0.1:{p}")),
        ))
        .unwrap();

    // The proxy's address is the deployment; Restate's discovery request
    // goes through it too.
    restate.register(&proxy.uri());

    // Every session's turn at once, through the ingress.
    let turns: Vec<_> = (0..SESSIONS)
        .map(|i| {
            let url = format!("{}/Agent/lb-{i}/send", restate.ingress);
            std::thread::spawn(move || {
                http("POST", &url, Some(json!(format!("Mark for session {i}"))))
            })
        })
        .collect();
    let logs = || {
        dirs.iter()
            .map(|d| std::fs::read_to_string(d.join("endpoint.log")).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    for (i, turn) in turns.into_iter().enumerate() {
        let (status, doc) = turn.join().unwrap().unwrap();
        assert_eq!(
            status,
            200,
            "session {i}: {doc}\nendpoint logs:\n{}",
            logs()
        );
        assert!(doc["error"].is_null(), "session {i}: {doc}");
        assert_eq!(doc["answer"], format!("Done s{i}."), "{doc}");
        // The session's own tool call ran and its result is the session's.
        let results = doc["messages"][2].to_string();
        assert!(
            results.contains(&format!(r#"\"tag\":\"s{i}\""#))
                || results.contains(&format!(r#""tag":"s{i}""#)),
            "session {i}'s tool result: {results}"
        );
    }

    // Both endpoints ran turns, and together they ran every session's.
    let a = served(&dirs[0]);
    let b = served(&dirs[1]);
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both endpoints serve: {a:?} {b:?}"
    );
    let all: BTreeSet<String> = (0..SESSIONS).map(|i| format!("s{i}")).collect();
    assert_eq!(a.union(&b).cloned().collect::<BTreeSet<_>>(), all);
    let counts = proxy.served();
    assert!(
        counts.iter().all(|&n| n > 0),
        "requests per endpoint: {counts:?}"
    );
    drop(proxy);
    drop(rt);
}
