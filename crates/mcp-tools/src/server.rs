//! [`McpServer`]: one started, initialised MCP server session and the tools
//! it offers.

use std::sync::Arc;

use rmcp::service::{RoleClient, RunningService};
use rmcp::{Peer, ServiceExt};

use crate::stdio::ChildServer;
use crate::{DEFAULT_STARTUP_TIMEOUT, McpServerConfig, McpTool, StartError};

/// A server the agent is connected to.
///
/// # Contract
///
/// - Started by [`McpServer::start`]: the process runs, `initialize` has been
///   answered, the tools have been listed and each one's spec normalised.
/// - Shared by its tools ([`McpTool`] holds an `Arc`); the process is killed
///   when the last holder drops it.
/// - Many calls may be in flight on the one session at once.
pub struct McpServer {
    config: McpServerConfig,
    service: RunningService<RoleClient, ()>,
    child: ChildServer,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("name", &self.config.name)
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

impl McpServer {
    /// Starts the server `config` describes, initialises the session and
    /// returns its tools (after the allow-list), each ready to register.
    pub async fn start(config: McpServerConfig) -> Result<Vec<McpTool>, StartError> {
        let fail = |reason: String, stderr: Vec<String>| StartError {
            server: config.name.clone(),
            command: config.command_line(),
            reason,
            stderr,
        };
        let (child, stdout, stdin) = ChildServer::spawn(&config.transport)
            .map_err(|e| fail(format!("cannot run its command: {e}"), Vec::new()))?;
        let limit = config.startup_timeout.unwrap_or(DEFAULT_STARTUP_TIMEOUT);
        let init = tokio::time::timeout(limit, ().serve((stdout, stdin))).await;
        let service = match init {
            Ok(Ok(service)) => service,
            Ok(Err(e)) => {
                let reason = match child.exit_status_soon().await {
                    Some(status) => format!("it exited ({status}) before answering initialize"),
                    None => format!("initialize failed: {e}"),
                };
                return Err(fail(reason, child.final_stderr().await));
            }
            Err(_) => {
                child.kill();
                return Err(fail(
                    format!("it did not answer initialize within {limit:?}"),
                    child.final_stderr().await,
                ));
            }
        };
        let listed = tokio::time::timeout(limit, service.peer().list_all_tools()).await;
        let listed = match listed {
            Ok(Ok(tools)) => tools,
            Ok(Err(e)) => {
                return Err(fail(
                    format!("tools/list failed: {e}"),
                    child.stderr.lines(),
                ));
            }
            Err(_) => {
                return Err(fail(
                    format!("it did not answer tools/list within {limit:?}"),
                    child.stderr.lines(),
                ));
            }
        };
        if let Some(wanted) = &config.tools
            && let Some(missing) = wanted
                .iter()
                .find(|w| !listed.iter().any(|t| t.name == w.as_str()))
        {
            let offered: Vec<&str> = listed.iter().map(|t| t.name.as_ref()).collect();
            return Err(fail(
                format!(
                    "the allow-list names `{missing}`, which it does not offer; it offers: {}",
                    offered.join(", ")
                ),
                Vec::new(),
            ));
        }
        let server = Arc::new(Self {
            config,
            service,
            child,
        });
        listed
            .into_iter()
            .filter(|t| {
                server
                    .config
                    .tools
                    .as_ref()
                    .is_none_or(|w| w.iter().any(|n| n == t.name.as_ref()))
            })
            .map(|t| {
                McpTool::new(Arc::clone(&server), t).map_err(|e| StartError {
                    server: server.config.name.clone(),
                    command: server.config.command_line(),
                    reason: e.to_string(),
                    stderr: Vec::new(),
                })
            })
            .collect()
    }

    /// The configuration it was started from.
    pub fn config(&self) -> &McpServerConfig {
        &self.config
    }

    /// The session, to send requests on.
    pub(crate) fn peer(&self) -> &Peer<RoleClient> {
        self.service.peer()
    }

    /// Why the session is gone, for a call that lost it: the process's exit
    /// status and its last stderr lines.
    pub(crate) async fn lost(&self) -> String {
        let status = match self.child.exit_status_soon().await {
            Some(status) => format!("the server exited ({status})"),
            None => "the server closed the connection".to_owned(),
        };
        let stderr = self.child.final_stderr().await;
        if stderr.is_empty() {
            status
        } else {
            format!("{status}; its last stderr lines: {}", stderr.join(" | "))
        }
    }

    /// The process id of a stdio server while it runs (tests check that no
    /// process outlives the agent).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}
