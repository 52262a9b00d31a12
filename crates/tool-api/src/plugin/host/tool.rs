//! [`PluginTool`]: a plugin's tool as an ordinary [`Tool`].
//!
//! A call sends its request through the plugin's `call` export and waits on a
//! oneshot channel that the completion callback fills: no host thread is held
//! while the plugin works. The channel's sending half travels with the call as
//! its `complete_ctx` (a `Box` given to the plugin and reclaimed by the
//! callback), so the host keeps no table of calls in flight and takes no lock
//! per call. Dropping the call's future (a timeout, a cancelled turn) calls
//! the plugin's `cancel` export, and so does the call's cancellation token
//! firing. A tool that panicked in the plugin panics here too (its panic
//! resumed with the panic's message), as a tool in the host's process would.
//!
//! When the plugin's table has `call_with_notify`, the call goes through it:
//! the `Waiter` (in `waiter.rs`) then also carries the call's progress sink and a flag the
//! plugin's `STARTED` sets; a `PROGRESS` report reaches the sink. A call not
//! started after the stall threshold asks the plugin's `worker_status` which
//! call holds the worker and reports it once ([`ToolContext::stalled`]).
//! Notifications the host cannot use (an unknown kind, another call's id,
//! bytes that are not a report) are logged at debug level and dropped.

use std::ffi::c_void;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::future::{Either, select};
use serde_json::Value;
use tokio::sync::oneshot;

use super::waiter::{Answer, Signals, Waiter, on_complete, on_notify};
use crate::plugin::abi::{PluginBuffer, PluginTable};
use crate::plugin::payload::{CallRequestRef, CallResult, Manifest};
use crate::plugin::status::WorkerStatus;
use crate::{ProgressSink, Stall, Tool, ToolContext, ToolError, ToolOutput, ToolSpec};

/// The longest model id of a holding call the host passes on from a
/// plugin's `worker_status` (a longer one is not an id the host sent).
const MAX_HOLDER_ID_LEN: usize = 256;

/// One loaded plugin's functions, shared by its tools.
pub(crate) struct PluginHandle {
    path: PathBuf,
    name: String,
    table: PluginTable,
    /// The plugin's tool names: a `worker_status` entry naming another is
    /// not believed.
    tools: Vec<String>,
}

impl PluginHandle {
    pub(crate) fn new(path: PathBuf, manifest: &Manifest, table: PluginTable) -> Self {
        Self {
            path,
            name: manifest.name.clone(),
            table,
            tools: manifest.tools.iter().map(|t| t.name.clone()).collect(),
        }
    }

    fn cancel(&self, id: u64) {
        // SAFETY: `cancel` is the plugin's export per the ABI; it takes any id.
        unsafe { (self.table.cancel)(id) };
    }

    pub(crate) fn has_notifications(&self) -> bool {
        self.table.call_with_notify.is_some() && self.table.worker_status.is_some()
    }

    /// The call holding a worker of the plugin while the call `id` waits to
    /// start, from the plugin's `worker_status`: the longest poll of another
    /// call of one of the plugin's tools. `None` when the plugin cannot say,
    /// says nothing usable, or no other call is being polled.
    fn holder(&self, id: u64, waited: Duration) -> Option<Stall> {
        let status = self.table.worker_status?;
        // SAFETY: `worker_status` is the plugin's export per the ABI (present
        // because `table_size` covers it and it is not null); it returns a
        // buffer the plugin owns.
        let buffer = unsafe { status() };
        let bytes = copy_buffer(&buffer);
        // SAFETY: the buffer came from this plugin and is freed once, here.
        unsafe { (self.table.free_buffer)(buffer) };
        let status = match WorkerStatus::from_json(&bytes) {
            Ok(status) => status,
            Err(e) => {
                tracing::debug!(plugin = %self.name, "ignoring a worker_status that is not valid: {e}");
                return None;
            }
        };
        status
            .workers
            .into_iter()
            .filter_map(|w| w.polling)
            .filter(|p| p.call_id != id && self.tools.contains(&p.tool))
            .max_by_key(|p| p.for_ms)
            .map(|p| Stall {
                held_by_tool: p.tool,
                held_by_call: p
                    .tool_call_id
                    .filter(|c| !c.is_empty() && c.len() <= MAX_HOLDER_ID_LEN),
                held_for: Duration::from_millis(p.for_ms),
                waited,
            })
    }
}

/// The bytes of a plugin's buffer, copied.
fn copy_buffer(buffer: &PluginBuffer) -> Vec<u8> {
    if buffer.ptr.is_null() || buffer.len == 0 {
        return Vec::new();
    }
    // SAFETY: per the ABI the buffer holds `len` bytes at `ptr` until it is
    // handed back to `free_buffer`, which the caller does after this.
    unsafe { std::slice::from_raw_parts(buffer.ptr, buffer.len) }.to_vec()
}

/// A tool served by a plugin library.
pub(crate) struct PluginTool {
    spec: ToolSpec,
    plugin: Arc<PluginHandle>,
    /// Report a call not started after this long; never with `None`.
    stall_after: Option<Duration>,
}

impl PluginTool {
    pub(crate) fn new(
        spec: ToolSpec,
        plugin: Arc<PluginHandle>,
        stall_after: Option<Duration>,
    ) -> Self {
        Self {
            spec,
            plugin,
            stall_after,
        }
    }

    /// Waits `after`, then, while the call has not started, reports the
    /// call holding the plugin's worker once and returns; checks again every
    /// `after` while no other call is being polled. Returns at once when the
    /// call started.
    async fn watch_stall(
        &self,
        id: u64,
        signals: &Signals,
        sink: &dyn ProgressSink,
        after: Duration,
    ) {
        let sent = Instant::now();
        loop {
            tokio::time::sleep(after).await;
            if signals.started.load(Ordering::Acquire) {
                return;
            }
            if let Some(stall) = self.plugin.holder(id, sent.elapsed()) {
                sink.stalled(stall);
                return;
            }
        }
    }

    fn broken(&self, what: &str) -> ToolError {
        ToolError::fatal(format!(
            "plugin `{}` ({}) {what} for tool `{}`; the plugin is broken, report it to its author",
            self.plugin.name,
            self.plugin.path.display(),
            self.spec.name
        ))
    }
}

/// The next call id. Process-wide rather than per plugin handle: `dlopen`
/// shares one library instance between every path naming the same file (a
/// hard link), so two handles may reach one plugin, whose ids must not repeat
/// among its calls in flight. A lock-free counter, not a table.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Whether the host's tokio clock (the clock of the runtime the call runs
/// on) is paused, as under `#[tokio::test(start_paused = true)]`.
///
/// Tokio has no query for it, so this watches the clock: it reads the host's
/// tokio clock around a span of real time (one tick of the system's
/// monotonic clock, a few dozen nanoseconds). A running tokio clock is the
/// system clock, and its reading span contains the real one, so it advances
/// at least as much; a paused clock does not advance at all without an
/// `.await`. So the answer is exact either way, and costs a few clock reads.
fn host_clock_is_paused() -> bool {
    let host_start = tokio::time::Instant::now();
    let real_start = std::time::Instant::now();
    let mut real_end = std::time::Instant::now();
    while real_end == real_start {
        real_end = std::time::Instant::now();
    }
    let host_end = tokio::time::Instant::now();
    host_end.duration_since(host_start) < real_end.duration_since(real_start)
}

/// Cancels the call in the plugin when its future ends before the answer
/// came (a timeout or a cancelled turn dropped it). The plugin still
/// completes the call, which reclaims its [`Waiter`].
struct InFlight<'a> {
    id: u64,
    plugin: &'a PluginHandle,
    answered: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.plugin.cancel(self.id);
        }
    }
}

#[async_trait]
impl Tool for PluginTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        if host_clock_is_paused() {
            return Err(ToolError::fatal(format!(
                "tool `{}` of plugin `{}` was called while the host's tokio clock is paused \
                 (`tokio::time::pause`, or `#[tokio::test(start_paused = true)]`): the plugin \
                 runs on its own runtime in real time, while the host's timers would jump ahead \
                 and time every call out at once, so the call was not made; test a loaded \
                 plugin with the real clock, or test its tools in process under the paused \
                 clock with `tool_api::plugin::testing`",
                self.spec.name, self.plugin.name
            )));
        }
        let request = CallRequestRef {
            tool: &self.spec.name,
            input: &input,
            call_id: ctx.call_id(),
            attempt: ctx.attempt(),
            timeout_ms: ctx
                .remaining()
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
        .to_json();
        drop(input);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let (sender, mut receiver) = oneshot::channel();
        let mut in_flight = InFlight {
            id,
            plugin: &self.plugin,
            answered: false,
        };
        let notify = self.plugin.table.call_with_notify;
        let signals = notify.map(|_| {
            Arc::new(Signals {
                started: AtomicBool::new(false),
                progress: ctx.progress_sink().cloned(),
            })
        });
        {
            let complete_ctx = Box::into_raw(Box::new(Waiter {
                call_id: id,
                sender,
                signals: signals.clone(),
            }))
            .cast::<c_void>();
            match notify {
                // SAFETY: `call_with_notify` is the plugin's export per the
                // ABI (present: `table_size` covers it and it is not null).
                // `request` stays alive for the duration of the call, and
                // `on_complete` and `on_notify` for the process; ownership of
                // `complete_ctx` passes to the plugin, which may hand it to
                // `on_notify` until it hands it back to `on_complete`, once.
                Some(call_with_notify) => unsafe {
                    call_with_notify(
                        id,
                        request.as_ptr(),
                        request.len(),
                        on_complete,
                        complete_ctx,
                        on_notify,
                    )
                },
                // SAFETY: `call` is the plugin's export per the ABI. `request`
                // stays alive for the duration of the call and `on_complete`
                // for the process; ownership of `complete_ctx` passes to the
                // plugin, which hands it back to `on_complete` exactly once.
                None => unsafe {
                    (self.plugin.table.call)(
                        id,
                        request.as_ptr(),
                        request.len(),
                        on_complete,
                        complete_ctx,
                    )
                },
            }
        }

        let answer = async {
            match select(&mut receiver, pin!(ctx.cancellation().cancelled())).await {
                Either::Left((received, _)) => received,
                Either::Right(((), _)) => {
                    // Pass the cancellation on, then wait for the plugin's answer.
                    self.plugin.cancel(id);
                    (&mut receiver).await
                }
            }
        };
        let watched = match (&signals, self.stall_after, ctx.progress_sink()) {
            (Some(signals), Some(after), Some(sink)) if self.plugin.has_notifications() => {
                Some(self.watch_stall(id, signals, sink.as_ref(), after))
            }
            _ => None,
        };
        let received = match watched {
            None => answer.await,
            Some(watch) => match select(pin!(answer), pin!(watch)).await {
                Either::Left((received, _)) => received,
                // Reported (or started): only the answer is left to wait for.
                Either::Right(((), answer)) => answer.await,
            },
        };
        in_flight.answered = true;
        let bytes = match received.map_err(|_| self.broken("lost a call"))? {
            Answer::Result(bytes) => bytes,
            Answer::WrongId(other) => {
                return Err(self.broken(&format!("completed call {id} under the id {other}")));
            }
        };
        let result = CallResult::from_json(&bytes)
            .map_err(|e| self.broken(&format!("returned a result that is not valid JSON ({e})")))?;
        if let Some(panic) = result.panic_message() {
            // The plugin caught its tool's panic; resumed here, it reaches
            // the caller as an in-process tool's panic does (the executor
            // reports the call as panicked), without running the panic hook
            // a second time.
            std::panic::resume_unwind(Box::new(panic.to_owned()));
        }
        result.into_result()
    }
}
