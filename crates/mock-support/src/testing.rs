//! What the end-to-end tests of a backend against its local server share,
//! whatever the protocol: the request they send, the scenarios they play,
//! a stream collected. Each protocol's tests keep their own server, backend
//! and assertions on their wire.

use agent_core::{Message, ModelBackend, ModelError, ModelEvent, ModelRequest};
use agent_testkit::{Scenario, ScriptedTurn, reference};
use futures::StreamExt;
use serde_json::{Value, json};

/// `prompt` with a brief system prompt and the reference tools offered.
pub fn request(prompt: &str) -> ModelRequest {
    ModelRequest {
        system: Some("Be brief.".into()),
        messages: vec![Message::user(prompt)],
        tools: reference::tools().specs().cloned().collect(),
        inference: Default::default(),
        ..Default::default()
    }
}

/// "story": one long text answer, streamed in many deltas.
pub fn story() -> Scenario {
    Scenario::new(
        "story",
        Some("story"),
        vec![ScriptedTurn::text(agent_testkit::conformance::LONG_ANSWER)],
    )
}

/// Any prompt: three calls in one turn (a slow `sleep_tool`, a fast one,
/// and `teleport`, a tool nobody has), then "Done.": results come back in
/// call order, the failed one included.
pub fn three_calls() -> Scenario {
    Scenario::new(
        "mixed",
        None,
        vec![
            ScriptedTurn::tools([
                ("sleep_tool", json!({"ms": 40})),
                ("sleep_tool", json!({"ms": 1})),
                ("teleport", json!({"to": "Mars"})),
            ]),
            ScriptedTurn::text("Done."),
        ],
    )
}

/// "weather": one `get_weather` call with `input`, then "Cold.".
pub fn weather(input: Value) -> Scenario {
    Scenario::new(
        "weather",
        Some("weather"),
        vec![
            ScriptedTurn::tools([("get_weather", input)]),
            ScriptedTurn::text("Cold."),
        ],
    )
}

/// Every event of `backend`'s stream for `request`, errors included.
pub async fn collect(
    backend: &dyn ModelBackend,
    request: &ModelRequest,
) -> Vec<Result<ModelEvent, ModelError>> {
    backend.converse_stream(request).collect().await
}
