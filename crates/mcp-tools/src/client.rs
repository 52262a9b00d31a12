//! [`ClientEvents`]: what the agent does with the notifications a server
//! sends it (rmcp's client handler).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rmcp::ClientHandler;
use rmcp::service::{NotificationContext, RoleClient};

/// The client side of one server's sessions (a restarted server's new
/// session gets a clone, so what it hears lands in the same place).
///
/// # Contract
///
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
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.tools_stale.store(true, Ordering::Release);
    }
}
