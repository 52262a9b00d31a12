//! How `agent` ends, through the real binary (issue 20): a failed prompt
//! does not end a chat; `SIGTERM` (and `SIGHUP` for `chat`), sent to the
//! process group as a service manager sends it, is handled like Ctrl-C;
//! and with `--json` every exit path prints exactly one document.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

mod common;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use bedrock_client::mock::{Fault, MockServer};
use common::{agent_with_keys as agent, demo_plugin, run_blocking as output, stderr};
use serde_json::Value;

const Q1: &str = "What's the weather in New York and the stock price of AAPL?";
const SLEEPY: &str = "Take a long nap, twice.";

/// Every line of stdout, each a JSON document (`chat --json`).
fn json_lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

/// Every JSON document on stdout, however laid out.
fn json_documents(o: &Output) -> Vec<Value> {
    serde_json::Deserializer::from_slice(&o.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_reports_a_failed_prompt_and_reads_the_next() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    let server = MockServer::builder().start().await.unwrap();
    let chat = |json: bool| {
        let mut cmd = agent(home.path());
        cmd.args(["chat", "--region", "us-east-1", "--model-retries", "0"])
            .arg("--endpoint-url")
            .arg(server.endpoint_url())
            .arg("--plugin")
            .arg(&plugin);
        if json {
            cmd.arg("--json");
        }
        cmd.write_stdin(format!("{Q1}\nThanks!\n"));
        cmd
    };

    // The first prompt's only model call is throttled, with no retries.
    server.inject([Fault::Throttle]);
    let out = output(chat(true)).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let docs = json_lines(&out);
    assert_eq!(docs.len(), 2, "one document per prompt: {docs:?}");
    assert_eq!(docs[0]["error"]["kind"], "model", "{}", docs[0]);
    assert!(docs[0]["error"]["message"].to_string().contains("throttl"));
    // The chat went on: the second prompt ran Q1's tools and answered.
    assert!(docs[1]["error"].is_null(), "{}", docs[1]);
    assert!(docs[1]["answer"].as_str().unwrap().contains("New York"));
    assert_eq!(docs[1]["metrics"]["tool_calls"], 2);
    // The conversation stayed valid (the server checks it on every
    // request): both prompts in one user message, then the turns.
    let messages = docs[1]["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["content"].as_array().unwrap().len(), 2);
    assert_eq!(messages.len(), 4);
    assert!(stderr(&out).contains("1 of 2 prompt(s) failed"));

    // The same without --json: the error on stderr, the answer on stdout.
    server.inject([Fault::Throttle]);
    let out = output(chat(false)).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("error: "), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("New York"));
}

fn sleepy_scenario(dir: &Path) -> PathBuf {
    let path = dir.join("sleepy.json");
    let scenario = serde_json::json!([{
        "name": "sleepy",
        "prompt": SLEEPY,
        "turns": [
            { "tool_calls": [
                { "name": "sleep_tool", "input": { "ms": 120000 } },
                { "name": "sleep_tool", "input": { "ms": 120000 } }
            ] },
            { "text": "Rested." }
        ]
    }]);
    std::fs::write(&path, serde_json::to_vec(&scenario).unwrap()).unwrap();
    path
}

/// `agent ARGS` in a process group of its own, as a service manager
/// starts it, with stdin, stdout and stderr piped.
fn spawn_in_group(home: &Path, args: &[&str], plugin: &Path) -> Child {
    common::agent_process_with_keys(home)
        .args(args)
        .args(["--tool-timeout", "300", "--plugin"])
        .arg(plugin)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends `signal` to the whole process group of `child`, as systemd does.
fn signal_group(child: &Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Whether `child` has a handler for signal number `signo` installed
/// (Linux: the `SigCgt` mask of /proc/PID/status), so that the test sends
/// its signal once the binary listens, not at a guessed moment.
fn handles(child: &Child, signo: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .map(|m| u64::from_str_radix(m.trim(), 16).unwrap())
        .unwrap();
    mask & (1 << (signo - 1)) != 0
}

/// Waits until the model asked for the naps and the tools are running.
async fn wait_for_the_tools(server: &MockServer) {
    while server.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn wait(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// The tools were cancelled, each call answered: the conversation is valid.
fn assert_cancelled_and_valid(doc: &Value) {
    assert_eq!(doc["error"]["kind"], "cancelled", "{doc}");
    let messages = doc["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{doc}");
    let results = messages[2]["content"].as_array().unwrap();
    assert_eq!(results.len(), 2, "every toolUse answered: {doc}");
    for r in results {
        assert_eq!(r["type"], "tool_result", "{r}");
        assert_eq!(r["status"], "error", "{r}");
    }
    assert_eq!(doc["metrics"]["tool_calls"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cancels_the_tools_prints_the_document_and_exits_143() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    let scenarios = bedrock_client::mock::load_scenarios(sleepy_scenario(home.path())).unwrap();
    let server = MockServer::builder()
        .scenarios(scenarios)
        .start()
        .await
        .unwrap();
    let endpoint = server.endpoint_url();

    // `run --json`: the partial run as its document.
    let child = spawn_in_group(
        home.path(),
        &[
            "run",
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
            SLEEPY,
        ],
        &plugin,
    );
    wait_for_the_tools(&server).await;
    signal_group(&child, "TERM");
    let out = wait(child).await;
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_cancelled_and_valid(&doc);
    assert!(stderr(&out).contains("SIGTERM"), "{}", stderr(&out));

    // `run` for a person: the partial figures on stderr.
    let before = server.requests().len();
    let child = spawn_in_group(
        home.path(),
        &[
            "run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
            SLEEPY,
        ],
        &plugin,
    );
    while server.requests().len() == before {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal_group(&child, "TERM");
    let out = wait(child).await;
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(stderr(&out).contains("2 tools in"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_ends_on_sigterm_and_sighup_with_that_prompts_document() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    let scenarios = bedrock_client::mock::load_scenarios(sleepy_scenario(home.path())).unwrap();
    let server = MockServer::builder()
        .scenarios(scenarios)
        .start()
        .await
        .unwrap();
    let endpoint = server.endpoint_url();
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let before = server.requests().len();
        let mut child = spawn_in_group(
            home.path(),
            &[
                "chat",
                "--json",
                "--region",
                "us-east-1",
                "--endpoint-url",
                &endpoint,
            ],
            &plugin,
        );
        // The prompt, and stdin kept open: the chat would read on.
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{SLEEPY}").unwrap();
        while server.requests().len() == before {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        signal_group(&child, signal);
        let out = wait(child).await;
        drop(stdin);
        assert_eq!(out.status.code(), Some(code), "{signal}: {}", stderr(&out));
        let docs = json_lines(&out);
        assert_eq!(docs.len(), 1, "{signal}: {docs:?}");
        assert_cancelled_and_valid(&docs[0]);
    }

    // Waiting for the next prompt, nothing runs: the chat just ends, and
    // says so in its one line.
    let mut child = spawn_in_group(
        home.path(),
        &[
            "chat",
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
        ],
        &plugin,
    );
    let stdin = child.stdin.take().unwrap();
    // Once the plugin and the backend are loaded, the chat waits for input.
    while !handles(&child, 15) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    signal_group(&child, "TERM");
    let out = wait(child).await;
    drop(stdin);
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    let docs = json_lines(&out);
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(docs[0]["error"]["kind"], "cancelled");
}

/// `agent ARGS` with `--json`: exactly one document on stdout, whose
/// `error.kind` is `kind`, and the exit code `code`.
async fn one_failure_document(cmd: Command, kind: &str, code: i32) -> Value {
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(code), "{kind}: {}", stderr(&out));
    let docs = json_documents(&out);
    assert_eq!(docs.len(), 1, "{kind}: {docs:?}");
    let doc = docs.into_iter().next().unwrap();
    assert_eq!(doc["error"]["kind"], kind, "{doc}");
    assert!(!doc["error"]["message"].as_str().unwrap().is_empty());
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_prints_one_document_on_every_exit_path() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    let server = MockServer::builder().start().await.unwrap();
    let endpoint = server.endpoint_url();

    // A setting out of range (exit 2), for run and chat.
    for command in ["run", "chat"] {
        let mut cmd = agent(home.path());
        cmd.args([
            command,
            "--json",
            "--tool-timeout",
            "1e20",
            "--region",
            "us-east-1",
        ]);
        if command == "run" {
            cmd.arg("hello");
        }
        let doc = one_failure_document(cmd, "usage", 2).await;
        assert!(
            doc["error"]["message"]
                .to_string()
                .contains("--tool-timeout")
        );
    }
    // A value clap refuses (exit 2).
    let mut cmd = agent(home.path());
    cmd.args(["run", "--json", "--tool-timeout", "soon", "hello"]);
    let doc = one_failure_document(cmd, "usage", 2).await;
    assert!(
        doc["error"]["message"].to_string().contains("soon"),
        "{doc}"
    );
    // For chat, the same as one line (JSON Lines), whatever comes first.
    let mut cmd = agent(home.path());
    cmd.args(["-v", "chat", "--json", "--tool-timeout", "soon"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["error"]["kind"], "usage");
    // --help is not an error: no document, exit 0.
    let out = output({
        let mut cmd = agent(home.path());
        cmd.args(["run", "--json", "--help"]);
        cmd
    })
    .await;
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"));

    // A plugin that does not load (exit 4): run, chat, tools, demo.
    let missing = home.path().join("libmissing.so");
    for command in ["run", "chat", "tools", "demo"] {
        let mut cmd = agent(home.path());
        cmd.args([command, "--json", "--plugin"]).arg(&missing);
        if command == "run" {
            cmd.args(["--region", "us-east-1", "hello"]);
        }
        let doc = one_failure_document(cmd, "plugin", 4).await;
        assert!(
            doc["error"]["message"]
                .to_string()
                .contains("libmissing.so")
        );
    }

    // A model error (exit 3): the run's own document, with its error.
    server.inject([Fault::Throttle]);
    let mut cmd = agent(home.path());
    cmd.args([
        "run",
        "--json",
        "--region",
        "us-east-1",
        "--model-retries",
        "0",
    ])
    .args(["--endpoint-url", &endpoint, "--plugin"])
    .arg(&plugin)
    .arg(Q1);
    let doc = one_failure_document(cmd, "model", 3).await;
    assert!(doc["metrics"].is_object(), "the run's document: {doc}");
    // Interrupted: see the SIGTERM tests above.
}
