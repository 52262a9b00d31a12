//! `agent mcp-serve` over stdio as an MCP client starts it, with pipes: it
//! reads and writes them through its event loop (non-blocking), not on
//! blocking threads, and answers many calls sent at once.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::demo_plugin;
use serde_json::{Value, json};

/// `O_NONBLOCK` in the `flags` of `/proc/PID/fdinfo/FD` (octal).
const O_NONBLOCK: u32 = 0o4000;

fn nonblocking(pid: u32, fd: u32) -> bool {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).unwrap();
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .unwrap()
        .trim();
    u32::from_str_radix(flags, 8).unwrap() & O_NONBLOCK != 0
}

#[test]
fn stdio_pipes_are_served_from_the_event_loop_and_calls_overlap() {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("agent"))
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .args(["mcp-serve", "--max-concurrency", "0", "--plugin"])
        .arg(demo_plugin())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut send = |message: Value| {
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    };
    let mut read = || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str::<Value>(&line).unwrap()
    };
    send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}}),
    );
    assert_eq!(read()["result"]["serverInfo"]["name"], "agent");
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    // Both pipes went to the runtime's event loop.
    let pid = child.id();
    assert!(nonblocking(pid, 0), "stdin is read on a blocking thread");
    assert!(
        nonblocking(pid, 1),
        "stdout is written on a blocking thread"
    );

    // Calls sent at once are all answered, each once.
    let calls = 32;
    for id in 1..=calls {
        send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "sleep_tool", "arguments": {"ms": 300}}}));
    }
    let mut answered: Vec<i64> = (0..calls)
        .map(|_| {
            let answer = read();
            assert_eq!(answer["result"]["isError"], false, "{answer}");
            answer["id"].as_i64().unwrap()
        })
        .collect();
    answered.sort_unstable();
    assert_eq!(answered, (1..=calls).collect::<Vec<_>>());

    // The client closing stdin ends the session and the process.
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
