//! # demo-tools: the reference plugin
//!
//! The tools of the reference work (`shared/bench/REFERENCE.md`) as a plugin
//! library: `get_weather`, `get_stock_price`, `calculate_distance`,
//! `search_restaurants`, `sleep_tool`, `sleep_tool_blocking` and `noop`,
//! and `render_chart`, which returns a caption and a PNG image (rich tool
//! output through the ABI).
//! They are written once, in the `reference-tools` crate (their inputs,
//! delays, `DEMO_TOOLS_DELAY` and outputs are documented there); this crate
//! only exports them, so the plugin and in-process runs call the same code.

tool_api::export_plugin!(reference_tools::demo_tools);

#[cfg(test)]
mod tests {
    #[test]
    fn the_manifest_passes_the_hosts_checks() {
        let tools = reference_tools::demo_tools().unwrap();
        let manifest = tool_api::plugin::testing::manifest("demo-tools", "0", &tools).unwrap();
        let names: Vec<_> = manifest.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "get_weather",
                "get_stock_price",
                "calculate_distance",
                "search_restaurants",
                "sleep_tool",
                "sleep_tool_blocking",
                "noop",
                "render_chart"
            ]
        );
    }
}
