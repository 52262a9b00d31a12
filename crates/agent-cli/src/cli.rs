//! The command line, as clap sees it. Names and flags are a contract.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run an AI agent that calls many tools at once, fast.
#[derive(Debug, Parser)]
#[command(name = "agent", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the reference queries offline: local Converse server, real Bedrock
    /// backend, demo plugin loaded as a dynamic library.
    Demo(DemoArgs),
    /// Answer one prompt (from the argument, or standard input).
    Run(RunArgs),
    /// Keep a conversation going over several prompts read from standard input.
    Chat(ChatArgs),
    /// List the tools the plugins provide.
    Tools(ToolsArgs),
    /// Serve a local Converse-compatible endpoint on 127.0.0.1.
    MockServer(MockServerArgs),
    /// Print the effective settings and where each came from.
    Config(ConfigArgs),
    /// Measure the reference work end to end (see docs/BENCHMARKS.md).
    Bench(crate::commands::bench::BenchArgs),
}

/// Which reference query the demo runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryChoice {
    /// What's the weather in New York and the stock price of AAPL?
    #[value(name = "Q1")]
    Q1,
    /// The Boston to Miami trip: 4 tools.
    #[value(name = "Q2")]
    Q2,
    /// Three stock prices and a weather report.
    #[value(name = "Q3")]
    Q3,
    /// Seattle weather, distance to Portland, restaurants.
    #[value(name = "Q4")]
    Q4,
    /// All four, one after another.
    All,
}

/// `agent demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which query to run.
    #[arg(long, value_enum, default_value = "all", ignore_case = true)]
    pub query: QueryChoice,
    /// Run the tools one at a time, for comparison.
    #[arg(long)]
    pub sequential: bool,
    /// Print one JSON document on stdout instead of the live view.
    #[arg(long)]
    pub json: bool,
    /// The demo plugin library (default: found beside the `agent` binary,
    /// and built with cargo when run from the source tree).
    #[arg(long, value_name = "PATH")]
    pub plugin: Option<PathBuf>,
    /// Model latency the local server adds to each call, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
}

/// Settings shared by `run` and `chat`; each can also come from the
/// environment or the config file (flags win).
#[derive(Debug, Args, Clone, Default)]
pub struct AgentArgs {
    /// Model backend: bedrock, anthropic, or openai (any OpenAI-compatible
    /// server: OpenAI, Ollama, vLLM, llama.cpp, LM Studio).
    #[arg(long, value_name = "NAME")]
    pub backend: Option<crate::config::BackendKind>,
    /// Base URL of the model API (anthropic, openai; for bedrock, the same
    /// as --endpoint-url).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Model or inference-profile id.
    #[arg(long, value_name = "ID")]
    pub model: Option<String>,
    /// AWS region.
    #[arg(long, value_name = "R")]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// Endpoint URL override (a VPC endpoint, or `agent mock-server`).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// A plugin library to load (repeatable).
    #[arg(long = "plugin", value_name = "PATH")]
    pub plugins: Vec<PathBuf>,
    /// Load every plugin library in this directory.
    #[arg(long, value_name = "DIR")]
    pub plugins_dir: Option<PathBuf>,
    /// Most tool calls at once (0: no limit).
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
    /// Timeout of one tool call attempt, in seconds.
    #[arg(long, value_name = "SECS")]
    pub tool_timeout: Option<f64>,
    /// Retries of a tool call that failed retryably.
    #[arg(long, value_name = "N")]
    pub tool_retries: Option<u32>,
    /// Most model turns per prompt.
    #[arg(long, value_name = "N")]
    pub max_iterations: Option<u32>,
    /// System prompt.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    /// Most tokens per model response.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u32>,
    /// Wait for whole responses instead of streaming them.
    #[arg(long)]
    pub no_stream: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Config file (default: ./agent.toml, then the user config dir).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `agent run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Settings.
    #[command(flatten)]
    pub agent: AgentArgs,
    /// The prompt; read from standard input when absent.
    pub prompt: Option<String>,
}

/// `agent chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Settings.
    #[command(flatten)]
    pub agent: AgentArgs,
}

/// `agent tools`.
#[derive(Debug, Args)]
pub struct ToolsArgs {
    /// A plugin library to load (repeatable).
    #[arg(long = "plugin", value_name = "PATH")]
    pub plugins: Vec<PathBuf>,
    /// Load every plugin library in this directory.
    #[arg(long, value_name = "DIR")]
    pub plugins_dir: Option<PathBuf>,
    /// Show each tool's input schema exactly as Bedrock receives it.
    #[arg(long)]
    pub schema: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Config file (for its plugin settings).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `agent mock-server`.
#[derive(Debug, Args)]
pub struct MockServerArgs {
    /// Which wire protocol to serve.
    #[arg(long, value_name = "NAME", default_value = "bedrock")]
    pub protocol: crate::config::BackendKind,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Latency added to each model call, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// A scenario file (JSON) to play besides the reference work.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Answer every Nth request with a throttling error.
    #[arg(long, value_name = "N")]
    pub throttle_every: Option<u64>,
    /// Answer every Nth request with a server error (HTTP 500).
    #[arg(long, value_name = "N")]
    pub server_error_every: Option<u64>,
    /// Cut every Nth response off mid-message (the connection drops).
    #[arg(long, value_name = "N")]
    pub cut_every: Option<u64>,
}

/// `agent config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Settings whose effective values to show.
    #[command(flatten)]
    pub agent: AgentArgs,
}
