//! `agent bench`: the reference work (`shared/bench/REFERENCE.md`), measured
//! end to end through the whole stack: the CLI's agent, the real Bedrock
//! backend (AWS SDK), the local Converse server over HTTP on 127.0.0.1, and
//! the demo plugin loaded as a dynamic library. See `docs/BENCHMARKS.md`.
//!
//! - [`cases`]: which cases, and `--cases`;
//! - [`stack`]: plugin, servers, backends, agents;
//! - [`measure`]: one case's runs, checked, and their statistics;
//! - [`floor`]: the bare SDK loop CHAIN is compared with;
//! - [`process`]: peak memory, and `agent run` as a fresh process;
//! - [`report`]: the figures as JSON and as a table;
//! - [`progress`]: the bar on stderr.

mod cases;
mod floor;
mod measure;
mod process;
mod progress;
mod report;
mod stack;

use std::path::PathBuf;
use std::time::Duration;

use self::cases::{Case, Kind};
use self::measure::{SeqMethod, SeqPolicy, Stats};
use self::progress::Progress;
use self::report::{Breakdown, CaseFigures, FloorFigures, Machine, Method, Report, Sequential};
use self::stack::Stack;
use crate::exit::Failure;

/// Flags of `agent bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Cases to run, comma-separated: NAME[@MS][:stream|:converse], NAME one
    /// of Q1..Q4, FANOUT-n, CHAIN-k, or a group: Q, FANOUT, CHAIN, LATENCY,
    /// ALL. E.g. `Q1,FANOUT-256,CHAIN-50`.
    #[arg(long, value_name = "LIST", default_value = "ALL")]
    pub cases: String,
    /// Timed runs per case (the median is reported).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Untimed warm-up runs per case, before the timed ones.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warmup: u32,
    /// The sequential figure: `auto` measures Q1–Q4 and CHAIN with one run
    /// at max_concurrency 1 and estimates FANOUT from a parallel run;
    /// `measure` runs every case sequentially (FANOUT-1024: 102 s per mode);
    /// `off` skips it.
    #[arg(long, value_enum, value_name = "HOW", default_value = "auto")]
    pub sequential: SeqPolicy,
    /// Write the figures as JSON (to stdout, or to --out).
    #[arg(long)]
    pub json: bool,
    /// Write the JSON figures to this file (implies --json); the table still
    /// goes to stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The demo plugin library (default: beside the `agent` binary, or built
    /// with cargo from the source tree).
    #[arg(long, value_name = "PATH")]
    pub plugin: Option<PathBuf>,
    /// Skip the bare SDK loop (the CHAIN floor).
    #[arg(long)]
    pub no_floor: bool,
    /// Skip `agent run` as a fresh process (start-up time, peak RSS).
    #[arg(long)]
    pub no_agent_run: bool,
    /// No progress bar (it only shows on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn latency_ms(case: &Case) -> u64 {
    u64::try_from(case.latency.as_millis()).unwrap_or(u64::MAX)
}

/// Runs the benchmark and prints (or writes) the figures. Like every
/// command it runs as a task on the runtime's worker threads (see
/// `main.rs`), which matters here: on the `block_on` thread every wake-up
/// from the HTTP connection's task crosses threads (~30 ms on a streamed
/// FANOUT-1024, docs/BENCHMARKS.md).
pub async fn bench(args: BenchArgs) -> Result<(), Failure> {
    let selected = cases::select(&args.cases)?;
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
    let mut stack = Stack::new(args.plugin.as_deref(), scenarios.clone())?;

    let floors: Vec<&Case> = if args.no_floor {
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
        + floors.len() * (warmup + runs)
        + if args.no_agent_run {
            0
        } else {
            1 + runs + scenarios.len()
        };
    let progress = Progress::new(total as u64, args.no_progress);
    let load_average_start = process::load_average();

    let mut figures = Vec::with_capacity(selected.len());
    for case in &selected {
        figures.push(run_case(&mut stack, case, &args, max_iterations, &progress).await?);
    }

    let mut floor_figures = Vec::new();
    for case in floors {
        let endpoint = stack.served(case.latency).await?.server.endpoint_url();
        let client = floor::client(&endpoint);
        let fixed = floor::Fixed::new(&stack.tools)?;
        let mut per_call = Vec::with_capacity(runs);
        for i in 0..warmup + runs {
            progress.doing(format!("{} bare SDK loop", case.id()));
            let t = floor::run_once(&client, &fixed, case).await?;
            if i >= warmup {
                per_call.push(t);
            }
            progress.step();
        }
        let stats = Stats::of(&per_call).ok_or_else(|| Failure::Usage("no runs".into()))?;
        let floor_ms = stats.median_ms - latency_ms(case) as f64;
        if let Some(f) = figures.iter_mut().find(|f| f.id == case.id()) {
            f.floor_per_call_ms = Some(floor_ms);
            f.per_turn_over_floor_ms = f.overhead_per_turn_ms.map(|t| t - floor_ms);
        }
        floor_figures.push(FloorFigures {
            scenario: case.scenario.name.clone(),
            streaming: case.streaming,
            model_latency_ms: latency_ms(case),
            calls: case.model_calls(),
            per_call_ms: stats,
        });
    }

    let agent_run = if args.no_agent_run {
        None
    } else {
        let served = stack.start_server(Duration::ZERO, true).await?;
        let exe = std::env::current_exe()
            .map_err(|e| Failure::Other(format!("cannot locate the agent binary: {e}")))?;
        let cmd = process::AgentRunCommand {
            exe,
            plugin: stack.plugin_path.clone(),
            endpoint: served.server.endpoint_url(),
            home: std::env::temp_dir().join(format!("agent-bench-{}", std::process::id())),
        };
        let rss_scenarios = scenarios
            .iter()
            .map(|s| (s.name.clone(), s.prompt.clone().unwrap_or_default()))
            .collect();
        let bar = progress.clone();
        Some(
            process::agent_run(cmd, served.server, runs, rss_scenarios, move |what| {
                bar.doing(what);
                bar.step();
            })
            .await?,
        )
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
            timed: "agent.run(prompt) from call to return, in process (model calls over \
                    HTTP to the local server, tool calls through the plugin)",
        },
        cases: figures,
        floor: floor_figures,
        agent_run,
        bench_peak_rss_kib: process::peak_rss_kib(),
    };
    emit(&report, &args)
}

async fn run_case(
    stack: &mut Stack,
    case: &Case,
    args: &BenchArgs,
    max_iterations: u32,
    progress: &Progress,
) -> Result<CaseFigures, Failure> {
    let runs = args.runs as usize;
    let backend = stack.served(case.latency).await?.backend.clone();
    let agent = stack.agent(backend.clone(), case.streaming, None, max_iterations)?;
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
            let agent = stack.agent(backend, case.streaming, Some(1), max_iterations)?;
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
        floor_per_call_ms: None,
        per_turn_over_floor_ms: None,
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
        crate::stdout::write(&report.table())
    } else if args.json {
        eprint!("{}", report.table());
        crate::stdout::line(json()?)
    } else {
        crate::stdout::write(&report.table())
    }
}
