//! Servers that fail: one that exits mid-call, one that hangs (timeout and
//! cancellation reach it as `notifications/cancelled`), one that never
//! answers `initialize`, one that cannot be run; and no process outlives
//! its tools. The misbehaving server is written with the official Python
//! SDK (tests/fixtures/fault_server.py).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::time::Duration;

use std::sync::Arc;

use agent_core::{ExecutorConfig, ToolExecutor, ToolResultContent, ToolUse};
use mcp_tools::{McpServerConfig, McpTool, start_all};
use serde_json::json;
use tool_api::{CancellationToken, Tool, ToolContext, ToolOutput, ToolRegistry};

fn find<'a>(tools: &'a [McpTool], name: &str) -> &'a McpTool {
    tools
        .iter()
        .find(|t| t.spec().name == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

/// Waits (polling, bounded) until `path` exists; the tests assert on what
/// the server did, never on how long it took.
async fn appears(path: &Path) -> bool {
    for _ in 0..300 {
        if path.exists() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_exits_mid_call_gives_that_call_an_error_with_its_stderr() {
    let Some(deps) = support::deps("a_server_that_exits_mid_call") else {
        return;
    };
    let markers = tempfile::tempdir().unwrap();
    let sources = start_all(vec![deps.faults("faults", markers.path())])
        .await
        .unwrap();
    let err = find(&sources.tools, "crash")
        .call(json!({}), ToolContext::new("c1"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("MCP server `faults` is gone"), "{err}");
    assert!(err.contains("exit status: 3"), "{err}");
    assert!(err.contains("crashing on purpose"), "{err}");
    // Not idempotent: not sent again, but the server was restarted for
    // the calls after it.
    assert!(
        err.ends_with(
            "it has been restarted for later calls, but this call was not sent again \
             because `crash` is not marked idempotent"
        ),
        "{err}"
    );
    let out = find(&sources.tools, "starts")
        .call(json!({}), ToolContext::new("c2"))
        .await;
    assert_eq!(out, Ok(ToolOutput::Json(json!({"result": "2"}))));
    // A server is restarted once: the second crash is final, and later
    // calls get the same clear error, not a hang.
    let err = find(&sources.tools, "crash")
        .call(json!({}), ToolContext::new("c3"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("is gone"), "{err}");
    assert!(
        err.ends_with("it was already restarted once in this run, and is not restarted again"),
        "{err}"
    );
    let err = find(&sources.tools, "hang")
        .call(json!({}), ToolContext::new("c4"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is gone"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_call_that_loses_the_server_is_sent_again_to_the_restarted_one() {
    let Some(deps) = support::deps("an_idempotent_call_that_loses_the_server") else {
        return;
    };
    let markers = tempfile::tempdir().unwrap();
    let sources = start_all(vec![deps.faults("faults", markers.path())])
        .await
        .unwrap();
    let crash_once = find(&sources.tools, "crash_once");
    assert_eq!(crash_once.spec().scheduling.idempotent, Some(true));
    let pid = crash_once.server().pid().unwrap();
    let out = crash_once.call(json!({}), ToolContext::new("c1")).await;
    assert_eq!(
        out,
        Ok(ToolOutput::Json(json!({"result": "survived the restart"})))
    );
    assert!(markers.path().join("crashed-once").exists());
    let restarted = crash_once.server().pid().unwrap();
    assert_ne!(pid, restarted);
    assert!(support::process_gone(pid));
    let out = find(&sources.tools, "starts")
        .call(json!({}), ToolContext::new("c2"))
        .await;
    assert_eq!(out, Ok(ToolOutput::Json(json!({"result": "2"}))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_is_cancelled_on_the_server_too() {
    let Some(deps) = support::deps("a_cancelled_call_is_cancelled_on_the_server") else {
        return;
    };
    let markers = tempfile::tempdir().unwrap();
    let sources = start_all(vec![deps.faults("faults", markers.path())])
        .await
        .unwrap();
    let hang = find(&sources.tools, "hang").clone();
    let token = CancellationToken::new();
    let ctx = ToolContext::new("c1").with_cancellation(token.clone());
    let call = tokio::spawn(async move { hang.call(json!({}), ctx).await });
    assert!(appears(&markers.path().join("hang-started")).await);
    token.cancel();
    let err = call.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("cancelled"), "{err}");
    assert!(
        appears(&markers.path().join("hang-cancelled")).await,
        "the server never saw notifications/cancelled"
    );
    // The session is still good for other calls. (The Python SDK sends a
    // returned `str` as structured content `{"result": …}` too.)
    let out = find(&sources.tools, "files_read_feef3122")
        .call(json!({"path": "x"}), ToolContext::new("c2"))
        .await;
    assert_eq!(out, Ok(ToolOutput::Json(json!({"result": "read x"}))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_the_server_timeout_is_cancelled_and_answered() {
    let Some(deps) = support::deps("a_call_past_the_server_timeout") else {
        return;
    };
    let markers = tempfile::tempdir().unwrap();
    let mut config = deps.faults("faults", markers.path());
    config.timeout = Some(Duration::from_millis(300));
    let sources = start_all(vec![config]).await.unwrap();
    let err = find(&sources.tools, "hang")
        .call(json!({}), ToolContext::new("c1"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("did not answer within 300ms"), "{err}");
    assert!(appears(&markers.path().join("hang-cancelled")).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_output_and_an_answer_over_the_line_limit_are_named_in_the_timeout_error() {
    let Some(deps) = support::deps("malformed_output_and_an_oversized_answer") else {
        return;
    };
    let mut config = deps.raw("raw");
    config.timeout = Some(Duration::from_secs(3));
    let sources = start_all(vec![config]).await.unwrap();
    let err = find(&sources.tools, "garbage")
        .call(json!({}), ToolContext::new("c1"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("the MCP server `raw` did not answer within 3s"),
        "{err}"
    );
    assert!(
        err.ends_with(
            "meanwhile it wrote a line that is not JSON-RPC on its stdout: \"this is not JSON-RPC {\""
        ),
        "{err}"
    );
    let out = find(&sources.tools, "echo")
        .call(json!({"message": "still here"}), ToolContext::new("c1b"))
        .await;
    assert_eq!(out, Ok(ToolOutput::text("still here")));
    // 17 MiB: over rmcp's 16 MiB line limit, dropped; named, not a hang.
    let markers = tempfile::tempdir().unwrap();
    let mut config = deps.faults("faults", markers.path());
    config.timeout = Some(Duration::from_secs(20));
    let sources = start_all(vec![config]).await.unwrap();
    let err = find(&sources.tools, "huge")
        .call(json!({"megabytes": 17}), ToolContext::new("c2"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("over the 16 MiB limit; the message was dropped"),
        "{err}"
    );
    // The session goes on.
    let out = find(&sources.tools, "files_read_feef3122")
        .call(json!({"path": "y"}), ToolContext::new("c3"))
        .await;
    assert_eq!(out, Ok(ToolOutput::Json(json!({"result": "read y"}))));
    // Under the line limit, a huge answer arrives and the executor's
    // max output bytes bound what the model gets.
    let mut registry = ToolRegistry::new();
    sources.register_into(&mut registry).unwrap();
    let executor = ToolExecutor::new(ExecutorConfig::default().with_max_output_bytes(Some(1000)));
    let call = ToolUse {
        id: "c4".into(),
        name: "huge".into(),
        input: json!({"megabytes": 2}),
    };
    let outcome = executor
        .execute(&registry, &[call], &CancellationToken::new(), Arc::new(()))
        .await;
    let ToolResultContent::Text(text) = &outcome[0].result.content[0] else {
        panic!("{:?}", outcome[0].result);
    };
    assert!(text.len() < 1300, "{}", text.len());
    assert!(
        text.contains("[output truncated: showing the first 1000 of 20971"),
        "{}",
        &text[1000..]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_initialize_is_a_start_error_naming_it() {
    let Some(deps) = support::deps("a_server_that_never_answers_initialize") else {
        return;
    };
    let stuck = "import sys, time; print('stuck loading the index', file=sys.stderr, flush=True); time.sleep(600)";
    let mut config =
        McpServerConfig::stdio("stuck", deps.python(), vec!["-c".into(), stuck.into()]);
    config.startup_timeout = Some(Duration::from_secs(2));
    let err = start_all(vec![config.clone()]).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("MCP server `stuck` ("), "{text}");
    assert!(text.contains("-c 'import sys"), "{text}");
    assert!(
        text.contains("did not answer initialize within 2s"),
        "{text}"
    );
    assert!(text.contains("| stuck loading the index"), "{text}");

    // Optional: set aside as a warning, the other servers' tools still come.
    config.optional = true;
    let sources = start_all(vec![config, deps.everything("everything")])
        .await
        .unwrap();
    assert_eq!(sources.skipped.len(), 1);
    assert_eq!(sources.skipped[0].server, "stuck");
    assert!(sources.tools.iter().any(|t| t.spec().name == "echo"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_cannot_run_or_exits_at_once_is_a_start_error() {
    let err = start_all(vec![McpServerConfig::stdio(
        "nope",
        "/nonexistent/mcp-server",
        vec!["--flag".into()],
    )])
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(
            "MCP server `nope` (/nonexistent/mcp-server --flag): cannot run its command"
        ),
        "{err}"
    );
    let script = "echo 'bad config: no root given' >&2; exit 2";
    let err = start_all(vec![McpServerConfig::stdio(
        "quits",
        "sh",
        vec!["-c".into(), script.into()],
    )])
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("exited (exit status: 2) before answering initialize"),
        "{err}"
    );
    assert!(err.contains("| bad config: no root given"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_server_process_outlives_its_tools() {
    let Some(deps) = support::deps("no_server_process_outlives_its_tools") else {
        return;
    };
    let markers = tempfile::tempdir().unwrap();
    let sources = start_all(vec![
        deps.everything("everything"),
        deps.faults("faults", markers.path()),
    ])
    .await
    .unwrap();
    let mut pids: Vec<u32> = sources
        .tools
        .iter()
        .filter_map(|t| t.server().pid())
        .collect();
    pids.dedup();
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert!(pids.iter().all(|p| !support::process_gone(*p)));
    drop(sources);
    for _ in 0..100 {
        if pids.iter().all(|p| support::process_gone(*p)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server processes {pids:?} outlived their tools");
}
