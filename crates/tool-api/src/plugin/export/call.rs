//! The `call` and `cancel` exports: a call is copied, spawned on the
//! plugin's runtime with a cancellation token of its own, and completed
//! exactly once through its [`Completion`]; `cancel` fires that token.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

use tokio_util::sync::CancellationToken;

use super::completion::{Completion, HostContext};
use super::runtime::{started, state};
use crate::plugin::abi::CompleteFn;
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
    let completion = Completion::new(call_id, complete, HostContext(complete_ctx));
    let bytes = if request.is_null() || request_len == 0 {
        Vec::new()
    } else {
        // SAFETY: the host guarantees `request` points to `request_len`
        // readable bytes for the duration of this function; we copy them.
        unsafe { std::slice::from_raw_parts(request, request_len) }.to_vec()
    };
    // A panic here drops `completion` while unwinding, which completes the call.
    let _ = catch_unwind(AssertUnwindSafe(move || spawn_call(bytes, completion)));
}

fn spawn_call(bytes: Vec<u8>, mut completion: Completion) {
    let state = match state() {
        Ok(state) => state,
        Err(message) => return completion.finish(CallResult::fatal(message)),
    };
    let token = CancellationToken::new();
    state.calls().insert(completion.call_id, token.clone());
    completion.register(state);
    state.runtime.spawn(async move {
        let result = match CallRequest::from_json(&bytes) {
            Err(message) => CallResult::fatal(message),
            Ok(request) => match state.tools.get(&request.tool) {
                Some(tool) => dispatch::run(tool.as_ref(), request, token).await,
                None => CallResult::fatal(format!(
                    "this plugin has no tool `{}`; it has: {}",
                    request.tool,
                    state
                        .specs
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
        };
        completion.finish(result);
    });
}

/// The `cancel` export: fires the token of the call in flight `call_id`;
/// an unknown id (a call already completed) is ignored.
pub(super) unsafe extern "C" fn cancel(call_id: u64) {
    let _ = catch_unwind(|| {
        let Some(state) = started() else {
            return;
        };
        if let Some(token) = state.calls().get(&call_id) {
            token.cancel();
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
