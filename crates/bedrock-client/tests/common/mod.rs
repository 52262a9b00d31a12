//! Helpers shared by the integration tests: a backend on the local server,
//! requests for the reference queries.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;
use std::time::Duration;

use agent_core::{InferenceConfig, Message, ModelRequest};
use bedrock_client::BedrockBackend;
use bedrock_client::mock::MockServer;
use serde_json::json;
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolRegistry, ToolSpec};

/// A backend signing with fixed fake keys and talking to `server`.
pub async fn backend(server: &MockServer) -> BedrockBackend {
    backend_for(server, bedrock_client::DEFAULT_MODEL_ID).await
}

/// The same, for `model_id`.
pub async fn backend_for(server: &MockServer, model_id: &str) -> BedrockBackend {
    BedrockBackend::builder()
        .region("us-east-1")
        .endpoint_url(server.endpoint_url())
        .static_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        .model_id(model_id)
        .build()
        .await
        .unwrap()
}

/// The specs of the reference tools.
pub fn reference_specs() -> Vec<ToolSpec> {
    let s = |props: serde_json::Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    vec![
        ToolSpec::new(
            "get_weather",
            "Current weather for a city.",
            s(json!({"location": {"type": "string"}}), &["location"]),
        ),
        ToolSpec::new(
            "get_stock_price",
            "Latest price of a stock.",
            s(json!({"symbol": {"type": "string"}}), &["symbol"]),
        ),
        ToolSpec::new(
            "calculate_distance",
            "Distance between two cities.",
            s(
                json!({"origin": {"type": "string"}, "destination": {"type": "string"}}),
                &["origin", "destination"],
            ),
        ),
        ToolSpec::new(
            "search_restaurants",
            "Restaurants in a city.",
            s(
                json!({"location": {"type": "string"}, "cuisine": {"type": "string"}}),
                &["location"],
            ),
        ),
        ToolSpec::new(
            "sleep_tool",
            "Sleeps.",
            s(json!({"ms": {"type": "integer", "minimum": 0}}), &["ms"]),
        ),
    ]
}

/// The first request of a conversation starting with `prompt`.
pub fn first_request(prompt: &str) -> ModelRequest {
    ModelRequest {
        system: Some("You are a helpful assistant.".into()),
        messages: vec![Message::user(prompt)],
        tools: reference_specs(),
        inference: InferenceConfig::default(),
        ..Default::default()
    }
}

/// A reference tool that sleeps a hundredth of its fixed delay, then echoes
/// its name and input: the reference work, fast.
struct FastTool {
    spec: ToolSpec,
}

#[tool_api::async_trait]
impl Tool for FastTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(
        &self,
        input: serde_json::Value,
        _ctx: ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let delay =
            agent_testkit::reference::fixed_delay(&self.spec.name).unwrap_or_default() / 100;
        tokio::time::sleep(delay).await;
        Ok(ToolOutput::Json(
            json!({"tool": self.spec.name, "input": input, "ok": true}),
        ))
    }
}

/// The reference tools' specs (from agent-testkit), with fast in-process
/// implementations.
pub fn fast_tools() -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    for spec in agent_testkit::reference::tools().specs() {
        registry
            .register(Arc::new(FastTool { spec: spec.clone() }), "test")
            .unwrap();
    }
    registry
}

/// A model retry policy with tiny, exact delays (1, 2, 4... ms) and ten
/// attempts (fewer than the 20 throttles a test plays past it): real
/// sockets and real time, yet fast.
pub fn tiny_backoff() -> agent_core::ExponentialBackoff {
    agent_core::ExponentialBackoff::for_model()
        .with_base(Duration::from_millis(1))
        .with_cap(Duration::from_millis(50))
        .with_max_attempts(10)
        .with_jitter(agent_core::Jitter::None)
}
