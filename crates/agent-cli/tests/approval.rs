//! Human approval through the real `agent` binary against the local
//! Converse server, with the demo plugin's tools: asked on a terminal (a
//! pseudo-terminal driven by Python's `pty`), denied readably with no
//! terminal while the sibling call runs, and `--yes`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use bedrock_client::mock::MockServer;
use serde_json::{Value, json};

const PROMPT: &str = "Weather in Paris and London, and the AAPL price.";

async fn server(dir: &Path) -> MockServer {
    let path = dir.join("approval.json");
    let scenario = json!([{
        "name": "approval",
        "prompt": PROMPT,
        "turns": [
            { "tool_calls": [
                { "name": "get_weather", "input": { "location": "Paris" } },
                { "name": "get_stock_price", "input": { "symbol": "AAPL" } },
                { "name": "get_weather", "input": { "location": "London" } }
            ] },
            { "text": "All done." }
        ]
    }]);
    std::fs::write(&path, serde_json::to_vec(&scenario).unwrap()).unwrap();
    let scenarios = bedrock_client::mock::load_scenarios(path).unwrap();
    MockServer::builder()
        .scenarios(scenarios)
        .start()
        .await
        .unwrap()
}

/// The tool results of the last request the server received, in call
/// order: (status, text).
fn results_received(server: &MockServer) -> Vec<(String, String)> {
    let requests = server.requests();
    let body = &requests.last().unwrap().body;
    let messages = body["messages"].as_array().unwrap();
    common::wire::blocks(messages.last().unwrap())
        .map(|b| {
            let r = &b["toolResult"];
            let text: String = r["content"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    c["text"]
                        .as_str()
                        .map_or_else(|| c["json"].to_string(), str::to_owned)
                })
                .collect();
            (r["status"].as_str().unwrap_or("success").to_owned(), text)
        })
        .collect()
}

fn args(endpoint: &str, plugin: &Path) -> Vec<String> {
    [
        "run",
        "--no-stream",
        "--region",
        "us-east-1",
        "--endpoint-url",
        endpoint,
        "--plugin",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([plugin.display().to_string()])
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_a_call_needing_approval_is_denied_readably_and_its_sibling_runs() {
    let home = tempfile::tempdir().unwrap();
    // One tool by the config file, the other by the flag: both routes.
    std::fs::write(
        home.path().join("agent.toml"),
        "[tools.get_weather]\napprove = true\n",
    )
    .unwrap();
    let server = server(home.path()).await;
    let mut cmd = common::agent_with_keys(home.path());
    cmd.args(args(&server.endpoint_url(), &common::demo_plugin()))
        .args(["--approve", "get_stock_price", "--json", PROMPT]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let results = results_received(&server);
    assert_eq!(results.len(), 3, "{results:?}");
    for (status, text) in &results {
        assert_eq!(status, "error", "{results:?}");
        assert!(text.contains("needs approval and was not run"), "{text}");
        assert!(text.contains("--yes"), "{text}");
        assert!(text.contains("approve = false"), "{text}");
    }
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["answer"], "All done.");
    let denied = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "tool_call_finished" && e["failure"] == "denied")
        .count();
    assert_eq!(denied, 3);

    // Only get_weather needs approval now: the stock price runs beside the
    // denied calls (stdin is not a terminal, no --json: plain mode).
    server.clear_requests();
    let mut cmd = common::agent_with_keys(home.path());
    cmd.args(args(&server.endpoint_url(), &common::demo_plugin()))
        .arg(PROMPT)
        .write_stdin("");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let results = results_received(&server);
    assert_eq!(results[0].0, "error", "{results:?}");
    assert_eq!(results[1].0, "success", "{results:?}");
    assert!(results[1].1.contains("AAPL"), "{results:?}");
    assert_eq!(results[2].0, "error", "{results:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yes_approves_every_call() {
    let home = tempfile::tempdir().unwrap();
    let server = server(home.path()).await;
    let mut cmd = common::agent_with_keys(home.path());
    cmd.args(args(&server.endpoint_url(), &common::demo_plugin()))
        .args(["--approve", "all", "--yes", "--json", PROMPT]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let results = results_received(&server);
    let statuses: Vec<&str> = results.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(statuses, ["success", "success", "success"], "{results:?}");
}

/// Runs `agent ARGS` on a pseudo-terminal, answering each approval
/// question with the next of ANSWERS (comma-separated, env), and prints
/// everything the terminal showed.
const PTY_DRIVER: &str = r#"
import os, pty, select, sys, time
answers = [a.encode() + b"\n" for a in os.environ["ANSWERS"].split(",")]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, asked = b"", 0
deadline = time.time() + 120
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if fd not in r:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    while out.count(b"[y]es / [n]o") > asked and asked < len(answers):
        os.write(fd, answers[asked])
        asked += 1
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_each_call_is_asked_one_after_another_while_the_sibling_runs() {
    let home = tempfile::tempdir().unwrap();
    let server = server(home.path()).await;
    let agent_bin = assert_cmd::cargo::cargo_bin("agent");
    let driver = home.path().join("pty_driver.py");
    std::fs::write(&driver, PTY_DRIVER).unwrap();
    let mut cmd = common::clean_process("python3", home.path());
    cmd.arg(&driver)
        .arg(&agent_bin)
        // Not streamed: on a terminal the whole answer shows at the end.
        .args(args(&server.endpoint_url(), &common::demo_plugin()))
        .args(["--approve", "get_weather", PROMPT])
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("TERM", "dumb")
        .env("ANSWERS", "y,n");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{shown}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two questions, each with its input; the stock price was never asked.
    assert_eq!(
        shown
            .matches("[y]es / [n]o / [a]lways for get_weather")
            .count(),
        2,
        "{shown}"
    );
    assert!(shown.contains("approve tool call get_weather"), "{shown}");
    assert!(shown.contains("\"location\":\"Paris\""), "{shown}");
    assert!(shown.contains("\"location\":\"London\""), "{shown}");
    assert!(!shown.contains("for get_stock_price"), "{shown}");
    assert!(shown.contains("All done."), "{shown}");
    // One approved, one denied (which is which is the order asked); the
    // sibling ran meanwhile.
    let results = results_received(&server);
    let weather = [&results[0], &results[2]];
    assert_eq!(
        weather.iter().filter(|(s, _)| s == "success").count(),
        1,
        "{results:?}"
    );
    let denied = weather.iter().find(|(s, _)| s == "error").unwrap();
    assert!(
        denied.1.contains("the user denied this call"),
        "{results:?}"
    );
    assert_eq!(results[1].0, "success", "{results:?}");
}
