//! `agent-bench --restate`: durable runs on Restate measured end to end
//! (docs/SCALING.md): a live `restate-server`, the real `agent serve
//! --restate` binary registered with it, turns sent through its ingress.
//!
//! - Overhead per journaled entry: CHAIN-20 and FANOUT-256 (no model
//!   latency), each turn through Restate against the same work run in
//!   process without it; the difference of the medians, per run and per
//!   journal entry the run writes (prompt, responses, each tool result,
//!   each batch's message).
//! - Load: N sessions at once (`--restate-sessions`, 200) through one
//!   endpoint, Q1 at `--restate-latency-ms` (500) per model call: runs per
//!   second, p50/p99 of each turn's time over Q1's floor (two model calls
//!   and its slowest tool), and the endpoint's resident memory per session
//!   in flight (its peak during the load less its idle figure, over N).
//!   With `--restate-endpoints N` above 1, the same load again through
//!   `restate-lb`'s proxy in front of one endpoint (the hop's cost) and of
//!   N endpoints (one deployment address), side by side ([`load`]).

mod endpoint;
mod load;
mod server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_cli::exit::Failure;
use serde::Serialize;

use crate::args::BenchArgs;
use crate::cases::{self, Case};
use crate::demo_plugin::DemoPlugin;
use crate::measure::{self, Stats};
use crate::servers::ServerRuntime;
use endpoint::Endpoint;
use load::Load;
use server::{RestateServer, free_port};

/// The figures of one overhead case.
#[derive(Debug, Serialize)]
struct Overhead {
    case: String,
    /// Journal entries one run writes.
    entries: usize,
    /// In process, no Restate.
    direct_ms: Stats,
    /// Through Restate's ingress and `agent serve --restate`.
    restate_ms: Stats,
    /// The run itself inside the endpoint (its document's `wall_ms`): the
    /// rest of `restate_ms` is Restate's (ingress, invocation, the journal
    /// steps after the run's last entry).
    endpoint_run_ms: Stats,
    /// The difference of the medians.
    overhead_per_run_ms: f64,
    /// That difference over the entries.
    overhead_per_entry_ms: f64,
}

/// The whole report.
#[derive(Debug, Serialize)]
struct Report {
    overhead: Vec<Overhead>,
    /// One endpoint, registered directly.
    load: Load,
    /// With `--restate-endpoints N` above 1: one endpoint, then N, behind
    /// `restate-lb`'s proxy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    load_behind_proxy: Vec<Load>,
}

/// Runs the Restate bench and prints the figures.
pub async fn bench(args: &BenchArgs) -> Result<(), Failure> {
    let binary = args.restate_server.clone().ok_or_else(|| {
        Failure::Usage(
            "--restate needs the restate-server binary: --restate-server PATH or AGENT_RESTATE_SERVER (.ci/install-restate installs it)".into(),
        )
    })?;
    let agent = crate::harness::agent_binary(args.agent.clone())?;
    let overhead_cases = cases::select("CHAIN-20@0:stream,FANOUT-256@0:stream")?;
    let load_case = cases::select(&format!("Q1@{}:stream", args.restate_latency_ms))?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::Other("no Q1 case".into()))?;
    let scenarios = overhead_cases
        .iter()
        .chain(std::iter::once(&load_case))
        .map(|c| c.scenario.clone())
        .collect();
    let scratch = std::env::temp_dir().join(format!("agent-bench-restate-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| Failure::Other(format!("cannot create {}: {e}", scratch.display())))?;
    let report = measure_all(
        args,
        &binary,
        &agent,
        &scratch,
        overhead_cases,
        load_case,
        scenarios,
    )
    .await;
    let _ = std::fs::remove_dir_all(&scratch);
    let report = report?;
    print(&report, args)
}

#[allow(clippy::too_many_arguments)]
async fn measure_all(
    args: &BenchArgs,
    binary: &std::path::Path,
    agent: &std::path::Path,
    scratch: &std::path::Path,
    overhead_cases: Vec<Case>,
    load_case: Case,
    scenarios: Vec<agent_testkit::Scenario>,
) -> Result<Report, Failure> {
    // Declared in drop order: endpoints and servers before their runtime,
    // every agent before the plugin library.
    let plugin = DemoPlugin::load(args.plugin.as_deref())?;
    let server_runtime = ServerRuntime::new(scenarios)?;
    let restate = RestateServer::start(binary, scratch).await?;
    let runs = args.runs as usize;
    let warmup = args.warmup as usize;

    let fast = server_runtime.start(Duration::ZERO, false).await?;
    let mut overhead = Vec::new();
    {
        let endpoint = Endpoint::start(
            agent,
            &plugin.path,
            &fast.server.endpoint_url(),
            free_port()?,
            scratch,
        )
        .await?;
        restate.register(&endpoint.uri).await?;
        for case in &overhead_cases {
            eprintln!("restate: {}", case.id());
            let direct_agent = crate::agents::agent(
                Arc::clone(&fast.backend),
                plugin.tools.clone(),
                case.streaming,
                None,
                10_000,
            )?;
            let mut direct = Vec::new();
            let mut through = Vec::new();
            let mut inside = Vec::new();
            for i in 0..warmup + runs {
                let sample = measure::run_once(&direct_agent, case).await?;
                let started = Instant::now();
                let doc = restate
                    .send(&format!("{}-{i}", case.scenario.name), case.prompt())
                    .await?;
                let took = started.elapsed();
                if i >= warmup {
                    direct.push(sample.wall);
                    through.push(took);
                    let wall_ms = doc["metrics"]["wall_ms"].as_f64().unwrap_or(f64::NAN);
                    inside.push(Duration::from_secs_f64(wall_ms.max(0.0) / 1e3));
                }
            }
            let direct = Stats::of(&direct).ok_or_else(|| Failure::Usage("no runs".into()))?;
            let through = Stats::of(&through).ok_or_else(|| Failure::Usage("no runs".into()))?;
            let inside = Stats::of(&inside).ok_or_else(|| Failure::Usage("no runs".into()))?;
            let entries = entries(case);
            let per_run = through.median_ms - direct.median_ms;
            overhead.push(Overhead {
                case: case.id(),
                entries,
                direct_ms: direct,
                restate_ms: through,
                endpoint_run_ms: inside,
                overhead_per_run_ms: per_run,
                overhead_per_entry_ms: per_run / entries as f64,
            });
        }
    }

    eprintln!(
        "restate: {} sessions at once, {}",
        args.restate_sessions,
        load_case.id()
    );
    let slow = server_runtime.start(load_case.latency, false).await?;
    let model = slow.server.endpoint_url();
    let setup = load::Setup {
        restate: &restate,
        agent,
        plugin: &plugin.path,
        model: &model,
        scratch,
        case: &load_case,
        sessions: usize::try_from(args.restate_sessions).unwrap_or(usize::MAX),
    };
    let load = load::measure(&setup, 1, false).await?;
    let mut load_behind_proxy = Vec::new();
    let endpoints = usize::try_from(args.restate_endpoints).unwrap_or(usize::MAX);
    if endpoints > 1 {
        for n in [1, endpoints] {
            eprintln!("restate: the same load through restate-lb, {n} endpoint(s)");
            load_behind_proxy.push(load::measure(&setup, n, true).await?);
        }
    }
    drop(slow);
    drop(fast);
    Ok(Report {
        overhead,
        load,
        load_behind_proxy,
    })
}

/// The journal entries one run of `case` writes: the prompt, each model
/// response, each tool result, each batch's message.
fn entries(case: &Case) -> usize {
    let turns = case.model_calls();
    let batches = case
        .scenario
        .turns
        .iter()
        .filter(|t| !t.tool_calls.is_empty())
        .count();
    1 + turns + case.tool_calls() + batches
}

fn print(report: &Report, args: &BenchArgs) -> Result<(), Failure> {
    let json = serde_json::to_string_pretty(report).map_err(|e| Failure::Other(e.to_string()))?;
    if let Some(path) = &args.out {
        std::fs::write(path, &json)
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))?;
    }
    if args.json && args.out.is_none() {
        return agent_cli::stdout::line(json);
    }
    let mut table = String::from(
        "case                  entries  direct ms  restate ms  (run inside ms)  overhead/run ms  overhead/entry ms\n",
    );
    for o in &report.overhead {
        table.push_str(&format!(
            "{:<20} {:>8} {:>10.1} {:>11.1} {:>16.1} {:>16.1} {:>18.3}\n",
            o.case,
            o.entries,
            o.direct_ms.median_ms,
            o.restate_ms.median_ms,
            o.endpoint_run_ms.median_ms,
            o.overhead_per_run_ms,
            o.overhead_per_entry_ms
        ));
    }
    let loads: Vec<&Load> = std::iter::once(&report.load)
        .chain(&report.load_behind_proxy)
        .collect();
    table.push_str(&load::table(&loads));
    agent_cli::stdout::line(table.trim_end().to_owned())
}
