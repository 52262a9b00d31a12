//! A model server that is down: the real `agent` binary gives up after a
//! few attempts (not the throttling budget of ~100) with a message naming
//! the URL and what to check. Attempts are counted from the message, never
//! from the wall clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{agent_with_keys, stderr};

/// A port on 127.0.0.1 that nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn assert_gave_up_quickly(out: &std::process::Output, url: &str) {
    assert!(!out.status.success());
    let err = stderr(out);
    assert!(err.contains(url), "{err}");
    assert!(err.contains("check that the server is running"), "{err}");
    assert!(err.contains("tried 3 times"), "{err}");
}

#[test]
fn bedrock_at_a_closed_port_fails_after_three_attempts() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", closed_port());
    let out = agent_with_keys(home.path())
        .args([
            "run",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &url,
            "hello",
        ])
        .output()
        .unwrap();
    assert_gave_up_quickly(&out, &url);
}

#[test]
fn an_openai_compatible_server_at_a_closed_port_fails_after_three_attempts() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/v1", closed_port());
    let out = agent_with_keys(home.path())
        .env("OPENAI_API_KEY", "sk-test")
        .args(["run", "--backend", "openai", "--base-url", &url, "hello"])
        .output()
        .unwrap();
    assert_gave_up_quickly(&out, &url);
}
