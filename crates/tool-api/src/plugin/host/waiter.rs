//! What a plugin call's `complete_ctx` points to, the [`Waiter`], and the
//! two callbacks that receive it: [`on_notify`] (the call started, its
//! progress) and [`on_complete`] (its result, reclaiming the waiter).
//!
//! The host keeps no table of calls: everything a callback needs travels
//! with the call as its `complete_ctx`.

use std::ffi::c_void;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::oneshot;

use crate::ProgressSink;
use crate::plugin::abi::{NOTIFY_PROGRESS, NOTIFY_STARTED};
use crate::plugin::status::ProgressReport;

/// What the plugin completed a call with.
pub(super) enum Answer {
    /// The result bytes, copied out of the plugin's buffer.
    Result(Vec<u8>),
    /// The plugin handed this call's context back under another call id.
    WrongId(u64),
}

/// What a call's `complete_ctx` points to: the call's id and the sending half
/// of the channel its future waits on, and, for a call made with
/// `call_with_notify`, its [`Signals`]. Boxed and leaked into the plugin by
/// `PluginTool::call`, read by [`on_notify`], reclaimed by [`on_complete`].
pub(super) struct Waiter {
    pub(super) call_id: u64,
    pub(super) sender: oneshot::Sender<Answer>,
    pub(super) signals: Option<Arc<Signals>>,
}

/// What a call's notifications tell the host: whether it started, and where
/// its progress reports go.
pub(super) struct Signals {
    pub(super) started: AtomicBool,
    pub(super) progress: Option<Arc<dyn ProgressSink>>,
}

/// The notification callback given with `call_with_notify`: marks the call
/// started or passes a progress report to its sink. Anything it cannot use
/// is logged at debug level and dropped; it never unwinds into the plugin.
pub(super) unsafe extern "C" fn on_notify(
    complete_ctx: *mut c_void,
    call_id: u64,
    kind: u32,
    payload: *const u8,
    payload_len: usize,
) {
    if complete_ctx.is_null() {
        return;
    }
    // SAFETY: a non-null `complete_ctx` is the call's `Box<Waiter>`, which
    // the ABI keeps valid until the call's one `complete`, and notifications
    // never come after or concurrently with it; only shared access here.
    let waiter = unsafe { &*complete_ctx.cast::<Waiter>() };
    let bytes = if payload.is_null() || payload_len == 0 {
        Vec::new()
    } else {
        // SAFETY: the plugin passes `payload_len` bytes at `payload`, valid
        // until this callback returns; we copy them.
        unsafe { std::slice::from_raw_parts(payload, payload_len) }.to_vec()
    };
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
        notified(waiter, call_id, kind, &bytes);
    }));
}

/// [`on_notify`] once the bytes are copied.
fn notified(waiter: &Waiter, call_id: u64, kind: u32, payload: &[u8]) {
    let Some(signals) = &waiter.signals else {
        return;
    };
    if call_id != waiter.call_id {
        tracing::debug!(
            call_id,
            expected = waiter.call_id,
            "ignoring a plugin notification under another call's id"
        );
        return;
    }
    match kind {
        NOTIFY_STARTED => signals.started.store(true, Ordering::Release),
        NOTIFY_PROGRESS => match ProgressReport::from_json(payload) {
            Ok(report) if report.progress.is_finite() => {
                if let Some(sink) = &signals.progress {
                    sink.report(report.into());
                }
            }
            Ok(_) => tracing::debug!(
                call_id,
                "ignoring a plugin progress report that is not finite"
            ),
            Err(e) => tracing::debug!(
                call_id,
                "ignoring a plugin progress report that is not valid: {e}"
            ),
        },
        other => tracing::debug!(
            call_id,
            kind = other,
            "ignoring a plugin notification of unknown kind"
        ),
    }
}

/// The completion callback given to every plugin: reclaims the call's
/// [`Waiter`], copies the result and wakes the waiting call. A completion for
/// a call nobody waits for any more (its future was dropped) is dropped here.
///
/// The ABI makes the plugin invoke it exactly once per call, so the box is
/// reclaimed exactly once; a second invocation for one call would be a use
/// after free, which is why the contract forbids it (see `abi.rs`).
pub(super) unsafe extern "C" fn on_complete(
    complete_ctx: *mut c_void,
    call_id: u64,
    result: *const u8,
    result_len: usize,
) {
    if complete_ctx.is_null() {
        return;
    }
    // SAFETY: a non-null `complete_ctx` is the `Box<Waiter>` that
    // `PluginTool::call` leaked for this call; the ABI has the plugin hand it
    // back exactly once, so the box is reclaimed exactly once, here.
    let waiter = unsafe { Box::from_raw(complete_ctx.cast::<Waiter>()) };
    let _ = std::panic::catch_unwind(AssertUnwindSafe(move || {
        let answer = if call_id != waiter.call_id {
            Answer::WrongId(call_id)
        } else if result.is_null() || result_len == 0 {
            Answer::Result(Vec::new())
        } else {
            // SAFETY: the plugin passes `result_len` bytes at `result`, valid
            // until this callback returns; we copy them.
            Answer::Result(unsafe { std::slice::from_raw_parts(result, result_len) }.to_vec())
        };
        let _ = waiter.sender.send(answer);
    }));
}
