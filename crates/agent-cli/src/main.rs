//! `agent`: run an AI agent that calls many tools at once, fast.
//!
//! Exit codes: 0 success; 2 usage or configuration error; 3 model or service
//! error; 4 plugin error; 5 the call of `agent tools --call` failed; 130
//! interrupted (Ctrl-C), 143 terminated
//! (`SIGTERM`), 129 hung up (`SIGHUP`, `chat`). With `--json`, every exit
//! prints one document on stdout (`chat`: one line per prompt), a failure's
//! with its `error.kind` and `error.message`.

mod cli;
mod commands;
mod help;

use std::process::ExitCode;

use clap::FromArgMatches;

use agent_cli::exit::Failure;
use agent_cli::json::Layout;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let matches = match help::command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) => return usage_error(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let color = agent_cli::render::color_wanted();
    if !color {
        // NO_COLOR: the live view stays, without colour (console's styles,
        // indicatif's spinners).
        console::set_colors_enabled(false);
        console::set_colors_enabled_stderr(false);
    }
    let json = json_layout(&cli.command);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return fail(
                Failure::Other(format!("cannot start the async runtime: {e}")),
                json,
            );
        }
    };
    // OTLP export when the OTEL_* variables ask for it (docs/OBSERVABILITY.md).
    let export = agent_cli::telemetry::Export::from_env(runtime.handle());
    init_logging(cli.verbose, color, export.as_ref());
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
    // Every exit path comes through here (errors and signals are values
    // of `outcome`): what the exporters buffer is sent before the process
    // exits, while the runtime that hosts the gRPC connection still runs.
    if let Some(export) = export {
        export.shutdown();
    }
    // A read of standard input in flight (`chat` stopped by a signal while
    // waiting for a line) would hold a runtime that waits for its
    // blocking threads: nothing left to do needs them.
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(failure, json),
    }
}

/// Says why the command failed (on stderr, and as the `--json` document
/// when asked and none is out yet) and gives its exit code.
fn fail(failure: Failure, json: Option<Layout>) -> ExitCode {
    match failure.undocumented() {
        Failure::OutputClosed => return ExitCode::SUCCESS,
        Failure::Interrupted(_) => eprintln!("{failure}"),
        _ => eprintln!("error: {failure}"),
    }
    if let Some(layout) = json {
        // Stdout may be closed; the exit code still tells.
        let _ = agent_cli::json::print_failure(&failure, layout);
    }
    failure.exit_code()
}

/// A command line clap refuses: its own message and exit code; with
/// `--json` (anywhere on the line), also the usage error's document, so a
/// script never parses nothing.
fn usage_error(e: clap::Error) -> ExitCode {
    let wants_json = std::env::args_os().skip(1).any(|a| a == "--json");
    // Help and --version are not errors: they print to stdout as usual.
    if !wants_json || !e.use_stderr() {
        e.exit();
    }
    let _ = e.print();
    let rendered = e.render().to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_owned();
    // The subcommand: the first word that is not a flag (`agent -v chat`).
    let subcommand = std::env::args_os()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'));
    let layout = if subcommand.is_some_and(|a| a == "chat") {
        Layout::Line
    } else {
        Layout::Document
    };
    let _ = agent_cli::json::print_failure(&Failure::Usage(message), layout);
    ExitCode::from(2)
}

/// How the command lays out its `--json` output, if asked for.
fn json_layout(command: &Command) -> Option<Layout> {
    let (json, layout) = match command {
        Command::Demo(args) => (args.json, Layout::Document),
        Command::Run(args) => (args.agent.json, Layout::Document),
        Command::Chat(args) => (args.agent.json, Layout::Line),
        Command::Tools(args) => (args.json, Layout::Document),
        Command::Config(args) => (args.agent.json, Layout::Document),
        Command::MockServer(_) => (false, Layout::Document),
        // stdout carries the MCP protocol itself.
        Command::McpServe(_) => (false, Layout::Document),
        Command::Completions(_) => (false, Layout::Document),
        Command::Sessions(args) => (args.json, Layout::Document),
        Command::Resume(args) => (args.agent.json, Layout::Document),
        // Answers go to the Restate ingress's callers, not to stdout.
        Command::Serve(_) => (false, Layout::Document),
    };
    json.then_some(layout)
}

async fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Demo(args) => commands::demo::demo(args).await,
        Command::Run(args) => commands::run::run(args).await,
        Command::Chat(args) => commands::chat::chat(args).await,
        Command::Tools(args) => commands::tools::tools(args).await,
        Command::MockServer(args) => commands::mock_server::mock_server(args).await,
        Command::McpServe(args) => commands::mcp_serve::mcp_serve(args).await,
        Command::Config(args) => commands::config::config(args),
        Command::Completions(args) => commands::completions::completions(args),
        Command::Sessions(args) => commands::sessions::sessions(args),
        Command::Resume(args) => commands::resume::resume(args).await,
        Command::Serve(args) => commands::serve::serve(args).await,
    }
}

/// Logs go to stderr, quiet by default: warnings only, unless `-v` or
/// `RUST_LOG`. The AWS crates' own warnings (an IMDS probe failing, say) are
/// raw debug dumps; every failure that matters reaches the user as an error
/// of ours, so they show only with `-v`; so are rmcp's (an MCP server that
/// cannot be reached is our error naming it and its URL). Colour only on a terminal, and not
/// with `NO_COLOR` (`color`): a piped log is plain text. With `export`, the
/// GenAI spans and metrics go to it too, whatever the log filter says.
fn init_logging(verbose: u8, color: bool, export: Option<&agent_cli::telemetry::Export>) {
    use std::io::IsTerminal;
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{EnvFilter, fmt};
    let default = match verbose {
        0 => {
            "warn,aws_config=error,aws_smithy_runtime=error,aws_smithy_http_client=error,aws_runtime=error,rmcp=off"
        }
        1 => "info,agent_core=debug,bedrock_client=debug",
        _ => "debug,agent_core=trace,bedrock_client=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = color && std::io::stderr().is_terminal();
    // A function, not a closure: each arm's subscriber has its own type.
    fn log<S>(ansi: bool) -> impl tracing_subscriber::Layer<S>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .with_target(false)
    }
    let _ = match export {
        // The filter for everything, as before any export: a callsite it
        // leaves out is never even looked at again.
        None => tracing_subscriber::registry()
            .with(filter)
            .with(log(ansi))
            .try_init(),
        // The filter for the log only: the exporter takes the GenAI spans
        // whatever the log shows.
        Some(export) => tracing_subscriber::registry()
            .with(log(ansi).with_filter(filter))
            .with(export.layer())
            .try_init(),
    };
}
