//! The command line of `agent-bench`. Names and flags are a contract
//! (docs/BENCHMARKS.md).

use std::path::PathBuf;

use crate::mcp_source::ToolSource;
use crate::measure::SeqPolicy;

/// Measure the reference work end to end (see docs/BENCHMARKS.md).
#[derive(Debug, clap::Parser)]
#[command(name = "agent-bench", version, about, long_about = None)]
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
    /// The demo plugin library (default: beside the `agent-bench` binary, or
    /// built with cargo from the source tree).
    #[arg(long, value_name = "PATH")]
    pub plugin: Option<PathBuf>,
    /// The `agent` binary whose start-up and memory `agent run` measures
    /// (default: beside the `agent-bench` binary).
    #[arg(long, value_name = "PATH")]
    pub agent: Option<PathBuf>,
    /// Skip the bare-SDK baseline of CHAIN (the report's `floor`).
    #[arg(long, alias = "no-floor")]
    pub no_sdk_baseline: bool,
    /// Skip `agent run` as a fresh process (start-up time, peak RSS).
    #[arg(long)]
    pub no_agent_run: bool,
    /// Where the cases' tools come from: the demo plugin in process, or the
    /// same tools served by `agent mcp-serve` over MCP (stdio or streamable
    /// HTTP), to measure an MCP round trip (FANOUT-256, CHAIN-50's per-turn
    /// overhead) and MCP start-up with three servers.
    #[arg(long, value_enum, value_name = "SOURCE", default_value = "plugin")]
    pub tools: ToolSource,
    /// Instead of the timing cases: input tokens over CHAIN-K with prompt
    /// caching off and auto (full price, cache reads and writes), e.g.
    /// `--cache-tokens 20`.
    #[arg(long, value_name = "K")]
    pub cache_tokens: Option<usize>,
    /// Run the scheduler's side-by-side comparisons instead of the cases:
    /// eager start (EAGER at 2 s, Q1–Q4 at 500 ms, streamed, blocks spread
    /// over the latency) against --no-eager, FANOUT-1024 with a rule on
    /// every call, and each rule's effect on Q2 (docs/BENCHMARKS.md).
    #[arg(long)]
    pub scheduling: bool,
    /// No progress bar (it only shows on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Measure durable runs on Restate instead of the cases
    /// (docs/SCALING.md): CHAIN-20 and FANOUT-256 through a live
    /// restate-server and `agent serve --restate` against the same work in
    /// process (overhead per run and per journal entry), then
    /// --restate-sessions turns at once through one endpoint (and through
    /// --restate-endpoints behind one address).
    #[arg(long)]
    pub restate: bool,
    /// The restate-server binary `--restate` starts (.ci/install-restate
    /// installs one and prints its path).
    #[arg(long, value_name = "PATH", env = "AGENT_RESTATE_SERVER")]
    pub restate_server: Option<PathBuf>,
    /// How many sessions the `--restate` load case sends at once.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    pub restate_sessions: u64,
    /// How many `agent serve --restate` endpoints the `--restate` load case
    /// spreads its sessions over: above 1, after the load through one
    /// endpoint registered directly, the same load through `restate-lb`'s
    /// HTTP/2 proxy (one deployment address) in front of one endpoint and
    /// of N, side by side.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub restate_endpoints: u64,
    /// The model latency of the `--restate` load case, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub restate_latency_ms: u64,
    /// Instead of the cases: what sessions cost (CHAIN-20 and FANOUT-256
    /// without a store and journaled to SQLite, per run and per entry;
    /// resuming a 100-turn session after a crash). Honours --runs,
    /// --warmup, --plugin, --json and --out.
    #[arg(long)]
    pub sessions: bool,
}
