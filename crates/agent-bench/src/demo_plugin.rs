//! The demo plugin, loaded as a dynamic library the way `agent` loads
//! plugins: its tools are the reference tools every case calls.

use std::path::{Path, PathBuf};

use agent_cli::exit::Failure;
use agent_cli::plugins;
use tool_api::ToolRegistry;
use tool_api::plugin::host::LoadedPlugin;

/// The demo plugin's tools and file. Drop it after every agent over its
/// tools: it keeps the library loaded.
pub struct DemoPlugin {
    /// Its tools.
    pub tools: ToolRegistry,
    /// Its file.
    pub path: PathBuf,
    _loaded: Vec<LoadedPlugin>,
}

impl DemoPlugin {
    /// Loads `explicit`, or the demo plugin beside this binary, or built
    /// with cargo from the source tree (`agent_cli::plugins::demo_plugin`).
    /// The bench measures the plugin path, so it never falls back to the
    /// tools `agent demo` has built in.
    pub fn load(explicit: Option<&Path>) -> Result<Self, Failure> {
        let path = plugins::demo_plugin(explicit)?;
        let (tools, loaded) = plugins::load(std::slice::from_ref(&path), None)?;
        if tools.get("sleep_tool").is_none() {
            return Err(Failure::Plugin(format!(
                "{} has no `sleep_tool`: it is not the demo plugin",
                path.display()
            )));
        }
        Ok(Self {
            tools,
            path,
            _loaded: loaded,
        })
    }
}
