//! The agent a case runs: assembled by the CLI's own code
//! (`agent_cli::assemble`) from the CLI's built-in defaults, so nothing on
//! the machine (flags, environment, config file) changes what is measured.

use std::collections::BTreeMap;
use std::sync::Arc;

use agent_cli::assemble;
use agent_cli::exit::Failure;
use agent_cli::settings::{Settings, ToolOverride};
use agent_core::{Agent, ModelBackend};
use tool_api::ToolRegistry;

/// An agent over `backend` and `tools` with the CLI's defaults, except the
/// concurrency limit (`None`: no limit), the mode, and enough turns for any
/// chain.
///
/// Prompt caching is off: the timing cases measure the runtime, and their
/// figures stay comparable with those before caching existed (the
/// `--cache-tokens` case measures caching, in tokens).
pub fn agent(
    backend: Arc<dyn ModelBackend>,
    tools: ToolRegistry,
    streaming: bool,
    max_concurrency: Option<usize>,
    max_iterations: u32,
) -> Result<Agent, Failure> {
    let variant = Variant {
        max_concurrency,
        ..Variant::default()
    };
    agent_with(backend, tools, streaming, &variant, max_iterations)
}

/// What a scheduling case changes in the agent (`scheduling.rs`): eager
/// start, the global limit, per-tool rules as `[tools.NAME]` sets them.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Eager start (the CLI's default: on).
    pub eager: bool,
    /// The global limit (`None`: no limit).
    pub max_concurrency: Option<usize>,
    /// `[tools.NAME]` tables.
    pub tools: BTreeMap<String, ToolOverride>,
    /// Prompt caching (`--cache`): off for the timing cases.
    pub cache: String,
}

impl Default for Variant {
    fn default() -> Self {
        Self {
            eager: true,
            max_concurrency: None,
            tools: BTreeMap::new(),
            cache: "off".to_owned(),
        }
    }
}

/// As [`agent`], with `variant`'s settings.
pub fn agent_with(
    backend: Arc<dyn ModelBackend>,
    tools: ToolRegistry,
    streaming: bool,
    variant: &Variant,
    max_iterations: u32,
) -> Result<Agent, Failure> {
    let mut settings = Settings::defaults()?;
    settings.max_concurrency.value = variant.max_concurrency.unwrap_or(0);
    settings.max_iterations.value = max_iterations;
    settings.stream.value = streaming;
    settings.eager.value = variant.eager;
    settings.tools.value = variant.tools.clone();
    settings.cache.value = variant.cache.clone();
    assemble::agent(backend, tools, &settings)
}
