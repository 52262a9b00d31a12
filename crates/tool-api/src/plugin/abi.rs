//! The C ABI between a host and a plugin library: the entry symbol, the
//! function table it returns, and the rules both sides keep.
//!
//! Nothing Rust-specific crosses this boundary: integers, pointers to UTF-8
//! JSON bytes, and `extern "C"` function pointers. The JSON payloads are in
//! [`super::payload`].
//!
//! # Protocol
//!
//! 1. The host resolves [`ENTRY_SYMBOL`] (an [`EntryFn`]) and calls it. It
//!    returns a pointer to a [`PluginTable`] that lives as long as the library.
//! 2. The host checks [`PluginTable::abi_version`] against [`ABI_VERSION`] and
//!    [`PluginTable::table_size`] against the size it needs; only then does
//!    it read the rest of the table.
//! 3. [`PluginTable::manifest`] returns the manifest JSON in a
//!    [`PluginBuffer`]; the host copies it and hands the buffer back to
//!    [`PluginTable::free_buffer`].
//! 4. [`PluginTable::call`] starts a call and returns at once. The plugin runs
//!    the tool on its own threads and invokes the host's [`CompleteFn`]
//!    exactly once with the result JSON, the host's `complete_ctx` and the
//!    call's id, from any thread, possibly before `call` returns or inside
//!    `cancel`. A completion whose id is not the one its `complete_ctx` came
//!    with is a fatal error result for that call.
//! 5. [`PluginTable::cancel`] asks the plugin to cancel a call in flight; it
//!    still completes it (the host ignores results it no longer waits for).
//! 6. Appended later within version 1 (a host reads them only when
//!    `table_size` covers them; null means absent):
//!    [`PluginTable::call_with_notify`] is `call` with a [`NotifyFn`] the
//!    plugin invokes when the tool first runs ([`NOTIFY_STARTED`]) and for
//!    each progress report ([`NOTIFY_PROGRESS`]), never after `complete`;
//!    [`PluginTable::worker_status`] says which call each worker thread is
//!    polling and since when, so a host can name the call that blocks a
//!    worker while another call waits to start.
//!
//! # Ownership
//!
//! Every buffer is freed by the side that allocated it: the request bytes
//! passed to `call` are the host's and valid only during `call`; the result
//! bytes passed to [`CompleteFn`] are the plugin's and valid only during the
//! callback; a [`PluginBuffer`] is the plugin's until passed back to its
//! `free_buffer`.
//!
//! The `complete_ctx` pointer passed to `call` is the host's, opaque to the
//! plugin, and belongs to that one call: the plugin keeps it (it may move it
//! to any thread) and hands it back, unchanged, as the first argument of the
//! one and only [`CompleteFn`] invocation for that call. It is valid from
//! `call` until that invocation and not after: the host reclaims what it
//! points to inside the callback. Hence the two rules a plugin must keep:
//!
//! - **Never complete a call twice.** A second invocation with the same
//!   `complete_ctx` is a use after free in the host, undefined behaviour that
//!   no host can detect or survive.
//! - **Always complete a call**, also after `cancel`, also when the tool
//!   panicked or the plugin is shutting down. A call never completed leaks
//!   the host's small per-call allocation (a few dozen bytes); the host does
//!   not wait forever (its caller's timeout ends the wait), but the memory is
//!   never reclaimed.
//!
//! Plugins made with `export_plugin!` keep both rules by construction: a call
//! is a value that completes when it is finished or dropped, never twice.
//!
//! # Versions
//!
//! [`ABI_VERSION`] changes with any change an older host or plugin would
//! misread: a field of the table removed, moved or retyped, a function's
//! meaning changed, a payload field made mandatory. Appending a function
//! pointer to the end of the table does not change it: the host reads a field
//! only when [`PluginTable::table_size`] says the plugin has it. Adding an
//! optional JSON field does not change it either: both sides ignore fields they
//! do not know.
//!
//! Version 1 is fixed from the first release of `tool-api`. Before that
//! release its draft passed no `complete_ctx`; plugins built from such a
//! pre-release checkout report version 1 but must be rebuilt.

use std::ffi::c_void;

/// The version of this ABI. A host loads only plugins of exactly this version.
pub const ABI_VERSION: u32 = 1;

/// The name of the entry symbol every plugin library exports, NUL-terminated
/// for `dlsym`. Its type is [`EntryFn`].
pub const ENTRY_SYMBOL: &[u8] = b"tool_api_plugin_entry\0";

/// The entry symbol's name without its NUL, for messages.
pub const ENTRY_SYMBOL_NAME: &str = "tool_api_plugin_entry";

/// The entry function: returns the plugin's table, valid for the life of the
/// library, or null if the plugin cannot start.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginTable;

/// The host's completion callback.
///
/// `complete_ctx` is the pointer the host passed to [`PluginTable::call`] for
/// this call, handed back unchanged; `call_id` is that call's id. `result`
/// points to `result_len` bytes of result JSON
/// ([`super::payload::CallResult`]), owned by the plugin and valid only until
/// the callback returns.
///
/// Invoke it **exactly once per call**, from any thread, possibly before
/// `call` returns: the host reclaims `complete_ctx` inside it, so a second
/// invocation is a use after free, and none leaks the host's per-call
/// allocation (see the module docs, "Ownership"). It does not block and does
/// not unwind.
pub type CompleteFn = unsafe extern "C" fn(
    complete_ctx: *mut c_void,
    call_id: u64,
    result: *const u8,
    result_len: usize,
);

/// The host's notification callback for a call started with
/// [`PluginTable::call_with_notify`].
///
/// `complete_ctx` and `call_id` are the call's, as for [`CompleteFn`];
/// `kind` is [`NOTIFY_STARTED`] or [`NOTIFY_PROGRESS`] (a host ignores kinds
/// it does not know); `payload` points to `payload_len` bytes owned by the
/// plugin and valid only during the callback (empty for `STARTED`,
/// [`super::payload::ProgressReport`] JSON for `PROGRESS`).
///
/// Invoke it only between `call_with_notify` and the call's `complete`, never
/// concurrently with that `complete`: the host reads `complete_ctx` here and
/// reclaims it in `complete`. It does not block and does not unwind.
pub type NotifyFn = unsafe extern "C" fn(
    complete_ctx: *mut c_void,
    call_id: u64,
    kind: u32,
    payload: *const u8,
    payload_len: usize,
);

/// [`NotifyFn`] kind: the plugin has polled the call's tool for the first
/// time (it got a worker thread). No payload. Sent at most once per call.
pub const NOTIFY_STARTED: u32 = 1;

/// [`NotifyFn`] kind: the tool reported progress
/// ([`crate::ToolContext::progress`]); the payload is
/// `{"progress": f64, "total": f64?, "message": string?}`.
pub const NOTIFY_PROGRESS: u32 = 2;

/// Bytes the plugin owns, handed to the host; the host returns them to
/// [`PluginTable::free_buffer`] when done.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginBuffer {
    /// First byte; null only when `len` is 0.
    pub ptr: *mut u8,
    /// Number of bytes.
    pub len: usize,
}

impl PluginBuffer {
    /// An empty buffer (null pointer, no bytes).
    pub const EMPTY: Self = Self {
        ptr: std::ptr::null_mut(),
        len: 0,
    };
}

/// The function table a plugin's entry symbol returns.
///
/// The first two fields are frozen for every ABI version, so a host can read
/// them from any plugin and report a mismatch. Later fields may be appended;
/// see the module docs for the version policy.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginTable {
    /// The plugin's [`ABI_VERSION`].
    pub abi_version: u32,
    /// `size_of::<PluginTable>()` as the plugin was compiled: the host reads
    /// only the fields that fit in it.
    pub table_size: u32,
    /// Returns the manifest JSON ([`super::payload::Manifest`]), or an object
    /// `{"error": "..."}` if the plugin cannot list its tools. Free the buffer
    /// with [`Self::free_buffer`].
    pub manifest: unsafe extern "C" fn() -> PluginBuffer,
    /// Frees a buffer this plugin returned.
    pub free_buffer: unsafe extern "C" fn(buffer: PluginBuffer),
    /// Starts a call: `request` points to `request_len` bytes of request JSON
    /// ([`super::payload::CallRequest`]), valid only during this function.
    /// Returns at once; `complete` is invoked exactly once, with
    /// `complete_ctx` and `call_id`, when the call is done.
    ///
    /// `call_id` is chosen by the host and must be unique among its calls in
    /// flight on this plugin. `complete_ctx` is the host's, opaque to the
    /// plugin, valid until that one invocation of `complete`.
    pub call: unsafe extern "C" fn(
        call_id: u64,
        request: *const u8,
        request_len: usize,
        complete: CompleteFn,
        complete_ctx: *mut c_void,
    ),
    /// Cancels the call `call_id` if it is in flight (fires the tool's
    /// cancellation token); ignores unknown ids. The call still completes.
    pub cancel: unsafe extern "C" fn(call_id: u64),
    // ---- Appended within version 1: read only when `table_size` covers
    // them ([`V1_TABLE_SIZE`] does not); null when the plugin has none. ----
    /// [`Self::call`] plus a [`NotifyFn`] through which the plugin tells the
    /// host what happens to the call before it completes: [`NOTIFY_STARTED`]
    /// when the tool is first polled, [`NOTIFY_PROGRESS`] for each progress
    /// report. A host uses it instead of `call` when the plugin has it.
    ///
    /// `notify` is invoked with the call's `complete_ctx` and `call_id`, from
    /// any thread, never after (nor concurrently with) the call's one
    /// `complete`: the context is valid only until then. It does not block
    /// and does not unwind.
    pub call_with_notify: Option<
        unsafe extern "C" fn(
            call_id: u64,
            request: *const u8,
            request_len: usize,
            complete: CompleteFn,
            complete_ctx: *mut c_void,
            notify: NotifyFn,
        ),
    >,
    /// What each worker thread of the plugin's runtime is polling now, as
    /// JSON ([`super::payload::WorkerStatus`]), in a buffer to free with
    /// [`Self::free_buffer`]. Returns at once. The host asks when a call it
    /// sent has not started, to name the call that holds the worker.
    pub worker_status: Option<unsafe extern "C" fn() -> PluginBuffer>,
}

/// The table's size as this crate compiles it, for [`PluginTable::table_size`].
pub const TABLE_SIZE: u32 = std::mem::size_of::<PluginTable>() as u32;

/// The size of the table as version 1 first shipped it (the frozen prefix and
/// four functions, without `call_with_notify` and `worker_status`): the
/// smallest table a host accepts. Asserted against the layout in tests so an
/// accidental reorder fails the build's tests, not a user.
pub const V1_TABLE_SIZE: usize = 8 + 4 * std::mem::size_of::<usize>();

/// The size of the table up to and including `call_with_notify`.
pub const NOTIFY_TABLE_SIZE: usize = V1_TABLE_SIZE + std::mem::size_of::<usize>();

#[cfg(test)]
mod tests {
    use std::mem::offset_of;

    use super::*;

    #[test]
    fn the_frozen_prefix_stays_in_place() {
        assert_eq!(offset_of!(PluginTable, abi_version), 0);
        assert_eq!(offset_of!(PluginTable, table_size), 4);
    }

    #[test]
    fn the_v1_table_has_its_fields_in_order() {
        let word = std::mem::size_of::<usize>();
        assert_eq!(offset_of!(PluginTable, manifest), 8);
        assert_eq!(offset_of!(PluginTable, free_buffer), 8 + word);
        assert_eq!(offset_of!(PluginTable, call), 8 + 2 * word);
        assert_eq!(offset_of!(PluginTable, cancel), 8 + 3 * word);
        // Appended within version 1, one word each, in this order.
        assert_eq!(offset_of!(PluginTable, call_with_notify), V1_TABLE_SIZE);
        assert_eq!(offset_of!(PluginTable, worker_status), NOTIFY_TABLE_SIZE);
        assert_eq!(TABLE_SIZE as usize, NOTIFY_TABLE_SIZE + word);
        assert_eq!(std::mem::size_of::<Option<NotifyFn>>(), word);
        // Every function pointer, `complete_ctx` included, is one word: the
        // C layout a plugin in another language mirrors.
        assert_eq!(std::mem::size_of::<CompleteFn>(), word);
        assert_eq!(std::mem::size_of::<*mut c_void>(), word);
    }

    #[test]
    fn the_entry_symbol_is_nul_terminated() {
        assert_eq!(ENTRY_SYMBOL.last(), Some(&0));
        assert_eq!(
            &ENTRY_SYMBOL[..ENTRY_SYMBOL.len() - 1],
            ENTRY_SYMBOL_NAME.as_bytes()
        );
    }
}
