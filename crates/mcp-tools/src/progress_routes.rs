//! [`ProgressRoutes`]: a server's `notifications/progress` routed to the
//! call they are for as they come off the wire, by [`Tapped`], the client's
//! transport seen before rmcp.
//!
//! Why not rmcp's client handler (`on_progress`): rmcp runs each
//! notification's handler on a task of its own, but hands a response to its
//! request at once, so a report sent just before the answer could reach the
//! call after the answer and be lost. Taken on arrival, in wire order, every
//! report the server sent before its answer is queued for the call before
//! the answer is.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::RoleClient;
use rmcp::model::{JsonRpcMessage, ProgressNotificationParam, ProgressToken, ServerNotification};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::mpsc;

type Routes = HashMap<ProgressToken, mpsc::UnboundedSender<ProgressNotificationParam>>;

/// The calls in flight on a server's sessions, by progress token (a
/// restarted server's new session shares them).
///
/// # Contract
///
/// A report is queued for the call subscribed to its token at the moment it
/// is read from the wire, never later; one for no call in flight is dropped.
/// Queuing never waits (the server's messages are read on).
#[derive(Debug, Clone, Default)]
pub(crate) struct ProgressRoutes(Arc<Mutex<Routes>>);

impl ProgressRoutes {
    /// The reports for `token` from now until the returned queue is dropped.
    pub(crate) fn subscribe(&self, token: ProgressToken) -> ProgressReports {
        let (queue, reports) = mpsc::unbounded_channel();
        self.lock().insert(token.clone(), queue);
        ProgressReports {
            token,
            routes: self.clone(),
            reports,
        }
    }

    fn deliver(&self, report: ProgressNotificationParam) {
        if let Some(queue) = self.lock().get(&report.progress_token) {
            // Closed only as its call ends: nothing waits for the report then.
            let _ = queue.send(report);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One call's reports, in the order the server sent them; unsubscribes when
/// dropped.
pub(crate) struct ProgressReports {
    token: ProgressToken,
    routes: ProgressRoutes,
    reports: mpsc::UnboundedReceiver<ProgressNotificationParam>,
}

impl ProgressReports {
    /// The next report, when it comes.
    pub(crate) async fn next(&mut self) -> Option<ProgressNotificationParam> {
        self.reports.recv().await
    }

    /// A report already here, if any.
    pub(crate) fn ready(&mut self) -> Option<ProgressNotificationParam> {
        self.reports.try_recv().ok()
    }
}

impl Drop for ProgressReports {
    fn drop(&mut self) {
        self.routes.lock().remove(&self.token);
    }
}

/// A client transport whose incoming progress notifications are routed
/// ([`ProgressRoutes`]) as they are read, then passed on to rmcp unchanged.
pub(crate) struct Tapped<T> {
    inner: T,
    routes: ProgressRoutes,
}

impl<T> Tapped<T> {
    /// `inner`, its progress notifications routed by `routes`.
    pub(crate) fn new(inner: T, routes: ProgressRoutes) -> Self {
        Self { inner, routes }
    }
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for Tapped<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        let message = self.inner.receive().await;
        if let Some(JsonRpcMessage::Notification(n)) = &message
            && let ServerNotification::ProgressNotification(p) = &n.notification
        {
            self.routes.deliver(p.params.clone());
        }
        message
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::NumberOrString;

    fn report(token: &ProgressToken, progress: f64) -> ProgressNotificationParam {
        ProgressNotificationParam::new(token.clone(), progress)
    }

    #[test]
    fn reports_reach_their_call_in_order_and_none_after_it_ends() {
        let routes = ProgressRoutes::default();
        let a = ProgressToken(NumberOrString::Number(1));
        let b = ProgressToken(NumberOrString::Number(2));
        let mut reports = routes.subscribe(a.clone());
        routes.deliver(report(&a, 1.0));
        routes.deliver(report(&b, 9.0));
        routes.deliver(report(&a, 2.0));
        assert_eq!(reports.ready().map(|r| r.progress), Some(1.0));
        assert_eq!(reports.ready().map(|r| r.progress), Some(2.0));
        assert!(reports.ready().is_none());
        drop(reports);
        assert!(routes.lock().is_empty());
        routes.deliver(report(&a, 3.0));
    }
}
