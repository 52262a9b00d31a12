//! `--context` and `--context-window` end to end: the real binary, the
//! demo plugin, and the local Converse server refusing an input longer
//! than its limit with Bedrock's own text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bedrock_client::mock::{MockServer, Outcome};
use serde_json::Value;

const TURNS: usize = 25;

fn server(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(
        MockServer::builder()
            .scenarios([
                // The summariser's requests (`--context summarize`).
                agent_testkit::Scenario::new(
                    "summary",
                    Some("Summarise the earlier part"),
                    vec![agent_testkit::ScriptedTurn::text("Slept 0 ms, many times.")],
                ),
                agent_testkit::reference::chain(TURNS),
            ])
            .max_input_tokens(1500)
            .start(),
    )
    .unwrap()
}

fn run(server: &MockServer, flags: &[&str]) -> (std::process::Output, Value) {
    let home = tempfile::tempdir().unwrap();
    let out = common::agent_with_keys(home.path())
        .args([
            "run",
            "--json",
            "--region",
            "us-east-1",
            "--max-iterations",
            "40",
        ])
        .arg("--endpoint-url")
        .arg(server.endpoint_url())
        .arg("--plugin")
        .arg(common::demo_plugin())
        .args(flags)
        .arg(agent_testkit::reference::chain_prompt(TURNS))
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, doc)
}

fn events<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    doc["events"]
        .as_array()
        .map(|e| e.iter().filter(|e| e["event"] == name).collect())
        .unwrap_or_default()
}

#[test]
fn the_default_sliding_window_recovers_from_bedrocks_overflow() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = server(&rt);
    let (out, doc) = run(&server, &[]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(doc["metrics"]["tool_calls"], TURNS);
    let reduced = events(&doc, "context_reduced");
    assert!(!reduced.is_empty());
    assert!(
        reduced
            .iter()
            .all(|e| e["manager"] == "sliding" && e["overflow"] == true)
    );
    let refused = server
        .requests()
        .into_iter()
        .filter(|r| matches!(r.outcome, Outcome::Rejected { .. }))
        .count();
    assert_eq!(refused, reduced.len());
}

#[test]
fn a_window_flag_keeps_every_request_under_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = server(&rt);
    let (out, doc) = run(
        &server,
        // Caching off: the local server counts a cached request's input
        // from its whole body, an uncached one from its messages, and this
        // test is about the window, not the cache.
        &[
            "--context",
            "summarize",
            "--context-window",
            "1400",
            "--cache",
            "off",
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(doc["metrics"]["tool_calls"], TURNS);
    let reduced = events(&doc, "context_reduced");
    assert!(!reduced.is_empty());
    assert!(
        reduced
            .iter()
            .all(|e| e["summarized"] == true && e["overflow"] == false)
    );
    let seen = server.requests();
    assert!(
        seen.iter()
            .all(|r| !matches!(r.outcome, Outcome::Rejected { .. }))
    );
    // CountTokens confirmed the estimate, for the profile's base model.
    assert!(
        seen.iter()
            .any(|r| matches!(r.outcome, Outcome::Counted { .. })
                && r.model_id == "anthropic.claude-sonnet-4-20250514-v1:0")
    );
}

#[test]
fn with_context_off_the_overflow_ends_the_run_saying_what_to_do() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = server(&rt);
    let (out, doc) = run(&server, &["--context", "off"]);
    assert!(!out.status.success());
    let stderr = common::stderr(&out);
    assert!(stderr.contains("context window"), "{stderr}");
    assert!(stderr.contains("--context sliding"), "{stderr}");
    assert!(events(&doc, "context_reduced").is_empty());
}

/// `--context summarize` against the local server as it comes (no
/// scenario added): the summary request is one plain-text user message, no
/// tool blocks, so it is valid for Bedrock without a toolConfig, and the
/// server's built-in summary scenario answers it. The summary stays in the
/// conversation; no reduction falls back to dropping.
#[test]
fn summaries_are_made_by_the_stock_local_server() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt
        .block_on(MockServer::builder().max_input_tokens(1500).start())
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = common::agent_with_keys(home.path())
        .args(["run", "--json", "--region", "us-east-1"])
        .args(["--max-iterations", "60", "--cache", "off"])
        .args(["--context", "summarize", "--context-window", "1400"])
        .arg("--endpoint-url")
        .arg(server.endpoint_url())
        .arg("--plugin")
        .arg(common::demo_plugin())
        .arg(agent_testkit::reference::chain_prompt(50))
        .output()
        .unwrap();
    let stderr = common::stderr(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("without a summary"), "{stderr}");
    assert!(!stderr.contains("WARN"), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reduced = events(&doc, "context_reduced");
    assert!(!reduced.is_empty());
    assert!(
        reduced.iter().all(|e| e["summarized"] == true),
        "{reduced:?}"
    );
    let requests = server.requests();
    let summaries: Vec<_> = requests
        .iter()
        .filter(|r| {
            r.body["messages"][0]["content"][0]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with(agent_core::context::SUMMARY_INSTRUCTION))
        })
        .collect();
    assert_eq!(summaries.len(), reduced.len());
    assert!(
        summaries.iter().all(|r| r.body.get("toolConfig").is_none()
            && matches!(&r.outcome, Outcome::Answered { scenario } if scenario == "SUMMARY")),
        "the summary requests were answered"
    );
    // The last request carries the summary in its first message.
    let last = requests.last().unwrap().body["messages"][0].to_string();
    assert!(last.contains(agent_core::context::SUMMARY_TAG), "{last}");
    assert!(
        last.contains(agent_testkit::reference::SUMMARY_ANSWER),
        "{last}"
    );
}
