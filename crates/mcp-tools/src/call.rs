//! [`call_tool`]: one `tools/call` request on a session, its
//! `notifications/progress` forwarded to the call's [`ToolContext`] while
//! it waits, and `notifications/cancelled` sent if it is abandoned.

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, CancelledNotificationParam,
    ClientRequest, RequestId, ServerResult,
};
use rmcp::service::{PeerRequestOptions, RoleClient};
use rmcp::{Peer, ServiceError};
use tool_api::ToolContext;

use crate::connection::Connection;

/// Why a call's `notifications/cancelled` is sent.
const ABANDONED: &str = "the agent stopped waiting for the call (timeout or cancellation)";

/// Sends `params` as a `tools/call` with a progress token and waits for the
/// answer, passing each progress report for that token to `ctx.progress`.
///
/// # Contract
///
/// - Every report the server sends for the call before its answer reaches
///   `ctx`, in the order sent, before this returns (they are routed as read
///   from the wire, [`crate::progress_routes`]); none after.
/// - Dropping the returned future before the answer arrives (a timeout, a
///   cancelled call) sends `notifications/cancelled` for the request, as
///   rmcp's own `call_tool` does.
pub(crate) async fn call_tool(
    connection: &Connection,
    params: CallToolRequestParams,
    ctx: &ToolContext,
) -> Result<CallToolResult, ServiceError> {
    let peer = connection.peer();
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
    let handle = peer
        .send_request_with_option(request, PeerRequestOptions::no_options())
        .await?;
    // No await from here to the subscription: a route the transport opened
    // for this request (`progress_routes`) is always taken, never left.
    let mut guard = CancelOnDrop {
        peer: peer.clone(),
        id: Some(handle.id.clone()),
    };
    let mut reports = connection.progress.subscribe(handle.progress_token.clone());
    let answer = handle.await_response();
    tokio::pin!(answer);
    let answer = loop {
        tokio::select! {
            // Reports already here go out before the answer ends the call.
            biased;
            Some(report) = reports.next() => {
                ctx.progress(report.progress, report.total, report.message);
            }
            answer = &mut answer => break answer,
        }
    };
    // Reports are queued as they are read, in wire order: those the server
    // sent before its answer are all here now.
    while let Some(report) = reports.ready() {
        ctx.progress(report.progress, report.total, report.message);
    }
    guard.id = None;
    match answer? {
        ServerResult::CallToolResult(result) => Ok(result),
        _ => Err(ServiceError::UnexpectedResponse),
    }
}

/// Sends `notifications/cancelled` for request `id` when dropped, unless
/// the answer came (`id` taken).
struct CancelOnDrop {
    peer: Peer<RoleClient>,
    id: Option<RequestId>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else {
            return;
        };
        // Drop cannot wait: the notification goes out on its own task (no
        // runtime means the session is going away with it anyway).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let peer = self.peer.clone();
            runtime.spawn(async move {
                let _ = peer
                    .notify_cancelled(CancelledNotificationParam::new(
                        Some(id),
                        Some(ABANDONED.to_owned()),
                    ))
                    .await;
            });
        }
    }
}
