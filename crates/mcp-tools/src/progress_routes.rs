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
use rmcp::model::{
    ClientRequest, GetMeta, JsonRpcMessage, ProgressNotificationParam, ProgressToken,
    ServerNotification,
};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::mpsc;

type Routes = HashMap<ProgressToken, Route>;

/// Where one call's reports go.
struct Route {
    queue: mpsc::UnboundedSender<ProgressNotificationParam>,
    /// Until the call takes them.
    reports: Option<mpsc::UnboundedReceiver<ProgressNotificationParam>>,
    /// The request has gone to the transport.
    sent: bool,
    /// The call stopped waiting before its request went to the transport.
    abandoned: bool,
}

impl Route {
    fn new(sent: bool) -> Self {
        let (queue, reports) = mpsc::unbounded_channel();
        Self {
            queue,
            reports: Some(reports),
            sent,
            abandoned: false,
        }
    }
}

/// The calls in flight on one session, by progress token (rmcp's tokens
/// are unique within a session).
///
/// # Contract
///
/// - A call's route opens when its request goes to the transport
///   ([`Tapped`]) or when the call subscribes, whichever is first: a report
///   can never come before its route, however fast the server answers.
/// - A report is queued for its call the moment it is read from the wire,
///   never later; one for no call in flight is dropped. Queuing never waits
///   (the server's messages are read on).
/// - A route closes when the call drops its [`ProgressReports`] (or, when it
///   did so before its request was sent, when the request is sent).
#[derive(Debug, Clone, Default)]
pub(crate) struct ProgressRoutes(Arc<Mutex<Routes>>);

impl ProgressRoutes {
    /// The reports for `token` until the returned queue is dropped (those
    /// that came since the request was sent included).
    pub(crate) fn subscribe(&self, token: ProgressToken) -> ProgressReports {
        let reports = {
            let mut routes = self.lock();
            let route = routes
                .entry(token.clone())
                .or_insert_with(|| Route::new(false));
            route.reports.take()
        };
        // Taken already only if a token were used twice: a fresh queue then.
        let reports = reports.unwrap_or_else(|| mpsc::unbounded_channel().1);
        ProgressReports {
            token,
            routes: self.clone(),
            reports,
        }
    }

    /// The request of the call with `token` goes to the transport.
    fn sent(&self, token: ProgressToken) {
        let mut routes = self.lock();
        match routes.get_mut(&token) {
            Some(route) if route.abandoned => {
                routes.remove(&token);
            }
            Some(route) => route.sent = true,
            None => {
                routes.insert(token, Route::new(true));
            }
        }
    }

    fn deliver(&self, report: ProgressNotificationParam) {
        if let Some(route) = self.lock().get(&report.progress_token) {
            // Closed only as its call ends: nothing waits for the report then.
            let _ = route.queue.send(report);
        }
    }

    fn close(&self, token: &ProgressToken) {
        let mut routes = self.lock();
        match routes.get_mut(token) {
            Some(route) if !route.sent => route.abandoned = true,
            _ => {
                routes.remove(token);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("sent", &self.sent)
            .field("abandoned", &self.abandoned)
            .finish_non_exhaustive()
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
        self.routes.close(&self.token);
    }
}

/// A client transport that opens a call's route as its `tools/call` is
/// sent, and routes incoming progress notifications ([`ProgressRoutes`]) as
/// they are read; every message passes on unchanged.
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
        // rmcp keeps a request's `_meta` beside it until it is written.
        if let JsonRpcMessage::Request(r) = &item
            && let ClientRequest::CallToolRequest(_) = &r.request
            && let Some(token) = r.request.get_meta().get_progress_token()
        {
            self.routes.sent(token);
        }
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
        routes.sent(a.clone());
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

    #[test]
    fn reports_before_the_call_subscribes_wait_for_it() {
        let routes = ProgressRoutes::default();
        let a = ProgressToken(NumberOrString::Number(1));
        routes.sent(a.clone());
        routes.deliver(report(&a, 1.0));
        let mut reports = routes.subscribe(a.clone());
        assert_eq!(reports.ready().map(|r| r.progress), Some(1.0));
        drop(reports);
        assert!(routes.lock().is_empty());
    }

    #[test]
    fn a_call_abandoned_before_its_request_was_sent_leaves_no_route() {
        let routes = ProgressRoutes::default();
        let a = ProgressToken(NumberOrString::Number(1));
        drop(routes.subscribe(a.clone()));
        routes.sent(a);
        assert!(routes.lock().is_empty());
    }
}
