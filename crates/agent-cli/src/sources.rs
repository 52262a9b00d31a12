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

/// The tools of the settings' plugins and MCP servers; names in the
/// settings that none of them has are warned of on stderr
/// ([`crate::name_check`]).
pub async fn from_settings(settings: &Settings) -> Result<Sources, Failure> {
    let sources = load(
        &settings.plugins.value,
        settings.plugins_dir.value.as_deref(),
        &settings.plugin_prefixes.value,
        &settings.mcp.value,
    )
    .await?;
    crate::name_check::warn(settings, sources.registry.names());
    Ok(sources)
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
        .map_err(|e| Failure::Plugin(clash_help(&e)))?;
    Ok(Sources {
        registry,
        plugins,
        mcp,
    })
}

/// A registry error, with how to resolve a name clash that involves an MCP
/// server: its `prefix`, which only an `agent.toml` table can set (an
/// `--mcp` flag has no room for one, and replaces the file's servers).
fn clash_help(error: &tool_api::RegistryError) -> String {
    let tool_api::RegistryError::Duplicate {
        name,
        first,
        second,
    } = error
    else {
        return error.to_string();
    };
    let server = [first, second]
        .into_iter()
        .find_map(|s| s.strip_prefix("MCP server `")?.strip_suffix('`'));
    let Some(server) = server else {
        return error.to_string();
    };
    format!(
        "{error}.\nTo keep both, give the MCP server a prefix in agent.toml (its tools become \
         {server}_{name}, …):\n\n  [mcp.{server}]\n  # command/args or url as now\n  \
         prefix = \"{server}_\"\n\n(an --mcp flag cannot set a prefix and replaces the file's \
         [mcp] servers: drop the --mcp flag once the table is there; a plugin takes one with \
         --plugin-prefix PREFIX=PATH)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clash_with_an_mcp_server_says_how_to_prefix_it() {
        let e = tool_api::RegistryError::Duplicate {
            name: "echo".into(),
            first: "plugin /x/libdemo.so".into(),
            second: "MCP server `ev`".into(),
        };
        let text = clash_help(&e);
        assert!(
            text.contains("[mcp.ev]\n  # command/args or url as now\n  prefix = \"ev_\""),
            "{text}"
        );
        assert!(text.contains("ev_echo"), "{text}");
        let plain = tool_api::RegistryError::Duplicate {
            name: "echo".into(),
            first: "plugin a".into(),
            second: "plugin b".into(),
        };
        assert_eq!(clash_help(&plain), plain.to_string());
    }
}
