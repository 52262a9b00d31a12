//! A test fixture: a plugin written by hand against the C ABI of
//! `tool_api::plugin::abi`, without `tool-api` or any other dependency. It
//! proves the ABI is plain C, and its features build the broken plugins the
//! host must refuse (see Cargo.toml).
//!
//! Its tools, by name:
//! - `echo_raw`: answers `{"ok": {"type": "text", "value": "raw"}}` at once,
//!   from the host's thread, before `call` returns;
//! - `later`: answers the same from a thread of its own, 10 ms later;
//! - `bad_json`: answers bytes that are not JSON;
//! - `wrong_call_id`: answers with the call's `complete_ctx` but another call
//!   id (a broken plugin the host must not trust);
//! - `until_cancelled`: answers only when the host cancels the call, from
//!   inside `cancel`, with a fatal error "cancelled";
//! - `waiting_count`: answers how many `until_cancelled` calls wait, as
//!   `{"ok": {"type": "json", "value": {"waiting": n}}}`;
//! - `never_calls_back`: never answers (and so leaks the host's context for
//!   the call, as the ABI says).
//!
//! With the feature `notify-garbage` its table also has the two functions
//! appended within version 1, and both misbehave: `call_with_notify` sends,
//! before answering as `call` does, a notification of an unknown kind, one
//! under another call id, a `PROGRESS` that is not JSON, one whose
//! `progress` is a string, and then one valid `PROGRESS` (`{"progress": 1,
//! "message": "the only good one"}`); and `worker_status` answers bytes that
//! are not JSON. Without the feature its table is the one version 1 first
//! had (no appended functions): an old plugin.
//!
//! A raw plugin cannot show a completion arriving twice: with the host's
//! `complete_ctx` reclaimed by the first one, a second is a use after free in
//! the host. The ABI forbids it; `export_plugin!` guarantees it (tested in
//! `tool-api`'s `tests/plugin_export.rs`).

use std::ffi::c_void;
use std::sync::Mutex;
use std::time::Duration;

/// Mirror of `tool_api::plugin::abi::PluginBuffer`.
#[repr(C)]
pub struct Buffer {
    ptr: *mut u8,
    len: usize,
}

/// Mirror of `tool_api::plugin::abi::CompleteFn`.
type Complete = unsafe extern "C" fn(
    complete_ctx: *mut c_void,
    call_id: u64,
    result: *const u8,
    result_len: usize,
);

/// Mirror of `tool_api::plugin::abi::NotifyFn`.
#[cfg(feature = "notify-garbage")]
type Notify = unsafe extern "C" fn(
    complete_ctx: *mut c_void,
    call_id: u64,
    kind: u32,
    payload: *const u8,
    payload_len: usize,
);

/// Mirror of `tool_api::plugin::abi::PluginTable` (ABI version 1): as first
/// shipped, or with the appended functions under `notify-garbage`.
#[repr(C)]
pub struct Table {
    abi_version: u32,
    table_size: u32,
    manifest: unsafe extern "C" fn() -> Buffer,
    free_buffer: unsafe extern "C" fn(Buffer),
    call: unsafe extern "C" fn(u64, *const u8, usize, Complete, *mut c_void),
    cancel: unsafe extern "C" fn(u64),
    #[cfg(feature = "notify-garbage")]
    call_with_notify: unsafe extern "C" fn(u64, *const u8, usize, Complete, *mut c_void, Notify),
    #[cfg(feature = "notify-garbage")]
    worker_status: unsafe extern "C" fn() -> Buffer,
}

const ABI_VERSION: u32 = if cfg!(feature = "abi-mismatch") {
    999
} else {
    1
};

const TABLE_SIZE: u32 = if cfg!(feature = "table-too-small") {
    16
} else {
    std::mem::size_of::<Table>() as u32
};

static TABLE: Table = Table {
    abi_version: ABI_VERSION,
    table_size: TABLE_SIZE,
    manifest,
    free_buffer,
    call,
    cancel,
    #[cfg(feature = "notify-garbage")]
    call_with_notify,
    #[cfg(feature = "notify-garbage")]
    worker_status,
};

/// `call`, after notifications that a host must survive and drop, and one it
/// must pass on.
#[cfg(feature = "notify-garbage")]
unsafe extern "C" fn call_with_notify(
    call_id: u64,
    request: *const u8,
    request_len: usize,
    complete: Complete,
    complete_ctx: *mut c_void,
    notify: Notify,
) {
    let garbage: [(u64, u32, &[u8]); 5] = [
        (call_id, 99, b"?"),
        (call_id.wrapping_add(1_000_000), 2, br#"{"progress": 5}"#),
        (call_id, 2, b"{not json"),
        (call_id, 2, br#"{"progress": "far"}"#),
        (
            call_id,
            2,
            br#"{"progress": 1, "message": "the only good one"}"#,
        ),
    ];
    for (id, kind, payload) in garbage {
        // SAFETY: the host's callback and context for this call, which has
        // not completed yet; the payload outlives the invocation.
        unsafe { notify(complete_ctx, id, kind, payload.as_ptr(), payload.len()) };
    }
    // SAFETY: the host's arguments, passed on unchanged.
    unsafe { call(call_id, request, request_len, complete, complete_ctx) }
}

/// Bytes that are not the worker status JSON.
#[cfg(feature = "notify-garbage")]
unsafe extern "C" fn worker_status() -> Buffer {
    let bytes = b"\xff not a status".to_vec().into_boxed_slice();
    let len = bytes.len();
    Buffer {
        ptr: Box::into_raw(bytes).cast::<u8>(),
        len,
    }
}

/// The entry symbol.
#[cfg(not(feature = "no-entry"))]
#[unsafe(no_mangle)]
pub extern "C" fn tool_api_plugin_entry() -> *const Table {
    &TABLE
}

/// Something exported, so the library without the entry symbol is still a
/// library with symbols.
#[unsafe(no_mangle)]
pub extern "C" fn fixture_raw_marker() -> u32 {
    7
}

const TOOL: &str = r#"{"name": "NAME", "description": "A raw tool.", "input_schema": SCHEMA}"#;

fn manifest_json() -> String {
    if cfg!(feature = "manifest-not-json") {
        return "this is not { json".to_owned();
    }
    if cfg!(feature = "manifest-error") {
        return r#"{"error": "the fixture's configuration file is missing"}"#.to_owned();
    }
    let schema = if cfg!(feature = "manifest-bad-schema") {
        r#""string""#
    } else {
        r#"{"type": "object", "properties": {}}"#
    };
    let mut names = vec![
        "echo_raw",
        "later",
        "bad_json",
        "wrong_call_id",
        "until_cancelled",
        "waiting_count",
        "never_calls_back",
    ];
    if cfg!(feature = "manifest-bad-name") {
        names.push("get weather!");
    }
    if cfg!(feature = "clash") {
        names.push("get_weather");
    }
    let tools: Vec<String> = names
        .iter()
        .map(|n| TOOL.replace("NAME", n).replace("SCHEMA", schema))
        .collect();
    format!(
        r#"{{"name": "fixture-raw", "version": "0.0.1", "tools": [{}]}}"#,
        tools.join(", ")
    )
}

unsafe extern "C" fn manifest() -> Buffer {
    let bytes = manifest_json().into_bytes().into_boxed_slice();
    let len = bytes.len();
    Buffer {
        ptr: Box::into_raw(bytes).cast::<u8>(),
        len,
    }
}

unsafe extern "C" fn free_buffer(buffer: Buffer) {
    if !buffer.ptr.is_null() {
        // SAFETY: `manifest` leaked a `Box<[u8]>` of `len` bytes at `ptr`.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buffer.ptr, buffer.len)) });
    }
}

const TEXT_RESULT: &[u8] = br#"{"ok": {"type": "text", "value": "raw"}}"#;

/// One call's completion: the host's callback and its context, which the
/// plugin owns until the one invocation gives it back.
struct Pending {
    call_id: u64,
    complete: Complete,
    ctx: *mut c_void,
}

// SAFETY: the ABI lets the plugin keep `complete_ctx` on any thread and
// complete the call from any thread; the plugin never dereferences it.
unsafe impl Send for Pending {}

impl Pending {
    /// Completes the call with `bytes`, consuming it: once only.
    fn answer(self, bytes: &[u8]) {
        // SAFETY: `complete` is the host's callback and `ctx` its context for
        // this call, handed back exactly once (this consumes `self`); the
        // bytes outlive the invocation.
        unsafe { (self.complete)(self.ctx, self.call_id, bytes.as_ptr(), bytes.len()) }
    }
}

/// `until_cancelled` calls waiting for their `cancel`.
static WAITING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());

fn waiting() -> std::sync::MutexGuard<'static, Vec<Pending>> {
    WAITING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

unsafe extern "C" fn call(
    call_id: u64,
    request: *const u8,
    request_len: usize,
    complete: Complete,
    complete_ctx: *mut c_void,
) {
    let request = if request.is_null() {
        Vec::new()
    } else {
        // SAFETY: the host passes `request_len` readable bytes at `request`.
        unsafe { std::slice::from_raw_parts(request, request_len) }.to_vec()
    };
    let request = String::from_utf8_lossy(&request);
    let is = |tool: &str| request.contains(&format!(r#""tool":"{tool}""#));
    let pending = Pending {
        call_id,
        complete,
        ctx: complete_ctx,
    };
    if is("echo_raw") {
        pending.answer(TEXT_RESULT);
    } else if is("later") {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            // From a thread of its own: the callback may run on any thread.
            pending.answer(TEXT_RESULT);
        });
    } else if is("bad_json") {
        pending.answer(b"{this is not json");
    } else if is("wrong_call_id") {
        let wrong = Pending {
            call_id: call_id.wrapping_add(1_000_000),
            ..pending
        };
        wrong.answer(TEXT_RESULT);
    } else if is("until_cancelled") {
        waiting().push(pending);
    } else if is("waiting_count") {
        let n = waiting().len();
        pending.answer(
            format!(r#"{{"ok": {{"type": "json", "value": {{"waiting": {n}}}}}}}"#).as_bytes(),
        );
    } else if is("never_calls_back") {
        // Never answers: the host's timeout must end the call. The host's
        // context for it is never handed back: a small leak, as documented.
        let _ = pending;
    } else {
        pending
            .answer(br#"{"error": {"kind": "fatal", "message": "fixture-raw has no such tool"}}"#);
    }
}

unsafe extern "C" fn cancel(call_id: u64) {
    let found = {
        let mut waiting = waiting();
        waiting
            .iter()
            .position(|p| p.call_id == call_id)
            .map(|i| waiting.swap_remove(i))
    };
    // Completed inside `cancel`, outside the lock.
    if let Some(pending) = found {
        pending.answer(br#"{"error": {"kind": "fatal", "message": "cancelled"}}"#);
    }
}
