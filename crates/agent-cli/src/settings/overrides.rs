//! What the command line sets: plain values, filled by the CLI from its
//! flags, so that resolving settings needs no clap types.

use std::path::PathBuf;

use std::collections::BTreeMap;

use super::mcp::McpTable;
use super::values::BackendKind;

/// The flags' values; `None` (or empty, or `false`) where a flag is absent.
/// Each field is the setting of the same name in the table (`table.rs`).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--backend`.
    pub backend: Option<BackendKind>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--model`.
    pub model: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--plugin` (repeatable): empty when absent.
    pub plugins: Vec<PathBuf>,
    /// `--mcp NAME=COMMAND ARGS…` (repeatable): empty when absent.
    pub mcp: BTreeMap<String, McpTable>,
    /// `--plugin-prefix PREFIX=PATH`, repeated.
    pub plugin_prefixes: std::collections::BTreeMap<String, PathBuf>,
    /// `--plugins-dir`.
    pub plugins_dir: Option<PathBuf>,
    /// `--max-concurrency`.
    pub max_concurrency: Option<usize>,
    /// `--tool-timeout`, seconds.
    pub tool_timeout: Option<f64>,
    /// `--tool-retries`.
    pub tool_retries: Option<u32>,
    /// `--model-retries`.
    pub model_retries: Option<u32>,
    /// `--model-retry-max-wait`, seconds.
    pub model_retry_max_wait: Option<f64>,
    /// `--model-retry-budget`, seconds.
    pub model_retry_budget: Option<f64>,
    /// `--stream-idle-timeout`, seconds.
    pub stream_idle_timeout: Option<f64>,
    /// `--max-iterations`.
    pub max_iterations: Option<u32>,
    /// `--system`.
    pub system: Option<String>,
    /// `--max-tokens`.
    pub max_tokens: Option<u32>,
    /// `--thinking`.
    pub thinking: Option<u32>,
    /// `--no-stream`.
    pub no_stream: bool,
    /// `--no-eager`.
    pub no_eager: bool,
    /// `--context`.
    pub context: Option<String>,
    /// `--context-window`.
    pub context_window: Option<u64>,
    /// `--approve NAME[,NAME…]|all`.
    pub approve: Option<Vec<String>>,
    /// `--yes`.
    pub yes: bool,
    /// `--tool-choice`.
    pub tool_choice: Option<String>,
    /// `--cache`.
    pub cache: Option<String>,
    /// `--cache-ttl`.
    pub cache_ttl: Option<String>,
    /// `--output-schema`.
    pub output_schema: Option<PathBuf>,
    /// `--guardrail`.
    pub guardrail: Option<String>,
    /// `--guardrail-trace`.
    pub guardrail_trace: bool,
    /// `--model-field KEY=JSON`, repeated: empty when absent.
    pub model_fields: BTreeMap<String, serde_json::Value>,
    /// `--response-field PATH`, repeated: empty when absent.
    pub response_fields: Vec<String>,
    /// `--config`: the file to read instead of looking for one.
    pub config: Option<PathBuf>,
}
