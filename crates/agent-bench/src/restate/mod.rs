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

mod endpoint;
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

/// The figures of the load case.
#[derive(Debug, Serialize)]
struct Load {
    case: String,
    sessions: usize,
    runs_per_second: f64,
    /// Q1's floor at this latency.
    limit_ms: f64,
    overhead_p50_ms: f64,
    overhead_p99_ms: f64,
    /// The endpoint's RSS before the load, and at its peak during it.
    idle_rss_kib: Option<u64>,
    peak_rss_kib: Option<u64>,
    rss_per_session_kib: Option<f64>,
}

/// The whole report.
#[derive(Debug, Serialize)]
struct Report {
    overhead: Vec<Overhead>,
    load: Load,
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
    let endpoint = Endpoint::start(
        agent,
        &plugin.path,
        &slow.server.endpoint_url(),
        free_port()?,
        scratch,
    )
    .await?;
    restate.register(&endpoint.uri).await?;
    // One turn first, so the idle figure is a warm endpoint's.
    restate.send("load-warmup", load_case.prompt()).await?;
    let idle = endpoint.rss_kib();
    let load = load(
        &restate,
        &endpoint,
        &load_case,
        usize::try_from(args.restate_sessions).unwrap_or(usize::MAX),
        idle,
    )
    .await?;
    drop(endpoint);
    drop(slow);
    drop(fast);
    Ok(Report { overhead, load })
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

async fn load(
    restate: &RestateServer,
    endpoint: &Endpoint,
    case: &Case,
    sessions: usize,
    idle: Option<u64>,
) -> Result<Load, Failure> {
    let started = Instant::now();
    let mut turns = tokio::task::JoinSet::new();
    for i in 0..sessions {
        let http = restate.http.clone();
        let url = format!("{}/Agent/load-{i}/send", restate.ingress);
        let prompt = case.prompt().to_owned();
        turns.spawn(async move {
            let t = Instant::now();
            let response = http.post(url).json(&prompt).send().await;
            match response {
                Ok(r) if r.status().is_success() => Ok(t.elapsed()),
                Ok(r) => Err(format!("{}", r.status())),
                Err(e) => Err(e.to_string()),
            }
        });
    }
    let mut peak = idle;
    let mut took = Vec::with_capacity(sessions);
    loop {
        tokio::select! {
            next = turns.join_next() => match next {
                None => break,
                Some(Ok(Ok(d))) => took.push(d),
                Some(Ok(Err(e))) => return Err(Failure::Model(format!("a load turn failed: {e}"))),
                Some(Err(e)) => return Err(Failure::Other(format!("a load task failed: {e}"))),
            },
            () = tokio::time::sleep(Duration::from_millis(20)) => {
                peak = peak.max(endpoint.rss_kib());
            }
        }
    }
    let wall = started.elapsed();
    let limit = case.limit();
    let mut over: Vec<f64> = took
        .iter()
        .map(|d| (d.as_secs_f64() - limit.as_secs_f64()) * 1e3)
        .collect();
    over.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let i = ((over.len() as f64 - 1.0) * p).round() as usize;
        over.get(i).copied().unwrap_or(f64::NAN)
    };
    let per_session = match (idle, peak) {
        (Some(i), Some(p)) => Some(p.saturating_sub(i) as f64 / sessions.max(1) as f64),
        _ => None,
    };
    Ok(Load {
        case: case.id(),
        sessions,
        runs_per_second: sessions as f64 / wall.as_secs_f64(),
        limit_ms: limit.as_secs_f64() * 1e3,
        overhead_p50_ms: pct(0.50),
        overhead_p99_ms: pct(0.99),
        idle_rss_kib: idle,
        peak_rss_kib: peak,
        rss_per_session_kib: per_session,
    })
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
    let l = &report.load;
    table.push_str(&format!(
        "\nload: {} sessions at once, {}: {:.1} runs/s; over the {:.0} ms floor: p50 {:.1} ms, p99 {:.1} ms; endpoint RSS {} -> {} KiB, {} KiB per session in flight\n",
        l.sessions,
        l.case,
        l.runs_per_second,
        l.limit_ms,
        l.overhead_p50_ms,
        l.overhead_p99_ms,
        l.idle_rss_kib.map_or("?".into(), |v| v.to_string()),
        l.peak_rss_kib.map_or("?".into(), |v| v.to_string()),
        l.rss_per_session_kib.map_or("?".into(), |v| format!("{v:.1}")),
    ));
    agent_cli::stdout::line(table.trim_end().to_owned())
}
