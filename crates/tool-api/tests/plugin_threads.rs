//! A call in flight holds no thread, on either side. Alone in its test
//! binary: cargo runs test binaries one after another, so the threads
//! counted are this test's own (the host's runtime, the plugin's), not those
//! of tests running beside it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use serde_json::json;
use tool_api::{ToolContext, ToolOutput};

use common::{demo, tool};

/// Threads of this process, from /proc (Linux).
#[cfg(target_os = "linux")]
fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// 1,024 calls of a tool sleeping 100 ms, all in flight at once on a
/// single-threaded host runtime: no thread per call on either side.
#[tokio::test(flavor = "current_thread")]
async fn a_thousand_calls_in_flight_hold_no_thread_each() {
    let sleep = tool(&demo(), "sleep_tool");
    let calls = (0..1024).map(|i| {
        let sleep = sleep.clone();
        async move {
            sleep
                .call(json!({"ms": 100}), ToolContext::new(format!("c{i}")))
                .await
        }
    });
    let all = futures::future::join_all(calls);
    let mut all = std::pin::pin!(all);
    // Let every call start, then count threads while they are in flight.
    let early = tokio::time::timeout(Duration::from_millis(30), &mut all).await;
    assert!(
        early.is_err(),
        "the calls finished before they were counted"
    );
    #[cfg(target_os = "linux")]
    {
        // The main thread, this test's, and the plugin runtime's workers
        // (one, unless the environment asks for more), with room for a
        // helper thread or two of the standard library or tokio.
        let workers = std::env::var(tool_api::plugin::export::WORKERS_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1);
        let n = threads();
        assert!(n <= 2 + workers + 4, "{n} threads for 1024 calls in flight");
    }
    let results = all.await;
    assert_eq!(results.len(), 1024);
    for r in results {
        assert_eq!(r, Ok(ToolOutput::Json(json!({"slept_ms": 100}))));
    }
}
