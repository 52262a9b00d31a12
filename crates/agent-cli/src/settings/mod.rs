//! Settings, layered: flags > environment > config file > defaults, each
//! value remembering where it came from (for `agent config`).
//!
//! - [`table`]: every setting once: key, flag, variable, parser, check,
//!   default, description, display;
//! - [`template`]: a commented `agent.toml` written from the table
//!   (`agent config init`), and the defaults `--help` shows;
//! - [`overrides`]: the flags' values, as plain data;
//! - [`file`]: `agent.toml`, found and read;
//! - `resolve`: the layering itself ([`Settings::resolve`]);
//! - [`env`]: the environment, behind a seam for tests;
//! - `error`: [`ConfigError`], naming the file and line, or the variable;
//! - [`values`]: backend kind, secret, on/off.

pub mod approval;
pub mod env;
mod error;
pub mod file;
pub mod mcp;
pub mod overrides;
pub mod request_options;
mod resolve;
pub mod table;
pub mod template;
pub mod values;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

pub use self::env::{Env, NoEnv, ProcessEnv};
pub use self::error::ConfigError;
pub use self::file::{ToolOverride, read_config_file, user_config_file};
pub use self::mcp::McpTable;
pub use self::overrides::Overrides;
use self::table::Spec;
pub use self::values::{BackendKind, Secret};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", content = "name", rename_all = "snake_case")]
pub enum Source {
    /// The built-in default.
    Default,
    /// A command-line flag.
    Flag(String),
    /// An environment variable.
    Env(String),
    /// The config file.
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => write!(f, "default"),
            Self::Flag(name) => write!(f, "flag {name}"),
            Self::Env(name) => write!(f, "env {name}"),
            Self::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Its source.
    pub source: Source,
}

/// The effective settings of `run`, `chat`, `tools` and `config`; one field
/// per entry of the table ([`table`]), in its order.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The config file read, if any.
    pub config_file: Option<PathBuf>,
    /// [`table::BACKEND`].
    pub backend: Setting<BackendKind>,
    /// [`table::BASE_URL`].
    pub base_url: Setting<Option<String>>,
    /// [`table::API_KEY`].
    pub api_key: Setting<Option<Secret>>,
    /// [`table::MODEL`].
    pub model: Setting<String>,
    /// [`table::REGION`].
    pub region: Setting<Option<String>>,
    /// [`table::PROFILE`].
    pub profile: Setting<Option<String>>,
    /// [`table::ENDPOINT_URL`].
    pub endpoint_url: Setting<Option<String>>,
    /// [`table::PLUGINS`].
    pub plugins: Setting<Vec<PathBuf>>,
    /// [`table::PLUGIN_PREFIXES`]: prefix → library.
    pub plugin_prefixes: Setting<std::collections::BTreeMap<String, PathBuf>>,
    /// [`table::PLUGINS_DIR`].
    pub plugins_dir: Setting<Option<PathBuf>>,
    /// [`table::MAX_CONCURRENCY`]: 0 means no limit.
    pub max_concurrency: Setting<usize>,
    /// [`table::TOOL_TIMEOUT`], seconds.
    pub tool_timeout: Setting<f64>,
    /// [`table::TOOL_RETRIES`].
    pub tool_retries: Setting<u32>,
    /// [`table::MODEL_RETRIES`].
    pub model_retries: Setting<u32>,
    /// [`table::MODEL_RETRY_MAX_WAIT`].
    pub model_retry_max_wait: Setting<f64>,
    /// [`table::MODEL_RETRY_BUDGET`].
    pub model_retry_budget: Setting<f64>,
    /// [`table::STREAM_IDLE_TIMEOUT`].
    pub stream_idle_timeout: Setting<f64>,
    /// [`table::MAX_ITERATIONS`].
    pub max_iterations: Setting<u32>,
    /// [`table::SYSTEM`].
    pub system: Setting<Option<String>>,
    /// [`table::MAX_TOKENS`].
    pub max_tokens: Setting<u32>,
    /// [`table::THINKING`].
    pub thinking: Setting<Option<u32>>,
    /// [`table::STREAM`].
    pub stream: Setting<bool>,
    /// [`table::EAGER`].
    pub eager: Setting<bool>,
    /// [`table::CONTEXT`].
    pub context: Setting<String>,
    /// [`table::CONTEXT_WINDOW`].
    pub context_window: Setting<Option<u64>>,
    /// [`table::TOOLS`].
    pub tools: Setting<BTreeMap<String, ToolOverride>>,
    /// MCP servers whose tools join the plugins' (`[mcp.NAME]`, `--mcp`).
    pub mcp: Setting<BTreeMap<String, McpTable>>,
    /// [`table::APPROVE`].
    pub approve: Setting<Vec<String>>,
    /// [`table::YES`].
    pub yes: Setting<bool>,
    /// [`request_options::TOOL_CHOICE`].
    pub tool_choice: Setting<Option<String>>,
    /// [`request_options::CACHE`].
    pub cache: Setting<String>,
    /// [`request_options::CACHE_TTL`].
    pub cache_ttl: Setting<Option<String>>,
    /// [`request_options::OUTPUT_SCHEMA`].
    pub output_schema: Setting<Option<PathBuf>>,
    /// [`request_options::GUARDRAIL`].
    pub guardrail: Setting<Option<String>>,
    /// [`request_options::GUARDRAIL_TRACE`].
    pub guardrail_trace: Setting<bool>,
    /// [`request_options::MODEL_FIELDS`].
    pub model_fields: Setting<BTreeMap<String, serde_json::Value>>,
    /// [`request_options::RESPONSE_FIELDS`].
    pub response_fields: Setting<Vec<String>>,
}

/// One setting as `agent config` shows it and validation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The setting's key.
    pub key: &'static str,
    /// What it is (the table's description).
    pub about: &'static str,
    /// Its flag, if it has one.
    pub flag: Option<&'static str>,
    /// Its `AGENT_*` variable, if it has one.
    pub env: Option<&'static str>,
    /// The value, shown.
    pub value: String,
    /// Where it came from, shown.
    pub source: String,
    /// Why the value is refused, naming its source; `None` if it is fine.
    pub problem: Option<String>,
}

impl Entry {
    fn of<T>(spec: &Spec<T>, setting: &Setting<T>, backend: BackendKind) -> Self {
        Self {
            key: spec.key,
            about: spec.about,
            flag: spec.flag,
            env: spec.env,
            value: (spec.show)(&setting.value, backend),
            source: setting.source.to_string(),
            problem: (spec.check)(&setting.value).map(|why| format!("{why} ({})", setting.source)),
        }
    }
}

impl Settings {
    /// Every setting, in the table's order, shown and checked by its spec.
    pub fn entries(&self) -> Vec<Entry> {
        let b = self.backend.value;
        vec![
            Entry::of(&table::BACKEND, &self.backend, b),
            Entry::of(&table::BASE_URL, &self.base_url, b),
            Entry::of(&table::API_KEY, &self.api_key, b),
            Entry::of(&table::MODEL, &self.model, b),
            Entry::of(&table::REGION, &self.region, b),
            Entry::of(&table::PROFILE, &self.profile, b),
            Entry::of(&table::ENDPOINT_URL, &self.endpoint_url, b),
            Entry::of(&table::PLUGINS, &self.plugins, b),
            Entry::of(&table::PLUGIN_PREFIXES, &self.plugin_prefixes, b),
            Entry::of(&table::PLUGINS_DIR, &self.plugins_dir, b),
            Entry::of(&table::MAX_CONCURRENCY, &self.max_concurrency, b),
            Entry::of(&table::TOOL_TIMEOUT, &self.tool_timeout, b),
            Entry::of(&table::TOOL_RETRIES, &self.tool_retries, b),
            Entry::of(&table::MODEL_RETRIES, &self.model_retries, b),
            Entry::of(&table::MODEL_RETRY_MAX_WAIT, &self.model_retry_max_wait, b),
            Entry::of(&table::MODEL_RETRY_BUDGET, &self.model_retry_budget, b),
            Entry::of(&table::STREAM_IDLE_TIMEOUT, &self.stream_idle_timeout, b),
            Entry::of(&table::MAX_ITERATIONS, &self.max_iterations, b),
            Entry::of(&table::SYSTEM, &self.system, b),
            Entry::of(&table::MAX_TOKENS, &self.max_tokens, b),
            Entry::of(&table::THINKING, &self.thinking, b),
            Entry::of(&table::STREAM, &self.stream, b),
            Entry::of(&table::EAGER, &self.eager, b),
            Entry::of(&table::CONTEXT, &self.context, b),
            Entry::of(&table::CONTEXT_WINDOW, &self.context_window, b),
            Entry::of(&table::TOOLS, &self.tools, b),
            Entry::of(&table::MCP, &self.mcp, b),
            Entry::of(&approval::APPROVE, &self.approve, b),
            Entry::of(&approval::YES, &self.yes, b),
            Entry::of(&request_options::TOOL_CHOICE, &self.tool_choice, b),
            Entry::of(&request_options::CACHE, &self.cache, b),
            Entry::of(&request_options::CACHE_TTL, &self.cache_ttl, b),
            Entry::of(&request_options::OUTPUT_SCHEMA, &self.output_schema, b),
            Entry::of(&request_options::GUARDRAIL, &self.guardrail, b),
            Entry::of(&request_options::GUARDRAIL_TRACE, &self.guardrail_trace, b),
            Entry::of(&request_options::MODEL_FIELDS, &self.model_fields, b),
            Entry::of(&request_options::RESPONSE_FIELDS, &self.response_fields, b),
        ]
    }

    /// Refuses values that parse but make no sense: the first problem of
    /// [`Settings::entries`].
    pub fn validate(&self) -> Result<(), String> {
        match self.entries().into_iter().find_map(|e| e.problem) {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_file_and_json_name_the_same_settings() {
        let settings = Settings::defaults().unwrap();
        let keys: Vec<&str> = settings.entries().iter().map(|e| e.key).collect();
        // The JSON of `agent config --json`: the same keys, in the same order.
        let json = serde_json::to_value(&settings).unwrap();
        let fields: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "config_file")
            .collect();
        assert_eq!(keys, fields);
        // The file knows exactly these keys: each is accepted, and serde's
        // list of expected fields is the same set.
        let err = toml::from_str::<file::FileConfig>("no_such_key = 1")
            .unwrap_err()
            .to_string();
        for key in &keys {
            assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
        }
        assert_eq!(err.matches('`').count(), 2 * (keys.len() + 1), "{err}");
    }

    #[test]
    fn values_that_make_no_sense_are_refused_naming_the_source() {
        let mut s = Settings::defaults().unwrap();
        assert_eq!(s.validate(), Ok(()));
        s.max_tokens.value = 0;
        assert_eq!(
            s.validate(),
            Err("max tokens must be at least 1 (default)".into())
        );
    }
}
