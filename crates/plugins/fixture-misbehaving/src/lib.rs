//! A test fixture: a plugin made with `export_plugin!` whose tools misbehave
//! or report what happened to them.
//!
//! - `panics`: panics inside its call.
//! - `panics_after_await`: panics after its first await, on a runtime worker.
//! - `cancel_probe`: waits (up to 60 s) for its cancellation token, then
//!   counts the cancellation; `cancelled_count` answers `{"cancelled": n}`.
//! - `echo`: answers its input.
//! - `runtime_workers`: answers `{"workers": n}`, the worker threads of the
//!   plugin's runtime (the fixture asks for 2 with `export_plugin!`'s
//!   `workers` option).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;
use tool_api::{SpecError, Tool, ToolError, ToolOutput, tool_fn};

static CANCELLED: AtomicU64 = AtomicU64::new(0);

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
                        CANCELLED.fetch_add(1, Ordering::SeqCst);
                        Err(ToolError::fatal("cancelled"))
                    }
                    () = tokio::time::sleep(Duration::from_secs(60)) => Ok(ToolOutput::text("not cancelled")),
                }
            },
        )?),
        Arc::new(tool_fn(
            "cancelled_count",
            "How many cancel_probe calls were cancelled.",
            |(): (), _| async {
                Ok(ToolOutput::Json(
                    json!({"cancelled": CANCELLED.load(Ordering::SeqCst)}),
                ))
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
    ])
}

tool_api::export_plugin!(tools, workers = 2);
