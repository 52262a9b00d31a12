//! [`McpServer`]: one MCP server the agent is connected to, the tools it
//! offers, and the rules for losing it: restarted once, calls limited to its
//! `concurrency`.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::client::ClientEvents;
use crate::connection::Connection;
use crate::{McpServerConfig, McpTool, StartError};

/// A server the agent is connected to.
///
/// # Contract
///
/// - Started by [`McpServer::start`]: the process runs (or the URL
///   answered), `initialize` has been answered, the tools have been listed
///   and each one's spec normalised.
/// - Shared by its tools ([`McpTool`] holds an `Arc`); a stdio server's
///   process is killed when the last holder drops it.
/// - Many calls may be in flight on the one session at once, at most
///   `concurrency` when the configuration sets it.
/// - A lost session (the process died, the HTTP session ended) is replaced
///   by a new one at most once in the server's life: the first call to see
///   the loss restarts it ([`McpServer::reconnect`]); later losses are final.
/// - `notifications/tools/list_changed` marks its list stale; the agent reads
///   it again between turns (`refresh.rs`).
pub struct McpServer {
    config: McpServerConfig,
    /// Hears the notifications of every session it has.
    pub(crate) events: ClientEvents,
    current: Mutex<Arc<Connection>>,
    /// Held while restarting, so calls that lose the session together
    /// restart it once; `true` once the one restart has been used.
    restarted: tokio::sync::Mutex<bool>,
    limit: Option<Semaphore>,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("name", &self.config.name)
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

impl McpServer {
    /// Starts the server `config` describes, initialises the session and
    /// returns its tools (after the allow-list), each ready to register.
    pub async fn start(config: McpServerConfig) -> Result<Vec<McpTool>, StartError> {
        Self::start_shared(config).await.map(|(_, tools)| tools)
    }

    /// [`McpServer::start`], and the server itself (to refresh its tools).
    pub(crate) async fn start_shared(
        config: McpServerConfig,
    ) -> Result<(Arc<Self>, Vec<McpTool>), StartError> {
        let events = ClientEvents::default();
        let connection = Connection::open(&config, 0, events.clone()).await?;
        let fail = |reason: String, stderr: Vec<String>| StartError {
            server: config.name.clone(),
            command: config.command_line(),
            reason,
            stderr,
        };
        let listed = list(&config, &connection).await?;
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
            limit: config.concurrency.map(|n| Semaphore::new(n.max(1))),
            config,
            events,
            current: Mutex::new(Arc::new(connection)),
            restarted: tokio::sync::Mutex::new(false),
        });
        let tools = server.tools_of(listed)?;
        Ok((server, tools))
    }

    /// Its tools now, read again from the server (after it said they changed).
    pub(crate) async fn list_again(self: &Arc<Self>) -> Result<Vec<McpTool>, StartError> {
        let listed = list(&self.config, &self.connection()).await?;
        self.tools_of(listed)
    }

    /// The listed tools that pass the allow-list, each ready to register.
    fn tools_of(
        self: &Arc<Self>,
        listed: Vec<rmcp::model::Tool>,
    ) -> Result<Vec<McpTool>, StartError> {
        listed
            .into_iter()
            .filter(|t| {
                self.config
                    .tools
                    .as_ref()
                    .is_none_or(|w| w.iter().any(|n| n == t.name.as_ref()))
            })
            .map(|t| {
                McpTool::new(Arc::clone(self), t).map_err(|e| StartError {
                    server: self.config.name.clone(),
                    command: self.config.command_line(),
                    reason: e.to_string(),
                    stderr: Vec::new(),
                })
            })
            .collect()
    }

    /// Where its tools come from, for listings and clash messages:
    /// ``MCP server `NAME` ``.
    pub fn source(&self) -> String {
        format!("MCP server `{}`", self.config.name)
    }

    /// The configuration it was started from.
    pub fn config(&self) -> &McpServerConfig {
        &self.config
    }

    /// The current session.
    pub(crate) fn connection(&self) -> Arc<Connection> {
        Arc::clone(&*self.current.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A place among the calls in flight, when the server's `concurrency`
    /// limits them (waits for one to end).
    pub(crate) async fn permit(&self) -> Option<SemaphorePermit<'_>> {
        match &self.limit {
            Some(limit) => limit.acquire().await.ok(),
            None => None,
        }
    }

    /// A session to replace `lost`, which a call found gone: a new one the
    /// first time (a stdio server's process started again, an HTTP session
    /// initialised again), the one another call already made if it did, or
    /// why there is none (the one restart was used, or it failed).
    pub(crate) async fn reconnect(&self, lost: &Connection) -> Result<Arc<Connection>, String> {
        let mut restarted = self.restarted.lock().await;
        let current = self.connection();
        if current.generation != lost.generation {
            return Ok(current);
        }
        if *restarted {
            return Err(
                "it was already restarted once in this run, and is not restarted again".to_owned(),
            );
        }
        *restarted = true;
        match Connection::open(&self.config, lost.generation + 1, self.events.clone()).await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&fresh);
                tracing::warn!(
                    "MCP server `{}` was lost and has been restarted",
                    self.config.name
                );
                Ok(fresh)
            }
            Err(e) => Err(format!("restarting it failed: {}", e.reason)),
        }
    }

    /// The process id of a stdio server while it runs (tests check that no
    /// process outlives the agent).
    pub fn pid(&self) -> Option<u32> {
        self.connection().pid()
    }
}

/// The server's tools, within its start-up time.
async fn list(
    config: &McpServerConfig,
    connection: &Connection,
) -> Result<Vec<rmcp::model::Tool>, StartError> {
    let fail = |reason: String| StartError {
        server: config.name.clone(),
        command: config.command_line(),
        reason,
        stderr: connection.stderr(),
    };
    let limit = config
        .startup_timeout
        .unwrap_or(crate::DEFAULT_STARTUP_TIMEOUT);
    match tokio::time::timeout(limit, connection.peer().list_all_tools()).await {
        Ok(Ok(tools)) => Ok(tools),
        Ok(Err(e)) => Err(fail(format!("tools/list failed: {e}"))),
        Err(_) => Err(fail(format!(
            "it did not answer tools/list within {limit:?}"
        ))),
    }
}
