//! The agent's tools from every source: plugin libraries first, then the
//! MCP servers (all started at once), in one registry where a name clash
//! between any two sources is refused naming both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcp_tools::McpSources;
use tool_api::ToolRegistry;
use tool_api::plugin::host::LoadedPlugin;

use crate::exit::Failure;
use crate::plugins;
use crate::settings::{McpTable, Settings};

/// Every tool the settings name, and where each came from.
#[derive(Debug)]
pub struct Sources {
    /// All tools, ready for the agent.
    pub registry: ToolRegistry,
    /// The plugin libraries loaded.
    pub plugins: Vec<LoadedPlugin>,
    /// The MCP servers' tools (the registry holds them too) and the
    /// optional servers that did not start.
    pub mcp: McpSources,
}

/// The tools of the settings' plugins and MCP servers.
pub async fn from_settings(settings: &Settings) -> Result<Sources, Failure> {
    load(
        &settings.plugins.value,
        settings.plugins_dir.value.as_deref(),
        &settings.plugin_prefixes.value,
        &settings.mcp.value,
    )
    .await
}

/// Loads the plugin `files` and `dir` and the `prefixed` ones (prefix →
/// path), then starts the `mcp` servers.
///
/// A non-optional server that fails to start is exit 4 (its name, command
/// and last stderr lines in the message); an optional one is a warning on
/// stderr and the agent goes on without its tools.
pub async fn load(
    files: &[PathBuf],
    dir: Option<&Path>,
    prefixed: &BTreeMap<String, PathBuf>,
    mcp: &BTreeMap<String, McpTable>,
) -> Result<Sources, Failure> {
    let (mut registry, plugins) = plugins::load_with_prefixes(files, dir, prefixed)?;
    let configs = mcp.iter().map(|(name, t)| t.to_config(name)).collect();
    let mcp = mcp_tools::start_all(configs)
        .await
        .map_err(|e| Failure::Plugin(e.to_string()))?;
    for skipped in &mcp.skipped {
        eprintln!("warning: {skipped}\nwarning: it is optional; going on without its tools");
    }
    if !mcp.tools.is_empty() || !mcp.skipped.is_empty() {
        tracing::info!("MCP servers started in {:?}", mcp.startup);
    }
    mcp.register_into(&mut registry)
        .map_err(|e| Failure::Plugin(e.to_string()))?;
    Ok(Sources {
        registry,
        plugins,
        mcp,
    })
}
