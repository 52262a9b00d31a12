//! The `call`, `call_with_notify` and `cancel` exports: a call is copied,
//! spawned on the plugin's runtime with a cancellation token of its own,
//! polled through the worker tracking (which tells the host, once, that it
//! started), and completed exactly once through its [`Completion`]; `cancel`
//! fires that token.

use std::ffi::c_void;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::completion::{Completion, HostContext};
use super::notify::Notifier;
use super::runtime::{CallEntry, started, state};
use super::workers::Workers;
use crate::ProgressSink;
use crate::plugin::abi::{CompleteFn, NotifyFn};
use crate::plugin::dispatch;
use crate::plugin::payload::{CallRequest, CallResult};

/// The `call` export: starts the call and returns at once.
pub(super) unsafe extern "C" fn call(
    call_id: u64,
    request: *const u8,
    request_len: usize,
    complete: CompleteFn,
    complete_ctx: *mut c_void,
) {
    // SAFETY: the host's arguments per the ABI, passed on unchanged.
    unsafe { start(call_id, request, request_len, complete, complete_ctx, None) }
}

/// The `call_with_notify` export: `call`, plus `STARTED` and `PROGRESS`
/// notifications through `notify` until the call completes.
pub(super) unsafe extern "C" fn call_with_notify(
    call_id: u64,
    request: *const u8,
    request_len: usize,
    complete: CompleteFn,
    complete_ctx: *mut c_void,
    notify: NotifyFn,
) {
    // SAFETY: the host's arguments per the ABI, passed on unchanged.
    unsafe {
        start(
            call_id,
            request,
            request_len,
            complete,
            complete_ctx,
            Some(notify),
        )
    }
}

/// Both call exports: copies the request and spawns the call.
///
/// # Safety
///
/// `request` points to `request_len` readable bytes for the duration of
/// this function (or is null); `complete`, `complete_ctx` and `notify` are
/// the host's for this call, per the ABI.
unsafe fn start(
    call_id: u64,
    request: *const u8,
    request_len: usize,
    complete: CompleteFn,
    complete_ctx: *mut c_void,
    notify: Option<NotifyFn>,
) {
    let mut completion = Completion::new(call_id, complete, HostContext(complete_ctx));
    let notifier = notify.map(|notify| {
        let notifier = Arc::new(Notifier::new(call_id, notify, HostContext(complete_ctx)));
        completion.close_on_completion(notifier.clone());
        notifier
    });
    let bytes = if request.is_null() || request_len == 0 {
        Vec::new()
    } else {
        // SAFETY: the host guarantees `request` points to `request_len`
        // readable bytes for the duration of this function; we copy them.
        unsafe { std::slice::from_raw_parts(request, request_len) }.to_vec()
    };
    // A panic here drops `completion` while unwinding, which completes the call.
    let _ = catch_unwind(AssertUnwindSafe(move || {
        spawn_call(&bytes, completion, notifier);
    }));
}

fn spawn_call(bytes: &[u8], mut completion: Completion, notifier: Option<Arc<Notifier>>) {
    let state = match state() {
        Ok(state) => state,
        Err(message) => return completion.finish(CallResult::fatal(message)),
    };
    let request = match CallRequest::from_json(bytes) {
        Ok(request) => request,
        Err(message) => return completion.finish(CallResult::fatal(message)),
    };
    let Some(tool) = state.tools.get(&request.tool).cloned() else {
        let known: Vec<&str> = state.specs.iter().map(|s| s.name.as_str()).collect();
        return completion.finish(CallResult::fatal(format!(
            "this plugin has no tool `{}`; it has: {}",
            request.tool,
            known.join(", ")
        )));
    };
    let call_id = completion.call_id;
    let token = CancellationToken::new();
    state.calls().insert(
        call_id,
        CallEntry {
            token: token.clone(),
            tool: request.tool.clone(),
            tool_call_id: request.call_id.clone(),
        },
    );
    completion.register(state);
    let sink = notifier.clone().map(|n| n as Arc<dyn ProgressSink>);
    let run = async move {
        let result = dispatch::run(tool.as_ref(), request, token, sink).await;
        completion.finish(result);
    };
    state
        .runtime
        .spawn(tracked(&state.workers, call_id, notifier, run));
}

/// `run`, each poll marked on the polling thread's slot (for
/// `worker_status`), the host told `STARTED` before the first.
async fn tracked(
    workers: &'static Workers,
    call_id: u64,
    mut notifier: Option<Arc<Notifier>>,
    run: impl Future<Output = ()>,
) {
    let mut run = pin!(run);
    poll_fn(|cx| {
        let _polled = workers.enter(call_id);
        if let Some(notifier) = notifier.take() {
            notifier.started();
        }
        run.as_mut().poll(cx)
    })
    .await;
}

/// The `cancel` export: fires the token of the call in flight `call_id`;
/// an unknown id (a call already completed) is ignored.
pub(super) unsafe extern "C" fn cancel(call_id: u64) {
    let _ = catch_unwind(|| {
        let Some(state) = started() else {
            return;
        };
        if let Some(entry) = state.calls().get(&call_id) {
            entry.token.cancel();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::completion::test_host::{Log, record};
    use super::*;

    /// In this unit-test binary no `export_plugin!` ran the entry, so the
    /// plugin cannot start: `call` completes at once, inside `call`, once.
    #[test]
    fn a_call_the_plugin_cannot_start_completes_inside_call() {
        let log = Log::default();
        let request = br#"{"tool": "t", "input": {}, "call_id": "c"}"#;
        // SAFETY: the export per the ABI, with a request valid during the
        // call and a context that `record` understands and that outlives it.
        unsafe { call(10, request.as_ptr(), request.len(), record, log.ctx().0) };
        let seen = log.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0, 10);
        let err = seen[0].1.clone().unwrap_err();
        assert!(err.to_string().contains("entry symbol"), "{err}");
    }
}
