//! Test support for plugin authors (feature `testing`).
//!
//! - [`call`] / [`call_with`] run a tool in-process through the same JSON
//!   payloads and the same panic handling as a call through the ABI, so a
//!   plugin's unit tests see what the host will see.
//! - [`call_with_policy`] runs a call the way the host does: each attempt
//!   under a timeout, retryable failures tried again, a slow attempt
//!   timed out and cancelled; to see a tool retried and timed out without
//!   the agent runtime.
//! - [`manifest`] checks a plugin's tools the way the host will when it loads
//!   the library: valid, unique names and usable schemas.
//! - [`cargo_build_plugin`] builds a plugin crate of the current workspace with
//!   cargo and returns its library's path, for tests that load it for real.
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use tool_api::{tool_fn, ToolOutput};
//! use tool_api::plugin::testing;
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Input { name: String }
//!
//! let hello = tool_fn("hello", "Greets.", |i: Input, _ctx| async move {
//!     Ok(ToolOutput::text(format!("hello {}", i.name)))
//! })
//! .unwrap();
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let out = testing::call(&hello, serde_json::json!({"name": "Ada"})).await;
//! assert_eq!(out, Ok(ToolOutput::text("hello Ada")));
//! # });
//! ```

mod build;
mod policy;

use std::sync::Arc;

use serde_json::Value;

pub use build::{
    BuildError, cargo_build_plugin, cargo_build_plugin_example, cargo_build_plugin_with_features,
};
pub use policy::{Attempt, Attempts, Policy, call_with_policy};

use super::dispatch;
use super::payload::{CallRequest, CallResult, Manifest, ManifestError};
use crate::{Tool, ToolContext, ToolError, ToolOutput};

/// Calls `tool` with `input` as a plugin would: the request and the result go
/// through their JSON payloads, and a panic becomes a fatal error result.
pub async fn call(tool: &dyn Tool, input: Value) -> Result<ToolOutput, ToolError> {
    call_with(tool, input, ToolContext::new("test-call")).await
}

/// [`call`] with a context of your own (a cancellation token to fire, a
/// deadline, an attempt number, a progress sink to collect the tool's
/// reports, as the host's would through the plugin ABI).
pub async fn call_with(
    tool: &dyn Tool,
    input: Value,
    ctx: ToolContext,
) -> Result<ToolOutput, ToolError> {
    let request = CallRequest {
        tool: tool.spec().name.clone(),
        input,
        call_id: ctx.call_id().to_owned(),
        attempt: ctx.attempt(),
        timeout_ms: ctx
            .remaining()
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    };
    let request = CallRequest::from_json(&request.to_json()).map_err(ToolError::fatal)?;
    let sink = ctx.progress_sink().cloned();
    let result = dispatch::run(tool, request, ctx.cancellation().clone(), sink)
        .await
        .to_json();
    CallResult::from_json(&result)
        .map_err(ToolError::fatal)?
        .into_result()
}

/// The manifest a plugin of `tools` would send, checked as the host checks it
/// when loading the library.
pub fn manifest(
    name: &str,
    version: &str,
    tools: &[Arc<dyn Tool>],
) -> Result<Manifest, ManifestError> {
    let manifest = Manifest {
        name: name.to_owned(),
        version: version.to_owned(),
        sdk_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        panic: None,
        build: None,
        tools: tools.iter().map(|t| t.spec().clone()).collect(),
    };
    Manifest::from_json(&manifest.to_json())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{ToolSpec, tool_fn};

    struct Panics(ToolSpec);

    #[async_trait::async_trait]
    impl Tool for Panics {
        fn spec(&self) -> &ToolSpec {
            &self.0
        }
        async fn call(&self, _: Value, _: ToolContext) -> Result<ToolOutput, ToolError> {
            panic!("boom")
        }
    }

    #[tokio::test]
    async fn a_panic_is_an_error_result() {
        let tool = Panics(ToolSpec::new("p", "", json!({"type": "object"})));
        let err = call(&tool, json!({})).await.unwrap_err();
        assert_eq!(err.kind(), "fatal");
        assert!(err.to_string().contains("tool `p` panicked: boom"), "{err}");
    }

    #[tokio::test]
    async fn errors_keep_their_kind() {
        let tool = tool_fn("t", "", |(): (), _| async {
            Err(ToolError::retry_after(
                "busy",
                std::time::Duration::from_secs(2),
            ))
        })
        .unwrap();
        assert_eq!(
            call(&tool, json!({})).await,
            Err(ToolError::retry_after(
                "busy",
                std::time::Duration::from_secs(2)
            ))
        );
    }

    #[test]
    fn manifest_checks_names_like_the_host() {
        let bad: Arc<dyn Tool> = Arc::new(Panics(ToolSpec::new("a b", "", json!({}))));
        assert!(matches!(
            manifest("p", "1", &[bad]),
            Err(ManifestError::Tool { index: 0, .. })
        ));
    }
}
