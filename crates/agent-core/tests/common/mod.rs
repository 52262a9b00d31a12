//! What the integration tests share: a tool driven by a closure.
#![allow(dead_code)]

use std::sync::Arc;

use serde_json::{Value, json};
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolSpec};

/// A tool driven by a closure over (input, context).
struct FnTool<F> {
    spec: ToolSpec,
    f: F,
}

#[async_trait::async_trait]
impl<F, Fut> Tool for FnTool<F>
where
    F: Fn(Value, ToolContext) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = Result<ToolOutput, ToolError>> + Send,
{
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }
    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        (self.f)(input, ctx).await
    }
}

/// The tool `name` (any object input) answering with `f`.
pub fn tool<F, Fut>(name: &str, f: F) -> Arc<dyn Tool>
where
    F: Fn(Value, ToolContext) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<ToolOutput, ToolError>> + Send + 'static,
{
    Arc::new(FnTool {
        spec: ToolSpec::new(name, "test tool", json!({"type": "object"})),
        f,
    })
}
