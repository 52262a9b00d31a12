//! The plugin once started: its tokio runtime, its tools, its calls in
//! flight (their cancellation tokens, tools and model ids) and what its
//! worker threads poll.
//!
//! This state is in statics: the ABI's entry symbol and its `cancel(call_id)`
//! take no context, and the library, loaded once per process, is the plugin
//! instance. It starts on first use (the host's first `manifest` or `call`),
//! once; a failure to start is kept and reported by every later use.

use std::collections::HashMap;
use std::panic::catch_unwind;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use super::info::{PluginInfo, WORKERS_ENV};
use super::workers::Workers;
use crate::plugin::dispatch;
use crate::{Tool, ToolSpec};

static INFO: OnceLock<PluginInfo> = OnceLock::new();

static STATE: OnceLock<Result<State, String>> = OnceLock::new();

/// Records what `export_plugin!` says about the plugin. A second call (a
/// second host, say) keeps the first info: it is the same library.
pub(super) fn record(info: PluginInfo) {
    let _ = INFO.set(info);
}

/// The plugin once started: its runtime, its tools, its calls in flight.
pub(super) struct State {
    pub(super) info: &'static PluginInfo,
    pub(super) runtime: Runtime,
    pub(super) tools: HashMap<String, Arc<dyn Tool>>,
    pub(super) specs: Vec<ToolSpec>,
    /// The calls in flight, by the host's call id.
    calls: Mutex<HashMap<u64, CallEntry>>,
    /// What each worker thread polls (for `worker_status`).
    pub(super) workers: Workers,
}

/// A call in flight: its token for `cancel`, and what `worker_status` says
/// of it.
pub(super) struct CallEntry {
    /// Fired by `cancel`.
    pub(super) token: CancellationToken,
    /// The tool called.
    pub(super) tool: String,
    /// The request's `call_id` (the model's id for the call).
    pub(super) tool_call_id: String,
}

impl State {
    /// The calls in flight (a poisoned lock is still a valid table: every
    /// change to it is one insert or remove).
    pub(super) fn calls(&self) -> MutexGuard<'_, HashMap<u64, CallEntry>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The started plugin, starting it on first use, or why it cannot start.
pub(super) fn state() -> Result<&'static State, String> {
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

/// The started plugin if it has started, without starting it.
pub(super) fn started() -> Option<&'static State> {
    match STATE.get() {
        Some(Ok(state)) => Some(state),
        _ => None,
    }
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
    let thread_name = format!("{}-tools", info.name);
    quiet_panics_on(thread_name.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(thread_name)
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
        workers: Workers::default(),
    })
}

/// Makes panics on the plugin's runtime threads (named `thread_name`: its
/// workers and its blocking pool) print nothing. Each is caught and reported
/// where it belongs: a tool's panic in its call's result (which the host
/// turns back into a panic in the calling task), a spawned task's in its
/// `JoinHandle`. The default hook would print the message and, with
/// `RUST_BACKTRACE` set, capture a backtrace on the worker thread, which
/// stalls every other call on it (70 ms, measured). Panics on other threads
/// still reach the previous hook.
///
/// The hook is the plugin's own: a `cdylib` links its own copy of `std`, so
/// this does not touch the host's hook.
fn quiet_panics_on(thread_name: String) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() != Some(thread_name.as_str()) {
            previous(info);
        }
    }));
}
