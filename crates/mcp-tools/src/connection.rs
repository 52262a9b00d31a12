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
            Transport::Stdio { cwd, .. } => {
                let (child, stdout, stdin) = ChildServer::spawn(config)
                    .map_err(|e| fail(spawn_failure(&e, cwd.as_deref()), Vec::new()))?;
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
                    Ok(Err(e)) => {
                        let reason = match unreachable(url).await {
                            Some(reason) => reason,
                            None => http_failure(url, &e),
                        };
                        Err(fail(reason, Vec::new()))
                    }
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

/// Why a stdio server's process did not start: a missing working
/// directory is named as such (the OS reports it as the command's "No such
/// file or directory").
fn spawn_failure(error: &std::io::Error, cwd: Option<&std::path::Path>) -> String {
    match cwd {
        Some(dir) if !dir.is_dir() => format!(
            "its working directory (cwd) {} does not exist or is not a directory",
            dir.display()
        ),
        _ => format!("cannot run its command: {error}"),
    }
}

/// Why nothing answers at `url`, if nothing does: rmcp's error keeps only
/// "error sending request", not its cause, so a failed `initialize` is
/// followed by one plain TCP connect to the URL's host and port to tell a
/// server that is down (connection refused) or a host that does not
/// resolve from one that answered badly (`None`).
async fn unreachable(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let connect = tokio::net::TcpStream::connect((host, port));
    match tokio::time::timeout(std::time::Duration::from_secs(5), connect).await {
        Ok(Ok(_)) | Err(_) => None,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Some(format!(
            "connection refused: nothing is listening at {url}; check that the server is running \
             and the URL (host, port, path) is right"
        )),
        Ok(Err(e)) => Some(format!(
            "cannot connect to {url}: {e}; check that the server is running and the URL is right"
        )),
    }
}

/// Why an HTTP server gave no session, for a person: connection refused
/// and unknown hosts said plainly with what to check; otherwise rmcp's
/// message, without its transport type names.
fn http_failure(url: &str, error: &(dyn std::error::Error + 'static)) -> String {
    let mut causes = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            causes.push("Connection refused".to_owned());
        }
        causes.push(e.to_string());
        current = e.source();
    }
    let all = causes.join(": ");
    if all.contains("Connection refused") || all.contains("connection refused") {
        return format!(
            "connection refused: nothing is listening at {url}; check that the server is running \
             and the URL (host, port, path) is right"
        );
    }
    if all.contains("dns error") || all.contains("failed to lookup address") {
        return format!("cannot resolve the host of {url}; check the URL");
    }
    let first = causes.first().map(String::as_str).unwrap_or_default();
    format!("initialize failed: {}", without_type_names(first))
}

/// `text` without rmcp's bracketed Rust type names (`Transport
/// [rmcp::transport::worker::WorkerTransport<…>] error`): they mean nothing
/// to the person reading the message.
fn without_type_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(" [rmcp::") {
        out.push_str(&rest[..open]);
        let inside = &rest[open + 2..];
        let mut depth = 1usize;
        let close = inside.char_indices().find_map(|(i, c)| {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i)
        });
        match close {
            Some(i) => rest = &inside[i + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
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
    fn rmcp_type_names_are_left_out() {
        assert_eq!(
            without_type_names(
                "Send message error Transport [rmcp::transport::worker::WorkerTransport<rmcp::X<Y>>] \
                 error: HTTP 401 Unauthorized"
            ),
            "Send message error Transport error: HTTP 401 Unauthorized"
        );
        assert_eq!(without_type_names("plain [1] text"), "plain [1] text");
    }

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
