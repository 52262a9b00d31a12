//! Turning settings into an agent: executor policy, inference, model retries.

use std::sync::Arc;
use std::time::Duration;

use agent_core::{Agent, ExecutorConfig, ExponentialBackoff, InferenceConfig, ModelBackend};
use tool_api::ToolRegistry;

use crate::exit::Failure;
use crate::settings::{Overrides, ProcessEnv, Settings};
use crate::{backend, sources};

/// The agent of `run` and `chat`: settings layered from the flags
/// `overrides`, the environment and the config file; plugins loaded and MCP servers started; the
/// chosen backend.
///
/// The MCP servers start before the backend is built; their processes
/// end when the agent (which owns the tools) is dropped.
pub async fn from_overrides(overrides: &Overrides) -> Result<Agent, Failure> {
    let settings = Settings::resolve(overrides, &ProcessEnv)?;
    settings.validate().map_err(Failure::Usage)?;
    let tools = sources::from_settings(&settings).await?.registry;
    let backend = backend::from_settings(&settings).await?;
    agent(backend, tools, &settings)
}

/// The executor configuration the settings describe.
pub fn executor_config(settings: &Settings) -> ExecutorConfig {
    let max = match settings.max_concurrency.value {
        0 => None,
        n => Some(n),
    };
    let retries = |n: u32| ExponentialBackoff::default().with_max_attempts(n.saturating_add(1));
    let mut config = ExecutorConfig::default()
        .with_max_concurrency(max)
        .with_timeout(Some(Duration::from_secs_f64(settings.tool_timeout.value)))
        .with_retry(retries(settings.tool_retries.value));
    for (name, o) in &settings.tools.value {
        if let Some(t) = o.timeout {
            config = config.with_tool_timeout(name, Some(Duration::from_secs_f64(t)));
        }
        if let Some(n) = o.retries {
            config = config.with_tool_retry(name, retries(n));
        }
        let scheduling = o.scheduling();
        if !scheduling.is_empty() {
            config = config.with_tool_scheduling(name, scheduling);
        }
        if let Some(max) = o.max_output_bytes {
            config = config.with_tool_max_output_bytes(name, (max > 0).then_some(max));
        }
    }
    config
}

/// The model-call retry policy the settings describe: the library's
/// default shape with the attempts, the cap and the budget set.
pub fn model_retry(settings: &Settings) -> ExponentialBackoff {
    ExponentialBackoff::for_model()
        .with_max_attempts(settings.model_retries.value.saturating_add(1))
        .with_cap(Duration::from_secs_f64(settings.model_retry_max_wait.value))
        .with_budget(Some(Duration::from_secs_f64(
            settings.model_retry_budget.value,
        )))
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
        .model_retry(model_retry(settings))
        .streaming(settings.stream.value)
        .eager(settings.eager.value)
        .inference(InferenceConfig {
            max_tokens: settings.max_tokens.value,
            thinking: settings.thinking.value.map(agent_core::Thinking::budget),
            ..InferenceConfig::default()
        });
    if let Some(system) = &settings.system.value {
        builder = builder.system(system.clone());
    }
    for (name, o) in &settings.tools.value {
        if o.idempotent == Some(false) {
            builder = builder.non_idempotent(name.clone());
        }
    }
    let agent = builder.build().map_err(|e| Failure::Usage(e.to_string()))?;
    // Settings for a tool no source offers apply to nothing: say so, as a
    // typo in a name would otherwise go unnoticed.
    for name in agent.unknown_tool_settings() {
        let available: Vec<&str> = agent.tools().names().collect();
        tracing::warn!(
            "[tools.{name}] names no loaded tool, so its settings apply to nothing (tools: {})",
            if available.is_empty() {
                "none".to_string()
            } else {
                available.join(", ")
            }
        );
    }
    Ok(agent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_tables_override_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        std::fs::write(
            &path,
            "tool_timeout = 5
[tools.slow_search]
timeout = 120
retries = 0
[tools.flaky]
retries = 6
max_output_bytes = 0
[tools.chatty]
max_output_bytes = 2000
",
        )
        .unwrap();
        let args = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let settings = Settings::resolve(&args, &ProcessEnv).unwrap();
        let config = executor_config(&settings);
        assert_eq!(
            config.policy_for("slow_search").timeout,
            Some(Duration::from_secs(120))
        );
        assert_eq!(config.policy_for("slow_search").retry.max_attempts(), 1);
        assert_eq!(config.policy_for("flaky").retry.max_attempts(), 7);
        assert_eq!(
            config.policy_for("flaky").timeout,
            Some(Duration::from_secs(5))
        );
        assert_eq!(config.policy_for("other").retry.max_attempts(), 3);
        assert_eq!(config.policy_for("chatty").max_output_bytes, Some(2000));
        assert_eq!(config.policy_for("flaky").max_output_bytes, None);
        assert_eq!(
            config.policy_for("other").max_output_bytes,
            Some(ExecutorConfig::DEFAULT_MAX_OUTPUT_BYTES)
        );
    }
}
