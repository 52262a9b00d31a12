//! The agent a case runs: assembled by the CLI's own code
//! (`agent_cli::assemble`) from the CLI's built-in defaults, so nothing on
//! the machine (flags, environment, config file) changes what is measured.

use std::sync::Arc;

use agent_cli::assemble;
use agent_cli::exit::Failure;
use agent_cli::settings::Settings;
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
    agent_with(
        backend,
        tools,
        streaming,
        max_concurrency,
        max_iterations,
        |s| {
            s.cache.value = "off".to_owned();
        },
    )
}

/// [`agent`], with `adjust` applied to the settings last.
pub fn agent_with(
    backend: Arc<dyn ModelBackend>,
    tools: ToolRegistry,
    streaming: bool,
    max_concurrency: Option<usize>,
    max_iterations: u32,
    adjust: impl FnOnce(&mut Settings),
) -> Result<Agent, Failure> {
    let mut settings = Settings::defaults()?;
    settings.max_concurrency.value = max_concurrency.unwrap_or(0);
    settings.max_iterations.value = max_iterations;
    settings.stream.value = streaming;
    adjust(&mut settings);
    assemble::agent(backend, tools, &settings)
}
