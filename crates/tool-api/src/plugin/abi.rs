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
}

/// The table's size as this crate compiles it, for [`PluginTable::table_size`].
pub const TABLE_SIZE: u32 = std::mem::size_of::<PluginTable>() as u32;

/// The byte offset up to which a v1 host reads; asserted against the layout in
/// tests so an accidental reorder fails the build's tests, not a user.
#[doc(hidden)]
pub const V1_TABLE_SIZE: usize = 8 + 4 * std::mem::size_of::<usize>();

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
        assert_eq!(TABLE_SIZE as usize, V1_TABLE_SIZE);
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
