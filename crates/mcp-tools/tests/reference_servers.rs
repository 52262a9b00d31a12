//! The client against the reference MCP servers from the npm registry
//! (`@modelcontextprotocol/server-everything`, `server-filesystem`), over
//! stdio: listing, schemas, calls, many calls at once on one session.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use mcp_tools::{McpTool, start_all};
use serde_json::{Value, json};
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolRegistry};

fn find<'a>(tools: &'a [McpTool], name: &str) -> &'a McpTool {
    tools
        .iter()
        .find(|t| t.spec().name == name)
        .unwrap_or_else(|| panic!("no tool {name} in {:?}", names(tools)))
}

fn names(tools: &[McpTool]) -> Vec<&str> {
    tools.iter().map(|t| t.spec().name.as_str()).collect()
}

async fn call(tool: &McpTool, input: Value) -> Result<ToolOutput, ToolError> {
    tool.call(input, ToolContext::new("t1")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_everything_lists_and_calls_its_tools() {
    let Some(deps) = support::deps("server_everything_lists_and_calls_its_tools") else {
        return;
    };
    let sources = start_all(vec![deps.everything("everything")])
        .await
        .unwrap();
    let tools = &sources.tools;
    for expected in [
        "echo",
        "get-sum",
        "get-tiny-image",
        "get-structured-content",
    ] {
        assert!(names(tools).contains(&expected), "{:?}", names(tools));
    }
    let echo = find(tools, "echo");
    assert_eq!(echo.source(), "MCP server `everything`");
    assert_eq!(echo.remote_name(), "echo");
    // The schema the model receives: the server's, normalised.
    let schema = &echo.spec().input_schema;
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"]["message"]["type"], "string");
    assert_eq!(schema["required"], json!(["message"]));
    assert!(schema.get("$schema").is_none(), "{schema}");

    assert_eq!(
        call(echo, json!({"message": "hi"})).await,
        Ok(ToolOutput::text("Echo: hi"))
    );
    assert_eq!(
        call(find(tools, "get-sum"), json!({"a": 2, "b": 3})).await,
        Ok(ToolOutput::text("The sum of 2 and 3 is 5."))
    );
    // The server's tiny PNG reaches the model as an image part.
    let Ok(ToolOutput::Parts(parts)) = call(find(tools, "get-tiny-image"), json!({})).await else {
        panic!("get-tiny-image gave no parts");
    };
    assert!(
        parts.iter().any(|p| matches!(
            p,
            tool_api::OutputPart::Image(i) if i.format == tool_api::ImageFormat::Png
        )),
        "{parts:?}"
    );
    let structured = call(
        find(tools, "get-structured-content"),
        json!({"location": "New York"}),
    )
    .await;
    let Ok(ToolOutput::Json(weather)) = structured else {
        panic!("no structured content: {structured:?}");
    };
    assert!(weather.get("temperature").is_some(), "{weather}");

    // Input the server's own validation refuses comes back as an error
    // result the model can read.
    let err = call(echo, json!({"message": 42})).await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("message"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_calls_share_one_session_and_each_gets_its_own_answer() {
    let Some(deps) = support::deps("many_calls_share_one_session") else {
        return;
    };
    let sources = start_all(vec![deps.everything("everything")])
        .await
        .unwrap();
    let echo = find(&sources.tools, "echo");
    let calls = (0..32).map(|i| async move {
        let out = echo
            .call(
                json!({"message": format!("m{i}")}),
                ToolContext::new(format!("c{i}")),
            )
            .await;
        (i, out)
    });
    for (i, out) in futures::future::join_all(calls).await {
        assert_eq!(out, Ok(ToolOutput::text(format!("Echo: m{i}"))));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filesystem_server_reads_a_temp_dir_and_refuses_outside_it() {
    let Some(deps) = support::deps("filesystem_server_reads_a_temp_dir") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("notes.txt"), "alpha\nbeta\n").unwrap();
    let mut config = deps.filesystem("fs", &root);
    config.prefix = Some("fs_".into());
    config.tools = Some(vec!["read_text_file".into(), "list_directory".into()]);
    let sources = start_all(vec![config]).await.unwrap();
    assert_eq!(
        names(&sources.tools),
        ["fs_read_text_file", "fs_list_directory"]
    );
    let read = find(&sources.tools, "fs_read_text_file");
    assert_eq!(read.remote_name(), "read_text_file");
    let path = root.join("notes.txt").display().to_string();
    // It answers with structured content, which the model gets as JSON.
    let out = call(read, json!({"path": path})).await;
    assert_eq!(
        out,
        Ok(ToolOutput::Json(json!({"content": "alpha\nbeta\n"})))
    );
    let out = call(
        find(&sources.tools, "fs_list_directory"),
        json!({"path": root}),
    )
    .await;
    let Ok(ToolOutput::Json(listing)) = &out else {
        panic!("{out:?}");
    };
    assert!(listing.to_string().contains("notes.txt"), "{listing}");
    let err = call(read, json!({"path": "/etc/hostname"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("denied"), "{err}");

    // The tools join a registry beside other sources; a clash names both.
    let mut registry = ToolRegistry::new();
    sources.register_into(&mut registry).unwrap();
    let err = sources
        .register_into(&mut registry)
        .unwrap_err()
        .to_string();
    assert!(err.contains("fs_read_text_file"), "{err}");
    assert!(err.contains("MCP server `fs`"), "{err}");
    assert!(registry.get("fs_read_text_file").is_some());
    let _: Arc<dyn Tool> = Arc::new(read.clone());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allow_list_naming_a_missing_tool_is_refused() {
    let Some(deps) = support::deps("an_allow_list_naming_a_missing_tool") else {
        return;
    };
    let mut config = deps.everything("everything");
    config.tools = Some(vec!["ecco".into()]);
    let err = start_all(vec![config]).await.unwrap_err().to_string();
    assert!(err.contains("`ecco`, which it does not offer"), "{err}");
    assert!(err.contains("echo"), "{err}");
}
