//! Adaptive concurrency on tokio's paused clock: a tool's limit halves when
//! a call of it is throttled (once per burst) and grows back by one per
//! limit's worth of successes, visible in events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::{
    CallObserver, CallOutcome, ExecutorConfig, ExponentialBackoff, ToolExecutor, ToolUse,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tool_api::{ToolError, ToolOutput, ToolRegistry};

mod common;

/// `api`: sleeps its input's `ms`, or says "slow down" (retryable, retry
/// after 1 s) when its input asks it to.
fn tools() -> ToolRegistry {
    let api = common::tool("api", |input: Value, _| async move {
        if input["throttle"] == true {
            return Err(ToolError::retry_after(
                "rate exceeded",
                Duration::from_secs(1),
            ));
        }
        tokio::time::sleep(Duration::from_millis(input["ms"].as_u64().unwrap_or(0))).await;
        Ok(ToolOutput::text("ok"))
    });
    let mut r = ToolRegistry::new();
    r.register(api, "test").unwrap();
    r
}

/// Hears each move of a limit.
#[derive(Default)]
struct Limits(Mutex<Vec<(usize, usize)>>);

impl CallObserver for Limits {
    fn tool_limit_changed(&self, tool: &str, from: usize, to: usize) {
        assert_eq!(tool, "api");
        self.0.lock().unwrap().push((from, to));
    }
}

fn calls(inputs: &[Value]) -> Vec<ToolUse> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| ToolUse {
            id: format!("c{i}"),
            name: "api".into(),
            input: input.clone(),
        })
        .collect()
}

async fn run(executor: &ToolExecutor, inputs: &[Value], limits: &Arc<Limits>) -> Vec<CallOutcome> {
    executor
        .execute(
            &tools(),
            &calls(inputs),
            &CancellationToken::new(),
            limits.clone(),
        )
        .await
}

/// Each call's start, in ms from its batch's start.
fn starts(out: &[CallOutcome]) -> Vec<u128> {
    out.iter().map(|o| o.started.as_millis()).collect()
}

#[tokio::test(start_paused = true)]
async fn the_limit_halves_when_throttled_and_grows_back_as_calls_succeed() {
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_tool_adaptive("api", 1, 4)
            // The throttle fails the call at once: what moves is the limit.
            .with_tool_retry("api", ExponentialBackoff::default().with_max_attempts(1)),
    );
    let limits = Arc::new(Limits::default());
    let second = json!({"ms": 1000});
    let four = vec![second.clone(); 4];

    // At its maximum: four at once.
    assert_eq!(starts(&run(&executor, &four, &limits).await), [0, 0, 0, 0]);
    assert_eq!(*limits.0.lock().unwrap(), []);

    // A burst of two throttles: one decrease, 4 -> 2.
    let throttled = run(&executor, &vec![json!({"throttle": true}); 2], &limits).await;
    assert!(throttled.iter().all(|o| !o.is_success()));
    assert_eq!(*limits.0.lock().unwrap(), [(4, 2)]);

    // Two at once; after two successes (one window at 2) it is 3, so the
    // waiting two start together at 1 s.
    let out = run(&executor, &four, &limits).await;
    assert!(out.iter().all(CallOutcome::is_success));
    assert_eq!(starts(&out), [0, 0, 1000, 1000]);
    assert_eq!(*limits.0.lock().unwrap(), [(4, 2), (2, 3)]);

    // Three at once; three more successes make it 4 again.
    assert_eq!(
        starts(&run(&executor, &four, &limits).await),
        [0, 0, 0, 1000]
    );
    assert_eq!(*limits.0.lock().unwrap(), [(4, 2), (2, 3), (3, 4)]);

    // Recovered: four at once, and no move past its maximum.
    assert_eq!(starts(&run(&executor, &four, &limits).await), [0, 0, 0, 0]);
    assert_eq!(*limits.0.lock().unwrap(), [(4, 2), (2, 3), (3, 4)]);
}

#[tokio::test(start_paused = true)]
async fn calls_already_running_finish_and_the_smaller_limit_holds_from_the_next_start() {
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_tool_adaptive("api", 1, 4)
            .with_tool_retry("api", ExponentialBackoff::default().with_max_attempts(1)),
    );
    let limits = Arc::new(Limits::default());
    // Three long calls hold three slots when the fourth is throttled: the
    // limit drops to 2 with none free, so the next two calls wait for the
    // running ones (whose slots pay the debt first) to end.
    let batch = [
        json!({"ms": 1000}),
        json!({"ms": 2000}),
        json!({"ms": 3000}),
        json!({"throttle": true}),
        json!({"ms": 10}),
        json!({"ms": 10}),
    ];
    let out = run(&executor, &batch, &limits).await;
    // At 0 the limit drops to 2 with every slot held: the throttled call's
    // slot and, at 1 s, the 1 s call's are kept, not given back; two calls
    // still run, so the waiters wait. At 2 s the 2 s call is the second
    // success at limit 2: the limit grows to 3 and both waiters start.
    assert_eq!(starts(&out)[4..], [2000, 2000]);
    // The 3 s call's success is the third at limit 3.
    assert_eq!(*limits.0.lock().unwrap(), [(4, 2), (2, 3), (3, 4)]);
}

#[tokio::test(start_paused = true)]
async fn a_tool_without_the_rule_is_never_limited_by_throttles() {
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_tool_retry("api", ExponentialBackoff::default().with_max_attempts(1)),
    );
    let limits = Arc::new(Limits::default());
    run(&executor, &vec![json!({"throttle": true}); 2], &limits).await;
    let eight = vec![json!({"ms": 1000}); 8];
    assert_eq!(starts(&run(&executor, &eight, &limits).await), [0; 8]);
    assert_eq!(*limits.0.lock().unwrap(), []);
}

#[tokio::test(start_paused = true)]
async fn a_run_reports_each_move_of_the_limit_as_an_event() {
    use agent_core::{Agent, EventKind};
    use agent_testkit::{Scenario, ScriptedBackend, ScriptedTurn};

    let backend = ScriptedBackend::new(vec![Scenario::new(
        "throttled",
        None,
        vec![
            ScriptedTurn::tools([("api", json!({"throttle": true}))]),
            ScriptedTurn::tools([("api", json!({"ms": 10}))]),
            ScriptedTurn::text("done"),
        ],
    )]);
    let agent = Agent::builder()
        .backend(Arc::new(backend))
        .tools(tools())
        .executor(
            ExecutorConfig::default()
                .with_tool_adaptive("api", 1, 2)
                .with_tool_retry("api", ExponentialBackoff::default().with_max_attempts(1)),
        )
        .build()
        .unwrap();
    let run = agent.run("call the api").await.unwrap();
    let moves: Vec<(usize, usize)> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ToolLimitChanged { name, from, to, .. } if name == "api" => {
                Some((*from, *to))
            }
            _ => None,
        })
        .collect();
    // Halved by the throttle, back up after one success at limit 1.
    assert_eq!(moves, [(2, 1), (1, 2)]);
    let json = serde_json::to_value(&run.events).unwrap();
    let first = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "tool_limit_changed")
        .unwrap();
    assert_eq!(
        (&first["name"], &first["from"], &first["to"]),
        (&json!("api"), &json!(2), &json!(1))
    );
}
