//! Running one [`CallRequest`] against a tool, the way a plugin does: build the
//! tool's [`ToolContext`], run it with panics caught, and turn the outcome
//! into a [`CallResult`]. Shared by the export side and the test support, so
//! an author's tests go through the same path as the real ABI.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt;
use tokio_util::sync::CancellationToken;

use super::payload::{CallRequest, CallResult};
use crate::{ProgressSink, Tool, ToolContext};

/// Runs `request` on `tool` with `token` as its cancellation token and
/// `progress` (if any) receiving its progress reports; a panic becomes a
/// fatal error result naming the tool and carrying the panic's message
/// ([`CallResult::panicked`]).
pub(crate) async fn run(
    tool: &dyn Tool,
    request: CallRequest,
    token: CancellationToken,
    progress: Option<Arc<dyn ProgressSink>>,
) -> CallResult {
    let deadline = request
        .timeout()
        .and_then(|t| Instant::now().checked_add(t));
    let mut ctx = ToolContext::new(request.call_id)
        .with_attempt(request.attempt)
        .with_cancellation(token);
    if let Some(deadline) = deadline {
        ctx = ctx.with_deadline(deadline);
    }
    if let Some(sink) = progress {
        ctx = ctx.with_progress_sink(sink);
    }
    let name = request.tool;
    match AssertUnwindSafe(tool.call(request.input, ctx))
        .catch_unwind()
        .await
    {
        Ok(result) => result.into(),
        Err(panic) => CallResult::panicked(&name, panic_message(panic.as_ref())),
    }
}

/// The message of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}
