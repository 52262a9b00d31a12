//! Why a call waited, on tokio's paused clock: each rule that held it back
//! (global limit, tool limit, adaptive limit, resource, rate) and for how
//! long, in its outcome, and a `call_queued` for each call that could not
//! start at once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::{
    CallObserver, CallOutcome, CallWait, ExecutorConfig, ToolExecutor, ToolUse, WaitReason,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tool_api::{Scheduling, ToolOutput, ToolRegistry};

mod common;

/// Tools that sleep their input's `ms`.
fn tools(names: &[&str]) -> ToolRegistry {
    let mut r = ToolRegistry::new();
    for name in names {
        let tool = common::tool(name, |input: Value, _| async move {
            tokio::time::sleep(Duration::from_millis(input["ms"].as_u64().unwrap_or(0))).await;
            Ok(ToolOutput::text("ok"))
        });
        r.register(tool, "test").unwrap();
    }
    r
}

/// Hears which calls were queued, and why.
#[derive(Default)]
struct Queued(Mutex<Vec<(usize, WaitReason)>>);

impl CallObserver for Queued {
    fn call_queued(&self, index: usize, _: &ToolUse, reason: WaitReason) {
        self.0.lock().unwrap().push((index, reason));
    }
}

async fn run(
    executor: &ToolExecutor,
    names: &[&str],
    batch: &[(&str, u64)],
) -> (Vec<CallOutcome>, Vec<(usize, WaitReason)>) {
    let calls: Vec<ToolUse> = batch
        .iter()
        .enumerate()
        .map(|(i, (name, ms))| ToolUse {
            id: format!("c{i}"),
            name: (*name).into(),
            input: json!({"ms": ms}),
        })
        .collect();
    let queued = Arc::new(Queued::default());
    let out = executor
        .execute(
            &tools(names),
            &calls,
            &CancellationToken::new(),
            queued.clone(),
        )
        .await;
    assert!(out.iter().all(CallOutcome::is_success), "{out:?}");
    let queued = queued.0.lock().unwrap().clone();
    (out, queued)
}

fn wait(reason: WaitReason, ms: u64) -> CallWait {
    CallWait {
        reason,
        elapsed: Duration::from_millis(ms),
    }
}

#[tokio::test(start_paused = true)]
async fn each_rule_that_held_a_call_back_is_named_with_its_wait() {
    let executor = ToolExecutor::new(
        ExecutorConfig::default()
            .with_max_concurrency(Some(2))
            .with_tool_concurrency("api", 1)
            .with_tool_exclusive("write", "repo")
            .with_tool_scheduling("limited", Scheduling::default().with_rate("1/s"))
            .with_tool_adaptive("adaptive", 1, 1),
    );
    let (out, queued) = run(
        &executor,
        &["api", "write", "limited", "adaptive", "free"],
        &[
            ("api", 500),   // 0: runs at once (global slot 1 of 2)
            ("api", 100),   // 1: its tool's limit until 500
            ("write", 300), // 2: runs at once (global slot 2 of 2)
            ("write", 100), // 3: the resource until 300, then a global slot
            ("free", 100),  // 4: the global limit until 300, first in line
        ],
    )
    .await;
    let waits: Vec<&[CallWait]> = out.iter().map(|o| o.waits.as_slice()).collect();
    assert_eq!(waits[0], []);
    assert_eq!(waits[1], [wait(WaitReason::ToolLimit, 500)]);
    assert_eq!(waits[2], []);
    assert_eq!(
        waits[3],
        [
            wait(WaitReason::Resource, 300),
            wait(WaitReason::GlobalLimit, 100)
        ]
    );
    assert_eq!(waits[4], [wait(WaitReason::GlobalLimit, 300)]);
    let starts: Vec<u128> = out.iter().map(|o| o.started.as_millis()).collect();
    assert_eq!(starts, [0, 500, 0, 400, 300]);
    assert!(out.iter().all(|o| o.queued.is_zero()));
    assert_eq!(
        queued,
        [
            (1, WaitReason::ToolLimit),
            (3, WaitReason::Resource),
            (4, WaitReason::GlobalLimit)
        ]
    );

    // A rate and an adaptive limit.
    let (out, queued) = run(
        &executor,
        &["limited", "adaptive"],
        &[
            ("limited", 0),
            ("limited", 0),
            ("adaptive", 200),
            ("adaptive", 0),
        ],
    )
    .await;
    assert_eq!(out[0].waits, []);
    assert_eq!(out[1].waits, [wait(WaitReason::Rate, 1000)]);
    assert_eq!(out[2].waits, []);
    assert_eq!(out[3].waits, [wait(WaitReason::Adaptive, 200)]);
    assert_eq!(queued, [(1, WaitReason::Rate), (3, WaitReason::Adaptive)]);
}

#[tokio::test(start_paused = true)]
async fn a_call_started_at_once_reports_no_wait_and_is_not_queued() {
    let executor = ToolExecutor::new(ExecutorConfig::default());
    let (out, queued) = run(&executor, &["free"], &[("free", 10), ("free", 10)]).await;
    assert!(out.iter().all(|o| o.waits.is_empty()));
    assert_eq!(queued, []);
}
