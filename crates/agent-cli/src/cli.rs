//! The command line, as clap sees it. Names and flags are a contract.

use std::path::PathBuf;

use agent_cli::settings::mcp::parse_flag as parse_mcp;
use agent_cli::settings::{BackendKind, McpTable, Overrides};
use agent_cli::settings::{request_options, table};
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
    /// Run the reference queries with the demo tools: offline against a local
    /// Converse server (real Bedrock backend over HTTP), or against a real
    /// model with --backend.
    Demo(DemoArgs),
    /// Answer one prompt (from the argument, or standard input).
    Run(RunArgs),
    /// Keep a conversation going over several prompts read from standard input.
    Chat(ChatArgs),
    /// List the tools the plugins provide.
    Tools(ToolsArgs),
    /// Serve a local Converse-compatible endpoint on 127.0.0.1.
    MockServer(MockServerArgs),
    /// Serve the loaded tools (plugins, MCP servers) over MCP on stdio, or
    /// streamable HTTP with --listen.
    McpServe(McpServeArgs),
    /// Print the effective settings and where each came from; `config init`
    /// writes a commented agent.toml.
    Config(ConfigArgs),
    /// List, show, delete or export the saved sessions (`--session`).
    Sessions(crate::commands::sessions::SessionsArgs),
    /// Continue a session's interrupted run (even one killed mid-batch).
    Resume(crate::commands::resume::ResumeArgs),
    /// Serve the agent as a Restate service endpoint (`--restate`): durable
    /// runs, one virtual object `Agent` per session (docs/SCALING.md).
    Serve(crate::commands::serve::ServeArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell
    /// (e.g. `agent completions bash > ~/.local/share/bash-completion/completions/agent`).
    Completions(CompletionsArgs),
}

/// `agent completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
    /// Instead of the queries: a lead agent asks three researcher
    /// sub-agents (each with the demo tools) at once, then sums up
    /// (docs/HOOKS.md, agents as tools).
    #[arg(long)]
    pub subagents: bool,
    /// Files sent with each query.
    #[command(flatten)]
    pub attach: AttachArgs,
    /// Print one JSON document on stdout instead of the live view.
    #[arg(long)]
    pub json: bool,
    /// Load the demo tools from this plugin library instead of the copy
    /// built into the binary (e.g. target/release/libdemo_tools.so).
    #[arg(long, value_name = "PATH")]
    pub plugin: Option<PathBuf>,
    #[arg(long = "mcp", value_name = "NAME=COMMAND", value_parser = parse_mcp, help = table::MCP.about)]
    pub mcp: Vec<(String, McpTable)>,
    /// Model latency the local server adds to each call, in milliseconds
    /// (offline demo only).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Ask a real model instead of the local server: bedrock (AWS
    /// credentials), anthropic (ANTHROPIC_API_KEY) or openai (OPENAI_API_KEY,
    /// or --base-url of an Ollama/vLLM server). The other settings come from
    /// the environment and agent.toml, as for `agent run`.
    #[arg(long, value_name = "NAME")]
    pub backend: Option<BackendKind>,
    #[arg(long, value_name = "ID", requires = "backend", help = table::MODEL.about)]
    pub model: Option<String>,
    #[arg(long, value_name = "URL", requires = "backend", help = table::BASE_URL.about)]
    pub base_url: Option<String>,
    #[arg(long, value_name = "R", requires = "backend", help = table::REGION.about)]
    pub region: Option<String>,
    #[arg(long, value_name = "P", requires = "backend", help = table::PROFILE.about)]
    pub profile: Option<String>,
    /// Config file (default: ./agent.toml, then the user config dir).
    #[arg(long, value_name = "FILE", requires = "backend")]
    pub config: Option<PathBuf>,
}

impl DemoArgs {
    /// The real backend's settings, when `--backend` asks for one.
    pub fn overrides(&self) -> Option<Overrides> {
        self.backend.map(|backend| Overrides {
            backend: Some(backend),
            model: self.model.clone(),
            base_url: self.base_url.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
            config: self.config.clone(),
            ..Overrides::default()
        })
    }
}

/// Settings shared by `run` and `chat`; each can also come from the
/// environment or the config file (flags win). Each flag's help is the
/// setting's description in the settings table.
#[derive(Debug, Args, Clone, Default)]
pub struct AgentArgs {
    #[arg(long, value_name = "NAME", help = table::BACKEND.about)]
    pub backend: Option<BackendKind>,
    #[arg(long, value_name = "URL", help = table::BASE_URL.about)]
    pub base_url: Option<String>,
    #[arg(long, value_name = "ID", help = table::MODEL.about)]
    pub model: Option<String>,
    #[arg(long, value_name = "R", help = table::REGION.about)]
    pub region: Option<String>,
    #[arg(long, value_name = "P", help = table::PROFILE.about)]
    pub profile: Option<String>,
    #[arg(long, value_name = "URL", help = table::ENDPOINT_URL.about)]
    pub endpoint_url: Option<String>,
    #[arg(long = "plugin", value_name = "PATH", help = table::PLUGINS.about)]
    pub plugins: Vec<PathBuf>,
    #[arg(long = "plugin-prefix", value_name = "PREFIX=PATH", value_parser = table::parse_prefixed,
          help = table::PLUGIN_PREFIXES.about)]
    pub plugin_prefixes: Vec<(String, PathBuf)>,
    #[arg(long, value_name = "DIR", help = table::PLUGINS_DIR.about)]
    pub plugins_dir: Option<PathBuf>,
    #[arg(long = "mcp", value_name = "NAME=COMMAND", value_parser = parse_mcp, help = table::MCP.about)]
    pub mcp: Vec<(String, McpTable)>,
    #[arg(long, value_name = "N", help = table::MAX_CONCURRENCY.about)]
    pub max_concurrency: Option<usize>,
    #[arg(long, value_name = "SECS", help = table::TOOL_TIMEOUT.about)]
    pub tool_timeout: Option<f64>,
    #[arg(long, value_name = "N", help = table::TOOL_RETRIES.about)]
    pub tool_retries: Option<u32>,
    #[arg(long, value_name = "N", help = table::MODEL_RETRIES.about)]
    pub model_retries: Option<u32>,
    #[arg(long, value_name = "SECS", help = table::MODEL_RETRY_MAX_WAIT.about)]
    pub model_retry_max_wait: Option<f64>,
    #[arg(long, value_name = "SECS", help = table::MODEL_RETRY_BUDGET.about)]
    pub model_retry_budget: Option<f64>,
    #[arg(long, value_name = "SECS", help = table::STREAM_IDLE_TIMEOUT.about)]
    pub stream_idle_timeout: Option<f64>,
    #[arg(long, value_name = "N", help = table::MAX_ITERATIONS.about)]
    pub max_iterations: Option<u32>,
    #[arg(long, value_name = "TEXT", help = table::SYSTEM.about)]
    pub system: Option<String>,
    #[arg(long, value_name = "N", help = table::MAX_TOKENS.about)]
    pub max_tokens: Option<u32>,
    #[arg(long, value_name = "TOKENS", help = table::THINKING.about)]
    pub thinking: Option<u32>,
    #[arg(long, help = table::STREAM.about)]
    pub no_stream: bool,
    #[arg(long, help = table::EAGER.about)]
    pub no_eager: bool,
    #[arg(long, value_name = "MODE", value_parser = ["sliding", "summarize", "off"],
          help = table::CONTEXT.about)]
    pub context: Option<String>,
    #[arg(long, value_name = "TOKENS", help = table::CONTEXT_WINDOW.about)]
    pub context_window: Option<u64>,
    #[arg(long, value_name = "NAME[,NAME…]|all", value_delimiter = ',', help = agent_cli::settings::approval::APPROVE.about)]
    pub approve: Option<Vec<String>>,
    #[arg(long, help = agent_cli::settings::approval::YES.about)]
    pub yes: bool,
    #[arg(long, value_name = "auto|any|NAME", help = request_options::TOOL_CHOICE.about)]
    pub tool_choice: Option<String>,
    #[arg(long, value_name = "auto|off", help = request_options::CACHE.about)]
    pub cache: Option<String>,
    #[arg(long, value_name = "5m|1h", help = request_options::CACHE_TTL.about)]
    pub cache_ttl: Option<String>,
    #[arg(long, value_name = "FILE", help = request_options::OUTPUT_SCHEMA.about)]
    pub output_schema: Option<PathBuf>,
    #[arg(long, value_name = "ID[:VERSION]", help = request_options::GUARDRAIL.about)]
    pub guardrail: Option<String>,
    #[arg(long, help = request_options::GUARDRAIL_TRACE.about)]
    pub guardrail_trace: bool,
    #[arg(long = "model-field", value_name = "KEY=JSON",
          value_parser = request_options::parse_model_field, help = request_options::MODEL_FIELDS.about)]
    pub model_fields: Vec<(String, serde_json::Value)>,
    #[arg(long = "response-field", value_name = "POINTER", help = request_options::RESPONSE_FIELDS.about)]
    pub response_fields: Vec<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Config file (default: ./agent.toml, then the user config dir).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl AgentArgs {
    /// The settings the flags set, as plain values for resolution.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            backend: self.backend,
            base_url: self.base_url.clone(),
            model: self.model.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            plugins: self.plugins.clone(),
            plugin_prefixes: self.plugin_prefixes.iter().cloned().collect(),
            plugins_dir: self.plugins_dir.clone(),
            mcp: self.mcp.iter().cloned().collect(),
            max_concurrency: self.max_concurrency,
            tool_timeout: self.tool_timeout,
            tool_retries: self.tool_retries,
            model_retries: self.model_retries,
            model_retry_max_wait: self.model_retry_max_wait,
            model_retry_budget: self.model_retry_budget,
            stream_idle_timeout: self.stream_idle_timeout,
            max_iterations: self.max_iterations,
            system: self.system.clone(),
            max_tokens: self.max_tokens,
            thinking: self.thinking,
            no_stream: self.no_stream,
            no_eager: self.no_eager,
            context: self.context.clone(),
            context_window: self.context_window,
            approve: self.approve.clone(),
            yes: self.yes,
            tool_choice: self.tool_choice.clone(),
            cache: self.cache.clone(),
            cache_ttl: self.cache_ttl.clone(),
            output_schema: self.output_schema.clone(),
            guardrail: self.guardrail.clone(),
            guardrail_trace: self.guardrail_trace,
            model_fields: self.model_fields.iter().cloned().collect(),
            response_fields: self.response_fields.clone(),
            config: self.config.clone(),
        }
    }
}

/// Files sent with the prompt (see `agent_cli::attach`).
#[derive(Debug, Clone, Default, Args)]
pub struct AttachArgs {
    /// Send an image with the prompt: PNG, JPEG, GIF or WebP (told from its
    /// content), at most 3.75 MB; repeatable
    #[arg(long = "image", value_name = "PATH")]
    pub images: Vec<PathBuf>,
    /// Send a document with the prompt: pdf, csv, doc, docx, xls, xlsx,
    /// html, txt or md (told from its content, then its extension), at most
    /// 4.5 MB; repeatable
    #[arg(long = "document", value_name = "PATH")]
    pub documents: Vec<PathBuf>,
}

impl AttachArgs {
    /// The attachments, checked (see `agent_cli::attach::load`).
    pub fn load(&self) -> Result<Vec<agent_core::ContentBlock>, agent_cli::exit::Failure> {
        agent_cli::attach::load(&self.images, &self.documents)
    }
}

/// `agent run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Settings.
    #[command(flatten)]
    pub agent: AgentArgs,
    /// Files sent with the prompt.
    #[command(flatten)]
    pub attach: AttachArgs,
    /// The session to keep the conversation in.
    #[command(flatten)]
    pub session: crate::commands::sessions::SessionArgs,
    /// The prompt; read from standard input when absent.
    pub prompt: Option<String>,
}

/// `agent chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Settings.
    #[command(flatten)]
    pub agent: AgentArgs,
    /// Files sent with the first prompt.
    #[command(flatten)]
    pub attach: AttachArgs,
    /// The session to keep the conversation in.
    #[command(flatten)]
    pub session: crate::commands::sessions::SessionArgs,
}

/// `agent tools`.
#[derive(Debug, Args)]
pub struct ToolsArgs {
    #[arg(long = "plugin", value_name = "PATH", help = table::PLUGINS.about)]
    pub plugins: Vec<PathBuf>,
    #[arg(long = "plugin-prefix", value_name = "PREFIX=PATH", value_parser = table::parse_prefixed,
          help = table::PLUGIN_PREFIXES.about)]
    pub plugin_prefixes: Vec<(String, PathBuf)>,
    #[arg(long, value_name = "DIR", help = table::PLUGINS_DIR.about)]
    pub plugins_dir: Option<PathBuf>,
    #[arg(long = "mcp", value_name = "NAME=COMMAND", value_parser = parse_mcp, help = table::MCP.about)]
    pub mcp: Vec<(String, McpTable)>,
    /// Show each tool's input schema exactly as Bedrock receives it.
    #[arg(long)]
    pub schema: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Config file (for its plugin settings).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run this tool once (no model) through the executor, with its timeout
    /// and retries, and print its output.
    #[arg(long, value_name = "NAME")]
    pub call: Option<String>,
    /// The input of --call, as JSON.
    #[arg(long, value_name = "JSON", requires = "call", default_value = "{}")]
    pub input: String,
    #[arg(long, value_name = "SECS", help = table::TOOL_TIMEOUT.about)]
    pub tool_timeout: Option<f64>,
    #[arg(long, value_name = "N", help = table::TOOL_RETRIES.about)]
    pub tool_retries: Option<u32>,
}

/// `agent mock-server`.
/// `agent mcp-serve`: the tool sources and the executor's limits.
#[derive(Debug, Args)]
pub struct McpServeArgs {
    #[arg(long = "plugin", value_name = "PATH", help = table::PLUGINS.about)]
    pub plugins: Vec<PathBuf>,
    #[arg(long, value_name = "DIR", help = table::PLUGINS_DIR.about)]
    pub plugins_dir: Option<PathBuf>,
    #[arg(long = "mcp", value_name = "NAME=COMMAND", value_parser = parse_mcp, help = table::MCP.about)]
    pub mcp: Vec<(String, McpTable)>,
    #[arg(long, value_name = "N", help = table::MAX_CONCURRENCY.about)]
    pub max_concurrency: Option<usize>,
    #[arg(long, value_name = "SECS", help = table::TOOL_TIMEOUT.about)]
    pub tool_timeout: Option<f64>,
    #[arg(long, value_name = "N", help = table::TOOL_RETRIES.about)]
    pub tool_retries: Option<u32>,
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Serve MCP's streamable HTTP transport on this address (e.g.
    /// 127.0.0.1:8931; port 0: any free port) at `/mcp`, instead of stdio.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, Args)]
pub struct MockServerArgs {
    /// Which wire protocol to serve.
    #[arg(long, value_name = "NAME", default_value = "bedrock")]
    pub protocol: BackendKind,
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
#[command(args_conflicts_with_subcommands = true)]
pub struct ConfigArgs {
    /// `init`, or nothing to show the settings.
    #[command(subcommand)]
    pub action: Option<ConfigAction>,
    /// Settings whose effective values to show.
    #[command(flatten)]
    pub agent: AgentArgs,
}

/// What `agent config` can do besides showing the settings.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Write a commented agent.toml: every setting at its default, commented
    /// out, with its description, flag and variable.
    Init(ConfigInitArgs),
}

/// `agent config init`.
#[derive(Debug, Args)]
pub struct ConfigInitArgs {
    /// Where to write it ("-": standard output).
    #[arg(long, value_name = "FILE", default_value = "agent.toml")]
    pub path: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}
