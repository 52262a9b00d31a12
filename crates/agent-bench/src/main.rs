//! `agent-bench`: the reference work (`shared/bench/REFERENCE.md`), measured
//! end to end through the whole stack: the CLI's agent assembly, the real
//! Bedrock backend (AWS SDK), the local Converse server over HTTP on
//! 127.0.0.1, and the demo plugin loaded as a dynamic library; beside it the
//! bare-SDK baseline and the `agent` binary as a fresh process. See
//! `docs/BENCHMARKS.md`.
//!
//! - [`args`]: the flags;
//! - [`cases`]: which cases, and `--cases`;
//! - [`harness`]: one bench from the first case to the report;
//! - [`demo_plugin`], [`servers`], [`agents`]: what a case runs through;
//! - [`mcp_source`]: the demo plugin's tools through MCP (`--tools`);
//! - [`measure`]: one case's runs, checked, and their statistics;
//! - [`sdk_baseline`]: the bare SDK loop CHAIN is compared with;
//! - [`caching`]: `--cache-tokens`, input tokens with and without caching;
//! - [`process`]: peak memory, and `agent run` as a fresh process;
//! - [`report`]: the figures as JSON and as a table;
//! - [`restate`]: `--restate`, durable runs on Restate measured;
//! - [`scheduling`]: the scheduler's side-by-side comparisons (`--scheduling`);
//! - [`progress`]: the bar on stderr;
//! - [`sessions`]: `--sessions`, the cost of journaling and of resuming.
//!
//! Exit codes as `agent`'s: 0 success; 2 usage error; 3 a run failed or did
//! not do the scripted work; 4 plugin error.

mod agents;
mod args;
mod caching;
mod cases;
mod demo_plugin;
mod harness;
mod mcp_source;
mod measure;
mod process;
mod progress;
mod report;
mod restate;
mod scheduling;
mod sdk_baseline;
mod servers;
mod sessions;

use std::process::ExitCode;

use agent_cli::exit::Failure;
use clap::Parser;

fn main() -> ExitCode {
    let args = args::BenchArgs::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // The bench runs as a task on the worker threads, as `agent` runs its
    // commands: on the `block_on` thread every wake-up from the HTTP
    // connection's task crosses threads (~30 ms on a streamed FANOUT-1024,
    // docs/BENCHMARKS.md).
    let outcome = runtime.block_on(async {
        let bench = async move {
            if args.sessions {
                sessions::bench(args).await
            } else {
                harness::bench(args).await
            }
        };
        tokio::spawn(bench).await.unwrap_or_else(|e| {
            Err(Failure::Other(format!(
                "the bench stopped unexpectedly ({e}); this is a bug, please report it"
            )))
        })
    });
    match outcome {
        Ok(()) | Err(Failure::OutputClosed) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}
