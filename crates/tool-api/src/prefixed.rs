//! [`Prefixed`]: a tool offered under its name with a prefix, so that two
//! plugins that both have a `search` can be loaded side by side
//! (`web_search`, `docs_search`) instead of one being refused.

use std::sync::Arc;

use serde_json::Value;

use crate::{
    Progress, ProgressSink, SpecError, Stall, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
    async_trait,
};

/// `inner`, named `prefix` + its own name; calls go to `inner` unchanged
/// (a plugin tool still receives its own name), so only the model and the
/// registry see the new name. A stall the inner tool reports names the
/// holding tool with the prefix too (a plugin is prefixed as a whole), so
/// it reads as the model's name for that tool.
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
    prefix: Arc<str>,
}

/// The call's sink, with the prefix added to the tool a stall names.
struct PrefixStalls {
    prefix: Arc<str>,
    inner: Arc<dyn ProgressSink>,
}

impl ProgressSink for PrefixStalls {
    fn report(&self, progress: Progress) {
        self.inner.report(progress);
    }

    fn stalled(&self, mut stall: Stall) {
        stall.held_by_tool = format!("{}{}", self.prefix, stall.held_by_tool);
        self.inner.stalled(stall);
    }
}

impl Prefixed {
    /// `inner` as `prefix` + its name; refused when the result is not a
    /// valid tool name (`^[a-zA-Z0-9_-]{1,64}$`).
    pub fn new(prefix: &str, inner: Arc<dyn Tool>) -> Result<Self, SpecError> {
        let mut spec = inner.spec().clone();
        spec.name = format!("{prefix}{}", spec.name);
        crate::validate_tool_name(&spec.name)?;
        Ok(Self {
            inner,
            spec,
            prefix: prefix.into(),
        })
    }
}

#[async_trait]
impl Tool for Prefixed {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let ctx = match ctx.progress_sink() {
            Some(sink) => {
                let sink = Arc::new(PrefixStalls {
                    prefix: self.prefix.clone(),
                    inner: sink.clone(),
                });
                ctx.with_progress_sink(sink)
            }
            None => ctx,
        };
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

    /// Reports a stall held by its own tool, as a plugin tool does.
    struct Stalls(ToolSpec);

    #[async_trait]
    impl Tool for Stalls {
        fn spec(&self) -> &ToolSpec {
            &self.0
        }
        async fn call(&self, _input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
            ctx.progress(1.0, None, None);
            ctx.stalled(Stall {
                held_by_tool: "search".into(),
                held_by_call: Some("c0".into()),
                held_for: std::time::Duration::from_millis(5),
                waited: std::time::Duration::from_millis(3),
            });
            Ok(ToolOutput::text("ok"))
        }
    }

    #[derive(Default)]
    struct Seen(std::sync::Mutex<(usize, Vec<String>)>);

    impl ProgressSink for Seen {
        fn report(&self, _progress: Progress) {
            self.0.lock().unwrap().0 += 1;
        }
        fn stalled(&self, stall: Stall) {
            self.0.lock().unwrap().1.push(stall.held_by_tool);
        }
    }

    #[tokio::test]
    async fn a_stall_names_the_holding_tool_by_its_prefixed_name() {
        let inner = Stalls(ToolSpec::new(
            "search",
            "Searches.",
            serde_json::json!({"type": "object", "properties": {}}),
        ));
        let t = Prefixed::new("web_", Arc::new(inner)).unwrap();
        let seen = Arc::new(Seen::default());
        let ctx = ToolContext::new("c1").with_progress_sink(seen.clone());
        t.call(serde_json::json!({}), ctx).await.unwrap();
        let seen = seen.0.lock().unwrap().clone();
        assert_eq!(seen, (1, vec!["web_search".to_owned()]));
    }

    #[test]
    fn a_prefix_that_makes_a_bad_name_is_refused() {
        assert!(Prefixed::new("a b", echo()).is_err());
        assert!(Prefixed::new(&"x".repeat(64), echo()).is_err());
    }
}
