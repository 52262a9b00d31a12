//! [`start_all`]: every configured server started at once, their tools
//! collected, optional servers' failures set aside as warnings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tool_api::{RegistryError, ToolRegistry};

use crate::{McpServer, McpServerConfig, McpTool, StartError};

/// The tools of every server that started.
#[derive(Debug, Default)]
pub struct McpSources {
    /// Every tool, server by server in configuration order, each server's
    /// tools in the order it listed them.
    pub tools: Vec<McpTool>,
    /// Optional servers that failed to start: warn about them and go on.
    pub skipped: Vec<StartError>,
    /// How long starting all servers took (they start concurrently).
    pub startup: Duration,
    /// The servers that started, for [`McpSources::tool_sources`].
    servers: Vec<Arc<McpServer>>,
}

impl McpSources {
    /// Adds every tool to `registry`, its source the server; a name clash
    /// with a tool already there is refused naming both sources.
    pub fn register_into(&self, registry: &mut ToolRegistry) -> Result<(), RegistryError> {
        for tool in &self.tools {
            registry.register(Arc::new(tool.clone()), tool.source())?;
        }
        Ok(())
    }

    /// Each server's tool list as a source the agent reads again between
    /// turns once the server sends `notifications/tools/list_changed`
    /// (give each to [`agent_core::AgentBuilder::tool_source`]).
    pub fn tool_sources(&self) -> Vec<Arc<dyn agent_core::ToolSource>> {
        self.servers
            .iter()
            .map(|s| Arc::new(crate::refresh::ServerTools(Arc::clone(s))) as _)
            .collect()
    }
}

/// Starts every server in `configs` concurrently.
///
/// The first non-optional server that fails (in configuration order) is the
/// error; the others are stopped as their handles drop.
pub async fn start_all(configs: Vec<McpServerConfig>) -> Result<McpSources, StartError> {
    let started = Instant::now();
    let optional: Vec<bool> = configs.iter().map(|c| c.optional).collect();
    let results = futures::future::join_all(configs.into_iter().map(McpServer::start_shared)).await;
    let mut sources = McpSources::default();
    for (result, optional) in results.into_iter().zip(optional) {
        match result {
            Ok((server, tools)) => {
                sources.tools.extend(tools);
                sources.servers.push(server);
            }
            Err(e) if optional => sources.skipped.push(e),
            Err(e) => return Err(e),
        }
    }
    sources.startup = started.elapsed();
    Ok(sources)
}
