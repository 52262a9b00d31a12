//! The `manifest` and `free_buffer` exports: the plugin's name, version,
//! build and tool specs as JSON, in a buffer the host hands back.

use std::panic::catch_unwind;

use super::runtime::state;
use crate::plugin::abi::PluginBuffer;
use crate::plugin::dispatch;
use crate::plugin::payload::Manifest;

fn manifest_json() -> Vec<u8> {
    let state = match state() {
        Ok(state) => state,
        Err(message) => return error_json(&message),
    };
    Manifest {
        name: state.info.name.to_owned(),
        version: state.info.version.to_owned(),
        sdk_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        panic: Some(
            if state.info.panic_unwind {
                "unwind"
            } else {
                "abort"
            }
            .to_owned(),
        ),
        build: Some(
            if state.info.debug_build {
                "debug"
            } else {
                "release"
            }
            .to_owned(),
        ),
        tools: state.specs.clone(),
    }
    .to_json()
}

/// The manifest of a plugin that cannot list its tools.
fn error_json(message: &str) -> Vec<u8> {
    serde_json::json!({ "error": message })
        .to_string()
        .into_bytes()
}

/// The `manifest` export: starts the plugin if needed and lists its tools.
pub(super) unsafe extern "C" fn manifest() -> PluginBuffer {
    let bytes = catch_unwind(manifest_json).unwrap_or_else(|panic| {
        error_json(&format!(
            "the plugin panicked while listing its tools: {}",
            dispatch::panic_message(panic.as_ref())
        ))
    });
    into_buffer(bytes)
}

/// `bytes` as a buffer for the host, which hands it back to `free_buffer`.
pub(super) fn into_buffer(bytes: Vec<u8>) -> PluginBuffer {
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    PluginBuffer {
        ptr: Box::into_raw(boxed).cast::<u8>(),
        len,
    }
}

/// The `free_buffer` export: frees a buffer `manifest` or `worker_status`
/// returned.
pub(super) unsafe extern "C" fn free_buffer(buffer: PluginBuffer) {
    if buffer.ptr.is_null() {
        return;
    }
    // SAFETY: a non-null buffer comes from `into_buffer`, which leaked a
    // `Box<[u8]>` of exactly `len` bytes at `ptr`; the host frees it once.
    let boxed =
        unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buffer.ptr, buffer.len)) };
    drop(boxed);
}
