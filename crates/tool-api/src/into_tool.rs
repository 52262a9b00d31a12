//! [`IntoTool`]: what a host's "add a tool" accepts, so a caller passes a
//! tool by value (`builder.tool(weather)`) as readily as an `Arc` it shares.

use std::sync::Arc;

use crate::Tool;

/// A tool by value, an `Arc` of one, or an `Arc<dyn Tool>`: each becomes
/// the shared `Arc<dyn Tool>` a registry holds. Hosts take `impl IntoTool`
/// so that callers need no `Arc::new`.
///
/// ```
/// use std::sync::Arc;
/// use tool_api::{tool_fn, IntoTool, Tool, ToolOutput};
///
/// let now = tool_fn("now", "Current time.", |(): (), _| async { Ok(ToolOutput::text("12:00")) }).unwrap();
/// let by_value: Arc<dyn Tool> = now.into_tool();
/// let shared: Arc<dyn Tool> = by_value.clone().into_tool();
/// assert!(Arc::ptr_eq(&by_value, &shared), "an Arc is kept, not wrapped again");
/// ```
pub trait IntoTool {
    /// The tool, shared.
    fn into_tool(self) -> Arc<dyn Tool>;
}

impl<T: Tool + 'static> IntoTool for T {
    fn into_tool(self) -> Arc<dyn Tool> {
        Arc::new(self)
    }
}

impl<T: Tool + 'static> IntoTool for Arc<T> {
    fn into_tool(self) -> Arc<dyn Tool> {
        self
    }
}

impl IntoTool for Arc<dyn Tool> {
    fn into_tool(self) -> Arc<dyn Tool> {
        self
    }
}
