//! `agent tools --call NAME --input JSON` through the real binary and the
//! real demo plugin (issue 20): one call through the executor, its output
//! on stdout (or `--json`), the field named when the input does not fit
//! the schema, the tool's timeout from the settings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{agent_in as agent, demo_plugin, stderr};
use serde_json::Value;

fn call(home: &Path, plugin: &Path, args: &[&str]) -> Output {
    agent(home)
        .args(["tools", "--plugin"])
        .arg(plugin)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn one_call_prints_the_tools_output() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    let out = call(
        home.path(),
        &plugin,
        &[
            "--call",
            "get_weather",
            "--input",
            r#"{"location": "Paris"}"#,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["location"], "Paris");

    let out = call(
        home.path(),
        &plugin,
        &[
            "--call",
            "get_weather",
            "--input",
            r#"{"location": "Paris"}"#,
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["tool"], "get_weather");
    assert_eq!(doc["failure"], Value::Null);
    assert_eq!(doc["attempts"], 1);
    assert_eq!(doc["content"][0]["value"]["location"], "Paris");
}

#[test]
fn an_input_that_does_not_fit_the_schema_is_exit_2_naming_the_field() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    for (input, field) in [
        (r#"{"place": "Paris"}"#, "location"),
        (r#"{"location": 3}"#, "location"),
    ] {
        let out = call(
            home.path(),
            &plugin,
            &["--call", "get_weather", "--input", input],
        );
        assert_eq!(out.status.code(), Some(2), "{input}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("`{field}`")),
            "{}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty());
        // With --json: the outcome as a document, and the same exit code.
        let out = call(
            home.path(),
            &plugin,
            &["--call", "get_weather", "--input", input, "--json"],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["failure"], "invalid_input");
        assert!(doc["content"].to_string().contains(field), "{doc}");
    }
    // Not JSON at all, or a tool that is not loaded: usage errors too.
    let out = call(
        home.path(),
        &plugin,
        &["--call", "get_weather", "--input", "{"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--input is not valid JSON"),
        "{}",
        stderr(&out)
    );
    let out = call(home.path(), &plugin, &["--call", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("get_weather"),
        "lists the tools: {}",
        stderr(&out)
    );
}

#[test]
fn the_call_gets_the_tool_timeout_of_the_settings() {
    let home = tempfile::tempdir().unwrap();
    let plugin = demo_plugin();
    let config = home.path().join("agent.toml");
    std::fs::write(&config, "[tools.sleep_tool]\ntimeout = 0.2\n").unwrap();
    // The per-tool timeout of agent.toml (found in the current directory).
    let out = call(
        home.path(),
        &plugin,
        &[
            "--call",
            "sleep_tool",
            "--input",
            r#"{"ms": 60000}"#,
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["failure"], "timed_out", "{doc}");
    assert!(stderr(&out).contains("timed_out"), "{}", stderr(&out));
    // And the flag, over a generous file value.
    std::fs::write(&config, "tool_timeout = 300\n").unwrap();
    let out = call(
        home.path(),
        &plugin,
        &[
            "--call",
            "sleep_tool",
            "--input",
            r#"{"ms": 60000}"#,
            "--tool-timeout",
            "0.2",
        ],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("0.2 s"), "{}", stderr(&out));
}
