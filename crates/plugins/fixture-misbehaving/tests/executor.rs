//! The agent's executor against this fixture loaded as a plugin: a plugin
//! tool's panic is classified as an in-process tool's, and an executor
//! timeout reaches the plugin's tool as a cancellation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use agent_core::{CallFailure, ExecutorConfig, ToolExecutor, ToolUse};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tool_api::plugin::host;
use tool_api::plugin::testing::cargo_build_plugin_example;
use tool_api::{ToolContext, ToolOutput, ToolRegistry};

fn plugin_tools() -> ToolRegistry {
    let path = cargo_build_plugin_example("fixture-misbehaving", "fixture_misbehaving", &[])
        .expect("build the fixture");
    let mut tools = ToolRegistry::new();
    host::load_into(&mut tools, [path]).expect("load the fixture");
    tools
}

fn call(id: &str, name: &str) -> ToolUse {
    ToolUse {
        id: id.into(),
        name: name.into(),
        input: json!({}),
    }
}

#[tokio::test]
async fn a_plugin_tools_panic_is_reported_as_panicked() {
    let tools = plugin_tools();
    let executor = ToolExecutor::new(ExecutorConfig::default());
    let calls = [
        call("a", "panics"),
        call("b", "panics_after_await"),
        call("c", "echo"),
    ];
    let out = executor
        .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
        .await;
    for panicked in &out[..2] {
        assert_eq!(
            panicked.failure,
            Some(CallFailure::Panicked),
            "{panicked:?}"
        );
        let text = format!("{:?}", panicked.result.content);
        assert!(text.contains("deliberate panic"), "{text}");
        assert_eq!(panicked.attempts, 1);
    }
    assert!(out[2].is_success(), "{:?}", out[2]);
}

#[tokio::test]
async fn an_executor_timeout_cancels_the_plugins_call() {
    let tools = plugin_tools();
    let executor =
        ToolExecutor::new(ExecutorConfig::default().with_timeout(Some(Duration::from_millis(50))));
    let out = executor
        .execute(
            &tools,
            &[call("timed-out", "cancel_probe")],
            &CancellationToken::new(),
            Arc::new(()),
        )
        .await;
    assert_eq!(out[0].failure, Some(CallFailure::TimedOut), "{:?}", out[0]);
    let was_cancelled = tools.get("was_cancelled").unwrap().tool.clone();
    let mut seen = Value::Null;
    for _ in 0..500 {
        let answer = was_cancelled
            .call(json!({"call_id": "timed-out"}), ToolContext::new("n"))
            .await
            .unwrap();
        let ToolOutput::Json(answer) = answer else {
            panic!("not JSON: {answer:?}")
        };
        seen = answer["cancelled"].clone();
        if seen == json!(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen, json!(true), "the tool never saw its cancellation");
}
