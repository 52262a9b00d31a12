//! What the end-to-end tests share: the real `agent` binary with a clean,
//! offline environment (no AWS settings or config file from the machine,
//! the instance-metadata probe off), its output as text, the demo plugin;
//! the local Converse server (`server.rs`) and what crossed the wire to it
//! (`wire.rs`); the real Restate server (`restate.rs`), the installed MCP
//! servers and clients (`mcp.rs`), sessions run and killed (`sessions.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Output};

use assert_cmd::Command;
use serde_json::Value;

pub mod mcp;
pub mod restate;
pub mod server;
pub mod sessions;
pub mod wire;

/// The binary, run in `home` with nothing from the machine's environment
/// but `PATH`: no AWS profile or keys, no config file, no IMDS probe.
pub fn agent_in(home: &Path) -> Command {
    Command::from_std(agent_process_in(home))
}

/// [`agent_with_keys`] as a `std::process::Command`, for the tests that
/// spawn the binary and signal, kill or talk to it while it runs.
pub fn agent_process_with_keys(home: &Path) -> std::process::Command {
    clean_process_with_keys(assert_cmd::cargo::cargo_bin("agent"), home)
}

/// [`clean_process`] with the throwaway AWS keys of [`agent_with_keys`],
/// for a driver that runs the binary against the local Converse server.
pub fn clean_process_with_keys(program: impl AsRef<OsStr>, home: &Path) -> std::process::Command {
    let mut cmd = clean_process(program, home);
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret");
    cmd
}

/// A child process killed (SIGKILL) and reaped when dropped: when the test
/// ends, passed or not.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// [`agent_in`] as a `std::process::Command`.
pub fn agent_process_in(home: &Path) -> std::process::Command {
    clean_process(assert_cmd::cargo::cargo_bin("agent"), home)
}

/// `program` run in `home` with the one clean environment every command
/// here is built on; `program` is the binary, or a driver that runs it.
pub fn clean_process(program: impl AsRef<OsStr>, home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".data"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("NO_COLOR", "1")
        .current_dir(home);
    cmd
}

/// [`agent_in`] with throwaway AWS keys, for runs against the local
/// Converse server (it checks that requests are signed, not by whom).
pub fn agent_with_keys(home: &Path) -> Command {
    Command::from_std(agent_process_with_keys(home))
}

/// Runs `cmd` to its end on a blocking thread, so that a local server on
/// the test's own runtime goes on answering it.
pub async fn run_blocking(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// The ids of the events of kind `event` in a `--json` run document.
pub fn event_ids(doc: &Value, event: &str) -> Vec<String> {
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == event)
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `items` in order, for comparing what came in no set order (the ids of
/// calls that finished side by side).
pub fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

/// Standard output, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The demo plugin library, built by cargo once.
pub fn demo_plugin() -> PathBuf {
    tool_api::plugin::testing::cargo_build_plugin("demo-tools").expect("build the demo plugin")
}

/// [`agent_in`] a fresh home of its own (kept: the binary may outlive the
/// call that made it).
pub fn agent_in_fresh_home() -> Command {
    agent_in(&tempfile::tempdir().unwrap().keep())
}
