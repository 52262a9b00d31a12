//! A server's tools as an [`agent_core::ToolSource`]: read again between
//! turns once the server sent `notifications/tools/list_changed`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use agent_core::{ToolSource, ToolSourceError};
use tool_api::{Tool, async_trait};

use crate::McpServer;

/// One server's tool list, for [`agent_core::AgentBuilder::tool_source`].
#[derive(Debug, Clone)]
pub(crate) struct ServerTools(pub(crate) Arc<McpServer>);

#[async_trait]
impl ToolSource for ServerTools {
    fn source(&self) -> String {
        self.0.source()
    }

    fn changed(&self) -> bool {
        self.0.events.tools_stale.load(Ordering::Acquire)
    }

    async fn tools(&self) -> Result<Vec<Arc<dyn Tool>>, ToolSourceError> {
        // Cleared before reading: a change announced while the list is read
        // marks it stale again, for the next turn.
        self.0.events.tools_stale.store(false, Ordering::Release);
        let tools = self.0.list_again().await?;
        Ok(tools
            .into_iter()
            .map(|t| Arc::new(t) as Arc<dyn Tool>)
            .collect())
    }
}
