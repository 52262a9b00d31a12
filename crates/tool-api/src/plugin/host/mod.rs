//! The host side of the ABI (feature `host`): load plugin libraries with
//! `libloading` and offer their tools as ordinary [`Tool`](crate::Tool)s.
//!
//! - [`load`] one library file, [`load_dir`] every library in a directory;
//!   each gives [`LoadedPlugin`]s with their manifest and tools.
//! - [`LoadedPlugin::register`] adds a plugin's tools to a
//!   [`ToolRegistry`], with the library's path as their source, so a name two
//!   plugins share is refused with both paths named.
//!
//! A library is loaded once per canonical path and never unloaded. A call
//! holds no thread while the plugin works, and the host never blocks on a
//! plugin: a tool that never answers is ended by the caller's timeout, which
//! drops the call and cancels it in the plugin. With a plugin whose table
//! has `call_with_notify`, a tool's progress reports reach the call's
//! [`ToolContext::progress`](crate::ToolContext::progress) sink, and a call
//! the plugin has not started after [`DEFAULT_STALL_REPORT_AFTER`] is
//! reported stalled, naming the call that holds the worker.
//!
//! ```no_run
//! use tool_api::ToolRegistry;
//! use tool_api::plugin::host;
//!
//! let mut tools = ToolRegistry::new();
//! for plugin in host::load_dir("plugins".as_ref())? {
//!     plugin.register(&mut tools)?;
//! }
//! # Ok::<(), tool_api::plugin::host::PluginError>(())
//! ```

mod error;
mod library;
mod tool;
mod waiter;

use std::path::{Path, PathBuf};

pub use error::PluginError;
pub use library::{LoadedPlugin, load};

use crate::ToolRegistry;

/// How long a plugin call may wait to start before the host reports it
/// stalled (see [`LoadedPlugin::with_stall_report`]): long enough that a
/// busy runtime's ordinary queueing is not reported, short enough that a
/// person watching sees why a call does not move.
pub const DEFAULT_STALL_REPORT_AFTER: std::time::Duration = std::time::Duration::from_millis(250);

/// The file name ending of a dynamic library on this platform (`.so`,
/// `.dylib` or `.dll`).
pub const LIBRARY_SUFFIX: &str = std::env::consts::DLL_SUFFIX;

/// Loads every dynamic library directly in `dir` (files ending in
/// [`LIBRARY_SUFFIX`]), in file-name order. The first library that fails to
/// load stops the loading, and its error names it.
pub fn load_dir(dir: &Path) -> Result<Vec<LoadedPlugin>, PluginError> {
    if !dir.is_dir() {
        return Err(if dir.exists() {
            PluginError::NotADirectory {
                path: dir.to_owned(),
            }
        } else {
            PluginError::NoSuchDirectory {
                path: dir.to_owned(),
            }
        });
    }
    let read_dir = |source| PluginError::ReadDir {
        path: dir.to_owned(),
        source,
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir)? {
        let path = entry.map_err(read_dir)?.path();
        let is_library = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(LIBRARY_SUFFIX));
        if is_library && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    files.iter().map(|f| load(f)).collect()
}

impl LoadedPlugin {
    /// Registers every tool of this plugin in `registry`, with the library's
    /// path as their source.
    pub fn register(&self, registry: &mut ToolRegistry) -> Result<(), PluginError> {
        let source = self.path.display().to_string();
        registry.register_all(self.tools.iter().cloned(), &source)?;
        Ok(())
    }
}

/// Loads each of `paths` (a library file, or a directory of them) and
/// registers every tool in `registry`. Returns what was loaded. A library
/// reached twice (same canonical path) is loaded and registered once.
pub fn load_into(
    registry: &mut ToolRegistry,
    paths: impl IntoIterator<Item = impl AsRef<Path>>,
) -> Result<Vec<LoadedPlugin>, PluginError> {
    let mut loaded = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let plugins = if path.is_dir() {
            load_dir(path)?
        } else {
            vec![load(path)?]
        };
        for plugin in plugins {
            // The same library named twice (a file and its directory, a
            // symlink, a repeated flag) is one plugin, not a clash of names.
            if loaded.iter().any(|p: &LoadedPlugin| p.path == plugin.path) {
                continue;
            }
            plugin.register(registry)?;
            loaded.push(plugin);
        }
    }
    Ok(loaded)
}
