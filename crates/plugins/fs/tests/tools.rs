//! The fs tools in process, through the plugin payloads, over temporary roots.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use fs_tools::{Root, tools_in};
use serde_json::{Value, json};
use tool_api::plugin::testing;
use tool_api::{Tool, ToolError, ToolOutput};

struct Fixture {
    _dir: tempfile::TempDir,
    tools: Vec<Arc<dyn Tool>>,
}

impl Fixture {
    /// A root with a few files, and a secret next to it (outside).
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(
            root.join("README.md"),
            "# Title\nhello world\nHELLO again\n",
        )
        .unwrap();
        std::fs::write(
            root.join("src/main.rs"),
            "fn main() {\n    println!(\"hello\");\n}\n",
        )
        .unwrap();
        std::fs::write(root.join("src/deep/x.txt"), "hello from deep\n").unwrap();
        std::fs::write(root.join(".git/config"), "hello hidden\n").unwrap();
        std::fs::write(root.join("binary.bin"), [0u8, 159, 146, 150, 255, 0]).unwrap();
        std::fs::write(dir.path().join("secret.txt"), "hello secret\n").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("escape")).unwrap();
            std::os::unix::fs::symlink(dir.path(), root.join("escape_dir")).unwrap();
        }
        let tools = tools_in(Root::new(&root).unwrap()).unwrap();
        Self { _dir: dir, tools }
    }

    async fn call(&self, name: &str, input: Value) -> Result<Value, ToolError> {
        let tool = self.tools.iter().find(|t| t.spec().name == name).unwrap();
        match testing::call(tool.as_ref(), input).await? {
            ToolOutput::Json(v) => Ok(v),
            other => panic!("not JSON: {other:?}"),
        }
    }
}

fn is_outside(err: &ToolError) -> bool {
    err.kind() == "invalid_input" && err.to_string().contains("outside")
}

#[tokio::test]
async fn read_file_reads_text_by_offset_and_limit() {
    let f = Fixture::new();
    let out = f
        .call("read_file", json!({"path": "README.md"}))
        .await
        .unwrap();
    assert_eq!(out["content"], "# Title\nhello world\nHELLO again\n");
    assert_eq!(out["truncated"], false);
    assert_eq!(out["path"], "README.md");

    let out = f
        .call(
            "read_file",
            json!({"path": "./src/../README.md", "offset": 2, "max_bytes": 5}),
        )
        .await
        .unwrap();
    assert_eq!(out["content"], "Title");
    assert_eq!(out["truncated"], true);
    assert_eq!(out["size"], 32);

    let err = f
        .call(
            "read_file",
            json!({"path": "README.md", "max_bytes": 2_000_000}),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("1048576"), "{err}");
    let err = f
        .call("read_file", json!({"path": "binary.bin"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    let err = f
        .call("read_file", json!({"path": "src"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("list_dir"), "{err}");
}

#[tokio::test]
async fn nothing_outside_the_root_can_be_read() {
    let f = Fixture::new();
    for path in ["../secret.txt", "src/../../secret.txt", "/etc/passwd"] {
        let err = f
            .call("read_file", json!({"path": path}))
            .await
            .unwrap_err();
        assert!(is_outside(&err), "{path}: {err}");
    }
    let err = f.call("list_dir", json!({"path": ".."})).await.unwrap_err();
    assert!(is_outside(&err), "{err}");
    let err = f
        .call("grep", json!({"pattern": "hello", "path": ".."}))
        .await
        .unwrap_err();
    assert!(is_outside(&err), "{err}");
    #[cfg(unix)]
    {
        let err = f
            .call("read_file", json!({"path": "escape"}))
            .await
            .unwrap_err();
        assert!(is_outside(&err), "{err}");
        let err = f
            .call("list_dir", json!({"path": "escape_dir"}))
            .await
            .unwrap_err();
        assert!(is_outside(&err), "{err}");
    }
}

#[tokio::test]
async fn list_dir_lists_sorted_entries_with_kinds() {
    let f = Fixture::new();
    let out = f.call("list_dir", json!({})).await.unwrap();
    assert_eq!(out["path"], ".");
    let names: Vec<_> = out["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let kind = |name: &str| {
        out["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .map(|e| e["kind"].clone())
    };
    assert_eq!(kind("src"), Some(json!("dir")));
    assert_eq!(kind("README.md"), Some(json!("file")));
    #[cfg(unix)]
    assert_eq!(kind("escape"), Some(json!("symlink")));
    let out = f.call("list_dir", json!({"path": "src"})).await.unwrap();
    assert_eq!(out["path"], "src");
    assert_eq!(out["total"], 2);
}

#[tokio::test]
async fn grep_finds_lines_and_skips_hidden_binary_and_links() {
    let f = Fixture::new();
    let out = f.call("grep", json!({"pattern": "hello"})).await.unwrap();
    let hits: Vec<(String, u64)> = out["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["path"].as_str().unwrap().to_owned(),
                m["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hits,
        [
            ("README.md".to_owned(), 2),
            ("src/deep/x.txt".to_owned(), 1),
            ("src/main.rs".to_owned(), 2)
        ]
    );
    let out = f
        .call(
            "grep",
            json!({"pattern": "^hello", "case_insensitive": true, "path": "README.md"}),
        )
        .await
        .unwrap();
    assert_eq!(out["matches"].as_array().unwrap().len(), 2);
    let out = f
        .call("grep", json!({"pattern": "hello", "max_matches": 1}))
        .await
        .unwrap();
    assert_eq!(out["matches"].as_array().unwrap().len(), 1);
    assert_eq!(out["truncated"], true);
    let err = f.call("grep", json!({"pattern": "("})).await.unwrap_err();
    assert!(err.to_string().contains("not a valid regex"), "{err}");
}

#[test]
fn the_manifest_passes_the_hosts_checks() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_in(Root::new(Path::new(dir.path())).unwrap()).unwrap();
    let m = testing::manifest("fs-tools", "0", &tools).unwrap();
    assert_eq!(m.tools.len(), 3);
}
