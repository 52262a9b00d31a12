//! Turning settings into an agent: executor policy, inference, model retries.

use std::sync::Arc;
use std::time::Duration;

use agent_core::{Agent, ExecutorConfig, ExponentialBackoff, InferenceConfig, ModelBackend};
use tool_api::ToolRegistry;

use crate::cli::AgentArgs;
use crate::config::{ProcessEnv, Settings};
use crate::exit::Failure;
use crate::{backend, plugins};

/// The agent of `run` and `chat`: settings layered from `args`, the
/// environment and the config file; plugins loaded; the chosen backend.
pub async fn from_args(args: &AgentArgs) -> Result<Agent, Failure> {
    let settings = Settings::resolve(args, &ProcessEnv)?;
    settings.validate().map_err(Failure::Usage)?;
    let (tools, _loaded) = plugins::load(
        &settings.plugins.value,
        settings.plugins_dir.value.as_deref(),
    )?;
    let backend = backend::from_settings(&settings).await?;
    agent(backend, tools, &settings)
}

/// The executor configuration the settings describe.
pub fn executor_config(settings: &Settings) -> ExecutorConfig {
    let max = match settings.max_concurrency.value {
        0 => None,
        n => Some(n),
    };
    ExecutorConfig::default()
        .with_max_concurrency(max)
        .with_timeout(Some(Duration::from_secs_f64(settings.tool_timeout.value)))
        .with_retry(
            ExponentialBackoff::default()
                .with_max_attempts(settings.tool_retries.value.saturating_add(1)),
        )
}

/// The agent the settings describe, over `backend` and `tools`.
pub fn agent(
    backend: Arc<dyn ModelBackend>,
    tools: ToolRegistry,
    settings: &Settings,
) -> Result<Agent, Failure> {
    let mut builder = Agent::builder()
        .backend(backend)
        .tools(tools)
        .executor(executor_config(settings))
        .max_iterations(settings.max_iterations.value)
        .streaming(settings.stream.value)
        .inference(InferenceConfig {
            max_tokens: settings.max_tokens.value,
            ..InferenceConfig::default()
        });
    if let Some(system) = &settings.system.value {
        builder = builder.system(system.clone());
    }
    builder.build().map_err(|e| Failure::Usage(e.to_string()))
}
