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

mod common;

use std::path::Path;

use common::mcp::{bin_dir, everything_flag, python_report, reference_deps as deps, serve_http};
use serde_json::{Value, json};

const TOOL: &str = "trigger-long-running-operation";
const STEPS: u32 = 5;

/// `--mcp` aggregating server-everything over stdio.
fn everything(deps: &Path) -> String {
    everything_flag("everything", &bin_dir(deps))
}

/// Runs the Python client against `target` (an agent command line, or a
/// URL) and returns its report.
async fn python_client(deps: &Path, home: &Path, target: Vec<String>) -> Value {
    let arguments = json!({"duration": 0.5, "steps": STEPS}).to_string();
    let args = [TOOL.to_owned(), arguments].into_iter().chain(target);
    python_report(deps, home, "mcp_progress_client.py", args).await
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_serve_over_http_forwards_progress_before_the_result() {
    let Some(deps) = deps("mcp_serve_over_http_forwards_progress_before_the_result") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let (_serve, url) = serve_http(home.path(), ["--mcp".to_owned(), everything(&deps)]);
    // Two sessions one after the other: each call's reports reach its own.
    for _ in 0..2 {
        let report = python_client(&deps, home.path(), vec![url.clone()]).await;
        assert_progress_then_result(&report);
    }
}
