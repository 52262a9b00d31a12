//! The fs plugin as a library: built with cargo, loaded by the host, rooted
//! with `FS_TOOLS_ROOT`. One test only: it sets the variable before anything
//! else in this process reads the environment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use tool_api::plugin::{host, testing};
use tool_api::{ToolContext, ToolOutput};

#[tokio::test(flavor = "current_thread")]
async fn the_plugin_reads_only_inside_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("notes.txt"), "alpha\nbeta\n").unwrap();
    std::fs::write(dir.path().join("outside.txt"), "secret").unwrap();
    // SAFETY: the only test of this binary, on a single-threaded runtime; no
    // other thread reads the environment while it is written.
    unsafe { std::env::set_var(fs_tools::ROOT_ENV, &root) };

    let path = testing::cargo_build_plugin("fs-tools").unwrap();
    let plugin = host::load(&path).unwrap();
    assert_eq!(plugin.manifest.name, "fs-tools");
    let tool = |name: &str| {
        plugin
            .tools
            .iter()
            .find(|t| t.spec().name == name)
            .unwrap()
            .clone()
    };
    let out = tool("read_file")
        .call(json!({"path": "notes.txt"}), ToolContext::new("1"))
        .await
        .unwrap();
    let ToolOutput::Json(out) = out else { panic!() };
    assert_eq!(out["content"], "alpha\nbeta\n");

    let out = tool("grep")
        .call(json!({"pattern": "bet"}), ToolContext::new("2"))
        .await
        .unwrap();
    let ToolOutput::Json(out) = out else { panic!() };
    assert_eq!(
        out["matches"],
        json!([{"path": "notes.txt", "line": 2, "text": "beta"}])
    );

    let err = tool("read_file")
        .call(json!({"path": "../outside.txt"}), ToolContext::new("3"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert!(err.to_string().contains("outside"), "{err}");
}
