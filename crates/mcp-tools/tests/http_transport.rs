//! The client over MCP's streamable HTTP transport, against a server written
//! with the official Python SDK (tests/fixtures/http_server.py) on
//! 127.0.0.1: listing and calls, many calls at once on one session, headers
//! (a bearer token), and a server that goes away mid-run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use mcp_tools::{McpServerConfig, McpTool, Transport, start_all};
use serde_json::json;
use tool_api::{Tool, ToolContext, ToolOutput};

fn find<'a>(tools: &'a [McpTool], name: &str) -> &'a McpTool {
    tools
        .iter()
        .find(|t| t.spec().name == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

fn with_token(mut config: McpServerConfig, token: &str) -> McpServerConfig {
    if let Transport::Http { headers, .. } = &mut config.transport {
        *headers = BTreeMap::from([("Authorization".into(), format!("Bearer {token}"))]);
    }
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_server_lists_and_answers_many_calls_at_once() {
    let Some(deps) = support::deps("an_http_server_lists_and_answers_many_calls_at_once") else {
        return;
    };
    let server = deps.http_server(None);
    let config = McpServerConfig::parse_flag(&format!("web={}", server.url())).unwrap();
    let sources = start_all(vec![config]).await.unwrap();
    let echo = find(&sources.tools, "echo");
    assert_eq!(echo.source(), "MCP server `web`");
    assert_eq!(echo.server().pid(), None);
    assert_eq!(echo.spec().input_schema["required"], json!(["message"]));
    assert_eq!(
        echo.call(json!({"message": "hi"}), ToolContext::new("c1"))
            .await,
        Ok(ToolOutput::Json(json!({"result": "echo: hi"})))
    );
    // Many requests in flight on the one session; each gets its own answer.
    let sleep = find(&sources.tools, "sleep_ms");
    let calls =
        (0..24).map(|i| sleep.call(json!({"ms": 100 + i}), ToolContext::new(format!("c{i}"))));
    let results = futures::future::join_all(calls).await;
    for (i, result) in results.into_iter().enumerate() {
        assert_eq!(
            result,
            Ok(ToolOutput::Json(
                json!({"result": format!("slept {}", 100 + i)})
            ))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_the_timeout_is_cancelled_on_the_server_and_concurrency_is_bounded() {
    let Some(deps) = support::deps("a_call_past_the_timeout_is_cancelled_on_the_server") else {
        return;
    };
    let server = deps.http_server(None);
    let mut config = McpServerConfig::http("web", server.url());
    config.timeout = Some(Duration::from_millis(500));
    config.concurrency = Some(2);
    let sources = start_all(vec![config]).await.unwrap();
    let err = find(&sources.tools, "wait")
        .call(json!({}), ToolContext::new("c1"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("did not answer within 500ms"), "{err}");
    let cancelled = server.marks.path().join("wait-cancelled");
    for _ in 0..200 {
        if cancelled.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        cancelled.exists(),
        "the server never saw notifications/cancelled"
    );

    // Six calls at once, at most two in flight on the server.
    let sleep = find(&sources.tools, "sleep_ms");
    let calls = (0..6).map(|i| sleep.call(json!({"ms": 200}), ToolContext::new(format!("s{i}"))));
    for result in futures::future::join_all(calls).await {
        assert!(result.is_ok(), "{result:?}");
    }
    let most = find(&sources.tools, "most_at_once")
        .call(json!({}), ToolContext::new("m"))
        .await;
    assert_eq!(most, Ok(ToolOutput::Json(json!({"result": 2}))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_carry_a_bearer_token_and_a_refusal_names_the_server() {
    let Some(deps) = support::deps("headers_carry_a_bearer_token") else {
        return;
    };
    let server = deps.http_server(Some("s3cret"));
    let config = McpServerConfig::http("web", server.url());
    let err = start_all(vec![config.clone()])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "MCP server `web` ({}): initialize failed",
            server.url()
        )),
        "{err}"
    );
    assert!(err.contains("401"), "{err}");
    let err = start_all(vec![with_token(config.clone(), "wrong")])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        !err.contains("wrong"),
        "a header value is never shown: {err}"
    );

    let sources = start_all(vec![with_token(config, "s3cret")]).await.unwrap();
    let add = find(&sources.tools, "add");
    assert_eq!(
        add.call(json!({"a": 2, "b": 40}), ToolContext::new("c1"))
            .await,
        Ok(ToolOutput::Json(json!({"result": 42})))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_http_server_is_an_error_result_and_one_that_returns_is_used_again() {
    let Some(deps) = support::deps("a_lost_http_server") else {
        return;
    };
    let mut server = deps.http_server(None);
    let sources = start_all(vec![McpServerConfig::http("web", server.url())])
        .await
        .unwrap();
    let echo = find(&sources.tools, "echo");
    let add = find(&sources.tools, "add");
    assert!(
        echo.call(json!({"message": "a"}), ToolContext::new("c1"))
            .await
            .is_ok()
    );

    // The server restarts on the same port: its old session is unknown
    // there, so the session is initialised again and the call goes through.
    server.restart();
    assert_eq!(
        add.call(json!({"a": 1, "b": 2}), ToolContext::new("c2"))
            .await,
        Ok(ToolOutput::Json(json!({"result": 3})))
    );

    // The server is gone for good: a clear error result, no hang.
    server.stop();
    let err = echo
        .call(json!({"message": "b"}), ToolContext::new("c3"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("the MCP server `web` is gone: the HTTP session was lost"),
        "{err}"
    );
    assert!(
        err.contains("connection refused: nothing is listening at"),
        "{err}"
    );
}
