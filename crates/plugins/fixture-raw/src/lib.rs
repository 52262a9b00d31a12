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
//! - `calls_back_twice`: answers "first", then "second" (a broken plugin);
//! - `never_calls_back`: never answers.

use std::time::Duration;

/// Mirror of `tool_api::plugin::abi::PluginBuffer`.
#[repr(C)]
pub struct Buffer {
    ptr: *mut u8,
    len: usize,
}

/// Mirror of `tool_api::plugin::abi::CompleteFn`.
type Complete = unsafe extern "C" fn(call_id: u64, result: *const u8, result_len: usize);

/// Mirror of `tool_api::plugin::abi::PluginTable` (ABI version 1).
#[repr(C)]
pub struct Table {
    abi_version: u32,
    table_size: u32,
    manifest: unsafe extern "C" fn() -> Buffer,
    free_buffer: unsafe extern "C" fn(Buffer),
    call: unsafe extern "C" fn(u64, *const u8, usize, Complete),
    cancel: unsafe extern "C" fn(u64),
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
};

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
        "calls_back_twice",
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

unsafe extern "C" fn call(
    call_id: u64,
    request: *const u8,
    request_len: usize,
    complete: Complete,
) {
    let request = if request.is_null() {
        Vec::new()
    } else {
        // SAFETY: the host passes `request_len` readable bytes at `request`.
        unsafe { std::slice::from_raw_parts(request, request_len) }.to_vec()
    };
    let request = String::from_utf8_lossy(&request);
    let is = |tool: &str| request.contains(&format!(r#""tool":"{tool}""#));
    let answer = |bytes: &[u8]| {
        // SAFETY: `complete` is the host's callback; the bytes outlive the call.
        unsafe { complete(call_id, bytes.as_ptr(), bytes.len()) }
    };
    if is("echo_raw") {
        answer(TEXT_RESULT);
    } else if is("later") {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            // SAFETY: as above; the callback may be called from any thread.
            unsafe { complete(call_id, TEXT_RESULT.as_ptr(), TEXT_RESULT.len()) }
        });
    } else if is("bad_json") {
        answer(b"{this is not json");
    } else if is("calls_back_twice") {
        answer(br#"{"ok": {"type": "text", "value": "first"}}"#);
        answer(br#"{"ok": {"type": "text", "value": "second"}}"#);
    } else if is("never_calls_back") {
        // Never answers: the host's timeout must end the call.
    } else {
        answer(br#"{"error": {"kind": "fatal", "message": "fixture-raw has no such tool"}}"#);
    }
}

unsafe extern "C" fn cancel(_call_id: u64) {}
