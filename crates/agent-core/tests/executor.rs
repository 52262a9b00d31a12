//! The executor's contract, on tokio's paused clock: exact, instant timing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use agent_core::{CallFailure, ExecutorConfig, ExponentialBackoff, Jitter, ToolExecutor, ToolUse};
use common::tool;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolRegistry};

fn sleeper(name: &str) -> Arc<dyn Tool> {
    tool(name, |input: Value, _| async move {
        let secs = input["secs"].as_u64().unwrap_or(1);
        tokio::time::sleep(Duration::from_secs(secs)).await;
        Ok(ToolOutput::Json(json!({"slept": secs})))
    })
}

fn registry(tools: Vec<Arc<dyn Tool>>) -> ToolRegistry {
    let mut r = ToolRegistry::new();
    for t in tools {
        r.register(t, "test").unwrap();
    }
    r
}

fn call(id: &str, name: &str, input: Value) -> ToolUse {
    ToolUse {
        id: id.into(),
        name: name.into(),
        input,
    }
}

fn exact(attempts: u32) -> ExponentialBackoff {
    ExponentialBackoff::default()
        .with_max_attempts(attempts)
        .with_base(Duration::from_millis(100))
        .with_jitter(Jitter::None)
}

#[tokio::test(start_paused = true)]
async fn ten_one_second_calls_at_limit_three_take_four_seconds() {
    let tools = registry(vec![sleeper("sleep")]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_max_concurrency(Some(3)));
    let calls: Vec<_> = (0..10)
        .map(|i| call(&format!("c{i}"), "sleep", json!({"secs": 1})))
        .collect();
    let start = Instant::now();
    let out = executor
        .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
        .await;
    assert_eq!(start.elapsed(), Duration::from_secs(4));
    assert!(out.iter().all(|o| o.is_success()));
    // Waves of three, started in call order.
    let starts: Vec<u64> = out.iter().map(|o| o.started.as_secs()).collect();
    assert_eq!(starts, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
}

// On worker threads, spawned tasks are first polled in no set order; the
// limit's line must still be the call order (what `--sequential` shows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_limit_one_calls_run_in_call_order_on_worker_threads() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let tools = registry(vec![tool("record", move |input: Value, _| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(input["i"].as_u64().unwrap());
            tokio::task::yield_now().await;
            Ok(ToolOutput::text("ok"))
        }
    })]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_max_concurrency(Some(1)));
    for _ in 0..20 {
        seen.lock().unwrap().clear();
        let calls: Vec<_> = (0..16)
            .map(|i| call(&format!("c{i}"), "record", json!({ "i": i })))
            .collect();
        let out = executor
            .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
            .await;
        assert!(out.iter().all(|o| o.is_success()));
        assert_eq!(*seen.lock().unwrap(), (0..16).collect::<Vec<u64>>());
    }
}

/// Records the order in which calls are reported started.
#[derive(Default)]
struct Starts(std::sync::Mutex<Vec<usize>>);

impl agent_core::CallObserver for Starts {
    fn call_started(&self, index: usize, _call: &ToolUse) {
        self.0.lock().unwrap().push(index);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_are_reported_in_call_order_on_worker_threads() {
    let tools = registry(vec![tool("quick", |_: Value, _| async {
        Ok(ToolOutput::text("ok"))
    })]);
    // Calls whose slots are free are announced by the executor, in order;
    // at limit 1 the line itself is the order. (Between, calls granted
    // slots at the same moment report from their own tasks, in any order.)
    for limit in [None, Some(64), Some(1)] {
        let executor = ToolExecutor::new(ExecutorConfig::default().with_max_concurrency(limit));
        for _ in 0..10 {
            let starts = Arc::new(Starts::default());
            let calls: Vec<_> = (0..32)
                .map(|i| call(&format!("c{i}"), "quick", json!({})))
                .collect();
            executor
                .execute(&tools, &calls, &CancellationToken::new(), starts.clone())
                .await;
            assert_eq!(
                *starts.0.lock().unwrap(),
                (0..32).collect::<Vec<_>>(),
                "limit {limit:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn unbounded_runs_everything_at_once() {
    let tools = registry(vec![sleeper("sleep")]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_max_concurrency(None));
    let calls: Vec<_> = (0..1000)
        .map(|i| call(&format!("c{i}"), "sleep", json!({"secs": 1})))
        .collect();
    let start = Instant::now();
    let out = executor
        .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
        .await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(out.len(), 1000);
}

#[tokio::test(start_paused = true)]
async fn a_timeout_fails_only_its_own_call() {
    let tools = registry(vec![sleeper("sleep")]);
    let executor =
        ToolExecutor::new(ExecutorConfig::default().with_timeout(Some(Duration::from_secs(1))));
    let calls = vec![
        call("fast", "sleep", json!({"secs": 0})),
        call("slow", "sleep", json!({"secs": 10})),
        call("fast2", "sleep", json!({"secs": 0})),
    ];
    let start = Instant::now();
    let out = executor
        .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
        .await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert!(out[0].is_success() && out[2].is_success());
    assert_eq!(out[1].failure, Some(CallFailure::TimedOut));
    assert_eq!(out[1].elapsed, Duration::from_secs(1));
    let text = format!("{:?}", out[1].result.content);
    assert!(text.contains("did not finish within 1.0 s"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn the_timeout_cancels_the_tools_token() {
    let seen = Arc::new(AtomicU32::new(0));
    let s = seen.clone();
    let tools = registry(vec![tool("watch", move |_, ctx: ToolContext| {
        let s = s.clone();
        async move {
            let token = ctx.cancellation().clone();
            tokio::spawn(async move {
                token.cancelled().await;
                s.fetch_add(1, Ordering::SeqCst);
            });
            tokio::time::sleep(Duration::from_secs(100)).await;
            Ok(ToolOutput::text("late"))
        }
    })]);
    let executor =
        ToolExecutor::new(ExecutorConfig::default().with_timeout(Some(Duration::from_secs(1))));
    let out = executor
        .execute(
            &tools,
            &[call("w", "watch", json!({}))],
            &CancellationToken::new(),
            Arc::new(()),
        )
        .await;
    assert_eq!(out[0].failure, Some(CallFailure::TimedOut));
    tokio::task::yield_now().await;
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn retryable_failures_are_retried_with_the_configured_backoff() {
    let tries = Arc::new(AtomicU32::new(0));
    let t = tries.clone();
    let tools = registry(vec![tool("flaky", move |_, ctx: ToolContext| {
        let t = t.clone();
        async move {
            t.fetch_add(1, Ordering::SeqCst);
            assert_eq!(ctx.attempt(), t.load(Ordering::SeqCst));
            if ctx.attempt() < 3 {
                Err(ToolError::retryable("service busy"))
            } else {
                Ok(ToolOutput::text("ok"))
            }
        }
    })]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_retry(exact(3)));
    let start = Instant::now();
    let out = executor
        .execute(
            &tools,
            &[call("f", "flaky", json!({}))],
            &CancellationToken::new(),
            Arc::new(()),
        )
        .await;
    assert!(out[0].is_success(), "{:?}", out[0]);
    assert_eq!(out[0].attempts, 3);
    assert_eq!(tries.load(Ordering::SeqCst), 3);
    // Backoff 100 ms then 200 ms.
    assert_eq!(start.elapsed(), Duration::from_millis(300));
}

#[tokio::test(start_paused = true)]
async fn retries_run_out_and_say_so() {
    let tools = registry(vec![tool("down", |_, _| async {
        Err(ToolError::retryable("still down"))
    })]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_retry(exact(2)));
    let out = executor
        .execute(
            &tools,
            &[call("d", "down", json!({}))],
            &CancellationToken::new(),
            Arc::new(()),
        )
        .await;
    assert_eq!(out[0].failure, Some(CallFailure::RetriesExhausted));
    assert_eq!(out[0].attempts, 2);
    assert!(format!("{:?}", out[0].result.content).contains("failed after 2 attempts"));
}

#[tokio::test(start_paused = true)]
async fn retry_hints_are_honoured() {
    let tools = registry(vec![tool("hinted", |_, ctx: ToolContext| async move {
        if ctx.attempt() == 1 {
            Err(ToolError::retry_after(
                "rate limited",
                Duration::from_secs(5),
            ))
        } else {
            Ok(ToolOutput::text("ok"))
        }
    })]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_retry(exact(3)));
    let start = Instant::now();
    let out = executor
        .execute(
            &tools,
            &[call("h", "hinted", json!({}))],
            &CancellationToken::new(),
            Arc::new(()),
        )
        .await;
    assert!(out[0].is_success());
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn invalid_input_and_fatal_errors_are_never_retried() {
    let tries = Arc::new(AtomicU32::new(0));
    let t = tries.clone();
    let tools = registry(vec![
        tool("picky", move |_, _| {
            t.fetch_add(1, Ordering::SeqCst);
            async { Err(ToolError::invalid_input("`location` must not be empty")) }
        }),
        tool("broken", |_, _| async {
            Err(ToolError::fatal("disk full"))
        }),
    ]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_retry(exact(5)));
    let out = executor
        .execute(
            &tools,
            &[
                call("p", "picky", json!({})),
                call("b", "broken", json!({})),
            ],
            &CancellationToken::new(),
            Arc::new(()),
        )
        .await;
    assert_eq!(tries.load(Ordering::SeqCst), 1);
    assert_eq!(out[0].failure, Some(CallFailure::InvalidInput));
    assert_eq!(out[0].attempts, 1);
    assert!(format!("{:?}", out[0].result.content).contains("Fix the input"));
    assert_eq!(out[1].failure, Some(CallFailure::Failed));
    assert_eq!(out[1].attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn per_tool_overrides_beat_the_defaults() {
    let tools = registry(vec![sleeper("slow"), sleeper("fast")]);
    let config = ExecutorConfig::default()
        .with_timeout(Some(Duration::from_secs(1)))
        .with_tool_timeout("slow", Some(Duration::from_secs(5)));
    let executor = ToolExecutor::new(config);
    let calls = [
        call("s", "slow", json!({"secs": 3})),
        call("f", "fast", json!({"secs": 3})),
    ];
    let out = executor
        .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
        .await;
    assert!(out[0].is_success());
    assert_eq!(out[1].failure, Some(CallFailure::TimedOut));
}

#[tokio::test(start_paused = true)]
async fn a_panic_is_isolated_to_its_call() {
    let tools = registry(vec![
        sleeper("sleep"),
        tool("boom", |_, _| async {
            panic!("index out of bounds: the len is 0")
        }),
    ]);
    let executor = ToolExecutor::new(ExecutorConfig::default());
    let calls = [
        call("a", "sleep", json!({"secs": 1})),
        call("b", "boom", json!({})),
        call("c", "sleep", json!({"secs": 1})),
    ];
    let out = executor
        .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
        .await;
    assert!(out[0].is_success() && out[2].is_success());
    assert_eq!(out[1].failure, Some(CallFailure::Panicked));
    let text = format!("{:?}", out[1].result.content);
    assert!(text.contains("index out of bounds"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn unknown_tools_and_non_object_input_are_answered_without_running() {
    let tools = registry(vec![sleeper("sleep"), sleeper("nap")]);
    let executor = ToolExecutor::new(ExecutorConfig::default());
    let calls = [
        call("u", "teleport", json!({})),
        call("n", "sleep", json!("1 second")),
    ];
    let out = executor
        .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
        .await;
    assert_eq!(out[0].failure, Some(CallFailure::UnknownTool));
    assert_eq!(
        out[0].result.content,
        vec![agent_core::ToolResultContent::Text(
            "unknown tool 'teleport'; available: sleep, nap".into()
        )]
    );
    assert_eq!(out[1].failure, Some(CallFailure::InvalidInput));
    assert_eq!(out[1].attempts, 0);
}

#[tokio::test(start_paused = true)]
async fn results_come_back_in_call_order_not_completion_order() {
    let tools = registry(vec![sleeper("sleep")]);
    let executor = ToolExecutor::new(ExecutorConfig::default());
    let calls: Vec<_> = [3, 1, 2, 0]
        .iter()
        .map(|s| call(&format!("s{s}"), "sleep", json!({"secs": s})))
        .collect();
    let out = executor
        .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
        .await;
    let ids: Vec<_> = out.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["s3", "s1", "s2", "s0"]);
    let order: Vec<_> = out.iter().map(|o| o.result.tool_use_id.as_str()).collect();
    assert_eq!(order, ids);
}

#[tokio::test(start_paused = true)]
async fn cancellation_reaches_every_call_and_still_answers_each() {
    let tools = registry(vec![sleeper("sleep")]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_max_concurrency(Some(2)));
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        c.cancel();
    });
    let calls = [
        call("done", "sleep", json!({"secs": 1})),
        call("running", "sleep", json!({"secs": 10})),
        call("running2", "sleep", json!({"secs": 10})),
        call("queued", "sleep", json!({"secs": 10})),
    ];
    let start = Instant::now();
    let out = executor
        .execute(&tools, &calls, &cancel, Arc::new(()))
        .await;
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    assert_eq!(out.len(), 4);
    assert!(out[0].is_success());
    for o in &out[1..] {
        assert_eq!(o.failure, Some(CallFailure::Cancelled), "{o:?}");
    }
    assert_eq!(out[3].attempts, 0, "the queued call never started");
}

#[tokio::test(start_paused = true)]
async fn the_limit_is_shared_across_concurrent_batches() {
    let tools = registry(vec![sleeper("sleep")]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_max_concurrency(Some(2)));
    let calls: Vec<_> = (0..2)
        .map(|i| call(&format!("c{i}"), "sleep", json!({"secs": 1})))
        .collect();
    let start = Instant::now();
    let cancel = CancellationToken::new();
    let (a, b) = tokio::join!(
        executor.execute(&tools, &calls, &cancel, Arc::new(())),
        executor.execute(&tools, &calls, &cancel, Arc::new(()))
    );
    assert_eq!(a.len() + b.len(), 4);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn dropping_a_batch_stops_its_calls_and_frees_their_slots() {
    let fired = Arc::new(AtomicU32::new(0));
    let f = fired.clone();
    let tools = registry(vec![
        sleeper("sleep"),
        tool("watch", move |_, ctx: ToolContext| {
            let f = f.clone();
            async move {
                let token = ctx.cancellation().clone();
                tokio::spawn(async move {
                    token.cancelled().await;
                    f.fetch_add(1, Ordering::SeqCst);
                });
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok(ToolOutput::text("late"))
            }
        }),
    ]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_max_concurrency(Some(1)));
    let cancel = CancellationToken::new();
    let dropped = tokio::time::timeout(
        Duration::from_secs(1),
        executor.execute(
            &tools,
            &[call("w", "watch", json!({}))],
            &cancel,
            Arc::new(()),
        ),
    )
    .await;
    assert!(dropped.is_err(), "the batch was dropped mid-call");
    let start = Instant::now();
    let out = executor
        .execute(
            &tools,
            &[call("n", "sleep", json!({"secs": 1}))],
            &cancel,
            Arc::new(()),
        )
        .await;
    assert!(out[0].is_success());
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(1),
        "the dropped call's slot was freed at once"
    );
    assert_eq!(
        fired.load(Ordering::SeqCst),
        1,
        "the dropped call's token fired"
    );
    assert!(!cancel.is_cancelled(), "the caller's token is left alone");
}

#[tokio::test(start_paused = true)]
async fn cancellation_during_a_backoff_answers_at_once_without_another_attempt() {
    let tries = Arc::new(AtomicU32::new(0));
    let t = tries.clone();
    let tools = registry(vec![tool("busy", move |_, _| {
        t.fetch_add(1, Ordering::SeqCst);
        async {
            Err(ToolError::retry_after(
                "rate limited",
                Duration::from_secs(30),
            ))
        }
    })]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_retry(exact(3)));
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        c.cancel();
    });
    let start = Instant::now();
    let out = executor
        .execute(
            &tools,
            &[call("b", "busy", json!({}))],
            &cancel,
            Arc::new(()),
        )
        .await;
    assert_eq!(start.elapsed(), Duration::from_secs(2), "not the 30 s hint");
    assert_eq!(out[0].failure, Some(CallFailure::Cancelled));
    assert_eq!(out[0].attempts, 1);
    assert_eq!(
        tries.load(Ordering::SeqCst),
        1,
        "no attempt after the cancellation"
    );
}

// Random delays on worker threads: the limit holds at every moment, slots
// go in call order (call k starts only once k - limit + 1 calls ended), and
// results come back in call order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_holds_in_call_order_with_random_delays_on_worker_threads() {
    const LIMIT: usize = 3;
    #[derive(Default)]
    struct Counts {
        running: usize,
        peak: usize,
        ended: usize,
        /// Per call: how many calls had ended when it started.
        ended_at_start: Vec<(usize, usize)>,
    }
    let counts = Arc::new(std::sync::Mutex::new(Counts::default()));
    let c = counts.clone();
    let tools = registry(vec![tool("jitter", move |input: Value, _| {
        let c = c.clone();
        async move {
            let i = input["i"].as_u64().unwrap() as usize;
            {
                let mut c = c.lock().unwrap();
                c.running += 1;
                c.peak = c.peak.max(c.running);
                let ended = c.ended;
                c.ended_at_start.push((i, ended));
            }
            tokio::time::sleep(Duration::from_micros(input["us"].as_u64().unwrap())).await;
            {
                let mut c = c.lock().unwrap();
                c.running -= 1;
                c.ended += 1;
            }
            Ok(ToolOutput::Json(json!({ "i": i })))
        }
    })]);
    let executor = ToolExecutor::new(ExecutorConfig::default().with_max_concurrency(Some(LIMIT)));
    for _ in 0..5 {
        *counts.lock().unwrap() = Counts::default();
        let calls: Vec<_> = (0..24)
            .map(|i| {
                let us = fastrand::u64(200..3000);
                call(&format!("c{i}"), "jitter", json!({ "i": i, "us": us }))
            })
            .collect();
        let out = executor
            .execute(&tools, &calls, &CancellationToken::new(), Arc::new(()))
            .await;
        let ids: Vec<_> = out.iter().map(|o| o.id.clone()).collect();
        assert_eq!(ids, (0..24).map(|i| format!("c{i}")).collect::<Vec<_>>());
        assert!(out.iter().all(|o| o.is_success()));
        let counts = counts.lock().unwrap();
        assert_eq!(counts.peak, LIMIT, "the limit is reached and never passed");
        assert_eq!(counts.ended_at_start.len(), 24);
        for &(i, ended) in &counts.ended_at_start {
            assert!(
                ended + LIMIT > i,
                "call {i} started when only {ended} calls had ended"
            );
        }
    }
}

/// Records each call's progress reports.
#[derive(Default)]
struct Reports(std::sync::Mutex<Vec<(usize, String, tool_api::Progress)>>);

impl agent_core::CallObserver for Reports {
    fn call_progress(&self, index: usize, call: &ToolUse, progress: &tool_api::Progress) {
        self.0
            .lock()
            .unwrap()
            .push((index, call.id.clone(), progress.clone()));
    }
}

#[tokio::test(start_paused = true)]
async fn a_tools_progress_reports_reach_the_observer_tagged_with_its_call() {
    let tools = registry(vec![tool(
        "steps",
        |input: Value, ctx: ToolContext| async move {
            let n = input["n"].as_u64().unwrap_or(0);
            for i in 1..=n {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ctx.progress(i as f64, Some(n as f64), Some(format!("step {i}")));
            }
            Ok(ToolOutput::text("ok"))
        },
    )]);
    let executor = ToolExecutor::new(ExecutorConfig::default());
    let reports = Arc::new(Reports::default());
    let calls = [
        call("a", "steps", json!({"n": 2})),
        call("b", "steps", json!({"n": 0})),
    ];
    let out = executor
        .execute(&tools, &calls, &CancellationToken::new(), reports.clone())
        .await;
    assert!(out.iter().all(|o| o.is_success()));
    let step = |i: u32| tool_api::Progress {
        progress: f64::from(i),
        total: Some(2.0),
        message: Some(format!("step {i}")),
    };
    assert_eq!(
        *reports.0.lock().unwrap(),
        vec![(0, "a".to_owned(), step(1)), (0, "a".to_owned(), step(2))]
    );
}
