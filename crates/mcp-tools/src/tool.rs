//! [`McpTool`]: one tool of an MCP server as a [`tool_api::Tool`]; its call
//! is a `tools/call` request on the server's session.

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::ServiceError;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use serde_json::Value;
use tool_api::{
    Scheduling, SpecError, Tool, ToolContext, ToolError, ToolOutput, ToolSpec, async_trait,
};

use crate::{McpServer, call, content, model_name};

/// What the server says about a tool's behaviour (MCP tool annotations).
///
/// Hints only, from a server that may not be trusted: kept for the
/// executor's scheduling and for retries, never a reason to skip a check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolHints {
    /// `readOnlyHint`: the tool changes nothing.
    pub read_only: Option<bool>,
    /// `idempotentHint`: calling it twice with the same input does no more than once.
    pub idempotent: Option<bool>,
    /// `destructiveHint`: it may destroy or overwrite data.
    pub destructive: Option<bool>,
}

/// One tool of an MCP server.
///
/// # Contract
///
/// - Its spec's name is [`model_name`] of the server's name under the
///   server's prefix; the call uses the server's own name.
/// - The input schema is the server's `inputSchema`, normalised like a
///   plugin's ([`ToolSpec::normalized`]).
/// - The server's `notifications/progress` for the call become
///   [`ToolContext::progress`] reports.
/// - A call past the server's `timeout`, or whose
///   [`ToolContext::cancellation`] fires, is abandoned and the server is sent
///   `notifications/cancelled` for it.
/// - `isError` results, a lost session and a timeout are [`ToolError::Fatal`]
///   with a message for the model.
/// - A call that loses the session restarts the server (once in its life,
///   [`McpServer`]) and is sent again on the new session only when the tool
///   is idempotent (its spec's scheduling says so); otherwise it is an error
///   result, and later calls use the new session.
/// - At most the server's `concurrency` calls are in flight; the server's
///   `timeout` starts once the call has its place.
#[derive(Debug, Clone)]
pub struct McpTool {
    server: Arc<McpServer>,
    spec: ToolSpec,
    remote_name: String,
    hints: ToolHints,
}

impl McpTool {
    /// The tool `tool` of `server`, its spec checked and normalised.
    pub(crate) fn new(server: Arc<McpServer>, tool: rmcp::model::Tool) -> Result<Self, SpecError> {
        let name = model_name(server.config().prefix.as_deref(), &tool.name);
        let description = tool
            .description
            .as_deref()
            .or(tool.title.as_deref())
            .unwrap_or_default()
            .to_owned();
        let schema = Value::Object((*tool.input_schema).clone());
        let spec = ToolSpec::new(name, description, schema)
            .normalized()
            .map_err(|e| match e {
                SpecError::Schema { reason, .. } => SpecError::Schema {
                    tool: tool.name.to_string(),
                    reason,
                },
                other => other,
            })?;
        let hints = tool
            .annotations
            .as_ref()
            .map(|a| ToolHints {
                read_only: a.read_only_hint,
                idempotent: a.idempotent_hint,
                destructive: a.destructive_hint,
            })
            .unwrap_or_default();
        // What the server says of the tool's effects reaches the scheduler:
        // a read-only tool has no effect to repeat, so it is idempotent
        // too. `cache_ttl` and resources stay the host's to declare.
        let idempotent = match (hints.idempotent, hints.read_only) {
            (Some(i), _) => Some(i),
            (None, Some(true)) => Some(true),
            _ => None,
        };
        let spec = spec.with_scheduling(Scheduling {
            idempotent,
            ..Scheduling::default()
        });
        Ok(Self {
            server,
            spec,
            remote_name: tool.name.into_owned(),
            hints,
        })
    }

    /// The server's name for the tool (what `tools/call` sends).
    pub fn remote_name(&self) -> &str {
        &self.remote_name
    }

    /// The server it belongs to.
    pub fn server(&self) -> &McpServer {
        &self.server
    }

    /// Its annotations.
    pub fn hints(&self) -> ToolHints {
        self.hints
    }

    /// Where it comes from, for listings and clash messages:
    /// `mcp server `NAME``.
    pub fn source(&self) -> String {
        self.server.source()
    }

    /// Whether a call may be sent twice: the spec says idempotent (from the
    /// server's annotations).
    fn idempotent(&self) -> bool {
        self.spec.scheduling.idempotent == Some(true)
    }

    /// Sends the request and waits for its answer; a lost session is
    /// restarted and, for an idempotent tool, the call sent once more.
    async fn request(&self, input: Value, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let arguments = match input {
            Value::Object(map) => Some(map),
            Value::Null => None,
            other => {
                return Err(ToolError::invalid_input(format!(
                    "the input must be a JSON object, not {other}"
                )));
            }
        };
        let mut params = CallToolRequestParams::new(Cow::Owned(self.remote_name.clone()));
        params.arguments = arguments;
        let name = &self.server.config().name;
        let connection = self.server.connection();
        // Only a call that may be sent again keeps a copy of its request.
        let again = self.idempotent().then(|| params.clone());
        let first = call::call_tool(&connection, params, ctx).await;
        if !is_lost(&first) {
            return self.answer(first);
        }
        let why = connection.lost().await;
        match (self.server.reconnect(&connection).await, again) {
            (Err(reason), _) => Err(ToolError::fatal(format!(
                "the MCP server `{name}` is gone: {why}; {reason}"
            ))),
            (Ok(fresh), Some(params)) => {
                let second = call::call_tool(&fresh, params, ctx).await;
                if is_lost(&second) {
                    return Err(ToolError::fatal(format!(
                        "the MCP server `{name}` is gone: {why}; it was restarted and the call \
                         sent again, but that session was lost too: {}",
                        fresh.lost().await
                    )));
                }
                self.answer(second)
            }
            (Ok(_), None) => Err(ToolError::fatal(format!(
                "the MCP server `{name}` is gone: {why}; it has been restarted for later calls, \
                 but this call was not sent again because `{}` is not marked idempotent",
                self.remote_name
            ))),
        }
    }

    /// The tool output (or error result) for the server's answer.
    fn answer(
        &self,
        answer: Result<CallToolResult, ServiceError>,
    ) -> Result<ToolOutput, ToolError> {
        let name = &self.server.config().name;
        match answer {
            Ok(result) => content::to_output(result),
            Err(ServiceError::McpError(e)) => Err(ToolError::fatal(format!(
                "the MCP server `{name}` refused the call: {} (code {})",
                e.message, e.code.0
            ))),
            Err(e) => Err(ToolError::fatal(format!(
                "the MCP server `{name}` failed the call: {e}"
            ))),
        }
    }
}

/// Whether a call's answer says the session is gone (rather than the call failed).
fn is_lost(answer: &Result<CallToolResult, ServiceError>) -> bool {
    matches!(
        answer,
        Err(ServiceError::TransportClosed | ServiceError::TransportSend(_))
    )
}

#[async_trait]
impl Tool for McpTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        // Waiting for a place counts against the executor's timeout, not
        // the server's: the server's measures the server.
        let _permit = self.server.permit().await;
        let (faults_before, _) = self.server.connection().wire_faults();
        // Dropping the request future is what sends
        // `notifications/cancelled` (`call.rs`), so both ways out below drop it.
        let request = self.request(input, &ctx);
        let timeout = self.server.config().timeout;
        let timed = async {
            match timeout {
                Some(limit) => tokio::time::timeout(limit, request).await.map_err(|_| {
                    let mut message = format!(
                        "the MCP server `{}` did not answer within {limit:?}; the call was cancelled",
                        self.server.config().name
                    );
                    // What rmcp dropped while the call waited is likely its answer.
                    if let (count, Some(fault)) = self.server.connection().wire_faults()
                        && count > faults_before
                    {
                        message.push_str("; meanwhile ");
                        message.push_str(&fault);
                    }
                    ToolError::fatal(message)
                })?,
                None => request.await,
            }
        };
        tokio::select! {
            result = timed => result,
            () = ctx.cancellation().cancelled() => Err(ToolError::fatal("the call was cancelled")),
        }
    }
}
