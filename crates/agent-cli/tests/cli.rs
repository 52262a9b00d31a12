//! The `agent` binary, end to end: real process, real plugin library, real
//! Bedrock backend (AWS SDK) against the local Converse server over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Output;

use bedrock_client::mock::MockServer;
use common::server::{endpoint_args, start};
use common::wire::{tool_result_ids, tool_use_ids};
use common::{
    agent_in_fresh_home as agent, agent_process_with_keys, demo_plugin, run_blocking, stderr,
    stdout,
};
use serde_json::Value;

const Q1: &str = "What's the weather in New York and the stock price of AAPL?";

#[test]
fn demo_runs_one_query_offline() {
    let out = agent()
        .args(["demo", "--query", "Q1", "--plugin"])
        .arg(demo_plugin())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Q1: What's the weather"), "{err}");
    assert!(
        err.contains("get_weather") && err.contains("get_stock_price"),
        "{err}"
    );
    assert!(err.contains("2 tools in"), "{err}");
    assert!(
        stdout(&out).contains("New York"),
        "the answer goes to stdout: {}",
        stdout(&out)
    );
}

#[test]
fn demo_runs_all_queries_as_json() {
    let out = agent()
        .args(["demo", "--json", "--plugin"])
        .arg(demo_plugin())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let queries = doc["queries"].as_array().unwrap();
    assert_eq!(queries.len(), 4);
    let calls: Vec<u64> = queries
        .iter()
        .map(|q| q["metrics"]["tool_calls"].as_u64().unwrap())
        .collect();
    assert_eq!(calls, [2, 4, 4, 3]);
    for q in queries {
        assert_eq!(q["stop_reason"], "end_turn");
        assert!(q["metrics"]["wall_ms"].as_f64().unwrap() >= q["limit_ms"].as_f64().unwrap());
        assert_eq!(q["messages"].as_array().unwrap().len(), 4);
    }
    assert_eq!(doc["sequential"], false);
}

#[test]
fn demo_sequential_runs_one_tool_at_a_time() {
    let out = agent()
        .args([
            "demo",
            "--query",
            "q2",
            "--sequential",
            "--json",
            "--plugin",
        ])
        .arg(demo_plugin())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls = doc["queries"][0]["metrics"]["turns"][0]["tools"]["calls"]
        .as_array()
        .unwrap()
        .clone();
    // Each call starts after the previous one ended.
    for pair in calls.windows(2) {
        let end = pair[0]["started_ms"].as_f64().unwrap() + pair[0]["elapsed_ms"].as_f64().unwrap();
        assert!(
            pair[1]["started_ms"].as_f64().unwrap() >= end - 1.0,
            "{pair:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_against_the_local_server_human_and_json() {
    let plugin = demo_plugin();
    let server = MockServer::builder().start().await.unwrap();
    let endpoint = server.endpoint_url();
    let base = |json: bool| {
        let mut cmd = agent();
        cmd.env("AWS_ACCESS_KEY_ID", "AKIDTEST")
            .env("AWS_SECRET_ACCESS_KEY", "secret");
        cmd.args([
            "run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
            "--plugin",
        ])
        .arg(&plugin);
        if json {
            cmd.arg("--json");
        }
        cmd.arg(Q1);
        cmd
    };

    let out = run_blocking(base(false)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("New York"));
    assert!(
        stderr(&out).contains("turn 1: 2 tool calls"),
        "{}",
        stderr(&out)
    );

    let out = run_blocking(base(true)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    assert_eq!(doc["stop_reason"], "end_turn");
    assert_eq!(doc["messages"].as_array().unwrap().len(), 4);
    assert!(doc["events"].as_array().unwrap().len() > 5);

    // What crossed the wire: the second request of the JSON run carries one
    // user message with both toolResults, in call order.
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    let second = &requests[3].body;
    let messages = second["messages"].as_array().unwrap();
    let asked = tool_use_ids(&messages[1]);
    let answered = tool_result_ids(&messages[2]);
    assert_eq!(asked.len(), 2);
    assert_eq!(answered, asked);
}

#[test]
fn run_reads_the_prompt_from_stdin() {
    let (rt, server) = start(MockServer::builder());
    let out = agent()
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args([
            "run",
            "--no-stream",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &server.endpoint_url(),
            "--plugin",
        ])
        .arg(demo_plugin())
        .write_stdin(Q1)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("New York"));
    assert!(!server.requests().is_empty());
    drop(rt);
}

#[test]
fn tools_lists_the_exact_schemas() {
    let out = agent()
        .args(["tools", "--schema", "--json", "--plugin"])
        .arg(demo_plugin())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let tools: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in [
        "get_weather",
        "get_stock_price",
        "calculate_distance",
        "search_restaurants",
        "sleep_tool",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    let weather = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "get_weather")
        .unwrap();
    assert_eq!(weather["input_schema"]["type"], "object");
    assert!(weather["input_schema"].get("$schema").is_none());

    let out = agent()
        .args(["tools", "--schema", "--plugin"])
        .arg(demo_plugin())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("\"type\": \"object\""),
        "{}",
        stdout(&out)
    );
}

#[test]
fn no_credentials_is_one_clear_line_and_exit_3() {
    let out = agent()
        .args([
            "run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "hello",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("credentials"), "{err}");
    assert!(
        err.contains("agent demo"),
        "says the demo works offline: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

#[test]
fn an_unreachable_endpoint_is_exit_3() {
    let out = agent()
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AGENT_MAX_ITERATIONS", "1")
        .args([
            "run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--no-stream",
            "hello",
        ])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("127.0.0.1:9") || err.contains("reach"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_model_is_exit_3_with_the_services_message() {
    let server = MockServer::builder().start().await.unwrap();
    let mut cmd = agent();
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args([
            "run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &server.endpoint_url(),
        ])
        .args(["--model", "no-such-model", "hello"]);
    let out = run_blocking(cmd).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("model identifier is invalid")
            || stderr(&out).contains("no-such-model"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_plugin_file_is_exit_4_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("libfake.so");
    std::fs::write(&fake, b"not a library").unwrap();
    let out = agent()
        .args(["tools", "--plugin"])
        .arg(&fake)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("libfake.so"), "{}", stderr(&out));
}

#[test]
fn a_bad_config_file_is_exit_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(&config, "model = \"m\"\nmax_concurency = 4\n").unwrap();
    let out = agent()
        .args(["config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("agent.toml:2") && err.contains("max_concurency"),
        "{err}"
    );
}

#[test]
fn an_unknown_flag_gets_clap_help_and_exit_2() {
    let out = agent()
        .args(["run", "--max-concurency", "3", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unexpected argument '--max-concurency'"),
        "{err}"
    );
    assert!(
        err.contains("--max-concurrency"),
        "suggests the right flag: {err}"
    );
}

#[test]
fn a_timeout_beyond_the_accepted_range_is_exit_2_from_flag_env_or_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agent.toml");
    std::fs::write(&file, "tool_timeout = 1e20\n").unwrap();
    let per_tool = dir.path().join("tools.toml");
    std::fs::write(&per_tool, "[tools.slow]\ntimeout = 1e20\n").unwrap();
    let with = |args: &[&std::ffi::OsStr], env: Option<(&str, &str)>| {
        let mut cmd = agent();
        cmd.args([
            "run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .args(args);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        cmd.arg("hello");
        cmd
    };
    let cases = [
        (
            "(flag --tool-timeout)",
            with(&["--tool-timeout".as_ref(), "1e20".as_ref()], None),
        ),
        (
            "(env AGENT_TOOL_TIMEOUT)",
            with(&[], Some(("AGENT_TOOL_TIMEOUT", "1e20"))),
        ),
        (
            "agent.toml)",
            with(&["--config".as_ref(), file.as_os_str()], None),
        ),
        (
            "[tools.slow] timeout",
            with(&["--config".as_ref(), per_tool.as_os_str()], None),
        ),
    ];
    for (names, mut cmd) in cases {
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{names}: {err}");
        assert!(
            err.contains(names) && err.contains("at most 31536000 (365 days)"),
            "names the setting and the range: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = agent()
        .args(["config", "--tool-timeout", "1e20"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn config_precedence_is_flag_env_file_default() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        "model = \"file-model\"\nmax_tokens = 111\nmax_iterations = 9\n",
    )
    .unwrap();
    let out = agent()
        .env("AGENT_MAX_TOKENS", "222")
        .env("AGENT_MODEL", "env-model")
        .args(["config", "--json", "--model", "flag-model", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["model"]["value"], "flag-model");
    assert_eq!(s["model"]["source"]["from"], "flag");
    assert_eq!(s["max_tokens"]["value"], 222);
    assert_eq!(s["max_tokens"]["source"]["from"], "env");
    assert_eq!(s["max_iterations"]["value"], 9);
    assert_eq!(s["max_iterations"]["source"]["from"], "file");
    assert_eq!(s["max_concurrency"]["source"]["from"], "default");

    // ./agent.toml is found without --config.
    let out = agent()
        .current_dir(dir.path())
        .args(["config"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("file-model"), "{}", stdout(&out));
}

#[test]
fn ctrl_c_cancels_the_run_and_exits_130_with_partial_figures() {
    let (rt, server) = start(MockServer::builder());
    let q2 = "I'm planning a trip from Boston to Miami. Get the weather for both cities, calculate \
              the distance, and find Italian restaurants in Miami.";
    // The same clean environment as `agent()`: nothing from the machine.
    let home = tempfile::tempdir().unwrap();
    let child = agent_process_with_keys(home.path())
        .args([
            "run",
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &server.endpoint_url(),
            "--plugin",
        ])
        .arg(demo_plugin())
        .arg(q2)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let kill = |signal: &str| {
        std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
    };
    // Interrupt once the tools are running: after the first model request.
    // Real time, so every wait has a deadline: a hang fails the test.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.requests().is_empty() {
        if std::time::Instant::now() > deadline {
            kill("-KILL");
            panic!("the agent sent no model request within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(kill("-INT").success());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let out = match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            kill("-KILL");
            panic!("the agent did not exit within 60 s of SIGINT");
        }
    };
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("the partial run as JSON");
    assert_eq!(doc["error"]["kind"], "cancelled");
    // Every toolUse is answered (as cancelled), so the conversation stays valid.
    let results = doc["messages"][2]["content"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert!(doc["metrics"]["tool_calls"].as_u64() == Some(4));
    drop(rt);
}

/// `agent chat ARGS` against `server`: Q1, then a follow-up.
fn chat_q1_then_thanks(server: &MockServer, args: &[&str]) -> Output {
    agent()
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .arg("chat")
        .args(args)
        .args(endpoint_args(server))
        .arg("--plugin")
        .arg(demo_plugin())
        .write_stdin(format!("{Q1}\nThanks!\n"))
        .output()
        .unwrap()
}

#[test]
fn chat_keeps_the_conversation_across_prompts() {
    let (rt, server) = start(MockServer::builder());
    let out = chat_q1_then_thanks(&server, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("New York"));
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "two turns for Q1, one for the follow-up");
    let last = requests[2].body["messages"].as_array().unwrap();
    assert_eq!(last.len(), 5, "the follow-up carries the whole history");
    assert_eq!(last[4]["content"][0]["text"], "Thanks!");
    drop(rt);
}

#[test]
fn chat_json_is_one_document_per_prompt_a_line_each() {
    let (rt, server) = start(MockServer::builder());
    let out = chat_q1_then_thanks(&server, &["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["answer"].as_str().unwrap().contains("New York"));
    assert_eq!(lines[1]["messages"].as_array().unwrap().len(), 6);
    drop(rt);
}

#[test]
fn a_reader_that_closes_stdout_early_ends_the_command_quietly() {
    use std::process::{Command as StdCommand, Stdio};
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("agent"))
        .args(["tools", "--schema", "--plugin"])
        .arg(demo_plugin())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before the command writes a byte, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
}
