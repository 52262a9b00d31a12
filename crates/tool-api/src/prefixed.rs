//! [`Prefixed`]: a tool offered under its name with a prefix, so that two
//! plugins that both have a `search` can be loaded side by side
//! (`web_search`, `docs_search`) instead of one being refused.

use std::sync::Arc;

use serde_json::Value;

use crate::{SpecError, Tool, ToolContext, ToolError, ToolOutput, ToolSpec, async_trait};

/// `inner`, named `prefix` + its own name; calls go to `inner` unchanged
/// (a plugin tool still receives its own name), so only the model and the
/// registry see the new name.
///
/// ```
/// use std::sync::Arc;
/// use tool_api::{Prefixed, Tool, ToolOutput, tool_fn};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Query { q: String }
///
/// let search = tool_fn("search", "Searches.", |i: Query, _| async move {
///     Ok(ToolOutput::text(i.q))
/// })
/// .unwrap();
/// let web = Prefixed::new("web_", Arc::new(search)).unwrap();
/// assert_eq!(web.spec().name, "web_search");
/// ```
pub struct Prefixed {
    inner: Arc<dyn Tool>,
    spec: ToolSpec,
}

impl Prefixed {
    /// `inner` as `prefix` + its name; refused when the result is not a
    /// valid tool name (`^[a-zA-Z0-9_-]{1,64}$`).
    pub fn new(prefix: &str, inner: Arc<dyn Tool>) -> Result<Self, SpecError> {
        let mut spec = inner.spec().clone();
        spec.name = format!("{prefix}{}", spec.name);
        crate::validate_tool_name(&spec.name)?;
        Ok(Self { inner, spec })
    }
}

#[async_trait]
impl Tool for Prefixed {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        self.inner.call(input, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo(ToolSpec);

    #[async_trait]
    impl Tool for Echo {
        fn spec(&self) -> &ToolSpec {
            &self.0
        }
        async fn call(&self, input: Value, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
            Ok(ToolOutput::Json(input))
        }
    }

    fn echo() -> Arc<dyn Tool> {
        Arc::new(Echo(ToolSpec::new(
            "echo",
            "Echoes.",
            serde_json::json!({"type": "object", "properties": {}}),
        )))
    }

    #[tokio::test]
    async fn renames_and_delegates() {
        let t = Prefixed::new("a_", echo()).unwrap();
        assert_eq!(t.spec().name, "a_echo");
        assert_eq!(t.spec().description, "Echoes.");
        let out = t
            .call(serde_json::json!({"x": 1}), ToolContext::new("c"))
            .await;
        assert_eq!(out, Ok(ToolOutput::Json(serde_json::json!({"x": 1}))));
    }

    #[test]
    fn a_prefix_that_makes_a_bad_name_is_refused() {
        assert!(Prefixed::new("a b", echo()).is_err());
        assert!(Prefixed::new(&"x".repeat(64), echo()).is_err());
    }
}
