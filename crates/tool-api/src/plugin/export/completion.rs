//! [`Completion`]: a call's promise to invoke the host's callback exactly
//! once, kept by construction.
//!
//! The ABI's hardest rule is that the plugin completes every call exactly
//! once: a second completion is a use after free in the host (its callback
//! reclaims the call's context), and none at all leaks it. A call is a
//! `Completion` value: [`Completion::finish`] invokes the callback, dropping
//! an unfinished one (a panic, a runtime that shut down with the call
//! queued) invokes it with an error result, and invoking it takes the
//! callback and the host's context out of the value, so no path can invoke
//! it a second time. Completing first closes the call's
//! [`Notifier`], if it has one, so no notification follows the completion.

use std::ffi::c_void;
use std::sync::Arc;

use super::notify::Notifier;
use super::runtime::State;
use crate::plugin::abi::CompleteFn;
use crate::plugin::payload::CallResult;

/// The host's `complete_ctx` for one call: opaque, passed back untouched.
pub(super) struct HostContext(pub(super) *mut c_void);

// SAFETY: the ABI lets the plugin keep `complete_ctx` on any thread and hand
// it back from any thread; the plugin never dereferences it.
unsafe impl Send for HostContext {}

/// The promise to invoke the host's callback exactly once; see the module
/// docs.
pub(super) struct Completion {
    pub(super) call_id: u64,
    /// The host's callback and context, until the one invocation takes them.
    host: Option<(CompleteFn, HostContext)>,
    /// The started plugin, once the call's token is in its table of calls.
    registered: Option<&'static State>,
    /// The call's notifications (`call_with_notify`), closed on completion.
    notifier: Option<Arc<Notifier>>,
}

impl Completion {
    /// The completion of the host's call `call_id`.
    pub(super) fn new(call_id: u64, complete: CompleteFn, complete_ctx: HostContext) -> Self {
        Self {
            call_id,
            host: Some((complete, complete_ctx)),
            registered: None,
            notifier: None,
        }
    }

    /// Closes `notifier` when the call completes.
    pub(super) fn close_on_completion(&mut self, notifier: Arc<Notifier>) {
        self.notifier = Some(notifier);
    }

    /// Notes that the call's token is in `state`'s table of calls, so that
    /// completing it takes it out.
    pub(super) fn register(&mut self, state: &'static State) {
        self.registered = Some(state);
    }

    /// Completes the call with `result`.
    pub(super) fn finish(mut self, result: CallResult) {
        self.send(&result);
    }

    fn send(&mut self, result: &CallResult) {
        let Some((complete, HostContext(complete_ctx))) = self.host.take() else {
            return;
        };
        if let Some(state) = self.registered.take() {
            state.calls().remove(&self.call_id);
        }
        if let Some(notifier) = self.notifier.take() {
            notifier.close();
        }
        let bytes = result.to_json();
        // SAFETY: `complete` and `complete_ctx` are the host's callback and
        // context for this call; the callback accepts `len` bytes at `ptr`
        // valid until it returns, and `bytes` outlives the invocation. They
        // were just taken out of `self.host`, so this is the only invocation.
        unsafe { complete(complete_ctx, self.call_id, bytes.as_ptr(), bytes.len()) };
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        self.send(&CallResult::fatal(
            "the plugin dropped the call before it finished (it panicked or its runtime stopped)",
        ));
    }
}

/// A host that records completions, for the export side's unit tests.
#[cfg(test)]
pub(super) mod test_host {
    use std::sync::Mutex;

    use super::*;
    use crate::{ToolError, ToolOutput};

    /// The completions a test saw: `(call_id, result)`.
    #[derive(Default)]
    pub(crate) struct Log(Mutex<Vec<(u64, Result<ToolOutput, ToolError>)>>);

    impl Log {
        pub(crate) fn ctx(&self) -> HostContext {
            HostContext(std::ptr::from_ref(self).cast_mut().cast())
        }

        pub(crate) fn seen(&self) -> Vec<(u64, Result<ToolOutput, ToolError>)> {
            self.0.lock().unwrap().clone()
        }
    }

    /// The callback: records the result in the `Log` its context points to.
    pub(crate) unsafe extern "C" fn record(
        ctx: *mut c_void,
        call_id: u64,
        result: *const u8,
        len: usize,
    ) {
        // SAFETY: every context in these tests is a `&Log` that outlives it.
        let log = unsafe { &*ctx.cast::<Log>() };
        // SAFETY: `len` bytes at `result`, valid during the callback.
        let bytes = unsafe { std::slice::from_raw_parts(result, len) };
        let result = CallResult::from_json(bytes).unwrap().into_result();
        log.0.lock().unwrap().push((call_id, result));
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::test_host::{Log, record};
    use super::*;
    use crate::{ToolError, ToolOutput};

    fn completion(log: &Log, call_id: u64) -> Completion {
        Completion::new(call_id, record, log.ctx())
    }

    #[test]
    fn finishing_completes_once_and_the_drop_after_it_does_nothing() {
        let log = Log::default();
        completion(&log, 7).finish(CallResult::from(Ok(ToolOutput::text("done"))));
        assert_eq!(log.seen(), [(7, Ok(ToolOutput::text("done")))]);
    }

    #[test]
    fn dropping_an_unfinished_call_completes_it_with_an_error() {
        let log = Log::default();
        drop(completion(&log, 8));
        let seen = log.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0, 8);
        let err = seen[0].1.clone().unwrap_err();
        assert!(err.to_string().contains("dropped the call"), "{err}");
    }

    #[test]
    fn a_panic_completes_the_call_once_while_unwinding() {
        let log = Log::default();
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            let mut c = completion(&log, 9);
            c.send(&CallResult::fatal("first"));
            panic!("after the answer");
        }));
        assert!(unwound.is_err());
        assert_eq!(log.seen(), [(9, Err(ToolError::fatal("first")))]);
    }
}
