//! The plugin call round trip, measured: a no-op tool called in-process, in
//! process through the plugin's JSON payloads, and through the demo plugin's
//! dynamic library (C ABI, the plugin's runtime, the completion callback).
//!
//! Run: `cargo bench -p tool-api --bench plugin_call`. The bench builds the
//! demo plugin with cargo first (release profile).
//!
//! A call through the library is two hand-offs between threads (the host's
//! thread wakes the plugin's worker, the completion callback wakes the host),
//! so the figure depends on where the scheduler puts the two threads: on a
//! virtual machine, waking a thread on another, idle CPU costs several
//! microseconds more than on the same CPU. To see the software's own cost,
//! run the bench binary pinned to one CPU as well
//! (`taskset -c 0 target/release/deps/plugin_call-<hash> --bench dynamic_library`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use tool_api::plugin::{host, testing};
use tool_api::{Tool, ToolContext, ToolOutput, tool_fn};

fn noop_round_trip(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let path = testing::cargo_build_plugin("demo-tools").expect("build the demo plugin");
    let plugin = host::load(&path).expect("load the demo plugin");
    let via_plugin = plugin
        .tools
        .iter()
        .find(|t| t.spec().name == "noop")
        .expect("the demo plugin has noop")
        .clone();
    let in_process: Arc<dyn Tool> = Arc::new(
        tool_fn("noop", "Does nothing.", |(): (), _ctx| async {
            Ok(ToolOutput::Json(json!({})))
        })
        .unwrap(),
    );

    let mut group = c.benchmark_group("noop_round_trip");
    group.bench_function("in_process", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(in_process.call(json!({}), ToolContext::new("b")).await)
            })
        })
    });
    group.bench_function("in_process_json_payloads", |b| {
        b.iter(|| {
            runtime
                .block_on(async { black_box(testing::call(in_process.as_ref(), json!({})).await) })
        })
    });
    group.bench_function("dynamic_library", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(via_plugin.call(json!({}), ToolContext::new("b")).await)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, noop_round_trip);
criterion_main!(benches);
