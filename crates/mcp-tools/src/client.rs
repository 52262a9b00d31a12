//! [`ClientEvents`]: what the agent does with the notifications a server
//! sends it (rmcp's client handler).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rmcp::ClientHandler;
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::{NotificationContext, RoleClient};

/// The client side of one server's sessions (a restarted server's new
/// session gets a clone, so what it hears lands in the same place).
///
/// # Contract
///
/// - `initialize` names the client `agent` (the server's logs and the
///   conformance suite show who connected; rmcp's default would name the
///   SDK) and declares no capabilities: no roots, sampling or elicitation,
///   so a server must not ask for them (one that does anyway is declined).
/// - `notifications/tools/list_changed` marks the server's tool list stale;
///   the list is read again between turns ([`crate::refresh`]), never here.
/// - `notifications/progress` is not handled here: each session routes it
///   to its call as it is read from the wire ([`crate::progress_routes`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientEvents {
    /// Set by `notifications/tools/list_changed`, cleared by the re-read.
    pub(crate) tools_stale: Arc<AtomicBool>,
}

impl ClientHandler for ClientEvents {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("agent", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.tools_stale.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_introduces_itself_as_the_agent_with_no_capabilities() {
        let info = ClientEvents::default().get_info();
        assert_eq!(info.client_info.name, "agent");
        assert_eq!(info.client_info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.capabilities, ClientCapabilities::default());
    }
}
