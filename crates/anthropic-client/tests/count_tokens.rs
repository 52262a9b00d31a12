//! `count_tokens` against the local Messages API server on 127.0.0.1: the
//! endpoint and body that cross the wire, and a count that agrees with the
//! usage the same server reports for the same request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use agent_core::{ModelBackend, ModelErrorKind};
use agent_testkit::reference;
use anthropic_client::AnthropicBackend;
use anthropic_client::mock::MockServer;
use mock_support::testing::request;

const KEY: &str = "sk-ant-test-0123456789";

fn backend(server: &MockServer, key: &str) -> AnthropicBackend {
    AnthropicBackend::builder()
        .base_url(server.base_url())
        .api_key(key)
        .model("claude-test")
        .build()
        .unwrap()
}

#[tokio::test]
async fn counts_what_the_usage_reports_without_sampling_settings() {
    let server = MockServer::builder().api_key(KEY).start().await.unwrap();
    let backend = backend(&server, KEY);
    let request = request(reference::queries()[0].prompt.as_deref().unwrap());
    let counted = backend.count_tokens(&request).await.unwrap();
    let usage = backend.converse(&request).await.unwrap().usage;
    assert!(counted > 0);
    assert_eq!(counted, usage.input_tokens);
    let seen = server.requests();
    assert_eq!(seen[0].path, "/v1/messages/count_tokens");
    assert_eq!(seen[0].status, 200);
    let body = seen[0].body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["messages", "model", "system", "tools"]);
    assert_eq!(seen[0].body["messages"], seen[1].body["messages"]);
    assert_eq!(
        seen[0].headers.get("anthropic-version"),
        seen[1].headers.get("anthropic-version")
    );
    assert!(seen[0].headers.contains_key("anthropic-version"));
}

#[tokio::test]
async fn a_refused_count_keeps_the_apis_kind_and_request_id() {
    let server = MockServer::builder().api_key(KEY).start().await.unwrap();
    let e = backend(&server, "sk-ant-wrong")
        .count_tokens(&request("hello"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Credentials, "{e}");
    assert_eq!(e.request_id.as_deref(), Some("req_mock_000001"));
}
