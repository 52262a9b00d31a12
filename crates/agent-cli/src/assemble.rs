//! Turning settings into an agent: executor policy, inference, model retries.

use std::sync::Arc;
use std::time::Duration;

use agent_core::hooks::ApprovalPolicy;
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
    let sources = sources::from_settings(&settings).await?;
    let destructive: Vec<String> = sources
        .mcp
        .tools
        .iter()
        .filter(|t| t.hints().destructive == Some(true))
        .map(|t| tool_api::Tool::spec(t).name.clone())
        .collect();
    let backend = backend::from_settings(&settings).await?;
    // An MCP server that announces a new tool list is read again between turns.
    let agent =
        agent(backend, sources.registry, &settings)?.with_tool_sources(sources.mcp.tool_sources());
    // Destructive MCP tools ask too, unless their table says not to.
    let policy = approvals(&settings, &destructive);
    Ok(agent.with_approvals(policy))
}

/// Which tools need approval: `--approve`/`approve` (names or `all`),
/// `[tools.NAME] approve = true`, and the `destructive` tools (MCP tools
/// whose server says `destructiveHint: true`) unless their table says
/// `approve = false`. `--yes` approves everything: then none needs asking.
pub fn approvals(settings: &Settings, destructive: &[String]) -> ApprovalPolicy {
    if settings.yes.value {
        return ApprovalPolicy::none();
    }
    let named = &settings.approve.value;
    let mut policy = if named.iter().any(|n| n == "all") {
        ApprovalPolicy::all()
    } else {
        ApprovalPolicy::none()
    };
    for name in named.iter().filter(|n| *n != "all") {
        policy = policy.tool(name.clone());
    }
    let tables = &settings.tools.value;
    for (name, o) in tables {
        if o.approve == Some(true) {
            policy = policy.tool(name.clone());
        }
    }
    for name in destructive {
        if tables.get(name).and_then(|o| o.approve) != Some(false) {
            policy = policy.tool(name.clone());
        }
    }
    policy
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
        .capture_content(crate::telemetry::capture_content())
        .inference(InferenceConfig {
            max_tokens: settings.max_tokens.value,
            thinking: settings.thinking.value.map(agent_core::Thinking::budget),
            ..InferenceConfig::default()
        });
    if let Some(system) = &settings.system.value {
        builder = builder.system(system.clone());
    }
    // Checked by the settings table: an unknown name never gets here.
    if let Some(manager) = agent_core::context::ContextStrategy::parse(&settings.context.value)
        .and_then(agent_core::context::ContextStrategy::manager)
    {
        builder = builder.context_manager(manager);
    }
    if let Some(window) = settings.context_window.value {
        builder = builder.context_window(window);
    }
    builder = request_options(builder, settings)?;
    for (name, o) in &settings.tools.value {
        if o.idempotent == Some(false) {
            builder = builder.non_idempotent(name.clone());
        }
    }
    let builder = builder.approvals(approvals(settings, &[]));
    let agent = builder.build().map_err(|e| Failure::Usage(e.to_string()))?;
    // Settings for a tool no source offers were warned of when the tools
    // were loaded (`sources::from_settings`, `name_check`).
    Ok(agent)
}

/// The model request options the settings describe (tool choice, prompt
/// caching, structured output, guardrail, pass-through fields), on
/// `builder`. Checked values only (`Settings::validate` ran); the output
/// schema file is read here, and a bad one is a usage error naming it.
fn request_options(
    mut builder: agent_core::AgentBuilder,
    settings: &Settings,
) -> Result<agent_core::AgentBuilder, Failure> {
    if let Some(choice) = &settings.tool_choice.value {
        builder = builder.tool_choice(choice.parse().unwrap_or(agent_core::ToolChoice::Auto));
    }
    // OpenAI-compatible servers cache prompts on their own: `auto` adds
    // nothing there (docs/BACKENDS.md).
    if settings.cache.value == "auto"
        && settings.backend.value != crate::settings::BackendKind::Openai
    {
        let ttl = settings
            .cache_ttl
            .value
            .as_deref()
            .and_then(|t| t.parse::<agent_core::CacheTtl>().ok());
        builder = builder.cache(Some(agent_core::CacheSettings { ttl }));
    }
    if let Some(path) = &settings.output_schema.value {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!(
                "cannot read the output schema {}: {e}",
                path.display()
            ))
        })?;
        let schema = serde_json::from_str(&text).map_err(|e| {
            Failure::Usage(format!(
                "the output schema {} is not JSON: {e}",
                path.display()
            ))
        })?;
        let schema = agent_core::OutputSchema::new(schema).map_err(|e| {
            Failure::Usage(format!(
                "the output schema {} cannot be used: {e}",
                path.display()
            ))
        })?;
        builder = builder.output_schema(schema);
    }
    if let Some(spec) = &settings.guardrail.value {
        let mut guardrail = agent_core::Guardrail::parse(spec).map_err(Failure::Usage)?;
        guardrail.trace = settings.guardrail_trace.value;
        builder = builder.guardrail(guardrail);
    }
    for (key, value) in &settings.model_fields.value {
        builder = builder.model_field(key.clone(), value.clone());
    }
    for path in &settings.response_fields.value {
        builder = builder.response_field_path(path.clone());
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approvals_come_from_the_flag_the_tables_and_destructive_mcp_tools() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        std::fs::write(
            &path,
            "[tools.send_mail]\napprove = true\n[tools.fs_trusted_delete]\napprove = false\n",
        )
        .unwrap();
        let resolve = |approve: Option<Vec<String>>, yes: bool| {
            let args = Overrides {
                config: Some(path.clone()),
                approve,
                yes,
                ..Overrides::default()
            };
            Settings::resolve(&args, &ProcessEnv).unwrap()
        };
        let destructive = ["fs_delete".to_owned(), "fs_trusted_delete".to_owned()];
        let policy = approvals(&resolve(Some(vec!["shell".into()]), false), &destructive);
        for (tool, asks) in [
            ("shell", true),
            ("send_mail", true),
            ("fs_delete", true),
            ("fs_trusted_delete", false),
            ("get_weather", false),
        ] {
            assert_eq!(policy.requires(tool), asks, "{tool}");
        }
        let all = approvals(&resolve(Some(vec!["all".into()]), false), &[]);
        assert!(all.requires("get_weather"));
        let yes = approvals(&resolve(Some(vec!["all".into()]), true), &destructive);
        assert!(yes.is_empty());
    }

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
