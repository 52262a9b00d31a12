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

/// Counts its calls; sleeps 1 s; fails its first call if `fail_first`.
struct Lookup {
    spec: ToolSpec,
    calls: std::sync::atomic::AtomicU32,
    fail_first: bool,
}

#[async_trait::async_trait]
impl Tool for Lookup {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }
    async fn call(&self, input: Value, _: ToolContext) -> Result<ToolOutput, ToolError> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if self.fail_first && n == 0 {
            return Err(ToolError::fatal("first call fails"));
        }
        Ok(ToolOutput::text(format!("answer {}", input["q"])))
    }
}

fn lookup(scheduling: Scheduling, fail_first: bool) -> (Arc<Lookup>, ToolRegistry) {
    let tool = Arc::new(Lookup {
        spec: ToolSpec::new("lookup", "Looks up.", json!({"type": "object"}))
            .with_scheduling(scheduling),
        calls: Default::default(),
        fail_first,
    });
    let mut r = ToolRegistry::new();
    r.register(tool.clone(), "test").unwrap();
    (tool, r)
}

fn runs(tool: &Lookup) -> u32 {
    tool.calls.load(std::sync::atomic::Ordering::SeqCst)
}

fn cached(out: &[CallOutcome]) -> Vec<bool> {
    out.iter().map(|o| o.cached).collect()
}

#[tokio::test(start_paused = true)]
async fn identical_calls_in_a_batch_run_once() {
    let (tool, tools) = lookup(Scheduling::default().with_cache_ttl(60.0), false);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_declared(tools.specs()));
    let batch = calls(&[
        ("lookup", json!({"q": 1, "lang": "en"})),
        ("lookup", json!({"q": 1, "lang": "en"})),
        ("lookup", json!({"lang": "en", "q": 1})),
        ("lookup", json!({"q": 2, "lang": "en"})),
    ]);
    let start = tokio::time::Instant::now();
    let out = run(&executor, &tools, &batch).await;
    assert_eq!(runs(&tool), 2, "one run per distinct input");
    assert_eq!(cached(&out), [false, true, true, false]);
    assert_eq!(out[1].result.content, out[0].result.content);
    assert_eq!(out[2].result.tool_use_id, "c2");
    assert_eq!(
        out[1].elapsed,
        Duration::from_secs(1),
        "waited for the first"
    );
    assert_eq!(out[1].attempts, 0);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn later_identical_calls_are_served_from_the_cache_until_it_expires() {
    let (tool, tools) = lookup(Scheduling::default().with_cache_ttl(60.0), false);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_declared(tools.specs()));
    let one = calls(&[("lookup", json!({"q": 1}))]);
    assert_eq!(cached(&run(&executor, &tools, &one).await), [false]);
    // The next turn, 1 s later: answered at once, the tool not called.
    let start = tokio::time::Instant::now();
    let out = run(&executor, &tools, &one).await;
    assert_eq!(cached(&out), [true]);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(out[0].elapsed, Duration::ZERO);
    assert_eq!(runs(&tool), 1);
    // 60 s after the result came: expired, run again.
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(cached(&run(&executor, &tools, &one).await), [true]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(cached(&run(&executor, &tools, &one).await), [false]);
    assert_eq!(runs(&tool), 2);
}

#[tokio::test(start_paused = true)]
async fn never_for_tools_not_declared_idempotent() {
    let not_idempotent = Scheduling {
        cache_ttl: Some(60.0),
        ..Scheduling::default()
    };
    let (tool, tools) = lookup(not_idempotent, false);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_declared(tools.specs()));
    let two = calls(&[("lookup", json!({"q": 1})), ("lookup", json!({"q": 1}))]);
    assert_eq!(cached(&run(&executor, &tools, &two).await), [false, false]);
    assert_eq!(cached(&run(&executor, &tools, &two).await), [false, false]);
    assert_eq!(runs(&tool), 4);
}

#[tokio::test(start_paused = true)]
async fn failures_are_not_shared_or_kept() {
    let (tool, tools) = lookup(Scheduling::default().with_cache_ttl(60.0), true);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_declared(tools.specs()));
    let two = calls(&[("lookup", json!({"q": 1})), ("lookup", json!({"q": 1}))]);
    let out = executor
        .execute(&tools, &two, &CancellationToken::new(), Arc::new(()))
        .await;
    // The first failed; the second, which waited for it, ran itself.
    assert!(!out[0].is_success());
    assert!(out[1].is_success() && !out[1].cached);
    assert_eq!(out[1].started, Duration::from_secs(1));
    assert_eq!(runs(&tool), 2);
    let out = run(&executor, &tools, &two[..1]).await;
    assert_eq!(cached(&out), [true], "the success is kept");
}

#[tokio::test(start_paused = true)]
async fn a_cached_call_is_reported_in_events_and_metrics() {
    use agent_core::{Agent, EventKind};
    use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};

    let (tool, tools) = lookup(Scheduling::default().with_cache_ttl(60.0), false);
    let backend = ScriptedBackend::new(vec![Scenario::new(
        "cache",
        None,
        vec![
            ScriptedTurn::tools([("lookup", json!({"q": 1}))]),
            ScriptedTurn::tools([("lookup", json!({"q": 1}))]),
            ScriptedTurn::text("done"),
        ],
    )]);
    let agent = Agent::builder()
        .backend(Arc::new(backend))
        .tools(tools)
        .build()
        .unwrap();
    let run = agent.run("look it up twice").await.unwrap();
    assert_eq!(runs(&tool), 1, "the second turn's call came from the cache");
    let flags: Vec<bool> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolCallFinished { cached, .. } => Some(*cached),
            _ => None,
        })
        .collect();
    assert_eq!(flags, [false, true]);
    let timing = |turn: usize| run.metrics.turns[turn].tools.as_ref().unwrap().calls[0].cached;
    assert_eq!((timing(0), timing(1)), (false, true));
    let json = serde_json::to_value(&run.events).unwrap();
    let cached_events = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cached"] == true)
        .count();
    assert_eq!(cached_events, 1, "`\"cached\": true` in the JSON events");
}

#[tokio::test(start_paused = true)]
async fn a_rate_is_a_token_bucket_per_tool() {
    let tools = registry(&["api", "other"]);
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_tool_scheduling("api", Scheduling::default().with_rate("2/s")),
    );
    let s = json!({"ms": 10});
    let batch = calls(&[
        ("api", s.clone()),
        ("api", s.clone()),
        ("api", s.clone()),
        ("other", s.clone()),
        ("api", s.clone()),
        ("api", s),
    ]);
    let out = run(&executor, &tools, &batch).await;
    // A full bucket of 2, then one token every 500 ms, in call order.
    assert_eq!(starts(&out), [0, 0, 500, 0, 1000, 1500]);
    // The bucket refilled while idle.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let out = run(&executor, &tools, &calls(&[("api", json!({"ms": 10}))])).await;
    assert_eq!(starts(&out), [0]);
}
