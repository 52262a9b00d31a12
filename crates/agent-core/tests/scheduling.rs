//! Per-tool scheduling rules on tokio's paused clock: a tool's own limit,
//! exclusive resources in call order (named, keyed by the input, shared by
//! readers), declared by the builder or by the tool's spec.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use agent_core::{CallOutcome, ExecutorConfig, ToolExecutor, ToolUse};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tool_api::{Scheduling, Tool, ToolContext, ToolError, ToolOutput, ToolRegistry, ToolSpec};

/// Sleeps its input's `ms`.
struct Sleeper(ToolSpec);

#[async_trait::async_trait]
impl Tool for Sleeper {
    fn spec(&self) -> &ToolSpec {
        &self.0
    }
    async fn call(&self, input: Value, _: ToolContext) -> Result<ToolOutput, ToolError> {
        let ms = input["ms"].as_u64().unwrap_or(1000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(ToolOutput::text("slept"))
    }
}

fn sleeper(name: &str, scheduling: Scheduling) -> Arc<dyn Tool> {
    Arc::new(Sleeper(
        ToolSpec::new(name, "Sleeps.", json!({"type": "object"})).with_scheduling(scheduling),
    ))
}

fn registry(names: &[&str]) -> ToolRegistry {
    let mut r = ToolRegistry::new();
    for name in names {
        r.register(sleeper(name, Scheduling::default()), "test")
            .unwrap();
    }
    r
}

/// Calls of `(tool, input)`, ids `c0`, `c1`…
fn calls(list: &[(&str, Value)]) -> Vec<ToolUse> {
    list.iter()
        .enumerate()
        .map(|(i, (name, input))| ToolUse {
            id: format!("c{i}"),
            name: (*name).into(),
            input: input.clone(),
        })
        .collect()
}

async fn run(executor: &ToolExecutor, tools: &ToolRegistry, calls: &[ToolUse]) -> Vec<CallOutcome> {
    let out = executor
        .execute(tools, calls, &CancellationToken::new(), Arc::new(()))
        .await;
    assert!(out.iter().all(CallOutcome::is_success), "{out:?}");
    out
}

/// Each call's start, in ms from the batch's start.
fn starts(out: &[CallOutcome]) -> Vec<u128> {
    out.iter().map(|o| o.started.as_millis()).collect()
}

#[tokio::test(start_paused = true)]
async fn a_tool_limit_bounds_its_calls_and_not_the_others() {
    let tools = registry(&["api", "other"]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_tool_concurrency("api", 2));
    let s = json!({"ms": 1000});
    let batch = calls(&[
        ("api", s.clone()),
        ("api", s.clone()),
        ("api", s.clone()),
        ("other", s.clone()),
        ("api", s.clone()),
        ("api", s.clone()),
        ("other", s.clone()),
    ]);
    let out = run(&executor, &tools, &batch).await;
    assert_eq!(starts(&out), [0, 0, 1000, 0, 1000, 2000, 0]);
}

#[tokio::test(start_paused = true)]
async fn the_tool_limit_sits_inside_the_global_one() {
    let tools = registry(&["api"]);
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_max_concurrency(Some(1))
            .with_tool_concurrency("api", 4),
    );
    let s = json!({"ms": 1000});
    let out = run(&executor, &tools, &calls(&[("api", s.clone()), ("api", s)])).await;
    assert_eq!(starts(&out), [0, 1000]);
}

#[tokio::test(start_paused = true)]
async fn an_exclusive_resource_goes_in_call_order_and_unrelated_calls_overlap() {
    let tools = registry(&["write", "test", "search"]);
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_tool_exclusive("write", "repo")
            .with_tool_exclusive("test", "repo"),
    );
    // "Write the file, then run the tests", with a search beside them: the
    // slow write goes first, the test waits for it, the search does not.
    let batch = calls(&[
        ("write", json!({"ms": 2000})),
        ("test", json!({"ms": 500})),
        ("search", json!({"ms": 1000})),
        ("write", json!({"ms": 100})),
    ]);
    let out = run(&executor, &tools, &batch).await;
    assert_eq!(starts(&out), [0, 2000, 0, 2500]);
}

#[tokio::test(start_paused = true)]
async fn a_resource_keyed_by_the_input_separates_different_keys() {
    let tools = registry(&["write_file"]);
    let executor = ToolExecutor::new(
        ExecutorConfig::default().with_tool_exclusive("write_file", "file:/path"),
    );
    let w = |path: &str| ("write_file", json!({"path": path, "ms": 1000}));
    let batch = calls(&[w("a.txt"), w("b.txt"), w("a.txt"), w("c.txt"), w("b.txt")]);
    let out = run(&executor, &tools, &batch).await;
    assert_eq!(starts(&out), [0, 0, 1000, 0, 1000]);
}

#[tokio::test(start_paused = true)]
async fn readers_share_a_resource_a_writer_holds_alone() {
    let tools = registry(&["read_file", "write_file"]);
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_tool_shared("read_file", "file:/path")
            .with_tool_exclusive("write_file", "file:/path"),
    );
    let r = |path: &str| ("read_file", json!({"path": path, "ms": 1000}));
    let w = |path: &str| ("write_file", json!({"path": path, "ms": 1000}));
    let batch = calls(&[r("a"), r("a"), w("a"), r("a"), r("b"), w("b")]);
    let out = run(&executor, &tools, &batch).await;
    // Both reads of `a` at once; the write after them; the third read after
    // the write, in call order. `b` is another file.
    assert_eq!(starts(&out), [0, 0, 1000, 2000, 0, 1000]);
}

#[tokio::test(start_paused = true)]
async fn batches_share_resources() {
    let tools = registry(&["write"]);
    let executor =
        ToolExecutor::new(ExecutorConfig::default().with_tool_exclusive("write", "repo"));
    let one = calls(&[("write", json!({"ms": 1000}))]);
    let start = tokio::time::Instant::now();
    let (a, b) = tokio::join!(run(&executor, &tools, &one), run(&executor, &tools, &one));
    assert_eq!(starts(&a), [0]);
    assert_eq!(starts(&b), [1000]);
    assert_eq!(start.elapsed(), Duration::from_millis(2000));
}

#[tokio::test(start_paused = true)]
async fn a_tool_spec_declares_its_rules_and_the_config_overrides_them() {
    let declared = Scheduling::default()
        .with_concurrency(1)
        .with_exclusive("db");
    let mut tools = ToolRegistry::new();
    tools
        .register(sleeper("query", declared), "plugin")
        .unwrap();
    let batch = calls(&[
        ("query", json!({"ms": 1000})),
        ("query", json!({"ms": 1000})),
    ]);

    let config = ExecutorConfig::default().with_declared(tools.specs());
    assert_eq!(config.scheduling_for("query").unwrap().concurrency, Some(1));
    let out = run(&ToolExecutor::new(config), &tools, &batch).await;
    assert_eq!(starts(&out), [0, 1000]);

    // The host's config wins field by field: a limit of 2, but the declared
    // resource still serialises the calls.
    let config = ExecutorConfig::default()
        .with_tool_concurrency("query", 2)
        .with_declared(tools.specs());
    let s = config.scheduling_for("query").unwrap();
    assert_eq!(
        (s.concurrency, s.exclusive.as_slice()),
        (Some(2), &["db".to_string()][..])
    );
    let out = run(&ToolExecutor::new(config), &tools, &batch).await;
    assert_eq!(starts(&out), [0, 1000]);
}

#[tokio::test(start_paused = true)]
async fn behind_the_global_limit_higher_priority_goes_first_then_call_order() {
    let tools = registry(&["bulk", "urgent"]);
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_max_concurrency(Some(1))
            .with_tool_scheduling("urgent", Scheduling::default().with_priority(5))
            .with_tool_scheduling("bulk", Scheduling::default().with_priority(-1)),
    );
    let s = json!({"ms": 1000});
    let batch = calls(&[
        ("bulk", s.clone()),
        ("bulk", s.clone()),
        ("urgent", s.clone()),
        ("bulk", s.clone()),
        ("urgent", s.clone()),
        ("other", s.clone()),
    ]);
    let tools = {
        let mut t = tools;
        t.register(sleeper("other", Scheduling::default()), "test")
            .unwrap();
        t
    };
    let out = run(&executor, &tools, &batch).await;
    // The first bulk call had the free slot; then the urgent ones in call
    // order, then `other` (priority 0), then the remaining bulk calls.
    assert_eq!(starts(&out), [0, 4000, 1000, 5000, 2000, 3000]);
}

#[tokio::test(start_paused = true)]
async fn without_priorities_the_line_is_first_come_first_served() {
    let tools = registry(&["a", "b"]);
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_max_concurrency(Some(1))
            .with_tool_concurrency("b", 5),
    );
    let s = json!({"ms": 1000});
    let batch = calls(&[
        ("a", s.clone()),
        ("b", s.clone()),
        ("a", s.clone()),
        ("b", s),
    ]);
    let out = run(&executor, &tools, &batch).await;
    assert_eq!(starts(&out), [0, 1000, 2000, 3000]);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_batch_leaves_every_line() {
    let tools = registry(&["write"]);
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_tool_exclusive("write", "repo")
            .with_tool_concurrency("write", 1),
    );
    let batch = calls(&[
        ("write", json!({"ms": 10_000})),
        ("write", json!({"ms": 10_000})),
    ]);
    let dropped =
        tokio::time::timeout(Duration::from_secs(1), run(&executor, &tools, &batch)).await;
    assert!(dropped.is_err());
    // Bounded: had the dropped calls kept their places, this would wait.
    let next = calls(&[("write", json!({"ms": 1000}))]);
    let got = tokio::time::timeout(Duration::from_secs(2), run(&executor, &tools, &next)).await;
    assert_eq!(starts(&got.unwrap()), [0]);
}

#[test]
fn settings_for_tools_that_do_not_exist_are_reported() {
    let agent = agent_core::Agent::builder()
        .backend(Arc::new(agent_testkit::ScriptedBackend::new(vec![])))
        .tools(registry(&["search"]))
        .executor(
            ExecutorConfig::default()
                .with_tool_concurrency("search", 2)
                .with_tool_timeout("serach", None)
                .with_tool_exclusive("write", "repo"),
        )
        .build()
        .unwrap();
    assert_eq!(agent.unknown_tool_settings(), ["serach", "write"]);
}
