//! `ToolServer` forwards a served tool's progress to the MCP client, checked
//! on the wire (JSON-RPC written and read by hand over an in-memory pipe):
//! `notifications/progress` with the call's token, `total` and `message`
//! as reported, `progress` only growing, every one before the call's
//! result; nothing for a call without a token.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use agent_core::{ExecutorConfig, ToolExecutor};
use mcp_tools::ToolServer;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolRegistry, ToolSpec, async_trait};

/// Reports 1, 2, 2 again, 1 (a retry starting over), then 3 without a
/// total, and answers at once after the last.
struct Steps(ToolSpec);

#[async_trait]
impl Tool for Steps {
    fn spec(&self) -> &ToolSpec {
        &self.0
    }

    async fn call(&self, _input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        ctx.progress(1.0, Some(3.0), Some("one".into()));
        tokio::task::yield_now().await;
        ctx.progress(2.0, Some(3.0), None);
        ctx.progress(2.0, Some(3.0), Some("two again".into()));
        ctx.progress(1.0, Some(3.0), Some("back to one".into()));
        ctx.progress(3.0, None, Some("three".into()));
        Ok(ToolOutput::text("stepped"))
    }
}

/// The messages the server writes up to and including the answer to `id`.
async fn until_answer<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
    id: u64,
) -> Vec<Value> {
    let mut seen = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        let message: Value = serde_json::from_str(&line).unwrap();
        let done = message["id"] == id;
        seen.push(message);
        if done {
            return seen;
        }
    }
    panic!("the server closed the session before answering {id}: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_call_with_a_token_gets_its_progress_before_its_result() {
    let mut tools = ToolRegistry::new();
    let spec = ToolSpec::new("steps", "Reports steps.", json!({"type": "object"}));
    tools.register(Arc::new(Steps(spec)), "test").unwrap();
    let server = ToolServer::new(tools, ToolExecutor::new(ExecutorConfig::default()));
    let (client, served) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(served);
    let serving = tokio::spawn(server.serve_on(server_read, server_write));
    let (read, mut write) = tokio::io::split(client);
    let mut lines = BufReader::new(read).lines();
    let mut send = async |message: Value| {
        write
            .write_all(format!("{message}\n").as_bytes())
            .await
            .unwrap();
    };

    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}}),
    )
    .await;
    until_answer(&mut lines, 1).await;
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;

    send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "steps", "arguments": {}, "_meta": {"progressToken": "tok-2"}}}),
    )
    .await;
    let seen = until_answer(&mut lines, 2).await;
    let (answer, reports) = seen.split_last().unwrap();
    assert_eq!(
        answer["result"]["content"][0]["text"], "stepped",
        "{seen:?}"
    );
    let expected = [
        json!({"progressToken": "tok-2", "progress": 1.0, "total": 3.0, "message": "one"}),
        json!({"progressToken": "tok-2", "progress": 2.0, "total": 3.0}),
        json!({"progressToken": "tok-2", "progress": 3.0, "message": "three"}),
    ];
    let got: Vec<&Value> = reports
        .iter()
        .map(|m| {
            assert_eq!(m["method"], "notifications/progress", "{seen:?}");
            &m["params"]
        })
        .collect();
    assert_eq!(got, expected.iter().collect::<Vec<_>>(), "{seen:?}");

    // Without a token: the answer alone.
    send(
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "steps", "arguments": {}}}),
    )
    .await;
    let seen = until_answer(&mut lines, 3).await;
    assert_eq!(seen.len(), 1, "{seen:?}");

    // The client closes the session: the server ends.
    drop(write);
    drop(lines);
    tokio::time::timeout(std::time::Duration::from_secs(10), serving)
        .await
        .expect("the server did not end when the client closed")
        .unwrap()
        .unwrap();
}
