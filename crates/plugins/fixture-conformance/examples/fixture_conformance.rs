//! The plugin library: exports [`fixture_conformance::tools`].

tool_api::export_plugin!(fixture_conformance::tools);
