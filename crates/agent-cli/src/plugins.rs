//! Loading plugin libraries into a tool registry, and finding the demo plugin.

use std::path::{Path, PathBuf};

use tool_api::ToolRegistry;
use tool_api::plugin::host::{self, LoadedPlugin};

use crate::exit::Failure;

/// Loads `files` and every library in `dir` into one registry.
pub fn load(
    files: &[PathBuf],
    dir: Option<&Path>,
) -> Result<(ToolRegistry, Vec<LoadedPlugin>), Failure> {
    let mut registry = ToolRegistry::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    if let Some(dir) = dir {
        paths.push(dir.to_path_buf());
    }
    paths.extend(files.iter().cloned());
    let loaded =
        host::load_into(&mut registry, &paths).map_err(|e| Failure::Plugin(e.to_string()))?;
    Ok((registry, loaded))
}

/// The demo plugin's file name on this platform (`libdemo_tools.so`).
pub fn demo_file_name() -> String {
    format!(
        "{}demo_tools{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// Finds the demo plugin: `explicit`, else `AGENT_DEMO_PLUGIN`, else beside
/// the `agent` binary (where `cargo build` puts it), else builds it with
/// cargo when run from the source tree.
pub fn demo_plugin(explicit: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("AGENT_DEMO_PLUGIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Other(format!("cannot locate the agent binary: {e}")))?;
    let beside = exe.parent().map(|d| d.join(demo_file_name()));
    if let Some(path) = beside.as_ref().filter(|p| p.is_file()) {
        return Ok(path.clone());
    }
    tracing::info!(
        "demo plugin not found beside {}; building it with cargo",
        exe.display()
    );
    eprintln!("building the demo plugin (first run only)…");
    tool_api::plugin::testing::cargo_build_plugin("demo-tools").map_err(|e| {
        Failure::Plugin(format!(
            "the demo plugin {} is not beside {} and could not be built: {e}\n\
             build it with `cargo build -p demo-tools`, or pass --plugin PATH",
            demo_file_name(),
            exe.display()
        ))
    })
}
