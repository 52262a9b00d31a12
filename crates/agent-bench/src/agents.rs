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
pub fn agent(
    backend: Arc<dyn ModelBackend>,
    tools: ToolRegistry,
    streaming: bool,
    max_concurrency: Option<usize>,
    max_iterations: u32,
) -> Result<Agent, Failure> {
    let mut settings = Settings::defaults()?;
    settings.max_concurrency.value = max_concurrency.unwrap_or(0);
    settings.max_iterations.value = max_iterations;
    settings.stream.value = streaming;
    assemble::agent(backend, tools, &settings)
}
