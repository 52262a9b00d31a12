//! [`Notifier`]: a call's line to the host's `notify` callback, closed by
//! the call's completion, so the plugin never notifies after completing.
//!
//! The host's `complete_ctx` is valid for `notify` only until the call's one
//! `complete`. A tool may report progress from a task it spawned, which can
//! outlive the call, so the rule cannot rest on the tool: the callback sits
//! behind a lock, every notification holds the lock while it invokes the
//! callback, and the completion takes the callback out under the same lock
//! before it completes ([`Completion`](super::completion::Completion) calls
//! [`Notifier::close`]). A report after that finds nothing to invoke.

use std::sync::{Mutex, PoisonError};

use super::completion::HostContext;
use crate::plugin::abi::{NOTIFY_PROGRESS, NOTIFY_STARTED, NotifyFn};
use crate::plugin::status::ProgressReport;
use crate::{Progress, ProgressSink};

/// The host's notification callback for one call, until the call completes.
pub(super) struct Notifier {
    call_id: u64,
    host: Mutex<Option<(NotifyFn, HostContext)>>,
}

impl Notifier {
    /// The notifier of the host's call `call_id`.
    pub(super) fn new(call_id: u64, notify: NotifyFn, complete_ctx: HostContext) -> Self {
        Self {
            call_id,
            host: Mutex::new(Some((notify, complete_ctx))),
        }
    }

    /// Tells the host the call's tool is being polled for the first time.
    pub(super) fn started(&self) {
        self.send(NOTIFY_STARTED, &[]);
    }

    /// Invokes the host's callback, unless the call has completed. A
    /// poisoned lock still holds a valid `Option`: only `close` changes it.
    fn send(&self, kind: u32, payload: &[u8]) {
        let host = self.host.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((notify, HostContext(complete_ctx))) = host.as_ref() {
            // SAFETY: `notify` and `complete_ctx` are the host's for this
            // call, and the call has not completed: `close` takes them out
            // under this lock before the completion, and we hold it until
            // the callback returns. `payload` is valid during the callback.
            unsafe {
                notify(
                    *complete_ctx,
                    self.call_id,
                    kind,
                    payload.as_ptr(),
                    payload.len(),
                )
            };
        }
    }

    /// Ends notifications: called by the completion before it completes, it
    /// waits for a notification in progress to return.
    pub(super) fn close(&self) {
        self.host
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

/// A tool's progress reports go to the host as `NOTIFY_PROGRESS`.
impl ProgressSink for Notifier {
    fn report(&self, progress: Progress) {
        self.send(NOTIFY_PROGRESS, &ProgressReport::from(progress).to_json());
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::c_void;

    use super::*;

    type Seen = Mutex<Vec<(u64, u32, Vec<u8>)>>;

    unsafe extern "C" fn record(ctx: *mut c_void, call_id: u64, kind: u32, p: *const u8, n: usize) {
        // SAFETY: every context here is a `&Seen` that outlives the test.
        let seen = unsafe { &*ctx.cast::<Seen>() };
        // SAFETY: `n` bytes at `p`, valid during the callback.
        let bytes = unsafe { std::slice::from_raw_parts(p, n) }.to_vec();
        seen.lock().unwrap().push((call_id, kind, bytes));
    }

    #[test]
    fn nothing_is_sent_after_close() {
        let seen = Seen::default();
        let ctx = HostContext(std::ptr::from_ref(&seen).cast_mut().cast());
        let n = Notifier::new(4, record, ctx);
        n.started();
        n.report(Progress {
            progress: 1.0,
            total: Some(2.0),
            message: None,
        });
        n.close();
        n.report(Progress {
            progress: 2.0,
            total: Some(2.0),
            message: None,
        });
        n.started();
        let seen = seen.into_inner().unwrap();
        assert_eq!(
            seen,
            [
                (4, NOTIFY_STARTED, Vec::new()),
                (
                    4,
                    NOTIFY_PROGRESS,
                    br#"{"progress":1.0,"total":2.0}"#.to_vec()
                )
            ]
        );
    }
}
