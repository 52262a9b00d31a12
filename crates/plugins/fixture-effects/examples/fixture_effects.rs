//! The plugin library: exports [`fixture_effects::tools`].

tool_api::export_plugin!(fixture_effects::tools);
