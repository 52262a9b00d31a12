//! [`Connection`]: one initialised session with a server, over stdio (its
//! child process) or streamable HTTP. A server that is restarted gets a new
//! connection; the old one is dropped with its process.

use std::collections::HashMap;

use http::{HeaderName, HeaderValue};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{Peer, ServiceExt};

use crate::client::ClientEvents;
use crate::progress_routes::{ProgressRoutes, Tapped};
use crate::stdio::ChildServer;
use crate::wire::{WatchedStdout, WireFaults};
use crate::{DEFAULT_STARTUP_TIMEOUT, McpServerConfig, StartError, Transport};

/// How many requests may be in flight on one HTTP session when the
/// server's `concurrency` does not say: rmcp's default (16) would hold a
/// turn's calls back behind the executor's own limit, so as many as a big
/// fan-out needs.
const HTTP_REQUESTS_IN_FLIGHT: usize = 1024;

/// One session with a server.
///
/// # Contract
///
/// `initialize` has been answered. For a stdio server the process is killed
/// when the connection drops; an HTTP session is closed by rmcp.
pub(crate) struct Connection {
    service: RunningService<RoleClient, ClientEvents>,
    child: Option<ChildServer>,
    faults: WireFaults,
    /// The calls in flight on this session, by progress token.
    pub(crate) progress: ProgressRoutes,
    /// Counts the server's connections: 0 at start-up, one more per restart.
    pub(crate) generation: u64,
}

impl Connection {
    /// Starts (stdio) or reaches (HTTP) the server and initialises a session
    /// within the configured start-up time; `events` hears the server's
    /// notifications.
    pub(crate) async fn open(
        config: &McpServerConfig,
        generation: u64,
        events: ClientEvents,
    ) -> Result<Self, StartError> {
        let limit = config.startup_timeout.unwrap_or(DEFAULT_STARTUP_TIMEOUT);
        let fail = |reason: String, stderr: Vec<String>| StartError {
            server: config.name.clone(),
            command: config.command_line(),
            reason,
            stderr,
        };
        let progress = ProgressRoutes::default();
        match &config.transport {
            Transport::Stdio { .. } => {
                let (child, stdout, stdin) = ChildServer::spawn(&config.transport)
                    .map_err(|e| fail(format!("cannot run its command: {e}"), Vec::new()))?;
                let faults = WireFaults::default();
                let stdout = WatchedStdout::new(stdout, faults.clone());
                let transport = Tapped::new(
                    AsyncRwTransport::new_client(stdout, stdin),
                    progress.clone(),
                );
                let init = tokio::time::timeout(limit, events.serve(transport)).await;
                match init {
                    Ok(Ok(service)) => Ok(Self {
                        service,
                        child: Some(child),
                        faults,
                        progress,
                        generation,
                    }),
                    Ok(Err(e)) => {
                        let reason = match child.exit_status_soon().await {
                            Some(status) => {
                                format!("it exited ({status}) before answering initialize")
                            }
                            None => format!("initialize failed: {e}"),
                        };
                        Err(fail(reason, child.final_stderr().await))
                    }
                    Err(_) => {
                        child.kill();
                        Err(fail(
                            format!("it did not answer initialize within {limit:?}"),
                            child.final_stderr().await,
                        ))
                    }
                }
            }
            Transport::Http { url, headers } => {
                let headers = header_map(headers).map_err(|reason| fail(reason, Vec::new()))?;
                let transport = StreamableHttpClientTransport::from_config(
                    StreamableHttpClientTransportConfig::with_uri(url.as_str())
                        .custom_headers(headers)
                        .max_concurrent_requests(
                            config.concurrency.unwrap_or(HTTP_REQUESTS_IN_FLIGHT),
                        ),
                );
                let transport = Tapped::new(transport, progress.clone());
                match tokio::time::timeout(limit, events.serve(transport)).await {
                    Ok(Ok(service)) => Ok(Self {
                        service,
                        child: None,
                        faults: WireFaults::default(),
                        progress,
                        generation,
                    }),
                    Ok(Err(e)) => Err(fail(format!("initialize failed: {e}"), Vec::new())),
                    Err(_) => Err(fail(
                        format!("it did not answer initialize within {limit:?}"),
                        Vec::new(),
                    )),
                }
            }
        }
    }

    /// The session, to send requests on.
    pub(crate) fn peer(&self) -> &Peer<RoleClient> {
        self.service.peer()
    }

    /// How many things a stdio server wrote on its stdout that were not
    /// messages (rmcp drops them), and the last one: to explain a call left
    /// unanswered.
    pub(crate) fn wire_faults(&self) -> (u64, Option<String>) {
        self.faults.last()
    }

    /// The last lines a stdio server wrote to its stderr (none for HTTP).
    pub(crate) fn stderr(&self) -> Vec<String> {
        self.child
            .as_ref()
            .map(|c| c.stderr.lines())
            .unwrap_or_default()
    }

    /// Why the session is gone, for a call that lost it: a stdio server's
    /// exit status and last stderr lines; for HTTP, that the session ended.
    pub(crate) async fn lost(&self) -> String {
        let Some(child) = &self.child else {
            return "the HTTP session was lost".to_owned();
        };
        let status = match child.exit_status_soon().await {
            Some(status) => format!("the server exited ({status})"),
            None => "the server closed the connection".to_owned(),
        };
        let stderr = child.final_stderr().await;
        if stderr.is_empty() {
            status
        } else {
            format!("{status}; its last stderr lines: {}", stderr.join(" | "))
        }
    }

    /// The process id of a stdio server while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(ChildServer::id)
    }
}

/// Configured headers as HTTP headers, or why one cannot be sent.
fn header_map(
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<HashMap<HeaderName, HeaderValue>, String> {
    headers
        .iter()
        .map(|(name, value)| {
            let header = HeaderName::try_from(name.as_str())
                .map_err(|_| format!("header name {name:?} is not a valid HTTP header name"))?;
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|_| format!("the value of header {name:?} is not a valid header value"))?;
            Ok((header, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked_without_showing_their_values() {
        let ok = [("Authorization".to_owned(), "Bearer s3cret".to_owned())].into();
        assert_eq!(header_map(&ok).unwrap().len(), 1);
        let bad = [("Authorization".to_owned(), "Bearer s3cret\n".to_owned())].into();
        let err = header_map(&bad).unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(err.contains("\"Authorization\""), "{err}");
    }
}
