//! The export side's promise, checked against a real library made with
//! `export_plugin!` (the misbehaving fixture), driven through its raw C table
//! with a callback that records every completion: each call completes
//! exactly once, with its own call id and its own `complete_ctx`, whether the
//! tool answers, panics (before or after an await), does not exist, gets a
//! request that is not JSON or no request at all, or is cancelled.
//!
//! This is the guarantee the host relies on: its completion callback reclaims
//! the call's context, so a second completion would be a use after free.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tool_api::plugin::abi::{ABI_VERSION, ENTRY_SYMBOL, EntryFn, PluginTable};
use tool_api::plugin::payload::CallResult;
use tool_api::plugin::testing::cargo_build_plugin_example;
use tool_api::{ToolError, ToolOutput};

/// Every completion seen, by the index of the call whose context came back.
#[derive(Default)]
struct Log {
    seen: Mutex<Vec<Completed>>,
    changed: Condvar,
}

struct Completed {
    /// The index in the probe's context.
    index: usize,
    /// The call id the plugin passed beside it.
    call_id: u64,
    result: Vec<u8>,
}

/// What a call's `complete_ctx` points to in this test: the call's index and
/// the log. Owned by the test (never freed by the callback), so a second
/// completion would be recorded instead of crashing.
struct Probe {
    index: usize,
    log: &'static Log,
}

unsafe extern "C" fn record(
    complete_ctx: *mut c_void,
    call_id: u64,
    result: *const u8,
    result_len: usize,
) {
    // SAFETY: every context this test passes is a `&'static Probe`.
    let probe = unsafe { &*complete_ctx.cast::<Probe>() };
    let result = if result.is_null() {
        Vec::new()
    } else {
        // SAFETY: the plugin passes `result_len` bytes, valid during the call.
        unsafe { std::slice::from_raw_parts(result, result_len) }.to_vec()
    };
    let mut seen = probe.log.seen.lock().unwrap();
    seen.push(Completed {
        index: probe.index,
        call_id,
        result,
    });
    probe.log.changed.notify_all();
}

/// The fixture's table, from its library loaded directly with libloading.
fn table() -> PluginTable {
    let path =
        cargo_build_plugin_example("fixture-misbehaving", "fixture_misbehaving", &[]).unwrap();
    // SAFETY: a library of this workspace, built for this test.
    let library = unsafe { libloading::Library::new(&path) }.unwrap();
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    // SAFETY: `export_plugin!` defines the entry symbol with this type.
    let entry = unsafe { library.get::<EntryFn>(ENTRY_SYMBOL) }.unwrap();
    // SAFETY: the entry takes no arguments and returns the static table.
    let table = unsafe { entry() };
    assert!(!table.is_null());
    // SAFETY: a non-null table of this crate's ABI, valid for the library's life.
    let table = unsafe { table.read() };
    assert_eq!(table.abi_version, ABI_VERSION);
    table
}

struct Driver {
    table: PluginTable,
    log: &'static Log,
    next: usize,
}

impl Driver {
    /// Starts call number `next` (its call id is `1000 + next`) with `request`
    /// (`None`: a null pointer) and returns its index.
    fn call(&mut self, request: Option<&[u8]>) -> usize {
        let index = self.next;
        self.next += 1;
        let probe: &'static Probe = Box::leak(Box::new(Probe {
            index,
            log: self.log,
        }));
        let (ptr, len) = request.map_or((std::ptr::null(), 0), |r| (r.as_ptr(), r.len()));
        // SAFETY: the export per the ABI; the request outlives `call`, and the
        // context is a `&'static Probe` that `record` understands.
        unsafe {
            (self.table.call)(
                call_id(index),
                ptr,
                len,
                record,
                std::ptr::from_ref(probe).cast_mut().cast::<c_void>(),
            )
        };
        index
    }

    fn cancel(&self, index: usize) {
        // SAFETY: the export per the ABI; it takes any id.
        unsafe { (self.table.cancel)(call_id(index)) };
    }

    /// Waits until `n` completions have been seen (a minute at most).
    fn wait_for(&self, n: usize) {
        let seen = self.log.seen.lock().unwrap();
        let (seen, timeout) = self
            .log
            .changed
            .wait_timeout_while(seen, Duration::from_secs(60), |s| s.len() < n)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "{} of {n} calls completed",
            seen.len()
        );
    }
}

fn call_id(index: usize) -> u64 {
    1000 + index as u64
}

fn request(tool: &str, input: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"tool": tool, "input": input, "call_id": tool, "attempt": 1}))
        .unwrap()
}

#[test]
fn every_call_completes_exactly_once_with_its_own_id_and_context() {
    let log: &'static Log = Box::leak(Box::default());
    let mut driver = Driver {
        table: table(),
        log,
        next: 0,
    };

    let echo = driver.call(Some(&request("echo", json!({"a": 1}))));
    let panics = driver.call(Some(&request("panics", json!({}))));
    let panics_later = driver.call(Some(&request("panics_after_await", json!({}))));
    let unknown = driver.call(Some(&request("no_such_tool", json!({}))));
    let not_json = driver.call(Some(b"{not json"));
    let empty = driver.call(None);
    let probe = driver.call(Some(&request("cancel_probe", json!({}))));
    driver.cancel(probe);
    // An id the plugin does not know: ignored, completes nothing.
    // SAFETY: the export per the ABI; it takes any id.
    unsafe { (driver.table.cancel)(u64::MAX) };
    driver.wait_for(7);

    // A last call as a barrier: anything the earlier calls did after their
    // completion has had the time of a whole round trip to show.
    let barrier = driver.call(Some(&request("echo", json!({}))));
    driver.wait_for(8);

    let seen = log.seen.lock().unwrap();
    let mut results: HashMap<usize, Result<ToolOutput, ToolError>> = HashMap::new();
    for c in seen.iter() {
        assert_eq!(c.call_id, call_id(c.index), "the context of another call");
        let result = CallResult::from_json(&c.result).unwrap().into_result();
        assert!(
            results.insert(c.index, result).is_none(),
            "call {} completed twice",
            c.index
        );
    }
    assert_eq!(seen.len(), 8, "one completion per call, no more");

    assert_eq!(results[&echo], Ok(ToolOutput::Json(json!({"a": 1}))));
    assert_eq!(results[&barrier], Ok(ToolOutput::Json(json!({}))));
    let fatal = |index: usize, needle: &str| {
        let err = results[&index].clone().unwrap_err();
        assert_eq!(err.kind(), "fatal", "{err}");
        assert!(err.to_string().contains(needle), "{err}");
    };
    fatal(panics, "tool `panics` panicked");
    fatal(panics_later, "tool `panics_after_await` panicked");
    fatal(unknown, "this plugin has no tool `no_such_tool`");
    fatal(not_json, "the call request is not valid");
    fatal(empty, "the call request is not valid");
    fatal(probe, "cancelled");
}
