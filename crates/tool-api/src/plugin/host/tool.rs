//! [`PluginTool`]: a plugin's tool as an ordinary [`Tool`].
//!
//! A call sends its request through the plugin's `call` export and waits on a
//! oneshot channel that the completion callback fills: no host thread is held
//! while the plugin works. Dropping the call's future (a timeout, a cancelled
//! turn) calls the plugin's `cancel` export, and so does the call's
//! cancellation token firing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use futures::future::{Either, select};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::plugin::abi::PluginTable;
use crate::plugin::payload::{CallRequest, CallResult};
use crate::{Tool, ToolContext, ToolError, ToolOutput, ToolSpec};

/// One loaded plugin's functions, shared by its tools.
pub(crate) struct PluginHandle {
    path: PathBuf,
    name: String,
    table: PluginTable,
}

impl PluginHandle {
    pub(crate) fn new(path: PathBuf, name: String, table: PluginTable) -> Self {
        Self { path, name, table }
    }

    fn cancel(&self, id: u64) {
        // SAFETY: `cancel` is the plugin's export per the ABI; it takes any id.
        unsafe { (self.table.cancel)(id) };
    }
}

/// A tool served by a plugin library.
pub(crate) struct PluginTool {
    spec: ToolSpec,
    plugin: Arc<PluginHandle>,
}

impl PluginTool {
    pub(crate) fn new(spec: ToolSpec, plugin: Arc<PluginHandle>) -> Self {
        Self { spec, plugin }
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

/// Calls waiting for their completion, by call id. Shared by all plugins:
/// ids are unique in the process.
static PENDING: LazyLock<Mutex<HashMap<u64, oneshot::Sender<Vec<u8>>>>> =
    LazyLock::new(Default::default);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn pending() -> MutexGuard<'static, HashMap<u64, oneshot::Sender<Vec<u8>>>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The completion callback given to every plugin: copies the result and
/// wakes the waiting call. A second completion, or one for a call nobody
/// waits for any more, is ignored.
unsafe extern "C" fn on_complete(call_id: u64, result: *const u8, result_len: usize) {
    let _ = std::panic::catch_unwind(|| {
        let bytes = if result.is_null() || result_len == 0 {
            Vec::new()
        } else {
            // SAFETY: the plugin passes `result_len` bytes at `result`, valid
            // until this callback returns; we copy them.
            unsafe { std::slice::from_raw_parts(result, result_len) }.to_vec()
        };
        if let Some(sender) = pending().remove(&call_id) {
            let _ = sender.send(bytes);
        }
    });
}

/// Removes the call from [`PENDING`] when its future ends; if no result came,
/// tells the plugin to cancel it.
struct InFlight<'a> {
    id: u64,
    plugin: &'a PluginHandle,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if pending().remove(&self.id).is_some() {
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
        let request = CallRequest {
            tool: self.spec.name.clone(),
            input,
            call_id: ctx.call_id().to_owned(),
            attempt: ctx.attempt(),
            timeout_ms: ctx
                .remaining()
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
        .to_json();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let (sender, mut receiver) = oneshot::channel();
        pending().insert(id, sender);
        let _in_flight = InFlight {
            id,
            plugin: &self.plugin,
        };
        // SAFETY: `call` is the plugin's export per the ABI; `request` stays
        // alive for the duration of the call and `on_complete` for the process.
        unsafe { (self.plugin.table.call)(id, request.as_ptr(), request.len(), on_complete) };

        let received = match select(&mut receiver, pin!(ctx.cancellation().cancelled())).await {
            Either::Left((received, _)) => received,
            Either::Right(((), _)) => {
                // Pass the cancellation on, then wait for the plugin's answer.
                self.plugin.cancel(id);
                receiver.await
            }
        };
        let bytes = received.map_err(|_| self.broken("lost a call"))?;
        CallResult::from_json(&bytes)
            .map_err(|e| self.broken(&format!("returned a result that is not valid JSON ({e})")))?
            .into_result()
    }
}
