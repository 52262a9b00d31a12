//! `agent tools`: what the plugins and MCP servers offer, and the exact
//! schemas Bedrock gets.

use serde::Serialize;

use crate::cli::ToolsArgs;
use agent_cli::exit::Failure;
use agent_cli::settings::{Overrides, ProcessEnv, Settings};
use agent_cli::{plugins, sources};

#[derive(Serialize)]
struct ToolRow<'a> {
    name: &'a str,
    description: &'a str,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_schema: Option<&'a serde_json::Value>,
    /// What the executor will apply: the spec's declaration with the
    /// `[tools.NAME]` table's fields over it; absent when neither says anything.
    #[serde(skip_serializing_if = "tool_api::Scheduling::is_empty")]
    scheduling: tool_api::Scheduling,
}

/// Lists the tools of the plugins and MCP servers named by the flags, the
/// environment or the config file (the same layering as `agent run`), or
/// runs one (`--call`).
pub async fn tools(args: ToolsArgs) -> Result<(), Failure> {
    let as_agent = Overrides {
        plugins: args.plugins.clone(),
        plugin_prefixes: args.plugin_prefixes.iter().cloned().collect(),
        plugins_dir: args.plugins_dir.clone(),
        mcp: args.mcp.iter().cloned().collect(),
        config: args.config.clone(),
        tool_timeout: args.tool_timeout,
        tool_retries: args.tool_retries,
        ..Overrides::default()
    };
    let settings = Settings::resolve(&as_agent, &ProcessEnv)?;
    settings.validate().map_err(Failure::Usage)?;
    let sources = sources::from_settings(&settings).await?;
    if let Some(name) = &args.call {
        return super::call::call(sources.registry, &settings, name, &args.input, args.json).await;
    }
    let (registry, loaded) = (&sources.registry, &sources.plugins);
    let rows: Vec<ToolRow> = registry
        .iter()
        .map(|t| ToolRow {
            name: &t.spec.name,
            description: &t.spec.description,
            source: &t.source,
            input_schema: args.schema.then_some(&t.spec.input_schema),
            scheduling: match settings.tools.value.get(&t.spec.name) {
                Some(o) => t.spec.scheduling.clone().overridden_by(&o.scheduling()),
                None => t.spec.scheduling.clone(),
            },
        })
        .collect();
    if args.json {
        return agent_cli::json::print(&rows);
    }
    if rows.is_empty() {
        // An empty directory was already named by the loader's warning.
        if settings.plugins_dir.value.is_none()
            && settings.plugins.value.is_empty()
            && settings.plugin_prefixes.value.is_empty()
        {
            eprintln!(
                "no tools loaded: pass --plugin PATH or --mcp NAME=COMMAND (both repeatable) \
                 or --plugins-dir DIR"
            );
        } else {
            eprintln!("no tools loaded");
        }
        return Ok(());
    }
    for plugin in loaded {
        eprintln!("{}", plugins::loaded_line(plugin));
    }
    for (name, server) in &settings.mcp.value {
        let count = sources
            .mcp
            .tools
            .iter()
            .filter(|t| t.server().config().name == *name)
            .count();
        if count > 0 {
            eprintln!(
                "MCP server {name} ({count} tool{}): {}",
                if count == 1 { "" } else { "s" },
                server.to_config(name).command_line()
            );
        }
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for row in &rows {
        out.push_str(&format!("{:<width$}  {}\n", row.name, row.description));
        if let Some(schema) = row.input_schema {
            let pretty =
                serde_json::to_string_pretty(schema).map_err(|e| Failure::Other(e.to_string()))?;
            for line in pretty.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    agent_cli::stdout::write(&out)
}
