//! The request-option flags through the real `agent` binary against the
//! local servers: `--tool-choice`, `--cache`, `--output-schema` (the value
//! under `"output"` in `--json`), `--guardrail`, `--model-field` and
//! `--response-field`, and the clear refusal of a flag a backend cannot
//! carry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use agent_testkit::{Scenario, ScriptedCall, ScriptedTurn};
use assert_cmd::Command;
use bedrock_client::mock::MockServer;
use common::{agent_in_fresh_home as agent, demo_plugin, run_blocking, stderr};
use serde_json::{Value, json};

const Q1: &str = "What's the weather in New York and the stock price of AAPL?";

fn bedrock(endpoint: &str) -> Command {
    let mut cmd = agent();
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args([
            "run",
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            endpoint,
            "--plugin",
        ])
        .arg(demo_plugin());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_choice_caching_and_pass_through_reach_the_wire_and_json() {
    let server = MockServer::builder().start().await.unwrap();
    let mut cmd = bedrock(&server.endpoint_url());
    cmd.args([
        "--tool-choice",
        "any",
        "--cache-ttl",
        "1h",
        "--model-field",
        "top_k=200",
        "--response-field",
        "/stop_sequence",
        Q1,
    ]);
    let out = run_blocking(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].body["toolConfig"]["toolChoice"],
        json!({"any": {}})
    );
    assert!(requests[1].body["toolConfig"].get("toolChoice").is_none());
    // Caching is on by default: the system-less request caches the tools
    // and the latest turn, with the TTL asked for.
    let hour = json!({"cachePoint": {"type": "default", "ttl": "1h"}});
    assert_eq!(
        requests[1].body["toolConfig"]["tools"]
            .as_array()
            .unwrap()
            .last()
            .unwrap(),
        &hour
    );
    assert_eq!(
        requests[0].body["additionalModelRequestFields"],
        json!({"top_k": 200})
    );
    assert_eq!(doc["model_fields"], json!({"stop_sequence": null}));
    let usage = &doc["metrics"]["usage"];
    assert!(
        usage["cache_read_input_tokens"].as_u64().unwrap() > 0,
        "{usage}"
    );
    assert!(
        usage["cache_write_input_tokens"].as_u64().unwrap() > 0,
        "{usage}"
    );
    // Off: no cache point at all.
    let mut cmd = bedrock(&server.endpoint_url());
    cmd.args(["--cache", "off", Q1]);
    server.clear_requests();
    let out = run_blocking(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !server.requests()[0]
            .raw_body
            .windows(10)
            .any(|w| w == b"cachePoint")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_schema_puts_the_value_under_output() {
    let prompt = "Where to, and for how long?";
    let scenario = Scenario::new(
        "trip",
        Some(prompt),
        vec![
            ScriptedTurn::text("Paris."),
            ScriptedTurn {
                tool_calls: vec![ScriptedCall {
                    name: "final_answer".into(),
                    input: json!({"city": "Paris", "days": 3}),
                }],
                ..ScriptedTurn::default()
            },
        ],
    );
    let server = MockServer::builder()
        .scenarios([scenario])
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("trip.schema.json");
    std::fs::write(
        &schema,
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"city": {"$ref": "#/$defs/City"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
            "$defs": {"City": {"type": "string", "enum": ["Paris", "Lyon"]}}
        })
        .to_string(),
    )
    .unwrap();
    let mut cmd = bedrock(&server.endpoint_url());
    cmd.arg("--output-schema").arg(&schema).arg(prompt);
    let out = run_blocking(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["output"], json!({"city": "Paris", "days": 3}));
    // A schema that is not JSON is a usage error naming the file.
    std::fs::write(&schema, "{ not json").unwrap();
    let mut cmd = bedrock(&server.endpoint_url());
    cmd.arg("--output-schema").arg(&schema).arg(prompt);
    let out = run_blocking(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("trip.schema.json"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardrail_on_the_anthropic_backend_is_refused_naming_it() {
    let server = anthropic_client::mock::MockServer::builder()
        .start()
        .await
        .unwrap();
    let mut cmd = agent();
    cmd.env("ANTHROPIC_API_KEY", "sk-ant-test")
        .args([
            "run",
            "--backend",
            "anthropic",
            "--base-url",
            &server.base_url(),
            "--guardrail",
            "gr-abc123:1",
            "--plugin",
        ])
        .arg(demo_plugin())
        .arg(Q1);
    let out = run_blocking(cmd).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("the anthropic backend cannot carry guardrails (--guardrail)"),
        "{}",
        stderr(&out)
    );
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_schema_on_openai_goes_as_response_format_with_native_mode_on() {
    let prompt = "Where to, and for how long?";
    // The scenario's text is not JSON: held to the schema, the local server
    // answers with a value valid against it.
    let scenario = Scenario::new("trip", Some(prompt), vec![ScriptedTurn::text("Paris.")]);
    let server = openai_client::mock::MockServer::builder()
        .scenarios(vec![scenario])
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("trip.schema.json");
    std::fs::write(
        &schema,
        json!({
            "type": "object",
            "properties": {"city": {"type": "string", "enum": ["Paris", "Lyon"]},
                "days": {"type": "integer", "minimum": 2}},
            "required": ["city", "days"]
        })
        .to_string(),
    )
    .unwrap();
    let mut cmd = agent();
    cmd.env(openai_client::NATIVE_STRUCTURED_OUTPUT_ENV, "1")
        .args([
            "run",
            "--json",
            "--backend",
            "openai",
            "--base-url",
            &server.base_url(),
            "--output-schema",
        ])
        .arg(&schema)
        .arg("--plugin")
        .arg(demo_plugin())
        .arg(prompt);
    let out = run_blocking(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["output"], json!({"city": "Paris", "days": 2}));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let format = &requests[0].body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "final_answer");
    assert_eq!(
        format["json_schema"]["schema"]["required"],
        json!(["city", "days"])
    );
}
