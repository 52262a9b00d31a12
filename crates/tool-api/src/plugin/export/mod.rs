//! The plugin side of the ABI (feature `plugin`): [`export_plugin!`](crate::export_plugin)
//! and the `extern "C"` functions behind it.
//!
//! A plugin library holds one plugin. Its tools run on the plugin's own tokio
//! runtime (a multi-thread runtime with timers and I/O, built on first use):
//! a plugin cannot use the host's runtime, since the host's tokio is a
//! different copy of the crate. Every export catches panics, and so does every
//! call it spawns; a call always completes exactly once: a call is a
//! [`Completion`] value that invokes the host's callback when finished or
//! dropped, and gives up the host's `complete_ctx` when it does, so it cannot
//! invoke it again.
//!
//! The plugin's state (its info, runtime, tools and the cancellation tokens
//! of its calls in flight) is in statics: the ABI's entry symbol and its
//! `cancel(call_id)` take no context, and the library, loaded once per
//! process, is the plugin instance.
//!
//! The runtime has [`DEFAULT_WORKERS`] (one) worker thread unless the plugin
//! asks for more (`export_plugin!(tools, workers = 4)`) or the environment
//! variable [`WORKERS_ENV`] gives another number. A worker only polls futures:
//! blocking and CPU-heavy work belongs in `tokio::task::spawn_blocking`, on
//! the runtime's blocking pool, which grows as needed. One worker is also the
//! fastest hand-off from the host: a call arrives from a host thread, which
//! wakes one idle worker, and with two or more workers tokio's scheduler makes
//! that worker wake a second one for every such call, which costs as much as
//! the rest of the round trip (`cargo bench -p tool-api --bench plugin_call`).

use std::collections::HashMap;
use std::ffi::c_void;
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use super::abi::{ABI_VERSION, CompleteFn, PluginBuffer, PluginTable, TABLE_SIZE};
use super::dispatch;
use super::payload::{CallRequest, CallResult, Manifest};
use crate::{Tool, ToolSpec};

/// Exports a plugin's tools from a `cdylib` crate.
///
/// Give it a function that returns the tools, as a `Vec<Arc<dyn Tool>>` or a
/// `Result` of one (any error that implements `Display`, such as
/// [`SpecError`](crate::SpecError)). It is called once, on the plugin's
/// runtime, when the host first asks for the manifest. The plugin's name and
/// version are the crate's (`CARGO_PKG_NAME`, `CARGO_PKG_VERSION`).
///
/// `export_plugin!(tools, workers = 4)` gives the plugin's runtime more
/// worker threads than [`DEFAULT_WORKERS`](crate::plugin::export::DEFAULT_WORKERS),
/// for a plugin whose async code itself is CPU-heavy (blocking work needs no
/// workers: it goes in `spawn_blocking`). The host's user can still override
/// it with [`WORKERS_ENV`](crate::plugin::export::WORKERS_ENV).
///
/// Use it once per library: it defines the `tool_api_plugin_entry` symbol.
///
/// ```
/// use std::sync::Arc;
/// use tool_api::{tool_fn, SpecError, Tool, ToolOutput};
///
/// fn tools() -> Result<Vec<Arc<dyn Tool>>, SpecError> {
///     let now = tool_fn("now", "Current time.", |(): (), _ctx| async {
///         Ok(ToolOutput::text("noon"))
///     })?;
///     Ok(vec![Arc::new(now)])
/// }
///
/// tool_api::export_plugin!(tools);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($tools:path) => {
        $crate::export_plugin!($tools, workers = $crate::plugin::export::DEFAULT_WORKERS);
    };
    ($tools:path, workers = $workers:expr) => {
        /// The plugin's entry point: returns its ABI function table.
        #[unsafe(no_mangle)]
        pub extern "C" fn tool_api_plugin_entry() -> *const $crate::plugin::abi::PluginTable {
            $crate::plugin::export::entry($crate::plugin::export::PluginInfo {
                name: ::core::env!("CARGO_PKG_NAME"),
                version: ::core::env!("CARGO_PKG_VERSION"),
                panic_unwind: ::core::cfg!(panic = "unwind"),
                workers: $workers,
                tools: || $crate::plugin::export::IntoTools::into_tools($tools()),
            })
        }
    };
}

/// The number of worker threads of a plugin's runtime unless the plugin or
/// the host's environment says otherwise: one (see the module docs for why).
pub const DEFAULT_WORKERS: usize = 1;

/// The environment variable that sets the number of worker threads of every
/// plugin runtime in the process, over what the plugins ask for: a positive
/// integer (anything else is ignored).
pub const WORKERS_ENV: &str = "TOOL_API_PLUGIN_WORKERS";

/// What a plugin's tool function may return: the tools, or the tools or an
/// error to report to the host.
pub trait IntoTools {
    /// The tools, or a message saying why there are none.
    fn into_tools(self) -> Result<Vec<Arc<dyn Tool>>, String>;
}

impl IntoTools for Vec<Arc<dyn Tool>> {
    fn into_tools(self) -> Result<Vec<Arc<dyn Tool>>, String> {
        Ok(self)
    }
}

impl<E: Display> IntoTools for Result<Vec<Arc<dyn Tool>>, E> {
    fn into_tools(self) -> Result<Vec<Arc<dyn Tool>>, String> {
        self.map_err(|e| e.to_string())
    }
}

/// Builds a plugin's tools, or says why it cannot.
#[doc(hidden)]
pub type ToolsFn = fn() -> Result<Vec<Arc<dyn Tool>>, String>;

/// What [`export_plugin!`](crate::export_plugin) tells the export side.
#[doc(hidden)]
pub struct PluginInfo {
    /// The plugin crate's name.
    pub name: &'static str,
    /// The plugin crate's version.
    pub version: &'static str,
    /// Whether the plugin was built with `panic = "unwind"`.
    pub panic_unwind: bool,
    /// Worker threads the plugin asks for (0 counts as 1).
    pub workers: usize,
    /// Builds the tools.
    pub tools: ToolsFn,
}

/// The body of the entry symbol: records `info` and returns the table.
#[doc(hidden)]
pub fn entry(info: PluginInfo) -> *const PluginTable {
    let recorded = catch_unwind(AssertUnwindSafe(|| {
        // A second call (a second host, say) keeps the first info: same library.
        let _ = INFO.set(info);
    }));
    match recorded {
        Ok(()) => &TABLE,
        Err(_) => std::ptr::null(),
    }
}

static TABLE: PluginTable = PluginTable {
    abi_version: ABI_VERSION,
    table_size: TABLE_SIZE,
    manifest,
    free_buffer,
    call,
    cancel,
};

static INFO: OnceLock<PluginInfo> = OnceLock::new();

/// The plugin once started: its runtime, its tools, its calls in flight.
struct State {
    info: &'static PluginInfo,
    runtime: Runtime,
    tools: HashMap<String, Arc<dyn Tool>>,
    specs: Vec<ToolSpec>,
    /// Cancellation tokens of the calls in flight, by the host's call id.
    calls: Mutex<HashMap<u64, CancellationToken>>,
}

impl State {
    fn calls(&self) -> MutexGuard<'_, HashMap<u64, CancellationToken>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

static STATE: OnceLock<Result<State, String>> = OnceLock::new();

fn state() -> Result<&'static State, String> {
    STATE
        .get_or_init(|| {
            catch_unwind(start).unwrap_or_else(|panic| {
                Err(format!(
                    "the plugin panicked while starting: {}",
                    dispatch::panic_message(panic.as_ref())
                ))
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn start() -> Result<State, String> {
    let info = INFO
        .get()
        .ok_or("the plugin's entry symbol was not called before its other functions")?;
    let workers = std::env::var(WORKERS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(info.workers.max(1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(format!("{}-tools", info.name))
        .enable_all()
        .build()
        .map_err(|e| format!("the plugin could not start its tokio runtime: {e}"))?;
    let tools = {
        let _context = runtime.enter();
        (info.tools)()?
    };
    let specs = tools.iter().map(|t| t.spec().clone()).collect();
    let tools = tools
        .into_iter()
        .map(|t| (t.spec().name.clone(), t))
        .collect();
    Ok(State {
        info,
        runtime,
        tools,
        specs,
        calls: Mutex::default(),
    })
}

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

unsafe extern "C" fn manifest() -> PluginBuffer {
    let bytes = catch_unwind(manifest_json).unwrap_or_else(|panic| {
        let message = format!(
            "the plugin panicked while listing its tools: {}",
            dispatch::panic_message(panic.as_ref())
        );
        serde_json::json!({ "error": message })
            .to_string()
            .into_bytes()
    });
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    PluginBuffer {
        ptr: Box::into_raw(boxed).cast::<u8>(),
        len,
    }
}

unsafe extern "C" fn free_buffer(buffer: PluginBuffer) {
    if buffer.ptr.is_null() {
        return;
    }
    // SAFETY: a non-null buffer comes from `manifest`, which leaked a
    // `Box<[u8]>` of exactly `len` bytes at `ptr`; the host frees it once.
    let boxed =
        unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buffer.ptr, buffer.len)) };
    drop(boxed);
}

unsafe extern "C" fn call(
    call_id: u64,
    request: *const u8,
    request_len: usize,
    complete: CompleteFn,
    complete_ctx: *mut c_void,
) {
    let completion = Completion {
        call_id,
        host: Some((complete, HostContext(complete_ctx))),
        registered: None,
    };
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
    completion.registered = Some(state);
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

unsafe extern "C" fn cancel(call_id: u64) {
    let _ = catch_unwind(|| {
        let Some(Ok(state)) = STATE.get() else {
            return;
        };
        if let Some(token) = state.calls().get(&call_id) {
            token.cancel();
        }
    });
}

/// The host's `complete_ctx` for one call: opaque, passed back untouched.
struct HostContext(*mut c_void);

// SAFETY: the ABI lets the plugin keep `complete_ctx` on any thread and hand
// it back from any thread; the plugin never dereferences it.
unsafe impl Send for HostContext {}

/// The promise to invoke the host's callback exactly once: [`Self::finish`]
/// does it, and dropping an unfinished completion (a panic, a runtime that
/// shut down with the call queued) does it with an error result. Invoking the
/// callback takes the callback and the host's context out of the value, so
/// no path can invoke it a second time.
struct Completion {
    call_id: u64,
    /// The host's callback and context, until the one invocation takes them.
    host: Option<(CompleteFn, HostContext)>,
    /// The started plugin, once the call's token is in its table of calls.
    registered: Option<&'static State>,
}

impl Completion {
    fn finish(mut self, result: CallResult) {
        self.send(&result);
    }

    fn send(&mut self, result: &CallResult) {
        let Some((complete, HostContext(complete_ctx))) = self.host.take() else {
            return;
        };
        if let Some(state) = self.registered.take() {
            state.calls().remove(&self.call_id);
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

#[cfg(test)]
mod tests {
    use std::panic::catch_unwind;

    use super::*;
    use crate::ToolError;

    /// The completions a test saw: `(call_id, result)`.
    #[derive(Default)]
    struct Log(Mutex<Vec<(u64, Result<crate::ToolOutput, ToolError>)>>);

    impl Log {
        fn ctx(&self) -> HostContext {
            HostContext(std::ptr::from_ref(self).cast_mut().cast())
        }

        fn seen(&self) -> Vec<(u64, Result<crate::ToolOutput, ToolError>)> {
            self.0.lock().unwrap().clone()
        }
    }

    unsafe extern "C" fn record(ctx: *mut c_void, call_id: u64, result: *const u8, len: usize) {
        // SAFETY: every context in these tests is a `&Log` that outlives it.
        let log = unsafe { &*ctx.cast::<Log>() };
        // SAFETY: `len` bytes at `result`, valid during the callback.
        let bytes = unsafe { std::slice::from_raw_parts(result, len) };
        let result = CallResult::from_json(bytes).unwrap().into_result();
        log.0.lock().unwrap().push((call_id, result));
    }

    fn completion(log: &Log, call_id: u64) -> Completion {
        Completion {
            call_id,
            host: Some((record, log.ctx())),
            registered: None,
        }
    }

    #[test]
    fn finishing_completes_once_and_the_drop_after_it_does_nothing() {
        let log = Log::default();
        completion(&log, 7).finish(CallResult::from(Ok(crate::ToolOutput::text("done"))));
        assert_eq!(log.seen(), [(7, Ok(crate::ToolOutput::text("done")))]);
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
