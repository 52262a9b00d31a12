//! The plugin side of the ABI (feature `plugin`): [`export_plugin!`](crate::export_plugin)
//! and the `extern "C"` functions behind it.
//!
//! A plugin library holds one plugin. Its tools run on the plugin's own tokio
//! runtime (a multi-thread runtime with timers and I/O, built on first use):
//! a plugin cannot use the host's runtime, since the host's tokio is a
//! different copy of the crate. Every export catches panics, and so does every
//! call it spawns; a call always completes exactly once: a call is a
//! `Completion` value that invokes the host's callback when finished or
//! dropped, and gives up the host's `complete_ctx` when it does, so it cannot
//! invoke it again.
//!
//! The plugin's state (its info, runtime, tools and the cancellation tokens
//! of its calls in flight) is in statics: the ABI's entry symbol and its
//! `cancel(call_id)` take no context, and the library, loaded once per
//! process, is the plugin instance.
//!
//! | module | what |
//! |---|---|
//! | `info` | what `export_plugin!` says: name, version, build, workers, tools |
//! | `runtime` | the plugin once started: runtime, tools, calls in flight |
//! | `manifest` | the `manifest` and `free_buffer` exports |
//! | `call` | the `call`, `call_with_notify` and `cancel` exports |
//! | `completion` | `Completion`: each call completes exactly once |
//! | `notify` | `Notifier`: a call's `STARTED`/`PROGRESS` notifications, never after it completes |
//! | `workers` | which call each worker thread polls; the `worker_status` export |
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

mod call;
mod completion;
mod info;
mod manifest;
mod notify;
mod runtime;
mod workers;

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use info::{DEFAULT_WORKERS, IntoTools, WORKERS_ENV};
#[doc(hidden)]
pub use info::{PluginInfo, ToolsFn};

use super::abi::{ABI_VERSION, PluginTable, TABLE_SIZE};

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
                debug_build: ::core::cfg!(debug_assertions),
                workers: $workers,
                tools: || $crate::plugin::export::IntoTools::into_tools($tools()),
            })
        }
    };
}

/// The body of the entry symbol: records `info` and returns the table.
#[doc(hidden)]
pub fn entry(info: PluginInfo) -> *const PluginTable {
    match catch_unwind(AssertUnwindSafe(|| runtime::record(info))) {
        Ok(()) => &TABLE,
        Err(_) => std::ptr::null(),
    }
}

static TABLE: PluginTable = PluginTable {
    abi_version: ABI_VERSION,
    table_size: TABLE_SIZE,
    manifest: manifest::manifest,
    free_buffer: manifest::free_buffer,
    call: call::call,
    cancel: call::cancel,
    call_with_notify: Some(call::call_with_notify),
    worker_status: Some(workers::worker_status),
};
