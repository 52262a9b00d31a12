//! Helpers shared by the plugin tests: build the workspace's plugin libraries
//! (with cargo, as a clean clone's `cargo test` must) and pick their tools.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use tool_api::Tool;
use tool_api::plugin::host::{self, LoadedPlugin};
use tool_api::plugin::testing::{cargo_build_plugin, cargo_build_plugin_example};

/// The demo plugin's library.
pub fn demo_path() -> PathBuf {
    cargo_build_plugin("demo-tools").expect("build the demo plugin")
}

/// The demo plugin, loaded.
pub fn demo() -> LoadedPlugin {
    host::load(&demo_path()).expect("load the demo plugin")
}

/// The misbehaving fixture, loaded.
pub fn misbehaving() -> LoadedPlugin {
    let path = cargo_build_plugin_example("fixture-misbehaving", "fixture_misbehaving", &[])
        .expect("build fixture-misbehaving");
    host::load(&path).expect("load fixture-misbehaving")
}

/// The raw-ABI fixture's library, plain or with one defect feature.
pub fn raw_path(feature: Option<&str>) -> PathBuf {
    let features: Vec<&str> = feature.into_iter().collect();
    cargo_build_plugin_example("fixture-raw", "fixture_raw", &features).expect("build fixture-raw")
}

/// The tool `name` of `plugin`.
pub fn tool(plugin: &LoadedPlugin, name: &str) -> Arc<dyn Tool> {
    plugin
        .tools
        .iter()
        .find(|t| t.spec().name == name)
        .unwrap_or_else(|| panic!("{} has no tool {name}", plugin.path.display()))
        .clone()
}
