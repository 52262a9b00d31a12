//! MCP servers as a tool source of the real `agent` binary: the reference
//! servers from the npm registry (`.ci/install-mcp-deps`, found through
//! `AGENT_MCP_DEPS`) beside the demo plugin, against the local Converse
//! server; start-up failures as exit 4.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::ffi::OsStr;
use std::path::Path;

use agent_testkit::{Scenario, ScriptedTurn};
use bedrock_client::mock::MockServer;
use common::mcp::{bin_dir, everything_flag, npm_bin, python_report, reference_deps, serve_http};
use common::{agent_with_keys as agent, demo_plugin, run_blocking, stderr};
use serde_json::{Value, json};

const PROMPT: &str = "Use the MCP tools and the weather tool together.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_turn_calls_mcp_tools_and_a_plugin_tool_and_answers_them_in_call_order() {
    let Some(bin) = npm_bin("one_turn_calls_mcp_tools_and_a_plugin_tool") else {
        return;
    };
    let plugin = demo_plugin();
    let home = tempfile::tempdir().unwrap();
    let root = home.path().canonicalize().unwrap().join("docs");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("notes.txt"), "alpha\n").unwrap();
    let notes = root.join("notes.txt").display().to_string();
    let config = format!(
        "[mcp.everything]\ncommand = {:?}\nargs = [\"stdio\"]\ntools = [\"echo\", \"get-sum\"]\n\n\
         [mcp.fs]\ncommand = {:?}\nargs = [{:?}]\nprefix = \"fs_\"\ntimeout = 60\n",
        bin.join("mcp-server-everything").display().to_string(),
        bin.join("mcp-server-filesystem").display().to_string(),
        root.display().to_string(),
    );
    std::fs::write(home.path().join("agent.toml"), config).unwrap();
    let scenario = Scenario::new(
        "mcp",
        Some(PROMPT),
        vec![
            ScriptedTurn::tools([
                ("echo", json!({"message": "one"})),
                ("get_weather", json!({"location": "Paris"})),
                ("fs_read_text_file", json!({"path": notes})),
                ("get-sum", json!({"a": 2, "b": 40})),
            ]),
            ScriptedTurn::text("All four answered."),
        ],
    );
    let server = MockServer::builder()
        .scenarios([scenario])
        .start()
        .await
        .unwrap();
    let mut cmd = agent(home.path());
    cmd.args(["run", "--region", "us-east-1", "--json", "--endpoint-url"])
        .arg(server.endpoint_url())
        .arg("--plugin")
        .arg(&plugin)
        .arg(PROMPT);
    let out = run_blocking(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["stop_reason"], "end_turn", "{doc}");

    // The model was offered the MCP tools with their schemas, beside the plugin's.
    let requests = server.requests();
    let first = &requests[0].body;
    let offered: Vec<&str> = first["toolConfig"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["toolSpec"]["name"].as_str())
        .collect();
    for name in ["echo", "get-sum", "fs_read_text_file", "get_weather"] {
        assert!(offered.contains(&name), "{offered:?}");
    }
    // One user message answers all four calls, in call order.
    let last = &requests.last().unwrap().body;
    let messages = last["messages"].as_array().unwrap();
    let asked = common::wire::tool_use_ids(&messages[1]);
    let results: Vec<&Value> = messages[2]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["toolResult"])
        .collect();
    let answered: Vec<&str> = results
        .iter()
        .filter_map(|r| r["toolUseId"].as_str())
        .collect();
    assert_eq!(asked.len(), 4);
    assert_eq!(answered, asked);
    let content = |i: usize| results[i]["content"].to_string();
    assert!(
        results.iter().all(|r| r["status"] != "error"),
        "{results:?}"
    );
    assert!(content(0).contains("Echo: one"), "{}", content(0));
    assert!(content(1).contains("Paris"), "{}", content(1));
    assert!(content(2).contains("alpha"), "{}", content(2));
    assert!(
        content(3).contains("The sum of 2 and 40 is 42."),
        "{}",
        content(3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_lists_mcp_tools_with_the_exact_schema_and_their_source() {
    let Some(bin) = npm_bin("tools_lists_mcp_tools") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let mut cmd = agent(home.path());
    cmd.args(["tools", "--schema", "--json", "--mcp"])
        .arg(everything_flag("everything", &bin));
    let out = run_blocking(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let echo = rows.iter().find(|r| r["name"] == "echo").unwrap();
    assert_eq!(echo["source"], "MCP server `everything`");
    assert_eq!(
        echo["input_schema"]["properties"]["message"]["type"],
        "string"
    );
    assert_eq!(echo["input_schema"]["required"], json!(["message"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_fails_to_start_is_exit_4_unless_optional() {
    let home = tempfile::tempdir().unwrap();
    let broken = "broken=sh -c 'echo \"cannot open /no/such/root\" >&2; exit 1'";
    let mut cmd = agent(home.path());
    cmd.args(["tools", "--mcp", broken]);
    let out = run_blocking(cmd).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("MCP server `broken` (sh -c "), "{err}");
    assert!(err.contains("before answering initialize"), "{err}");
    assert!(err.contains("| cannot open /no/such/root"), "{err}");

    std::fs::write(
        home.path().join("agent.toml"),
        "[mcp.broken]\ncommand = \"sh\"\nargs = [\"-c\", \"exit 1\"]\noptional = true\n",
    )
    .unwrap();
    let mut cmd = agent(home.path());
    cmd.arg("tools");
    let out = run_blocking(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: MCP server `broken`"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("going on without its tools"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_mcp_flag_or_table_is_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let out = agent(home.path())
        .args(["tools", "--mcp", "no-command-here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("NAME=COMMAND"), "{}", stderr(&out));
    std::fs::write(
        home.path().join("agent.toml"),
        "[mcp.x]\ncommand = \"node\"\ntimeout = -1\n",
    )
    .unwrap();
    let out = agent(home.path()).arg("tools").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("[mcp.x] timeout"), "{}", stderr(&out));
    for (table, says) in [
        (
            "url = \"ftp://h/mcp\"",
            "[mcp.x] url must start with http:// or https://",
        ),
        (
            "url = \"http://h/mcp\"\ncommand = \"node\"",
            "has both a `command` and a `url`",
        ),
        (
            "prefix = \"x_\"",
            "needs a `command` (a stdio server) or a `url` (HTTP)",
        ),
        (
            "url = \"http://h/mcp\"\nconcurrency = 0",
            "concurrency must be at least 1",
        ),
    ] {
        std::fs::write(
            home.path().join("agent.toml"),
            format!("[mcp.x]\n{table}\n"),
        )
        .unwrap();
        let out = agent(home.path()).arg("tools").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
}

/// Runs the Python SDK client (tests/fixtures/mcp_client.py) against
/// `agent mcp-serve ARGS…` and returns its report.
async fn python_client(deps: &Path, serve_args: Vec<String>) -> Value {
    let agent = assert_cmd::cargo::cargo_bin("agent");
    let home = tempfile::tempdir().unwrap();
    let mut args = vec![agent.display().to_string(), "mcp-serve".into()];
    args.extend(serve_args);
    python_report(deps, home.path(), "mcp_client.py", args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_calls_plugin_tools_through_mcp_serve() {
    let Some(deps) = reference_deps("the_python_sdk_calls_plugin_tools_through_mcp_serve") else {
        return;
    };
    let plugin = demo_plugin().display().to_string();
    let report = python_client(&deps, vec!["--plugin".into(), plugin]).await;
    assert_eq!(report["server"], "agent");
    let weather = report["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "get_weather")
        .unwrap();
    assert_eq!(weather["inputSchema"]["required"], json!(["location"]));
    let calls = report["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0]["structuredContent"]["location"], "Paris");
    assert_eq!(calls[1]["structuredContent"]["symbol"], "AAPL");
    assert_eq!(calls[2]["structuredContent"]["location"], "Tokyo");
    assert!(calls.iter().all(|c| c["isError"] == false), "{calls:?}");
    // Input the schema refuses: an error result naming the field.
    let bad = &report["bad_input"];
    assert_eq!(bad["isError"], true);
    assert!(
        bad["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("missing field `location`"),
        "{bad}"
    );
    // An unknown tool: the protocol error the spec asks for.
    assert_eq!(report["unknown"]["code"], -32602);
}

/// Runs the Python SDK client against `url` (an `agent mcp-serve --listen`).
async fn python_http_client(deps: &Path, url: &str) -> Value {
    let home = tempfile::tempdir().unwrap();
    python_report(deps, home.path(), "mcp_client.py", [url]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_calls_plugin_tools_through_mcp_serve_over_http() {
    let Some(deps) =
        reference_deps("the_python_sdk_calls_plugin_tools_through_mcp_serve_over_http")
    else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let (mut serve, url) = serve_http(
        home.path(),
        [OsStr::new("--plugin"), demo_plugin().as_os_str()],
    );
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
        "{url}"
    );
    // Two clients, one after the other: a session each.
    for _ in 0..2 {
        let report = python_http_client(&deps, &url).await;
        assert_eq!(report["server"], "agent");
        let calls = report["calls"].as_array().unwrap();
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0]["structuredContent"]["location"], "Paris");
        assert_eq!(calls[1]["structuredContent"]["symbol"], "AAPL");
        assert_eq!(calls[2]["structuredContent"]["location"], "Tokyo");
        assert_eq!(report["bad_input"]["isError"], true);
        assert_eq!(report["unknown"]["code"], -32602);
    }
    // The agent's own client over HTTP: `--mcp NAME=URL`.
    let mut cmd = agent(home.path());
    cmd.args(["tools", "--json", "--mcp", &format!("remote={url}")]);
    let out = run_blocking(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let weather = rows.iter().find(|r| r["name"] == "get_weather").unwrap();
    assert_eq!(weather["source"], "MCP server `remote`");
    let mut cmd = agent(home.path());
    cmd.args([
        "tools",
        "--mcp",
        &format!("remote={url}"),
        "--call",
        "get_weather",
    ])
    .args(["--input", r#"{"location": "Lima"}"#]);
    let out = run_blocking(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Lima"));
    // SIGTERM ends it like any command: exit 143.
    let pid = serve.0.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::task::spawn_blocking(move || serve.0.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(143));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_serve_aggregates_mcp_servers_with_plugins() {
    let Some(deps) = reference_deps("mcp_serve_aggregates_mcp_servers_with_plugins") else {
        return;
    };
    let plugin = demo_plugin().display().to_string();
    let report = python_client(
        &deps,
        vec![
            "--plugin".into(),
            plugin,
            "--mcp".into(),
            everything_flag("everything", &bin_dir(&deps)),
        ],
    )
    .await;
    let names: Vec<&str> = report["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        names.contains(&"get_weather") && names.contains(&"echo"),
        "{names:?}"
    );
}
