//! The figures (`--json`) and the table a person reads.
//!
//! The JSON keys of the bare-SDK baseline keep their first name, `floor`
//! (`floor`, `floor_per_call_ms`, `per_turn_over_floor_ms`), so figures
//! taken before and after the harness moved compare key for key.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cases::{Kind, mode_name};
use crate::measure::{SeqMethod, Stats};
use crate::process::AgentRunFigures;
use agent_cli::render::secs;

/// Everything one `agent-bench` run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `agent` version.
    pub version: &'static str,
    /// Where it ran.
    pub machine: Machine,
    /// How it measured.
    pub method: Method,
    /// One entry per case.
    pub cases: Vec<CaseFigures>,
    /// The bare-SDK baseline, per CHAIN scenario and mode.
    #[serde(rename = "floor")]
    pub sdk_baseline: Vec<SdkBaselineFigures>,
    /// `agent run` as a fresh process (absent with `--no-agent-run`).
    pub agent_run: Option<AgentRunFigures>,
    /// Peak RSS of the bench process (agent, local servers, every case), KiB.
    pub bench_peak_rss_kib: Option<u64>,
}

/// The machine.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// `linux`, `macos`…
    pub os: &'static str,
    /// `x86_64`, `aarch64`…
    pub arch: &'static str,
    /// Cores available to the process.
    pub cpus: usize,
    /// Load averages (1, 5, 15 min) before the first case.
    pub load_average_start: Option<String>,
    /// And after the last.
    pub load_average_end: Option<String>,
}

/// The method.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// Timed runs per case.
    pub runs: usize,
    /// Untimed runs before them.
    pub warmup: usize,
    /// The concurrency limit of the timed runs: `null`, none.
    pub max_concurrency: Option<usize>,
    /// The concurrency limit of the sequential runs.
    pub sequential_max_concurrency: usize,
    /// What is timed.
    pub timed: &'static str,
    /// Where the tools came from (`--tools`).
    pub tools: crate::mcp_source::ToolSource,
    /// With an MCP source: how long starting three MCP servers at once took.
    pub mcp_startup_3_servers_ms: Option<f64>,
}

/// One case's figures; times in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct CaseFigures {
    /// `Q1@0:stream`.
    pub id: String,
    /// The scenario.
    pub scenario: String,
    /// Its family.
    pub kind: Kind,
    /// ConverseStream or Converse.
    pub streaming: bool,
    /// The local server's latency per model call.
    pub model_latency_ms: u64,
    /// Model calls per run.
    pub model_calls: usize,
    /// Tool calls per run.
    pub tool_calls: usize,
    /// The physical floor.
    pub limit_ms: f64,
    /// Wall time over the timed runs.
    pub wall_ms: Stats,
    /// Every timed run, in order.
    pub runs_ms: Vec<f64>,
    /// Median wall − limit.
    pub overhead_ms: f64,
    /// Median wall / limit; `null` when the limit is zero.
    pub ratio: Option<f64>,
    /// The same case one call at a time.
    pub sequential: Option<Sequential>,
    /// CHAIN: overhead / model calls.
    pub overhead_per_turn_ms: Option<f64>,
    /// CHAIN: the bare-SDK baseline's time per call, less the model latency.
    #[serde(rename = "floor_per_call_ms")]
    pub sdk_baseline_per_call_ms: Option<f64>,
    /// CHAIN: overhead per turn − the baseline's time per call.
    #[serde(rename = "per_turn_over_floor_ms")]
    pub per_turn_over_sdk_baseline_ms: Option<f64>,
    /// Where the median run's time went.
    pub breakdown: Option<Breakdown>,
}

/// Where one run's time went, from the agent's own metrics.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Breakdown {
    /// Waiting for the model: each call from request to parsed response,
    /// the HTTP round trip, the SDK and the conversions included.
    pub model_ms: f64,
    /// Tool batches, from the first call's start to the last call's end.
    pub tools_ms: f64,
    /// The rest: the loop between calls and batches.
    pub rest_ms: f64,
}

/// A sequential figure and how it was obtained.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sequential {
    /// Wall time.
    pub wall_ms: f64,
    /// Measured (one run) or estimated.
    pub method: SeqMethod,
}

/// The bare-SDK baseline for one CHAIN scenario and mode.
#[derive(Debug, Clone, Serialize)]
pub struct SdkBaselineFigures {
    /// The scenario played.
    pub scenario: String,
    /// ConverseStream or Converse.
    pub streaming: bool,
    /// The server's latency per call.
    pub model_latency_ms: u64,
    /// Calls per run.
    pub calls: usize,
    /// Time per call, over the timed runs.
    pub per_call_ms: Stats,
}

fn ms(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

impl Report {
    /// The table and notes, for a terminal.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<22} {:>8} {:>10} {:>10} {:>10} {:>10} {:>6}  {:<20} per turn",
            "case", "limit", "median", "min", "max", "overhead", "ratio", "sequential"
        );
        for c in &self.cases {
            let seq = c.sequential.map_or_else(
                || "-".into(),
                |s| {
                    let how = match s.method {
                        SeqMethod::Measured => "measured",
                        SeqMethod::Estimated => "estimated",
                    };
                    let wall = if s.wall_ms >= 1e3 {
                        secs(std::time::Duration::from_secs_f64(s.wall_ms / 1e3))
                    } else {
                        ms(s.wall_ms)
                    };
                    format!("{wall} ({how})")
                },
            );
            let per_turn = match (c.overhead_per_turn_ms, c.sdk_baseline_per_call_ms) {
                (Some(t), Some(f)) => format!("{t:.3} ms (SDK floor {f:.3} ms)"),
                (Some(t), None) => format!("{t:.3} ms"),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{:<22} {:>8} {:>10} {:>10} {:>10} {:>10} {:>6}  {:<20} {}",
                c.id,
                secs(std::time::Duration::from_secs_f64(c.limit_ms / 1e3)),
                ms(c.wall_ms.median_ms),
                ms(c.wall_ms.min_ms),
                ms(c.wall_ms.max_ms),
                ms(c.overhead_ms),
                c.ratio.map_or_else(|| "-".into(), |r| format!("{r:.3}")),
                seq,
                per_turn
            );
        }
        let _ = writeln!(out);
        for f in &self.sdk_baseline {
            let _ = writeln!(
                out,
                "bare SDK loop, {} {} ({} calls): {:.3} ms per call (min {:.3}, max {:.3})",
                f.scenario,
                mode_name(f.streaming),
                f.calls,
                f.per_call_ms.median_ms,
                f.per_call_ms.min_ms,
                f.per_call_ms.max_ms
            );
        }
        if let Some(a) = &self.agent_run {
            let _ = writeln!(
                out,
                "agent run, start-up to first model request (plugin loaded): {:.1} ms median \
                 (min {:.1}, max {:.1}, {} runs)",
                a.startup_ms.median_ms, a.startup_ms.min_ms, a.startup_ms.max_ms, a.startup_samples
            );
            let rss: Vec<String> = a
                .peak_rss
                .iter()
                .map(|r| format!("{} {}", r.scenario, mib(r.peak_rss_kib)))
                .collect();
            let _ = writeln!(out, "agent run, peak RSS: {}", rss.join(", "));
        }
        let _ = writeln!(
            out,
            "bench process peak RSS (agent + local servers, all cases): {}",
            mib(self.bench_peak_rss_kib)
        );
        if let Some(startup) = self.method.mcp_startup_3_servers_ms {
            let _ = writeln!(
                out,
                "MCP start-up, 3 servers at once (initialize and tools/list): {startup:.0} ms"
            );
        }
        let m = &self.method;
        let _ = writeln!(
            out,
            "\nmedian of {} runs after {} warm-up; timed: {}.\n\
             Timed runs: no concurrency limit (max_concurrency 0; the CLI's default is 64), \
             so every FANOUT call runs at once.\n\
             Sequential: max_concurrency {}; 'estimated' = the median run with each tool \
             batch's wall replaced by the sum of its calls (--sequential measure runs it).\n\
             Per turn (CHAIN): overhead / model calls; the SDK floor is the bare \
             aws-sdk-bedrockruntime loop's time per call.\n\
             Machine: {} {} with {} cores; load average {} before, {} after.",
            m.runs,
            m.warmup,
            m.timed,
            m.sequential_max_concurrency,
            self.machine.os,
            self.machine.arch,
            self.machine.cpus,
            self.machine.load_average_start.as_deref().unwrap_or("n/a"),
            self.machine.load_average_end.as_deref().unwrap_or("n/a"),
        );
        out
    }
}
