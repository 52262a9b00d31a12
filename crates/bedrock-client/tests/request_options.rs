//! The request options end to end over the real AWS SDK and HTTP to the
//! local Converse server on 127.0.0.1: tool choice, prompt caching,
//! structured output, guardrails, pass-through fields. Asserts on what
//! crossed the wire.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use agent_core::{
    Agent, AgentErrorKind, CachePoint, CacheSettings, CacheTtl, ContentBlock, Message,
    ModelBackend, ModelErrorKind, ToolChoice,
};
use agent_testkit::{Scenario, ScriptedTurn, reference};
use bedrock_client::mock::{MockServer, RecordedRequest};
use common::{backend, fast_tools, first_request, tiny_backoff};
use serde_json::{Value, json};

fn builder(backend: bedrock_client::BedrockBackend, streaming: bool) -> agent_core::AgentBuilder {
    Agent::builder()
        .backend(Arc::new(backend))
        .tools(fast_tools())
        .system("You are a helpful assistant.")
        .streaming(streaming)
        .model_retry(tiny_backoff())
}

fn tool_choice(r: &RecordedRequest) -> Option<&Value> {
    r.body.pointer("/toolConfig/toolChoice")
}

/// Every cache point of a recorded request, where it is.
fn cache_points(r: &RecordedRequest) -> Vec<String> {
    let mut at = Vec::new();
    let list = |p: &str| {
        r.body
            .pointer(p)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for (i, t) in list("/toolConfig/tools").iter().enumerate() {
        if t.get("cachePoint").is_some() {
            at.push(format!("tools.{i}"));
        }
    }
    for (i, s) in list("/system").iter().enumerate() {
        if s.get("cachePoint").is_some() {
            at.push(format!("system.{i}"));
        }
    }
    for (m, message) in list("/messages").iter().enumerate() {
        for (b, block) in message["content"].as_array().unwrap().iter().enumerate() {
            if block.get("cachePoint").is_some() {
                at.push(format!("messages.{m}.{b}"));
            }
        }
    }
    at
}

#[tokio::test]
async fn a_forced_tool_choice_applies_to_the_first_call_only() {
    // The model, left alone, would answer at once: the forced choice makes
    // it call get_weather first (with an input valid against its schema).
    let scenario = Scenario::new(
        "chatty",
        Some("Tell me something nice."),
        vec![
            ScriptedTurn::text("Something nice."),
            ScriptedTurn::text("Sunny, and nice."),
        ],
    );
    let server = MockServer::builder()
        .scenarios([scenario])
        .start()
        .await
        .unwrap();
    for streaming in [false, true] {
        server.clear_requests();
        let agent = builder(backend(&server).await, streaming)
            .tool_choice(ToolChoice::Tool("get_weather".into()))
            .build()
            .unwrap();
        let run = agent.run("Tell me something nice.").await.unwrap();
        assert_eq!(run.answer, "Sunny, and nice.");
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "streaming {streaming}");
        assert_eq!(
            tool_choice(&requests[0]),
            Some(&json!({"tool": {"name": "get_weather"}}))
        );
        assert_eq!(tool_choice(&requests[1]), None, "forced on call one only");
        let call = run.messages[1].tool_uses().next().unwrap();
        assert_eq!(call.name, "get_weather");
        assert_eq!(call.input, json!({"location": "x"}));
        // A second run on the same agent is forced again, on its first call.
        server.clear_requests();
        agent.run("Tell me something nice.").await.unwrap();
        assert!(tool_choice(&server.requests()[0]).is_some());
    }
    // `any` and `auto` as Bedrock spells them.
    for (choice, wire) in [
        (ToolChoice::Any, json!({"any": {}})),
        (ToolChoice::Auto, json!({"auto": {}})),
    ] {
        server.clear_requests();
        let agent = builder(backend(&server).await, false)
            .tool_choice(choice)
            .build()
            .unwrap();
        agent.run("Tell me something nice.").await.unwrap();
        assert_eq!(tool_choice(&server.requests()[0]), Some(&wire));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_choice_naming_an_unknown_tool_is_refused_as_bedrock_refuses_it() {
    let server = MockServer::builder().start().await.unwrap();
    let backend = backend(&server).await;
    let mut request = first_request("What's the weather in Paris?");
    request.tool_choice = Some(ToolChoice::Tool("get_horoscope".into()));
    let e = backend.converse(&request).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(e.message.contains("get_horoscope"), "{e}");
    // The builder refuses it before any request.
    let e = Agent::builder()
        .backend(Arc::new(backend))
        .tools(fast_tools())
        .tool_choice(ToolChoice::Tool("get_horoscope".into()))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("get_horoscope"), "{e}");
    server.shutdown().await;
}

#[tokio::test]
async fn q2_with_caching_marks_tools_system_and_the_latest_turn_and_reads_on_the_second_call() {
    let server = MockServer::builder().start().await.unwrap();
    let q2 = reference::queries()
        .into_iter()
        .find(|q| q.name == "Q2")
        .unwrap();
    for streaming in [false, true] {
        // A server of its own per mode: the cache is the server's.
        let server = MockServer::builder().start().await.unwrap();
        let agent = builder(backend(&server).await, streaming)
            .cache(Some(CacheSettings::auto()))
            .build()
            .unwrap();
        let run = agent.run(q2.prompt.as_deref().unwrap()).await.unwrap();
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        let tools = requests[0].body["toolConfig"]["tools"]
            .as_array()
            .unwrap()
            .len();
        for (r, last) in [(&requests[0], 0), (&requests[1], 2)] {
            let points = cache_points(r);
            let blocks = r.body["messages"][last]["content"]
                .as_array()
                .unwrap()
                .len();
            assert_eq!(
                points,
                [
                    format!("tools.{}", tools - 1),
                    "system.1".to_owned(),
                    format!("messages.{last}.{}", blocks - 1)
                ]
            );
            assert!(points.len() <= 4);
        }
        assert_eq!(
            requests[0].body["system"][1],
            json!({"cachePoint": {"type": "default"}})
        );
        // The first call writes the prefix, the second reads it.
        let turns = &run.metrics.turns;
        assert_eq!(turns[0].usage.cache_read_input_tokens, 0);
        assert!(turns[0].usage.cache_write_input_tokens > 0);
        assert_eq!(
            turns[1].usage.cache_read_input_tokens, turns[0].usage.cache_write_input_tokens,
            "streaming {streaming}"
        );
        assert!(turns[1].usage.cache_write_input_tokens > 0);
        assert_eq!(
            run.metrics.usage.cache_read_input_tokens,
            turns[1].usage.cache_read_input_tokens
        );
        server.shutdown().await;
    }
    // Without caching: no cache point, no cache figures.
    let agent = builder(backend(&server).await, false).build().unwrap();
    let run = agent.run(q2.prompt.as_deref().unwrap()).await.unwrap();
    assert!(server.requests().iter().all(|r| cache_points(r).is_empty()));
    assert_eq!(run.metrics.usage.cache_read_input_tokens, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn cache_points_past_the_limit_or_out_of_ttl_order_are_refused() {
    let any = Scenario::new("any", None, vec![ScriptedTurn::text("Fine.")]);
    let server = MockServer::builder()
        .scenarios([any])
        .start()
        .await
        .unwrap();
    let backend = backend(&server).await;
    // Two explicit points in the messages leave room for two automatic
    // ones: within the limit.
    let mut request = first_request("What's the weather in Paris?");
    let point = ContentBlock::CachePoint(CachePoint::default());
    request.messages[0]
        .content
        .insert(0, Message::user("Context.").content[0].clone());
    request.messages[0].content.insert(1, point.clone());
    request.messages[0].content.push(point.clone());
    request.cache = Some(CacheSettings::auto());
    backend.converse(&request).await.unwrap();
    assert_eq!(cache_points(&server.requests()[0]).len(), 4);
    // Five explicit points: the service's own error.
    request.cache = None;
    request.messages[0].content = vec![
        Message::user("a").content[0].clone(),
        point.clone(),
        Message::user("b").content[0].clone(),
        point.clone(),
        Message::user("c").content[0].clone(),
        point.clone(),
        Message::user("d").content[0].clone(),
        point.clone(),
        Message::user("e").content[0].clone(),
        point.clone(),
    ];
    let e = backend.converse(&request).await.unwrap_err();
    assert_eq!(e.kind, ModelErrorKind::Validation);
    assert!(
        e.message
            .contains("A maximum of 4 blocks with cache_control may be provided. Found 5."),
        "{e}"
    );
    // A 1-hour point after a 5-minute one.
    let mut request = first_request("What's the weather in Paris?");
    request.cache = Some(CacheSettings::auto());
    request.messages[0]
        .content
        .push(ContentBlock::CachePoint(CachePoint {
            ttl: Some(CacheTtl::OneHour),
        }));
    let e = backend.converse(&request).await.unwrap_err();
    assert!(e.message.contains("ttl='1h'"), "{e}");
    // The TTL goes on the wire as Bedrock spells it.
    request.cache = Some(CacheSettings::with_ttl(CacheTtl::OneHour));
    server.clear_requests();
    backend.converse(&request).await.unwrap();
    assert_eq!(
        server.requests()[0].body["system"][1],
        json!({"cachePoint": {"type": "default", "ttl": "1h"}})
    );
    server.shutdown().await;
}

mod structured {
    use super::*;
    use agent_core::{OutputSchema, RunOptions};
    use serde::Deserialize;

    /// An enum, an array, a nested object (a reference in schemars'
    /// schema) and an optional field.
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

    const PROMPT: &str = "Plan my trip.";

    fn answer(input: Value) -> ScriptedTurn {
        ScriptedTurn {
            tool_calls: vec![agent_testkit::ScriptedCall {
                name: "final_answer".into(),
                input,
            }],
            ..ScriptedTurn::default()
        }
    }

    #[tokio::test]
    async fn an_answer_without_the_tool_is_forced_and_an_invalid_one_repaired() {
        let schemars_schema = serde_json::to_string(&schemars::schema_for!(Trip)).unwrap();
        assert!(schemars_schema.contains("$ref"), "{schemars_schema}");
        let scenario = Scenario::new(
            "trip",
            Some(PROMPT),
            vec![
                ScriptedTurn::text("Paris, then Lyon."),
                answer(json!({"mood": "relaxed", "stops": ["Lyon"], "place": {"city": "Paris"}})),
                answer(
                    json!({"mood": "calm", "stops": ["Lyon", "Nice"], "place": {"city": "Paris", "days": 3}}),
                ),
            ],
        );
        let server = MockServer::builder()
            .scenarios([scenario])
            .start()
            .await
            .unwrap();
        for streaming in [false, true] {
            server.clear_requests();
            let agent = builder(backend(&server).await, streaming).build().unwrap();
            let (trip, run) = agent.run_structured::<Trip>(PROMPT).await.unwrap();
            assert_eq!(
                trip,
                Trip {
                    mood: Mood::Calm,
                    stops: vec!["Lyon".into(), "Nice".into()],
                    place: Place {
                        city: "Paris".into(),
                        days: 3
                    },
                    note: None,
                }
            );
            assert_eq!(run.output.as_ref().unwrap()["place"]["days"], 3);
            let requests = server.requests();
            assert_eq!(requests.len(), 3, "streaming {streaming}");
            // The output tool is offered with the normalised schema (the
            // `$ref`s inlined), and forced only once the model needs it.
            let tools = requests[0].body["toolConfig"]["tools"].as_array().unwrap();
            let output = tools.last().unwrap();
            assert_eq!(output["toolSpec"]["name"], "final_answer");
            assert!(!output.to_string().contains("$ref"), "{output}");
            assert_eq!(tool_choice(&requests[0]), None);
            let forced = json!({"tool": {"name": "final_answer"}});
            assert_eq!(tool_choice(&requests[1]), Some(&forced));
            assert_eq!(tool_choice(&requests[2]), Some(&forced));
            // The validation error went back as the call's error result.
            let messages = requests[2].body["messages"].as_array().unwrap();
            let result = &messages.last().unwrap()["content"][0]["toolResult"];
            assert_eq!(result["status"], "error");
            let text = result["content"][0]["text"].as_str().unwrap();
            assert!(text.contains("/mood") && text.contains("relaxed"), "{text}");
            // Every call answered: the conversation can go on.
            agent_testkit::validate_conversation(&agent_core::ModelRequest {
                messages: run.messages.clone(),
                tools: vec![tool_api::ToolSpec::new(
                    "final_answer",
                    "",
                    json!({"type": "object"}),
                )],
                ..Default::default()
            })
            .unwrap();
        }
        server.shutdown().await;
    }

    #[tokio::test]
    async fn answers_still_invalid_after_the_repairs_fail_clearly() {
        let bad = json!({"mood": "calm", "stops": "Lyon", "place": {"city": "Paris", "days": 1}});
        let scenario = Scenario::new(
            "stubborn",
            Some(PROMPT),
            vec![
                answer(bad.clone()),
                answer(bad.clone()),
                answer(bad.clone()),
                answer(bad),
            ],
        );
        let server = MockServer::builder()
            .scenarios([scenario])
            .start()
            .await
            .unwrap();
        let agent = builder(backend(&server).await, true).build().unwrap();
        let e = agent.run_structured::<Trip>(PROMPT).await.unwrap_err();
        match &e.kind {
            AgentErrorKind::InvalidOutput { attempts, error } => {
                assert_eq!(*attempts, 3, "one answer and two repairs");
                assert!(error.contains("/stops: expected array"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            e.to_string()
                .contains("not valid against the output schema"),
            "{e}"
        );
        assert_eq!(server.requests().len(), 3);
        server.shutdown().await;
    }

    #[tokio::test]
    async fn a_model_forced_to_answer_writes_a_value_valid_against_the_schema() {
        // The scenario never calls the output tool: forced, the local
        // server answers as a model must, with a valid input.
        let scenario = Scenario::new("mute", Some(PROMPT), vec![ScriptedTurn::text("Paris.")]);
        let server = MockServer::builder()
            .scenarios([scenario])
            .start()
            .await
            .unwrap();
        let agent = builder(backend(&server).await, false).build().unwrap();
        let schema = OutputSchema::new(json!({
            "type": "object",
            "properties": {"city": {"$ref": "#/$defs/City"}, "days": {"type": "integer", "minimum": 2}},
            "required": ["city", "days"],
            "$defs": {"City": {"type": "string", "enum": ["Paris", "Lyon"]}}
        }))
        .unwrap();
        let options = RunOptions::new().with_output_schema(schema.clone());
        let mut conversation = agent_core::Conversation::new();
        let run = agent
            .send(&mut conversation, PROMPT, options)
            .await
            .unwrap();
        let output = run.output.unwrap();
        assert_eq!(output, json!({"city": "Paris", "days": 2}));
        assert_eq!(tool_api::schema::validate(schema.schema(), &output), Ok(()));
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_guardrail_intervention_ends_the_run_with_a_valid_conversation() {
    let prompt = "Tell me how to pick a lock.";
    let blocked = ScriptedTurn {
        text: Some("Sorry, the model cannot answer this.".into()),
        tool_calls: vec![agent_testkit::ScriptedCall {
            name: "get_weather".into(),
            input: json!({"location": "Paris"}),
        }],
        stop: Some(agent_core::StopReason::GuardrailIntervened),
    };
    let scenario = Scenario::new(
        "blocked",
        Some(prompt),
        vec![
            ScriptedTurn::tools([("get_weather", json!({"location": "Paris"}))]),
            blocked,
        ],
    );
    let server = MockServer::builder()
        .scenarios([scenario])
        .start()
        .await
        .unwrap();
    for streaming in [false, true] {
        server.clear_requests();
        let mut guardrail = agent_core::Guardrail::parse("gr-abc123:2").unwrap();
        guardrail.trace = true;
        let agent = builder(backend(&server).await, streaming)
            .guardrail(guardrail)
            .build()
            .unwrap();
        let e = agent.run(prompt).await.unwrap_err();
        assert_eq!(
            e.kind,
            AgentErrorKind::GuardrailIntervened {
                message: "Sorry, the model cannot answer this.".into()
            }
        );
        assert!(e.to_string().contains("guardrail intervened"), "{e}");
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        let config = &requests[0].body["guardrailConfig"];
        assert_eq!(config["guardrailIdentifier"], "gr-abc123");
        assert_eq!(config["guardrailVersion"], "2");
        assert_eq!(config["trace"], "enabled");
        // The blocked message's tool call is dropped: nothing dangles.
        let last = e.run.messages.last().unwrap();
        assert_eq!(last.tool_uses().count(), 0);
        assert_eq!(last.text(), "Sorry, the model cannot answer this.");
        agent_testkit::validate_conversation(&agent_core::ModelRequest {
            messages: e.run.messages.clone(),
            tools: common::reference_specs(),
            ..Default::default()
        })
        .unwrap();
    }
    // Without a guardrail configured, nothing intervenes.
    let agent = builder(backend(&server).await, false).build().unwrap();
    assert!(agent.run(prompt).await.is_ok());
    server.shutdown().await;
}

#[tokio::test]
async fn pass_through_fields_go_out_and_response_fields_come_back() {
    let server = MockServer::builder().start().await.unwrap();
    let q1 = reference::queries()
        .into_iter()
        .find(|q| q.name == "Q1")
        .unwrap();
    for streaming in [false, true] {
        server.clear_requests();
        let agent = builder(backend(&server).await, streaming)
            .model_field("top_k", json!(200))
            .model_field(
                "anthropic_beta",
                json!(["token-efficient-tools-2025-02-19"]),
            )
            .response_field_path("/stop_sequence")
            .build()
            .unwrap();
        let run = agent.run(q1.prompt.as_deref().unwrap()).await.unwrap();
        let first = &server.requests()[0];
        assert_eq!(
            first.body["additionalModelRequestFields"],
            json!({"top_k": 200, "anthropic_beta": ["token-efficient-tools-2025-02-19"]})
        );
        // Exactly as built, key order included.
        let raw = String::from_utf8_lossy(&first.raw_body).into_owned();
        assert!(
            raw.contains(r#""additionalModelRequestFields":{"top_k":200,"anthropic_beta""#),
            "{raw}"
        );
        assert_eq!(
            first.body["additionalModelResponseFieldPaths"],
            json!(["/stop_sequence"])
        );
        assert_eq!(
            run.model_fields,
            Some(json!({"stop_sequence": null})),
            "streaming {streaming}"
        );
    }
    server.shutdown().await;
}
