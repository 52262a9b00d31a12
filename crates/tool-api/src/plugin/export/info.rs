//! What a plugin crate tells the export side through
//! [`export_plugin!`](crate::export_plugin): its name and version, how it
//! was built, how many workers it wants and how to build its tools.

use std::fmt::Display;
use std::sync::Arc;

use crate::Tool;

/// The number of worker threads of a plugin's runtime unless the plugin or
/// the host's environment says otherwise: one (see the module docs of
/// `export` for why).
pub const DEFAULT_WORKERS: usize = 1;

/// The environment variable that sets the number of worker threads of every
/// plugin runtime in the process, over what the plugins ask for: a positive
/// integer (anything else is ignored).
pub const WORKERS_ENV: &str = "TOOL_API_PLUGIN_WORKERS";

/// What a plugin's tool function may return: the tools, or the tools or an
/// error to report to the host.
pub trait IntoTools {
    /// The tools, or a message saying why there are none.
    fn into_tools(self) -> Result<Vec<Arc<dyn Tool>>, String>;
}

impl IntoTools for Vec<Arc<dyn Tool>> {
    fn into_tools(self) -> Result<Vec<Arc<dyn Tool>>, String> {
        Ok(self)
    }
}

impl<E: Display> IntoTools for Result<Vec<Arc<dyn Tool>>, E> {
    fn into_tools(self) -> Result<Vec<Arc<dyn Tool>>, String> {
        self.map_err(|e| e.to_string())
    }
}

/// Builds a plugin's tools, or says why it cannot.
#[doc(hidden)]
pub type ToolsFn = fn() -> Result<Vec<Arc<dyn Tool>>, String>;

/// What [`export_plugin!`](crate::export_plugin) tells the export side.
#[doc(hidden)]
pub struct PluginInfo {
    /// The plugin crate's name.
    pub name: &'static str,
    /// The plugin crate's version.
    pub version: &'static str,
    /// Whether the plugin was built with `panic = "unwind"`.
    pub panic_unwind: bool,
    /// Whether the plugin crate was built with debug assertions (a debug
    /// build): `cfg!(debug_assertions)` where `export_plugin!` expands, so
    /// the plugin's own profile, whatever `tool-api`'s was.
    pub debug_build: bool,
    /// Worker threads the plugin asks for (0 counts as 1).
    pub workers: usize,
    /// Builds the tools.
    pub tools: ToolsFn,
}
