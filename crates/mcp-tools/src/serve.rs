//! [`ToolServer`]: a tool registry served over MCP (stdio, or streamable
//! HTTP on a TCP listener), every call run
//! through the agent's [`ToolExecutor`], so a plugin's tools work in any MCP
//! client with the same timeouts, retries, isolation and cancellation they
//! get inside the agent, and their progress reports sent to the client.

mod progress;

use std::sync::Arc;

use agent_core::{
    CallFailure, ToolExecutor, ToolResult, ToolResultContent, ToolResultStatus, ToolUse,
};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tool_api::ToolRegistry;

use crate::process_stdio;

/// Why serving stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The client never completed the `initialize` handshake.
    #[error("the MCP client did not initialise the session: {0}")]
    Initialize(String),
    /// The session's task ended abnormally.
    #[error("the MCP session ended abnormally: {0}")]
    Session(String),
    /// The HTTP server failed (accepting connections).
    #[error("serving MCP over HTTP failed: {0}")]
    Http(#[source] std::io::Error),
}

/// The tools of a registry as an MCP server.
///
/// # Contract
///
/// - `tools/list` lists every tool with the spec the model would get (name,
///   description, normalised input schema), in registration order.
/// - `tools/call` runs the call through the executor: many calls at once (up
///   to the executor's limit), each with its timeout and retries; the
///   client's `notifications/cancelled` cancels it.
/// - A call whose `_meta` has a `progressToken` gets each progress report
///   of the tool as `notifications/progress` with that token, in order,
///   `progress` growing, all before its result (`serve/progress.rs`); a
///   call without one gets none.
/// - A tool's failure (bad input, an error, a timeout, a panic) is a result
///   with `isError: true` and the message the model would read; an unknown
///   tool is a protocol error (`-32602`), as the MCP spec asks.
/// - JSON output is sent as text and, when it is an object, also as
///   `structuredContent`.
#[derive(Debug, Clone)]
pub struct ToolServer {
    tools: Arc<ToolRegistry>,
    executor: ToolExecutor,
    listed: Arc<Vec<rmcp::model::Tool>>,
}

impl ToolServer {
    /// A server offering `tools`, calls run by `executor`.
    pub fn new(tools: ToolRegistry, executor: ToolExecutor) -> Self {
        let listed = tools
            .specs()
            .map(|spec| {
                let schema = match &spec.input_schema {
                    Value::Object(map) => map.clone(),
                    _ => serde_json::Map::new(),
                };
                rmcp::model::Tool::new(spec.name.clone(), spec.description.clone(), schema)
            })
            .collect();
        Self {
            tools: Arc::new(tools),
            executor,
            listed: Arc::new(listed),
        }
    }

    /// Serves one session on the process's stdin and stdout until the
    /// client closes it.
    pub async fn serve_stdio(self) -> Result<(), ServeError> {
        self.serve_on(process_stdio::stdin(), process_stdio::stdout())
            .await
    }

    /// Serves one session reading requests from `read` and writing to
    /// `write`, until the client closes it.
    pub async fn serve_on<R, W>(self, read: R, write: W) -> Result<(), ServeError>
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let running = self
            .serve((read, write))
            .await
            .map_err(|e| ServeError::Initialize(e.to_string()))?;
        running
            .waiting()
            .await
            .map(|_| ())
            .map_err(|e| ServeError::Session(e.to_string()))
    }
}

impl ToolServer {
    /// Serves MCP's streamable HTTP transport at `/mcp` on `listener`, to
    /// any number of clients (a session each, sharing the executor), until
    /// `shutdown` fires.
    ///
    /// `Host` headers are checked against DNS rebinding: loopback names and
    /// the listener's own address are accepted.
    pub async fn serve_http(
        self,
        listener: tokio::net::TcpListener,
        shutdown: tool_api::CancellationToken,
    ) -> Result<(), ServeError> {
        use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
        use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

        let mut hosts = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        if let Ok(addr) = listener.local_addr()
            && !addr.ip().is_unspecified()
        {
            hosts.push(addr.ip().to_string());
        }
        let config = StreamableHttpServerConfig::default()
            .with_allowed_hosts(hosts)
            .with_cancellation_token(shutdown.child_token());
        let service = StreamableHttpService::new(
            move || Ok(self.clone()),
            std::sync::Arc::new(LocalSessionManager::default()),
            config,
        );
        let app = axum::Router::new().nest_service("/mcp", service);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .map_err(ServeError::Http)
    }
}

impl ServerHandler for ToolServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("agent", env!("CARGO_PKG_VERSION")))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items((*self.listed).clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.into_owned();
        if self.tools.get(&name).is_none() {
            let available: Vec<&str> = self.tools.names().collect();
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{name}`; available: {}", available.join(", ")),
                None,
            ));
        }
        let call = ToolUse {
            id: format!("mcp-{}", context.id),
            name,
            input: Value::Object(request.arguments.unwrap_or_default()),
        };
        let calls = std::slice::from_ref(&call);
        let outcomes = match context.meta.get_progress_token() {
            Some(token) => {
                let (out, observer) = progress::ProgressOut::new(token, context.peer.clone());
                let execute = self
                    .executor
                    .execute(&self.tools, calls, &context.ct, observer);
                out.around(execute).await
            }
            None => {
                self.executor
                    .execute(&self.tools, calls, &context.ct, Arc::new(()))
                    .await
            }
        };
        let outcome = outcomes.into_iter().next();
        match outcome {
            Some(o) if o.failure == Some(CallFailure::Cancelled) => {
                Err(ErrorData::internal_error("the call was cancelled", None))
            }
            Some(o) => Ok(CallToolResponse::Complete(to_mcp(o.result))),
            None => Err(ErrorData::internal_error(
                "the executor gave no result",
                None,
            )),
        }
    }
}

/// A tool result as an MCP `CallToolResult`.
fn to_mcp(result: ToolResult) -> CallToolResult {
    let mut structured = None;
    let blocks = result
        .content
        .into_iter()
        .map(|c| match c {
            ToolResultContent::Text(text) => ContentBlock::text(text),
            ToolResultContent::Json(value) => {
                let text = value.to_string();
                if value.is_object() {
                    structured = Some(value);
                }
                ContentBlock::text(text)
            }
            ToolResultContent::Image(image) => match image.source.bytes() {
                Some(bytes) => ContentBlock::image(bytes.to_base64(), image.format.mime_type()),
                None => ContentBlock::text(format!("[{} image in S3]", image.format.as_str())),
            },
            // MCP has no document content: its name and format as text.
            ToolResultContent::Document(d) => {
                ContentBlock::text(format!("[document {} ({})]", d.name, d.format.as_str()))
            }
        })
        .collect();
    let mut out = match result.status {
        ToolResultStatus::Success => CallToolResult::success(blocks),
        ToolResultStatus::Error => CallToolResult::error(blocks),
    };
    if result.status == ToolResultStatus::Success {
        out.structured_content = structured;
    }
    out
}
