//! [`ProgressOut`]: a served call's progress reports sent to the MCP client
//! that asked for them, as `notifications/progress` with its token.

use std::future::Future;
use std::sync::Arc;

use agent_core::{CallObserver, ToolUse};
use rmcp::Peer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::RoleServer;
use tokio::sync::mpsc;
use tool_api::Progress;

/// Sends one call's progress reports to the client under `token`.
///
/// # Contract
///
/// - Every report the call makes ([`tool_api::ToolContext::progress`],
///   which an MCP-sourced tool feeds with its own server's reports) is sent
///   in the order made, each written before the next, and all of them
///   before [`ProgressOut::around`] returns: so before the call's result.
/// - `progress` only grows, as the MCP spec asks: a report not above the
///   last one sent (a retried attempt starting over) is not sent.
/// - A report the client cannot be sent (the session is gone) is dropped;
///   the call goes on.
pub(super) struct ProgressOut {
    token: ProgressToken,
    peer: Peer<RoleServer>,
    reports: mpsc::UnboundedReceiver<Progress>,
    last: Option<f64>,
}

/// The executor's observer for the call: queues its reports for
/// [`ProgressOut`] (an observer must not block, so it cannot send).
struct Queue(mpsc::UnboundedSender<Progress>);

impl CallObserver for Queue {
    fn call_progress(&self, _index: usize, _call: &ToolUse, progress: &Progress) {
        // Closed only once the call's result is on its way: nothing to send.
        let _ = self.0.send(progress.clone());
    }
}

impl ProgressOut {
    /// A sender of reports to `peer` under `token`, and the observer to run
    /// the call with.
    pub(super) fn new(
        token: ProgressToken,
        peer: Peer<RoleServer>,
    ) -> (Self, Arc<dyn CallObserver>) {
        let (queue, reports) = mpsc::unbounded_channel();
        let out = Self {
            token,
            peer,
            reports,
            last: None,
        };
        (out, Arc::new(Queue(queue)))
    }

    /// Runs `call`, sending its reports while it runs and those still
    /// queued when it ends, then gives its output.
    pub(super) async fn around<F: Future>(mut self, call: F) -> F::Output {
        tokio::pin!(call);
        let output = loop {
            tokio::select! {
                // Reports already queued go out before the call's end.
                biased;
                Some(report) = self.reports.recv() => self.send(report).await,
                output = &mut call => break output,
            }
        };
        // The observer queues on the tool's task as it reports: every report
        // made before the call ended is here now.
        while let Ok(report) = self.reports.try_recv() {
            self.send(report).await;
        }
        output
    }

    async fn send(&mut self, report: Progress) {
        if self.last.is_some_and(|last| report.progress <= last) {
            return;
        }
        self.last = Some(report.progress);
        let mut param = ProgressNotificationParam::new(self.token.clone(), report.progress);
        param.total = report.total;
        param.message = report.message;
        if let Err(e) = self.peer.notify_progress(param).await {
            tracing::debug!("a progress report could not be sent to the MCP client: {e}");
        }
    }
}
