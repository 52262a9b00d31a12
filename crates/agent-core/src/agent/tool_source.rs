//! [`ToolSource`]: a source of tools whose list can change while the agent
//! runs (an MCP server that sends `notifications/tools/list_changed`), and
//! [`LiveTools`], the agent's tool list refreshed from such sources before
//! each model call.

use std::sync::Arc;

use async_trait::async_trait;
use tool_api::{Tool, ToolRegistry, ToolSpec};

use super::run::Run;

/// Why a source could not say what its tools are now.
pub type ToolSourceError = Box<dyn std::error::Error + Send + Sync>;

/// A source of tools whose list may change during a run.
///
/// # Contract
///
/// - [`ToolSource::source`] is the source its tools are registered under in
///   the agent's [`ToolRegistry`]: on a refresh the agent drops every tool
///   registered under it and registers what [`ToolSource::tools`] returns.
/// - [`ToolSource::changed`] is cheap (an atomic read): the agent asks it
///   before every model request.
/// - [`ToolSource::tools`] clears `changed` before it reads the list, so a
///   change that arrives while it reads marks the source again.
/// - The agent refreshes only between turns, before a model request: a batch
///   of calls keeps the list of its turn. A new tool is offered to the model
///   from the next request on; a call to a removed one is an unknown-tool
///   error result. A refresh that fails (the source errs, or a new name
///   clashes with another source's) is logged and the old list kept.
/// - A new tool runs with the executor's defaults: scheduling its spec
///   declares and the agent's per-tool settings are read once, at build.
#[async_trait]
pub trait ToolSource: Send + Sync {
    /// The source its tools are registered under (e.g. ``MCP server `fs` ``).
    fn source(&self) -> String;

    /// Whether its list changed since [`ToolSource::tools`] last read it.
    fn changed(&self) -> bool;

    /// Its tools now.
    async fn tools(&self) -> Result<Vec<Arc<dyn Tool>>, ToolSourceError>;
}

/// The agent's current tools and their specs, as one request sees them.
#[derive(Clone)]
pub(super) struct Snapshot {
    pub(super) tools: Arc<ToolRegistry>,
    pub(super) specs: Arc<Vec<ToolSpec>>,
}

/// The agent's tool list, shared by its clones and runs, refreshed from its
/// [`ToolSource`]s.
#[derive(Clone)]
pub(super) struct LiveTools {
    sources: Arc<Vec<Arc<dyn ToolSource>>>,
    /// Held while refreshing, so runs that share the agent refresh once.
    current: Arc<tokio::sync::Mutex<Snapshot>>,
}

impl LiveTools {
    pub(super) fn new(sources: Vec<Arc<dyn ToolSource>>, start: Snapshot) -> Self {
        Self {
            sources: Arc::new(sources),
            current: Arc::new(tokio::sync::Mutex::new(start)),
        }
    }

    /// The list now: the last one, with every source that changed read again.
    pub(super) async fn current(&self) -> Snapshot {
        let mut current = self.current.lock().await;
        for source in self.sources.iter().filter(|s| s.changed()) {
            let name = source.source();
            match source.tools().await {
                Ok(tools) => match replaced(&current.tools, &name, tools) {
                    Ok(registry) => {
                        tracing::info!(
                            "the tools of {name} changed; the model is offered the new list"
                        );
                        *current = Snapshot {
                            specs: Arc::new(registry.specs().cloned().collect()),
                            tools: Arc::new(registry),
                        };
                    }
                    Err(e) => {
                        tracing::warn!("the new tools of {name} are not used: {e}");
                    }
                },
                Err(e) => tracing::warn!("cannot read the new tools of {name}: {e}"),
            }
        }
        current.clone()
    }
}

/// `registry` with the tools of `source` replaced by `tools`.
fn replaced(
    registry: &ToolRegistry,
    source: &str,
    tools: Vec<Arc<dyn Tool>>,
) -> Result<ToolRegistry, tool_api::RegistryError> {
    let mut fresh = ToolRegistry::new();
    for kept in registry.iter().filter(|t| t.source != source) {
        fresh.register(Arc::clone(&kept.tool), kept.source.clone())?;
    }
    for tool in tools {
        fresh.register(tool, source)?;
    }
    Ok(fresh)
}

impl Run<'_> {
    /// Takes up the agent's current tool list before a model request.
    pub(super) async fn refresh_tools(&mut self) {
        if let Some(live) = &self.agent.live {
            let Snapshot { tools, specs } = live.current().await;
            self.tools = tools;
            self.specs = specs;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tool_api::{ToolOutput, tool_fn};

    fn tool(name: &str) -> Arc<dyn Tool> {
        Arc::new(
            tool_fn(name, "A tool.", |(): (), _| async {
                Ok(ToolOutput::text("ok"))
            })
            .unwrap(),
        )
    }

    #[test]
    fn a_source_s_tools_are_replaced_and_the_others_kept() {
        let mut registry = ToolRegistry::new();
        registry.register(tool("local"), "built-in").unwrap();
        registry.register(tool("old"), "server").unwrap();
        let fresh = replaced(&registry, "server", vec![tool("new")]).unwrap();
        assert_eq!(fresh.names().collect::<Vec<_>>(), ["local", "new"]);
        let clash = replaced(&registry, "server", vec![tool("local")]).unwrap_err();
        assert!(clash.to_string().contains("built-in"), "{clash}");
    }
}
