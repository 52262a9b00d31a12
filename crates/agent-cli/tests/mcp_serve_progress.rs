//! `agent mcp-serve` forwards progress: the official Python SDK (`mcp` on
//! PyPI, tests/fixtures/mcp_progress_client.py) calls a tool with a
//! progress callback, over stdio and over streamable HTTP, and gets every
//! report as `notifications/progress` with its token, in order, before the
//! result; a call without a token gets none. The reports come from a server
//! nobody here wrote: `agent mcp-serve --mcp everything=…` aggregates
//! `@modelcontextprotocol/server-everything`, whose
//! `trigger-long-running-operation` reports each step, its last report
//! just before its answer (`.ci/install-mcp-deps`, found through
//! `AGENT_MCP_DEPS`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::{Value, json};

const TOOL: &str = "trigger-long-running-operation";
const STEPS: u32 = 5;

/// The installation of `.ci/install-mcp-deps`, or `None` after a loud message.
fn deps(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("AGENT_MCP_DEPS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/agent-ci/mcp"))
        })?;
    if dir
        .join("npm/node_modules/.bin/mcp-server-everything")
        .exists()
    {
        return Some(dir);
    }
    eprintln!(
        "\n!!!!! SKIPPED {test}: the MCP reference servers are not installed; \
         run .ci/install-mcp-deps and set AGENT_MCP_DEPS (.ci/run does both) !!!!!\n"
    );
    None
}

/// `--mcp` aggregating server-everything over stdio.
fn everything(deps: &Path) -> String {
    let bin = deps.join("npm/node_modules/.bin/mcp-server-everything");
    format!("everything='{}' stdio", bin.display())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the Python client against `target` (an agent command line, or a
/// URL) and returns its report.
async fn python_client(deps: &Path, home: &Path, target: Vec<String>) -> Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mcp_progress_client.py"
    );
    let arguments = json!({"duration": 0.5, "steps": STEPS}).to_string();
    let mut cmd = Command::new(deps.join("venv/bin/python"));
    cmd.current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .arg(script)
        .args([TOOL, &arguments])
        .args(target);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every step's report, in order, then the result; none for the call
/// without a token.
fn assert_progress_then_result(report: &Value) {
    let answer =
        format!("Long running operation completed. Duration: 0.5 seconds, Steps: {STEPS}.");
    let mut expected: Vec<Value> = (1..=STEPS)
        .map(|i| json!(["progress", f64::from(i), f64::from(STEPS), null]))
        .collect();
    expected.push(json!(["result", answer]));
    assert_eq!(report["events"], json!(expected), "{report}");
    assert_eq!(report["plain"], answer, "{report}");
    // The session heard exactly the callback's reports, all under one token:
    // the call without one got none.
    let teed = report["teed"].as_array().unwrap();
    assert_eq!(teed.len(), STEPS as usize, "{report}");
    assert!(teed.iter().all(|t| *t == teed[0]), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_serve_over_stdio_forwards_progress_before_the_result() {
    let Some(deps) = deps("mcp_serve_over_stdio_forwards_progress_before_the_result") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let agent = assert_cmd::cargo::cargo_bin("agent").display().to_string();
    let target = vec![agent, "mcp-serve".into(), "--mcp".into(), everything(&deps)];
    let report = python_client(&deps, home.path(), target).await;
    assert_progress_then_result(&report);
}

/// Kills the server when the test ends, passed or not.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_serve_over_http_forwards_progress_before_the_result() {
    let Some(deps) = deps("mcp_serve_over_http_forwards_progress_before_the_result") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let mut serve = Serving(
        Command::new(assert_cmd::cargo::cargo_bin("agent"))
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .args(["mcp-serve", "--listen", "127.0.0.1:0", "--mcp"])
            .arg(everything(&deps))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = std::io::BufReader::new(serve.0.stderr.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.split_once(" tools on ").map(|(_, url)| url.to_owned()))
        .unwrap();
    // Two sessions one after the other: each call's reports reach its own.
    for _ in 0..2 {
        let report = python_client(&deps, home.path(), vec![url.clone()]).await;
        assert_progress_then_result(&report);
    }
}
