//! Native structured output through the OpenAI-compatible backend, over
//! HTTP to the local Chat Completions server on 127.0.0.1: the schema goes
//! as `response_format` (`json_schema`) instead of an output tool, the
//! final text is the value (validated, repaired the bounded way), and with
//! native mode off the output tool carries it as on every backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use agent_core::{
    Agent, AgentErrorKind, Conversation, Message, ModelBackend, ModelErrorKind, ModelRequest,
    OutputFormat, OutputSchema, RunOptions,
};
use agent_testkit::{Scenario, ScriptedTurn, reference};
use openai_client::OpenAiBackend;
use openai_client::mock::MockServer;
use serde::Deserialize;
use serde_json::{Value, json};

const PROMPT: &str = "Plan my trip.";

/// An enum, an array, a nested object (a `$ref` in schemars' schema) and
/// an optional field.
#[derive(Debug, PartialEq, Deserialize, schemars::JsonSchema)]
struct Trip {
    mood: Mood,
    stops: Vec<String>,
    place: Place,
    note: Option<String>,
}

#[derive(Debug, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Mood {
    Calm,
    Busy,
}

#[derive(Debug, PartialEq, Deserialize, schemars::JsonSchema)]
struct Place {
    city: String,
    days: u32,
}

async fn server(turns: Vec<ScriptedTurn>) -> MockServer {
    MockServer::builder()
        .scenarios(vec![Scenario::new("trip", Some(PROMPT), turns)])
        .start()
        .await
        .unwrap()
}

fn backend(server: &MockServer, native: bool) -> OpenAiBackend {
    OpenAiBackend::builder()
        .base_url(server.base_url())
        .model("gpt-test")
        .native_structured_output(native)
        .build()
        .unwrap()
}

fn agent(server: &MockServer, native: bool, streaming: bool) -> Agent {
    Agent::builder()
        .backend(Arc::new(backend(server, native)))
        .tools(reference::tools())
        .streaming(streaming)
        .build()
        .unwrap()
}

fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_schema_goes_as_response_format_and_the_json_text_is_the_output() {
    let valid = json!({"mood": "busy", "stops": ["Lyon"], "place": {"city": "Paris", "days": 3}});
    let server = server(vec![ScriptedTurn::text(valid.to_string())]).await;
    for streaming in [false, true] {
        server.clear_requests();
        let agent = agent(&server, true, streaming);
        let (trip, run) = agent.run_structured::<Trip>(PROMPT).await.unwrap();
        assert_eq!(
            trip,
            Trip {
                mood: Mood::Busy,
                stops: vec!["Lyon".into()],
                place: Place {
                    city: "Paris".into(),
                    days: 3
                },
                note: None,
            }
        );
        assert_eq!(run.output, Some(valid.clone()), "streaming {streaming}");
        assert_eq!(run.answer, valid.to_string());
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let body = &requests[0].body;
        let format = &body["response_format"];
        assert_eq!(format["type"], "json_schema", "{body}");
        assert_eq!(format["json_schema"]["name"], "final_answer");
        let schema = OutputSchema::for_type::<Trip>().unwrap();
        assert_eq!(&format["json_schema"]["schema"], schema.schema());
        // An optional field: strict mode would refuse the schema.
        assert_eq!(format["json_schema"]["strict"], false);
        // No output tool, nothing forced.
        assert!(!tool_names(body).contains(&"final_answer".to_owned()));
        assert_eq!(body.get("tool_choice"), None);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_strict_schema_goes_strict_and_the_server_answers_valid_json() {
    // The scenario's text is not JSON: the server answers as a model held
    // to the schema must, with a valid value.
    let server = server(vec![ScriptedTurn::text("Paris, I think.")]).await;
    let schema = OutputSchema::new(json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "city": {"type": "string", "enum": ["Paris", "Lyon"]},
            "days": {"type": "integer", "minimum": 2}
        },
        "required": ["city", "days"]
    }))
    .unwrap();
    let agent = agent(&server, true, false);
    let options = RunOptions::new().with_output_schema(schema.clone());
    let run = agent
        .send(&mut Conversation::new(), PROMPT, options)
        .await
        .unwrap();
    let output = run.output.unwrap();
    assert_eq!(output, json!({"city": "Paris", "days": 2}));
    assert_eq!(tool_api::schema::validate(schema.schema(), &output), Ok(()));
    let body = &server.requests()[0].body;
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    server.shutdown().await;
}

#[tokio::test]
async fn an_invalid_answer_is_repaired_then_repeated_failure_ends_clearly() {
    let bad = json!({"mood": "relaxed", "stops": ["Lyon"], "place": {"city": "Paris"}});
    let good = json!({"mood": "calm", "stops": [], "place": {"city": "Nice", "days": 1}});
    let server = server(vec![
        ScriptedTurn::text(bad.to_string()),
        ScriptedTurn::text(good.to_string()),
    ])
    .await;
    let repairing = agent(&server, true, true);
    let (trip, run) = repairing.run_structured::<Trip>(PROMPT).await.unwrap();
    assert_eq!(trip.place.city, "Nice");
    assert_eq!(run.output, Some(good));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // The validation error went back as a user message; still native.
    let messages = requests[1].body["messages"].as_array().unwrap();
    let last = messages.last().unwrap();
    assert_eq!(last["role"], "user");
    let text = last["content"].to_string();
    assert!(
        text.contains("Invalid answer") && text.contains("/mood"),
        "{text}"
    );
    assert_eq!(requests[1].body["response_format"]["type"], "json_schema");
    assert_eq!(requests[1].body.get("tool_choice"), None);
    server.shutdown().await;

    // Never valid (not even JSON): one answer and two repairs, then a
    // clear failure.
    let server = server_stubborn().await;
    let stubborn = agent(&server, true, false);
    let e = stubborn.run_structured::<Trip>(PROMPT).await.unwrap_err();
    match &e.kind {
        AgentErrorKind::InvalidOutput { attempts, error } => {
            assert_eq!(*attempts, 3);
            assert!(error.contains("/stops: expected array"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 3);
    server.shutdown().await;
}

async fn server_stubborn() -> MockServer {
    let bad = json!({"mood": "calm", "stops": "Lyon", "place": {"city": "Paris", "days": 1}});
    server(vec![ScriptedTurn::text(bad.to_string()); 4]).await
}

#[tokio::test]
async fn with_native_mode_off_the_output_tool_carries_the_answer() {
    let server = server(vec![ScriptedTurn::text("Paris.")]).await;
    let agent = agent(&server, false, false);
    let (_, run) = agent.run_structured::<Trip>(PROMPT).await.unwrap();
    assert!(run.output.is_some());
    let requests = server.requests();
    assert_eq!(requests[0].body.get("response_format"), None);
    assert!(tool_names(&requests[0].body).contains(&"final_answer".to_owned()));
    server.shutdown().await;
}

#[tokio::test]
async fn an_output_format_is_never_dropped_when_native_mode_is_off() {
    let server = server(vec![]).await;
    let request = ModelRequest {
        messages: vec![Message::user(PROMPT)],
        output_format: Some(OutputFormat {
            name: "final_answer".into(),
            schema: json!({"type": "object", "properties": {}}),
        }),
        ..Default::default()
    };
    let e = backend(&server, false)
        .converse(&request)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(e.message.contains("native_structured_output"), "{e}");
    assert!(server.requests().is_empty());
    server.shutdown().await;
}
