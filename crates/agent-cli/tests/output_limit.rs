//! A huge tool result is cut to its tool's `max_output_bytes` and the run
//! goes on: the real binary, a real plugin, the local Converse server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bedrock_client::mock::MockServer;
use serde_json::Value;

const BIG: &str = r#"[{
    "name": "big",
    "prompt": "Fetch everything",
    "turns": [
        { "text": "Fetching.", "tool_calls": [
            { "name": "big_output", "input": { "bytes": 5000000 } },
            { "name": "echo", "input": { "small": true } }
        ] },
        { "text": "Got it." }
    ]
}]"#;

fn run(server: &MockServer, config: Option<&str>) -> (Value, Vec<Value>) {
    let home = tempfile::tempdir().unwrap();
    let plugin = tool_api::plugin::testing::cargo_build_plugin_example(
        "fixture-misbehaving",
        "fixture_misbehaving",
        &[],
    )
    .unwrap();
    let mut cmd = common::agent_with_keys(home.path());
    cmd.args(["run", "--json"])
        .args(common::server::endpoint_args(server))
        .arg("--plugin")
        .arg(plugin);
    if let Some(config) = config {
        let path = home.path().join("agent.toml");
        std::fs::write(&path, config).unwrap();
        cmd.arg("--config").arg(path);
    }
    let before = server.requests().len();
    let out = cmd.arg("Fetch everything").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len() - before, 2);
    let results = requests.last().unwrap().body["messages"][2]["content"]
        .as_array()
        .unwrap()
        .clone();
    (doc, results)
}

fn text(result: &Value) -> String {
    result["toolResult"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_5_mb_result_is_cut_to_the_limit_and_the_run_goes_on() {
    let scenarios = bedrock_client::mock::parse_scenarios(BIG).unwrap();
    let (rt, server) = common::server::start(MockServer::builder().scenarios(scenarios));

    // The default limit: 100 KB.
    let (doc, results) = run(&server, None);
    assert_eq!(doc["answer"], "Got it.");
    let big = text(&results[0]);
    assert_eq!(results[0]["toolResult"]["status"], "success");
    assert!(
        big.starts_with(&"x".repeat(100_000)),
        "kept the first 100 KB"
    );
    assert!(big.len() < 100_300, "cut: {} bytes", big.len());
    assert!(
        big.contains("showing the first 100000 of 5000000 bytes; 4900000 bytes were cut"),
        "{}",
        &big[100_000..]
    );
    // A small result beside it is untouched.
    assert_eq!(
        results[1]["toolResult"]["content"][0]["json"]["small"],
        true
    );

    // A tool's own limit from the config file.
    let (_, results) = run(
        &server,
        Some("[tools.big_output]\nmax_output_bytes = 1000\n"),
    );
    let big = text(&results[0]);
    assert!(
        big.contains("showing the first 1000 of 5000000 bytes"),
        "{big}"
    );
    assert!(big.len() < 1300);
    drop(rt);
}
