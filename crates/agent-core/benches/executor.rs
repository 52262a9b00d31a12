//! Executor overhead per call: one batch of `n` no-op in-process tool calls
//! through [`ToolExecutor::execute`] (no concurrency limit, default timeout
//! and retry policy), at fan-out 1, 16, 256 and 1024, on the multi-threaded
//! runtime the agent uses. Beside it, the floor: the same calls as bare
//! `tokio::spawn`ed tasks, joined in order, with no policy, timing or
//! isolation. Throughput is per call, so criterion's `time / n` is the cost of
//! one call.
//!
//! Run: `cargo bench -p agent-core --bench executor`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use agent_core::{ExecutorConfig, ToolExecutor, ToolUse};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tool_api::{Tool, ToolContext, ToolOutput, ToolRegistry, tool_fn};

const FAN_OUTS: [usize; 4] = [1, 16, 256, 1024];

fn noop() -> Arc<dyn Tool> {
    Arc::new(
        tool_fn("noop", "Does nothing, at once.", |(): (), _ctx| async {
            Ok(ToolOutput::Json(json!({})))
        })
        .unwrap(),
    )
}

fn calls(n: usize) -> Vec<ToolUse> {
    (0..n)
        .map(|i| ToolUse {
            id: format!("tooluse_{i:04}"),
            name: "noop".into(),
            input: json!({}),
        })
        .collect()
}

fn executor_overhead(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut tools = ToolRegistry::new();
    tools.register(noop(), "built-in").unwrap();
    let executor = ToolExecutor::new(ExecutorConfig::default().with_max_concurrency(None));
    let cancel = CancellationToken::new();
    let observer: Arc<dyn agent_core::CallObserver> = Arc::new(());
    let tool = noop();

    let mut group = c.benchmark_group("executor_per_call");
    for n in FAN_OUTS {
        let batch = calls(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("execute", n), &batch, |b, batch| {
            b.iter(|| {
                runtime.block_on(async {
                    let outcomes = executor
                        .execute(&tools, batch, &cancel, observer.clone())
                        .await;
                    black_box(outcomes)
                })
            })
        });
        group.bench_with_input(BenchmarkId::new("bare_spawn", n), &batch, |b, batch| {
            b.iter(|| {
                runtime.block_on(async {
                    let handles: Vec<_> = batch
                        .iter()
                        .map(|call| {
                            let tool = tool.clone();
                            let input = call.input.clone();
                            let ctx = ToolContext::new(call.id.clone());
                            tokio::spawn(async move { tool.call(input, ctx).await })
                        })
                        .collect();
                    let mut out = Vec::with_capacity(handles.len());
                    for h in handles {
                        out.push(h.await.unwrap());
                    }
                    black_box(out)
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, executor_overhead);
criterion_main!(benches);
