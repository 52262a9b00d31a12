//! Sessions through the real binary: a run kept in a session store, and a
//! run of the `naps` batch SIGKILLed half-way, for the resume tests.

use std::path::Path;
use std::process::Output;

use bedrock_client::mock::{MockServer, MockServerBuilder};

use super::server::endpoint_args;
use super::{agent_process_with_keys, agent_with_keys, demo_plugin};

/// A prompt the default scenario answers with two tool calls, then text.
pub const Q1: &str = "What's the weather in New York and the stock price of AAPL?";

/// `agent run --session trip --session-store STORE PROMPT` against
/// `server`, with the demo plugin.
pub fn run(home: &Path, server: &MockServer, store: &Path, prompt: &str) -> Output {
    agent_with_keys(home)
        .args(["run", "--session", "trip", "--session-store"])
        .arg(store)
        .args(endpoint_args(server))
        .arg("--plugin")
        .arg(demo_plugin())
        .arg(prompt)
        .output()
        .unwrap()
}

/// Two instant calls and two of three seconds, in one batch.
const NAPS: &str = r#"[{
    "name": "naps",
    "prompt": "Take naps",
    "turns": [
        { "text": "Napping.", "tool_calls": [
            { "name": "noop", "input": {} },
            { "name": "sleep_tool", "input": { "ms": 3000 } },
            { "name": "noop", "input": {} },
            { "name": "sleep_tool", "input": { "ms": 3000 } }
        ] },
        { "text": "Rested." }
    ]
}]"#;

/// The local Converse server, scripted with the `naps` batch.
pub fn naps() -> MockServerBuilder {
    MockServer::builder().scenarios(bedrock_client::mock::parse_scenarios(NAPS).unwrap())
}

/// `home/agent.toml` declaring `sleep_tool` non-idempotent; its path.
pub fn sleep_not_idempotent(home: &Path) -> String {
    let config = home.join("agent.toml");
    std::fs::write(&config, "[tools.sleep_tool]\nidempotent = false\n").unwrap();
    config.to_str().unwrap().to_owned()
}

/// `agent run --session naps`, SIGKILLed once the two instant calls are
/// journaled and the two slow ones are in flight. Returns the journaled
/// results' ids.
pub fn kill_mid_batch(
    home: &Path,
    server: &MockServer,
    store: &Path,
    extra: &[&str],
) -> Vec<String> {
    let mut child = agent_process_with_keys(home)
        .args(["run", "--json", "--session", "naps", "--session-store"])
        .arg(store)
        .args(endpoint_args(server))
        .arg("--plugin")
        .arg(demo_plugin())
        .args(extra)
        .arg("Take naps")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The results count once the model's message asking for them is
    // journaled too: with eager start an instant call can finish, and be
    // journaled, while that message still streams; a kill then leaves the
    // model call unfinished, and resume makes it again instead.
    let finished = || -> Vec<String> {
        let Ok(store) = session_sqlite::SqliteStore::open(store) else {
            return Vec::new();
        };
        let entries = agent_core::SessionStore::entries(&store, "naps").unwrap_or_default();
        let asked = entries.iter().any(|e| {
            matches!(e, agent_core::JournalEntry::Message { message }
                if message.tool_uses().next().is_some())
        });
        if !asked {
            return Vec::new();
        }
        entries
            .into_iter()
            .filter_map(|e| match e {
                agent_core::JournalEntry::ToolResult { result, .. } => Some(result.tool_use_id),
                _ => None,
            })
            .collect()
    };
    let mut done = finished();
    while done.len() < 2 {
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(std::time::Duration::from_millis(20));
        done = finished();
    }
    child.kill().unwrap(); // SIGKILL: no cleanup of any kind
    child.wait().unwrap();
    assert_eq!(done.len(), 2, "only the instant calls had finished");
    assert_eq!(finished(), done, "nothing was journaled after the kill");
    done
}
