//! `agent`: run an AI agent that calls many tools at once, fast.
//!
//! Exit codes: 0 success; 2 usage or configuration error; 3 model or service
//! error; 4 plugin error; 130 interrupted (Ctrl-C).

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

use agent_cli::exit::Failure;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
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
    // The command runs as a task on the worker threads rather than on this
    // thread: `block_on` polls its future outside the scheduler, so every
    // wake-up of the agent loop would cross threads (measured: 30 ms on a
    // 1,024-call turn).
    let outcome = runtime.block_on(async {
        tokio::spawn(dispatch(cli.command))
            .await
            .unwrap_or_else(|e| {
                Err(Failure::Other(format!(
                    "the command stopped unexpectedly ({e}); this is a bug in agent, please report it"
                )))
            })
    });
    match outcome {
        Ok(()) | Err(Failure::OutputClosed) => ExitCode::SUCCESS,
        Err(Failure::Interrupted) => {
            eprintln!("interrupted");
            Failure::Interrupted.exit_code()
        }
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}

async fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Demo(args) => commands::demo::demo(args).await,
        Command::Run(args) => commands::run::run(args).await,
        Command::Chat(args) => commands::chat::chat(args).await,
        Command::Tools(args) => commands::tools::tools(args),
        Command::MockServer(args) => commands::mock_server::mock_server(args).await,
        Command::Config(args) => commands::config::config(args),
        Command::Sessions(args) => commands::sessions::sessions(args),
        Command::Resume(args) => commands::resume::resume(args).await,
    }
}

/// Logs go to stderr, quiet by default: warnings only, unless `-v` or
/// `RUST_LOG`. The AWS crates' own warnings (an IMDS probe failing, say) are
/// raw debug dumps; every failure that matters reaches the user as an error
/// of ours, so they show only with `-v`.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => {
            "warn,aws_config=error,aws_smithy_runtime=error,aws_smithy_http_client=error,aws_runtime=error"
        }
        1 => "info,agent_core=debug,bedrock_client=debug",
        _ => "debug,agent_core=trace,bedrock_client=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
