//! A test fixture: a plugin made with `export_plugin!` whose tools misbehave
//! or report what happened to them.
//!
//! - `panics`: panics inside its call.
//! - `panics_after_await`: panics after its first await, on a runtime worker.
//! - `cancel_probe`: waits (up to 60 s) for its cancellation token, then
//!   records its call id as cancelled; `was_cancelled` (input
//!   `{"call_id": "..."}`) answers `{"cancelled": true}` once the
//!   `cancel_probe` call of that id was. Per call id, so tests running side
//!   by side cannot see each other's cancellations.
//! - `echo`: answers its input.
//! - `big_output`: answers `{"bytes": n}` with n bytes of text.
//! - `runtime_workers`: answers `{"workers": n}`, the worker threads of the
//!   plugin's runtime (the fixture asks for 2 with `export_plugin!`'s
//!   `workers` option).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::json;
use tool_api::{SpecError, Tool, ToolError, ToolOutput, tool_fn};

/// The call ids of the `cancel_probe` calls that saw their cancellation.
static CANCELLED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn cancelled() -> std::sync::MutexGuard<'static, Option<HashSet<String>>> {
    CANCELLED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fixture's tools.
#[allow(clippy::panic)] // Panicking is this fixture's job.
pub fn tools() -> Result<Vec<Arc<dyn Tool>>, SpecError> {
    Ok(vec![
        Arc::new(tool_fn("panics", "Panics.", |(): (), _| async {
            panic!("deliberate panic in a fixture tool")
        })?),
        Arc::new(tool_fn(
            "panics_after_await",
            "Panics after an await.",
            |(): (), _| async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                panic!("deliberate panic after an await")
            },
        )?),
        Arc::new(tool_fn(
            "cancel_probe",
            "Waits for its cancellation.",
            |(): (), ctx| async move {
                tokio::select! {
                    () = ctx.cancellation().cancelled() => {
                        cancelled()
                            .get_or_insert_with(HashSet::new)
                            .insert(ctx.call_id().to_owned());
                        Err(ToolError::fatal("cancelled"))
                    }
                    () = tokio::time::sleep(Duration::from_secs(60)) => Ok(ToolOutput::text("not cancelled")),
                }
            },
        )?),
        Arc::new(tool_fn(
            "was_cancelled",
            "Whether the cancel_probe call of the given call id saw its cancellation.",
            |input: serde_json::Map<String, serde_json::Value>, _| async move {
                let id = input
                    .get("call_id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let seen = cancelled().as_ref().is_some_and(|ids| ids.contains(id));
                Ok(ToolOutput::Json(json!({ "cancelled": seen })))
            },
        )?),
        Arc::new(tool_fn(
            "runtime_workers",
            "How many worker threads the plugin's runtime has.",
            |(): (), _| async {
                let workers = tokio::runtime::Handle::current().metrics().num_workers();
                Ok(ToolOutput::Json(json!({ "workers": workers })))
            },
        )?),
        Arc::new(tool_fn(
            "echo",
            "Answers its input.",
            |input: serde_json::Map<String, serde_json::Value>, _| async move {
                Ok(ToolOutput::Json(input.into()))
            },
        )?),
        Arc::new(tool_fn(
            "big_output",
            "Answers with as many bytes of text as asked.",
            |input: serde_json::Map<String, serde_json::Value>, _| async move {
                let n = input.get("bytes").and_then(|v| v.as_u64()).unwrap_or(0);
                Ok(ToolOutput::text(
                    "x".repeat(usize::try_from(n).unwrap_or(0)),
                ))
            },
        )?),
    ])
}

tool_api::export_plugin!(tools, workers = 2);
