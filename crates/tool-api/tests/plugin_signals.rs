//! What a plugin tells the host about a call before it completes, through
//! the functions appended to the table within ABI version 1: progress
//! reports, the call's start, and which call holds the plugin's worker when
//! another cannot start. Real libraries, real clock (plugin calls refuse the
//! paused one): real delays only order the calls, nothing asserts on time.
//! Old plugins (the table version 1 first had) load and run without them;
//! a plugin sending garbage is ignored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tool_api::plugin::host::{self, LoadedPlugin};
use tool_api::plugin::testing::cargo_build_plugin_example;
use tool_api::{Progress, ProgressSink, Stall, ToolContext, ToolOutput};

use common::{raw_path, tool};

/// The effects fixture (`count_up`, `hog_worker`), loaded.
fn effects() -> LoadedPlugin {
    let path = cargo_build_plugin_example("fixture-effects", "fixture_effects", &[])
        .expect("build fixture-effects");
    host::load(&path).expect("load fixture-effects")
}

/// The effects plugin has one worker, shared by the tests of this binary,
/// which run at once: those that use it take turns, so one test's hog does
/// not stall another's calls.
static WORKER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A sink recording what a call reports.
#[derive(Default)]
struct Seen {
    progress: Mutex<Vec<Progress>>,
    stalls: Mutex<Vec<Stall>>,
}

impl ProgressSink for Seen {
    fn report(&self, progress: Progress) {
        self.progress.lock().unwrap().push(progress);
    }
    fn stalled(&self, stall: Stall) {
        self.stalls.lock().unwrap().push(stall);
    }
}

fn ctx(id: &str, seen: &Arc<Seen>) -> ToolContext {
    ToolContext::new(id).with_progress_sink(seen.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_tools_progress_reaches_the_hosts_sink_in_order() {
    let _turn = WORKER.lock().await;
    let plugin = effects();
    assert!(plugin.has_notifications());
    let seen = Arc::new(Seen::default());
    let out = tool(&plugin, "count_up")
        .call(json!({"steps": 3, "ms": 1}), ctx("c-progress", &seen))
        .await;
    assert_eq!(out, Ok(ToolOutput::Json(json!({"steps": 3}))));
    let progress = seen.progress.lock().unwrap().clone();
    let got: Vec<(f64, Option<f64>, Option<String>)> = progress
        .into_iter()
        .map(|p| (p.progress, p.total, p.message))
        .collect();
    assert_eq!(
        got,
        [
            (1.0, Some(3.0), Some("step 1".into())),
            (2.0, Some(3.0), Some("step 2".into())),
            (3.0, Some(3.0), Some("step 3".into())),
        ]
    );
}

/// `hog_worker` holds the plugin's one worker; `count_up`, sent after it,
/// cannot start: it is reported stalled once, naming the hog's tool and
/// call. The hog itself started at once and is not reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_behind_a_blocked_worker_is_reported_with_the_call_holding_it() {
    let _turn = WORKER.lock().await;
    let plugin = effects();
    let hog_seen = Arc::new(Seen::default());
    let hog = tokio::spawn({
        let hog = tool(&plugin, "hog_worker");
        let ctx = ctx("c-hog", &hog_seen);
        async move { hog.call(json!({"ms": 1500}), ctx).await }
    });
    // Only orders the calls: the hog is on the worker before the next is sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = Arc::new(Seen::default());
    let out = tool(&plugin, "count_up")
        .call(json!({"steps": 1, "ms": 1}), ctx("c-waits", &seen))
        .await;
    assert_eq!(out, Ok(ToolOutput::Json(json!({"steps": 1}))));
    assert_eq!(
        hog.await.unwrap(),
        Ok(ToolOutput::Json(json!({"held_ms": 1500})))
    );
    let stalls = seen.stalls.lock().unwrap().clone();
    assert_eq!(stalls.len(), 1, "{stalls:?}");
    assert_eq!(stalls[0].held_by_tool, "hog_worker");
    assert_eq!(stalls[0].held_by_call.as_deref(), Some("c-hog"));
    assert!(hog_seen.stalls.lock().unwrap().is_empty());
    // Reported once, and the call then ran: its progress came after.
    assert_eq!(seen.progress.lock().unwrap().len(), 1);
}

/// With the report turned off, the same wait is not reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stall_is_reported_when_the_host_turns_it_off() {
    let _turn = WORKER.lock().await;
    let plugin = effects().with_stall_report(None);
    let hog = tokio::spawn({
        let hog = tool(&plugin, "hog_worker");
        async move {
            hog.call(json!({"ms": 600}), ToolContext::new("c-hog2"))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen = Arc::new(Seen::default());
    let out = tool(&plugin, "count_up")
        .call(json!({"steps": 1, "ms": 1}), ctx("c-quiet", &seen))
        .await;
    assert!(out.is_ok());
    hog.await.unwrap().unwrap();
    assert!(seen.stalls.lock().unwrap().is_empty());
}

/// The raw fixture's table is the one version 1 first shipped, without the
/// appended functions: it loads and its calls run as before, with no
/// progress and no stall reports, however short the threshold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_with_the_old_shorter_table_loads_and_runs() {
    let plugin = host::load(&raw_path(None))
        .unwrap()
        .with_stall_report(Some(Duration::from_millis(1)));
    assert!(!plugin.has_notifications());
    let seen = Arc::new(Seen::default());
    for name in ["echo_raw", "later"] {
        let out = tool(&plugin, name).call(json!({}), ctx(name, &seen)).await;
        assert_eq!(out, Ok(ToolOutput::text("raw")), "{name}");
    }
    assert!(seen.progress.lock().unwrap().is_empty());
    assert!(seen.stalls.lock().unwrap().is_empty());
}

/// A plugin whose notifications are garbage (unknown kind, another call's
/// id, payloads that are not reports) and whose worker status is not JSON:
/// the host drops all of it, passes on the one valid report, and the calls
/// answer as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_notifications_and_worker_status_are_ignored() {
    let plugin = host::load(&raw_path(Some("notify-garbage")))
        .unwrap()
        .with_stall_report(Some(Duration::from_millis(1)));
    assert!(plugin.has_notifications());
    let seen = Arc::new(Seen::default());
    // `later` never says it started and answers 10 ms later: the host asks
    // for the worker status (garbage) at every millisecond meanwhile.
    for name in ["echo_raw", "later"] {
        let out = tool(&plugin, name).call(json!({}), ctx(name, &seen)).await;
        assert_eq!(out, Ok(ToolOutput::text("raw")), "{name}");
    }
    let progress = seen.progress.lock().unwrap().clone();
    assert_eq!(progress.len(), 2, "{progress:?}");
    assert!(
        progress
            .iter()
            .all(|p| p.progress == 1.0 && p.message.as_deref() == Some("the only good one"))
    );
    assert!(seen.stalls.lock().unwrap().is_empty());
}

/// A call that started (the plugin said so) and then waits on a timer while
/// another call hogs the worker is not reported: it is not waiting to
/// start, and the plugin's `STARTED` is what tells the two apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_call_is_not_reported_when_the_worker_is_held_later() {
    let _turn = WORKER.lock().await;
    let plugin = effects();
    let seen = Arc::new(Seen::default());
    let counting = tokio::spawn({
        let count = tool(&plugin, "count_up");
        let ctx = ctx("c-started", &seen);
        async move { count.call(json!({"steps": 1, "ms": 900}), ctx).await }
    });
    // Only orders the calls: the count is asleep on its timer first.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = tool(&plugin, "hog_worker")
        .call(json!({"ms": 700}), ToolContext::new("c-hog3"))
        .await;
    assert!(out.is_ok());
    assert_eq!(
        counting.await.unwrap(),
        Ok(ToolOutput::Json(json!({"steps": 1})))
    );
    assert!(seen.stalls.lock().unwrap().is_empty());
}
