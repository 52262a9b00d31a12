//! MCP behaviour of the real `agent` binary found by review: what a child
//! server's environment holds, how an unreachable HTTP server is reported,
//! how a clash and a bad `cwd` are explained.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::mcp::{everything_flag, npm_bin};
use common::{agent_in, run_blocking, stderr, stdout};

/// `get-env` of server-everything answers with its process's environment.
async fn server_env(home: &std::path::Path, bin: &std::path::Path, table: &str) -> String {
    let everything = bin.join("mcp-server-everything").display().to_string();
    std::fs::write(
        home.join("agent.toml"),
        format!("[mcp.ev]\ncommand = {everything:?}\nargs = [\"stdio\"]\n{table}"),
    )
    .unwrap();
    let mut cmd = agent_in(home);
    cmd.env("ANTHROPIC_API_KEY", "sk-ant-SECRET")
        .env("AWS_SECRET_ACCESS_KEY", "aws-SECRET")
        .args(["tools", "--call", "get-env", "--input", "{}"]);
    let out = run_blocking(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdio_server_never_sees_the_agents_secrets_unless_told() {
    let Some(bin) = npm_bin("a_stdio_server_never_sees_the_agents_secrets") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let env = server_env(home.path(), &bin, "env = { AWS_PROFILE = \"dev\" }\n").await;
    assert!(!env.contains("SECRET"), "{env}");
    assert!(env.contains("\"AWS_PROFILE\": \"dev\""), "{env}");
    assert!(env.contains("\"PATH\""), "{env}");
    assert!(env.contains("\"HOME\""), "{env}");

    let env = server_env(home.path(), &bin, "inherit_env = true\n").await;
    assert!(env.contains("sk-ant-SECRET"), "{env}");
}

/// A port on 127.0.0.1 that nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_server_that_is_down_is_one_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/mcp", closed_port());
    let mut cmd = agent_in(home.path());
    cmd.args(["tools", "--mcp"]).arg(format!("web={url}"));
    let out = run_blocking(cmd).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("MCP server `web` ({url}): connection refused")),
        "{err}"
    );
    assert!(err.contains("check that the server is running"), "{err}");
    assert!(!err.contains("rmcp::"), "{err}");
    assert!(!err.contains("ERROR"), "no raw log lines: {err}");
    assert!(
        !err.contains("stderr"),
        "an HTTP server has no stderr: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_clash_with_an_mcp_server_says_how_to_prefix_it() {
    let Some(bin) = npm_bin("a_name_clash_with_an_mcp_server") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let mut cmd = agent_in(home.path());
    cmd.args(["tools", "--mcp"])
        .arg(everything_flag("a", &bin))
        .arg("--mcp")
        .arg(everything_flag("b", &bin));
    let out = run_blocking(cmd).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("duplicate tool name"), "{err}");
    assert!(err.contains("[mcp.a]"), "{err}");
    assert!(err.contains("prefix = \"a_\""), "{err}");
    assert!(err.contains("an --mcp flag cannot set a prefix"), "{err}");
}

/// `agent tools` in a fresh home whose `agent.toml` is `config`.
async fn tools_with_config(config: &str) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("agent.toml"), config).unwrap();
    let mut cmd = agent_in(home.path());
    cmd.arg("tools");
    run_blocking(cmd).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_working_directory_is_named() {
    let out = tools_with_config(
        "[mcp.a]\ncommand = \"sh\"\nargs = [\"-c\", \"exit 1\"]\ncwd = \"nodir\"\n",
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("working directory (cwd)"), "{err}");
    assert!(err.contains("nodir"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_type_error_says_a_whole_number_not_usize() {
    let out = tools_with_config("[mcp.a]\ncommand = \"node\"\nconcurrency = \"two\"\n").await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("expected a whole number"), "{err}");
    assert!(!err.contains("usize"), "{err}");
}
