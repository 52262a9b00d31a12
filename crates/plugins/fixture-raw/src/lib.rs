//! Nothing: this test fixture's plugin library is the example
//! `fixture_raw` (`examples/fixture_raw.rs`, a cdylib), which only the tests build
//! (`tool_api::plugin::testing::cargo_build_plugin_example`). A cdylib
//! *library* would be built by every `cargo build --workspace` and land in
//! `target/release` beside the real plugins, where `--plugins-dir` would
//! load this deliberately broken one; an example goes to
//! `target/<profile>/examples` and only when asked for.
