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
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bedrock_client::mock::MockServer;
use common::event_ids as ids;
use common::server::{endpoint_args, start};
use common::wire::{blocks, tool_result_ids, tool_use_ids};
use serde_json::{Value, json};

/// How long anything here may take before the test gives up.
const PATIENCE: Duration = Duration::from_secs(120);

/// The `restate-server` binary: `AGENT_RESTATE_SERVER` (CI sets it, and
/// then it must be there), else what `.ci/install-restate` installs into
/// its cache; `None` (the test skips) only when neither is available.
fn restate_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AGENT_RESTATE_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "AGENT_RESTATE_SERVER={} is not a file: run .ci/install-restate",
            path.display()
        );
        return Some(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/install-restate");
    match Command::new("bash").arg(&script).output() {
        Ok(out) if out.status.success() => {
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            path.is_file().then_some(path)
        }
        Ok(out) => {
            eprintln!(
                "SKIPPED: the npm package @restatedev/restate-server is unavailable ({}) and AGENT_RESTATE_SERVER is unset; run .ci/install-restate",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!(
                "SKIPPED: cannot run .ci/install-restate ({e}) and AGENT_RESTATE_SERVER is unset"
            );
            None
        }
    }
}

/// A port free on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `ready` says yes, or fails saying `what`.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed (SIGKILL) when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Restate server of its own: every port explicit on 127.0.0.1, its data
/// in `dir`.
struct Restate {
    _process: Process,
    admin: String,
    ingress: String,
}

impl Restate {
    fn start(binary: &Path, dir: &Path) -> Self {
        let [node, admin, ingress, pgsql] = [free_port(), free_port(), free_port(), free_port()];
        let config = dir.join("restate.toml");
        std::fs::write(
            &config,
            format!(
                r#"node-name = "agent-test"
base-dir = "{data}"
bind-address = "127.0.0.1:{node}"
advertised-address = "http://127.0.0.1:{node}/"
default-num-partitions = 2
disable-telemetry = true
rocksdb-total-memory-size = "256 MiB"
log-filter = "warn"

[default-retry-policy]
initial-interval = "100ms"
exponentiation-factor = 2.0
max-interval = "1s"
max-attempts = 200
on-max-attempts = "kill"

[admin]
bind-address = "127.0.0.1:{admin}"
disable-web-ui = true

[admin.query-engine]
pgsql-bind-address = "127.0.0.1:{pgsql}"

[ingress]
bind-address = "127.0.0.1:{ingress}"
"#,
                data = dir.join("data").display(),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("restate.log")).unwrap();
        let child = Command::new(binary)
            .arg("--config-file")
            .arg(&config)
            .args(["--listen-mode", "tcp", "--no-logo"])
            .current_dir(dir)
            .env("DO_NOT_TRACK", "1")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let restate = Self {
            _process: Process(child),
            admin: format!("http://127.0.0.1:{admin}"),
            ingress: format!("http://127.0.0.1:{ingress}"),
        };
        wait_for("Restate's admin API and ingress", || {
            get_ok(&format!("{}/health", restate.admin))
                && get_ok(&format!("{}/restate/health", restate.ingress))
        });
        restate
    }
}

/// One HTTP request, blocking (on its own runtime thread).
fn http(method: &str, url: &str, body: Option<Value>) -> Result<(u16, Value), String> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .timeout(PATIENCE)
                .no_proxy()
                .build()
                .map_err(|e| e.to_string())?;
            // JSON answers: the admin API's SQL endpoint answers Arrow otherwise.
            let mut request = client
                .request(method, &url)
                .header("accept", "application/json");
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let text = response.text().await.map_err(|e| e.to_string())?;
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            Ok((status, value))
        })
    })
    .join()
    .unwrap()
}

fn get_ok(url: &str) -> bool {
    matches!(http("GET", url, None), Ok((200, _)))
}

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

/// `agent serve --restate` on `port`, the local Converse server as its
/// model, the effects plugin as its tools; its log appended to `log`.
fn endpoint(port: u16, server: &MockServer, home: &Path, log: &Path) -> Process {
    let plugin = tool_api::plugin::testing::cargo_build_plugin_example(
        "fixture-effects",
        "fixture_effects",
        &[],
    )
    .unwrap();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = common::agent_process_with_keys(home)
        .args(["serve", "--restate", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(endpoint_args(server))
        .arg("--plugin")
        .arg(plugin)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let process = Process(child);
    wait_for("the endpoint to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    process
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
    let restate = Restate::start(&binary, home.path());
    let port = free_port();
    let first = endpoint(port, &server, home.path(), &endpoint_log);

    let (status, registered) = http(
        "POST",
        &format!("{}/deployments", restate.admin),
        Some(json!({ "uri": format!("http://127.0.0.1:{port}") })),
    )
    .unwrap();
    assert!(
        status == 201 || status == 200,
        "registration: {status} {registered}"
    );

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

    let _second = endpoint(port, &server, home.path(), &endpoint_log);
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
    let mut replayed = ids(&doc, "tool_call_replayed");
    replayed.sort();
    let mut expected = vec![asked[0].to_owned(), asked[2].to_owned()];
    expected.sort();
    assert_eq!(replayed, expected);
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
