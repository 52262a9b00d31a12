//! Loading plugin libraries into a tool registry, and finding the demo plugin.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tool_api::plugin::host::{self, LoadedPlugin};
use tool_api::{Prefixed, RegistryError, Tool, ToolRegistry};

use crate::exit::Failure;

/// Loads `files` and every library in `dir` into one registry. A file
/// that is a directory is loaded as one (documented: `--plugin DIR` is
/// `--plugins-dir DIR`). Says on stderr what a user would otherwise miss:
/// a directory with no plugin library in it, a plugin that is a debug
/// build; and, at `-v`, each plugin loaded with its version.
pub fn load(
    files: &[PathBuf],
    dir: Option<&Path>,
) -> Result<(ToolRegistry, Vec<LoadedPlugin>), Failure> {
    load_with_prefixes(files, dir, &BTreeMap::new())
}

/// [`load`], and then each library of `prefixed` (prefix → path) with its
/// tools named prefix + their own name (`--plugin-prefix web_=PATH`), so
/// that two plugins with a tool of the same name both load. A library may
/// be loaded both plainly and prefixed, or under two prefixes.
pub fn load_with_prefixes(
    files: &[PathBuf],
    dir: Option<&Path>,
    prefixed: &BTreeMap<String, PathBuf>,
) -> Result<(ToolRegistry, Vec<LoadedPlugin>), Failure> {
    let mut registry = ToolRegistry::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    if let Some(dir) = dir {
        paths.push(dir.to_path_buf());
    }
    paths.extend(files.iter().cloned());
    for path in paths.iter().filter(|p| p.is_dir()) {
        if !holds_a_library(path) {
            eprintln!("warning: {}", empty_dir_message(path));
        }
    }
    let loaded = host::load_into(&mut registry, &paths).map_err(|e| {
        let duplicate = matches!(
            e,
            host::PluginError::Registry(RegistryError::Duplicate { .. })
        );
        registry_failure(&e, duplicate)
    })?;
    let mut loaded = loaded;
    for (prefix, path) in prefixed {
        let plugin = host::load(path).map_err(|e| Failure::Plugin(e.to_string()))?;
        let tools = plugin
            .tools
            .iter()
            .map(|t| Prefixed::new(prefix, Arc::clone(t)).map(|p| Arc::new(p) as Arc<dyn Tool>))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                Failure::Usage(format!(
                    "--plugin-prefix {prefix}={}: {e}",
                    plugin.path.display()
                ))
            })?;
        registry
            .register_all(
                tools,
                &format!("{} (prefix {prefix})", plugin.path.display()),
            )
            .map_err(|e| {
                let duplicate = matches!(e, RegistryError::Duplicate { .. });
                registry_failure(&e, duplicate)
            })?;
        loaded.push(plugin);
    }
    for plugin in &loaded {
        tracing::info!("{}", loaded_line(plugin));
        if plugin.manifest.is_debug_build() {
            eprintln!("warning: {}", debug_build_message(plugin));
        }
    }
    Ok((registry, loaded))
}

/// A plugin that cannot join the registry: exit 4; when its tool's name
/// is taken, how to load both anyway.
fn registry_failure(e: &dyn std::fmt::Display, duplicate: bool) -> Failure {
    if duplicate {
        Failure::Plugin(format!(
            "{e}\nto load both, give one a prefix for its tool names: \
             --plugin-prefix PREFIX=PATH (or `plugin_prefixes = {{ PREFIX = \"PATH\" }}` in agent.toml)"
        ))
    } else {
        Failure::Plugin(e.to_string())
    }
}

/// `plugin demo-tools 0.1.0 (4 tools) from /path/libdemo_tools.so`
pub fn loaded_line(plugin: &LoadedPlugin) -> String {
    format!(
        "plugin {} {} ({} tool{}) from {}",
        plugin.manifest.name,
        plugin.manifest.version,
        plugin.tools.len(),
        if plugin.tools.len() == 1 { "" } else { "s" },
        plugin.path.display()
    )
}

/// Why a debug build deserves a word, and what to do about it.
fn debug_build_message(plugin: &LoadedPlugin) -> String {
    format!(
        "plugin {} {} is a debug build ({}): its tools run several times slower; \
         build it with `cargo build --release`",
        plugin.manifest.name,
        plugin.manifest.version,
        plugin.path.display()
    )
}

/// What an empty plugin directory means.
fn empty_dir_message(dir: &Path) -> String {
    format!(
        "{} holds no plugin library (*{}): no tools loaded from it; build a plugin crate \
         (crate-type = [\"cdylib\"]) and put its library there",
        dir.display(),
        host::LIBRARY_SUFFIX
    )
}

/// Whether `dir` holds a file named like a library, as `host::load_dir`
/// picks them.
fn holds_a_library(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        // Unreadable: loading it says why.
        return true;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        path.is_file()
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(host::LIBRARY_SUFFIX))
    })
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
