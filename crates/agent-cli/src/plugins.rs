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

/// The demo plugin library if one is at hand, without building anything:
/// `AGENT_DEMO_PLUGIN`, else beside the running binary (where `cargo build`
/// puts it).
pub fn find_demo_plugin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AGENT_DEMO_PLUGIN") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    exe.parent()
        .map(|d| d.join(demo_file_name()))
        .filter(|p| p.is_file())
}

/// Finds the demo plugin library for a host that loads it dynamically
/// (`agent-bench`): `explicit`, else [`find_demo_plugin`], else builds it
/// with cargo, which works only inside the source tree; the error says what
/// to do outside it.
pub fn demo_plugin(explicit: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = find_demo_plugin() {
        return Ok(p);
    }
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Other(format!("cannot locate the running binary: {e}")))?;
    eprintln!(
        "the demo plugin is not beside {}; building it with `cargo build -p demo-tools` \
         (first run only)…",
        exe.display()
    );
    tool_api::plugin::testing::cargo_build_plugin("demo-tools").map_err(|e| {
        Failure::Plugin(format!(
            "the demo plugin {} is not beside {}, and building it failed ({e}); in the source \
             tree, build it with `cargo build --release -p demo-tools` and pass --plugin \
             target/release/{}",
            demo_file_name(),
            exe.display(),
            demo_file_name()
        ))
    })
}
