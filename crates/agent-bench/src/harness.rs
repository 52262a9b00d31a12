//! One bench, from the first case to the report: the demo plugin and one
//! local server per model latency are set up once, then handed to each
//! case, to the bare-SDK baseline and to `agent run` explicitly.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use agent_cli::exit::Failure;
use tool_api::ToolRegistry;

use crate::agents;
use crate::args::BenchArgs;
use crate::cases::{self, Case, Kind};
use crate::demo_plugin::DemoPlugin;
use crate::mcp_source::{McpTools, ToolSource};
use crate::measure::{self, SeqMethod, Stats};
use crate::process;
use crate::progress::Progress;
use crate::report::{
    Breakdown, CaseFigures, Machine, Method, Report, SdkBaselineFigures, Sequential,
};
use crate::sdk_baseline;
use crate::servers::{Served, ServerRuntime};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn latency_ms(case: &Case) -> u64 {
    u64::try_from(case.latency.as_millis()).unwrap_or(u64::MAX)
}

/// The `agent` binary `agent run` is measured with: `explicit`, else the
/// one beside this executable (where cargo builds both).
pub(crate) fn agent_binary(explicit: Option<PathBuf>) -> Result<PathBuf, Failure> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Other(format!("cannot locate the agent-bench binary: {e}")))?;
    let name = format!("agent{}", std::env::consts::EXE_SUFFIX);
    let beside = exe.with_file_name(&name);
    if beside.is_file() {
        return Ok(beside);
    }
    Err(Failure::Usage(format!(
        "the `agent` binary is not beside {}: build it with the bench (cargo build --profile \
         benchmark -p agent-cli -p agent-bench -p demo-tools), pass --agent PATH, or skip the `agent run` figures with \
         --no-agent-run",
        exe.display()
    )))
}

/// What a debug build of the harness says before it measures: its figures
/// are those of unoptimised code, several times the measured build's.
fn debug_build_warning(debug: bool) -> Option<&'static str> {
    debug.then_some(
        "warning: this is a debug build of agent-bench: its figures are not comparable with \
         docs/BENCHMARKS.md; build with `cargo build --profile benchmark -p agent-cli -p \
         agent-bench -p demo-tools` and run target/benchmark/agent-bench",
    )
}

/// Runs the benchmark and prints (or writes) the figures.
pub async fn bench(args: BenchArgs) -> Result<(), Failure> {
    if let Some(k) = args.cache_tokens {
        let plugin = DemoPlugin::load(args.plugin.as_deref())?;
        return crate::caching::cache_tokens(k, &plugin, args.json).await;
    }
    if let Some(warning) = debug_build_warning(cfg!(debug_assertions)) {
        eprintln!("{warning}");
    }
    if args.scheduling {
        return crate::scheduling::bench(&args).await;
    }
    if args.restate {
        return crate::restate::bench(&args).await;
    }
    let selected = cases::select(&args.cases)?;
    let ids: Vec<String> = selected.iter().map(Case::id).collect();
    eprintln!(
        "{} case{}: {}",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" },
        ids.join(", ")
    );
    let agent_exe = if args.no_agent_run && args.tools == ToolSource::Plugin {
        None
    } else {
        Some(agent_binary(args.agent.clone())?)
    };
    let runs = args.runs as usize;
    let warmup = args.warmup as usize;
    let mut scenarios: Vec<agent_testkit::Scenario> = Vec::new();
    for c in &selected {
        if !scenarios.iter().any(|s| s.name == c.scenario.name) {
            scenarios.push(c.scenario.clone());
        }
    }
    let max_iterations = selected
        .iter()
        .map(|c| u32::try_from(c.model_calls()).unwrap_or(u32::MAX))
        .max()
        .unwrap_or(0)
        .saturating_add(1)
        .max(agent_core::Agent::DEFAULT_MAX_ITERATIONS);
    // Declared in drop order: the servers before their runtime, every agent
    // before the plugin library.
    let plugin = DemoPlugin::load(args.plugin.as_deref())?;
    let mcp = match (args.tools, &agent_exe) {
        (ToolSource::Plugin, _) | (_, None) => None,
        (source, Some(exe)) => Some(McpTools::start(source, exe, &plugin.path).await?),
    };
    let case_tools = mcp.as_ref().map_or(&plugin.tools, |m| &m.tools);
    let server_runtime = ServerRuntime::new(scenarios.clone())?;
    let mut servers: BTreeMap<u64, Served> = BTreeMap::new();
    for case in &selected {
        if let std::collections::btree_map::Entry::Vacant(slot) = servers.entry(latency_ms(case)) {
            slot.insert(server_runtime.start(case.latency, false).await?);
        }
    }
    let served = |case: &Case| {
        servers
            .get(&latency_ms(case))
            .ok_or_else(|| Failure::Other(format!("no local server for {}", case.id())))
    };

    let baselines: Vec<&Case> = if args.no_sdk_baseline {
        Vec::new()
    } else {
        selected.iter().filter(|c| c.kind == Kind::Chain).collect()
    };
    let total = selected
        .iter()
        .map(|c| {
            warmup + runs + usize::from(args.sequential.method(c.kind) == Some(SeqMethod::Measured))
        })
        .sum::<usize>()
        + baselines.len() * (warmup + runs)
        + if args.no_agent_run {
            0
        } else {
            1 + runs + scenarios.len()
        };
    let progress = Progress::new(total as u64, args.no_progress);
    let load_average_start = process::load_average();

    let mut figures = Vec::with_capacity(selected.len());
    for case in &selected {
        let figure = run_case(
            case,
            served(case)?,
            case_tools,
            &args,
            max_iterations,
            &progress,
        )
        .await?;
        figures.push(figure);
    }

    let mut baseline_figures = Vec::new();
    for case in baselines {
        let client = sdk_baseline::client(&served(case)?.server.endpoint_url());
        let fixed = sdk_baseline::Fixed::new(&plugin.tools)?;
        let mut per_call = Vec::with_capacity(runs);
        for i in 0..warmup + runs {
            progress.doing(format!("{} bare SDK loop", case.id()));
            let t = sdk_baseline::run_once(&client, &fixed, case).await?;
            if i >= warmup {
                per_call.push(t);
            }
            progress.step();
        }
        let stats = Stats::of(&per_call).ok_or_else(|| Failure::Usage("no runs".into()))?;
        let baseline_ms = stats.median_ms - latency_ms(case) as f64;
        if let Some(f) = figures.iter_mut().find(|f| f.id == case.id()) {
            f.sdk_baseline_per_call_ms = Some(baseline_ms);
            f.per_turn_over_sdk_baseline_ms = f.overhead_per_turn_ms.map(|t| t - baseline_ms);
        }
        baseline_figures.push(SdkBaselineFigures {
            scenario: case.scenario.name.clone(),
            streaming: case.streaming,
            model_latency_ms: latency_ms(case),
            calls: case.model_calls(),
            per_call_ms: stats,
        });
    }

    let agent_run = match agent_exe.filter(|_| !args.no_agent_run) {
        None => None,
        Some(exe) => {
            let recording = server_runtime.start(Duration::ZERO, true).await?;
            let cmd = process::AgentRunCommand {
                exe,
                plugin: plugin.path.clone(),
                endpoint: recording.server.endpoint_url(),
                home: std::env::temp_dir().join(format!("agent-bench-{}", std::process::id())),
            };
            let rss_scenarios = scenarios
                .iter()
                .map(|s| (s.name.clone(), s.prompt.clone().unwrap_or_default()))
                .collect();
            let bar = progress.clone();
            Some(
                process::agent_run(cmd, recording.server, runs, rss_scenarios, move |what| {
                    bar.doing(what);
                    bar.step();
                })
                .await?,
            )
        }
    };
    progress.finish();

    let report = Report {
        version: env!("CARGO_PKG_VERSION"),
        machine: Machine {
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            load_average_start,
            load_average_end: process::load_average(),
        },
        method: Method {
            runs,
            warmup,
            max_concurrency: None,
            sequential_max_concurrency: 1,
            timed: match args.tools {
                ToolSource::Plugin => {
                    "agent.run(prompt) from call to return, in process (model calls over \
                     HTTP to the local server, tool calls through the plugin)"
                }
                ToolSource::McpStdio | ToolSource::McpHttp => {
                    "agent.run(prompt) from call to return, in process (model calls over \
                     HTTP to the local server, tool calls over MCP to `agent mcp-serve` \
                     serving the plugin)"
                }
            },
            tools: args.tools,
            mcp_startup_3_servers_ms: mcp.as_ref().map(|m| ms(m.startup)),
        },
        cases: figures,
        sdk_baseline: baseline_figures,
        agent_run,
        bench_peak_rss_kib: process::peak_rss_kib(),
    };
    emit(&report, &args)
}

/// One case's runs against `served` with the plugin's `tools`, and its
/// figures (the baseline's are added by the caller).
async fn run_case(
    case: &Case,
    served: &Served,
    tools: &ToolRegistry,
    args: &BenchArgs,
    max_iterations: u32,
    progress: &Progress,
) -> Result<CaseFigures, Failure> {
    let runs = args.runs as usize;
    let agent = agents::agent(
        served.backend.clone(),
        tools.clone(),
        case.streaming,
        None,
        max_iterations,
    )?;
    let mut samples = Vec::with_capacity(runs);
    for i in 0..args.warmup as usize + runs {
        progress.doing(case.id());
        let sample = measure::run_once(&agent, case).await?;
        if i >= args.warmup as usize {
            samples.push(sample);
        }
        progress.step();
    }
    let walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
    let wall =
        Stats::of(&walls).ok_or_else(|| Failure::Usage("--runs must be at least 1".into()))?;
    let sequential = match args.sequential.method(case.kind) {
        None => None,
        Some(SeqMethod::Estimated) => {
            // The run whose wall is nearest the median stands for the case.
            median_sample(&samples, wall.median_ms).map(|s| Sequential {
                wall_ms: ms(s.estimated_sequential()),
                method: SeqMethod::Estimated,
            })
        }
        Some(SeqMethod::Measured) => {
            progress.doing(format!("{} sequential", case.id()));
            let agent = agents::agent(
                served.backend.clone(),
                tools.clone(),
                case.streaming,
                Some(1),
                max_iterations,
            )?;
            let s = measure::run_once(&agent, case).await?;
            progress.step();
            Some(Sequential {
                wall_ms: ms(s.wall),
                method: SeqMethod::Measured,
            })
        }
    };
    let limit_ms = ms(case.limit());
    let overhead_ms = wall.median_ms - limit_ms;
    let breakdown = median_sample(&samples, wall.median_ms).map(|s| Breakdown {
        model_ms: ms(s.model_time),
        tools_ms: ms(s.tool_time),
        rest_ms: ms(s.wall.saturating_sub(s.model_time + s.tool_time)),
    });
    Ok(CaseFigures {
        id: case.id(),
        scenario: case.scenario.name.clone(),
        kind: case.kind,
        streaming: case.streaming,
        model_latency_ms: latency_ms(case),
        model_calls: case.model_calls(),
        tool_calls: case.tool_calls(),
        limit_ms,
        wall_ms: wall,
        runs_ms: walls.iter().map(|d| ms(*d)).collect(),
        overhead_ms,
        ratio: (limit_ms > 0.0).then(|| wall.median_ms / limit_ms),
        sequential,
        overhead_per_turn_ms: (case.kind == Kind::Chain)
            .then(|| overhead_ms / case.model_calls() as f64),
        sdk_baseline_per_call_ms: None,
        per_turn_over_sdk_baseline_ms: None,
        breakdown,
    })
}

/// The run whose wall time is nearest the median: it stands for the case
/// where one run's details are needed.
fn median_sample(samples: &[measure::Sample], median_ms: f64) -> Option<&measure::Sample> {
    samples.iter().min_by(|a, b| {
        (ms(a.wall) - median_ms)
            .abs()
            .total_cmp(&(ms(b.wall) - median_ms).abs())
    })
}

fn emit(report: &Report, args: &BenchArgs) -> Result<(), Failure> {
    let json = || {
        serde_json::to_string_pretty(report)
            .map_err(|e| Failure::Other(format!("cannot write the figures as JSON: {e}")))
    };
    if let Some(path) = &args.out {
        std::fs::write(path, json()? + "\n").map_err(|e| {
            Failure::Other(format!(
                "cannot write the figures to {}: {e}",
                path.display()
            ))
        })?;
        agent_cli::stdout::write(&report.table())
    } else if args.json {
        eprint!("{}", report.table());
        agent_cli::stdout::line(json()?)
    } else {
        agent_cli::stdout::write(&report.table())
    }
}
