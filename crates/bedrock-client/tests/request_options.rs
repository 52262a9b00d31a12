//! The request options end to end over the real AWS SDK and HTTP to the
//! local Converse server on 127.0.0.1: tool choice, prompt caching,
//! structured output, guardrails, pass-through fields. Asserts on what
//! crossed the wire.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use agent_core::{
    Agent, CachePoint, CacheSettings, CacheTtl, ContentBlock, Message,
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
    let list = |p: &str| r.body.pointer(p).and_then(Value::as_array).cloned().unwrap_or_default();
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
        vec![ScriptedTurn::text("Something nice."), ScriptedTurn::text("Sunny, and nice.")],
    );
    let server = MockServer::builder().scenarios([scenario]).start().await.unwrap();
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
        assert_eq!(tool_choice(&requests[0]), Some(&json!({"tool": {"name": "get_weather"}})));
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
    for (choice, wire) in [(ToolChoice::Any, json!({"any": {}})), (ToolChoice::Auto, json!({"auto": {}}))] {
        server.clear_requests();
        let agent = builder(backend(&server).await, false).tool_choice(choice).build().unwrap();
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
    let q2 = reference::queries().into_iter().find(|q| q.name == "Q2").unwrap();
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
        let tools = requests[0].body["toolConfig"]["tools"].as_array().unwrap().len();
        for (r, last) in [(&requests[0], 0), (&requests[1], 2)] {
            let points = cache_points(r);
            let blocks = r.body["messages"][last]["content"].as_array().unwrap().len();
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
        assert_eq!(requests[0].body["system"][1], json!({"cachePoint": {"type": "default"}}));
        // The first call writes the prefix, the second reads it.
        let turns = &run.metrics.turns;
        assert_eq!(turns[0].usage.cache_read_input_tokens, 0);
        assert!(turns[0].usage.cache_write_input_tokens > 0);
        assert_eq!(
            turns[1].usage.cache_read_input_tokens,
            turns[0].usage.cache_write_input_tokens,
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
    let server = MockServer::builder().scenarios([any]).start().await.unwrap();
    let backend = backend(&server).await;
    // Two explicit points in the messages leave room for two automatic
    // ones: within the limit.
    let mut request = first_request("What's the weather in Paris?");
    let point = ContentBlock::CachePoint(CachePoint::default());
    request.messages[0].content.insert(0, Message::user("Context.").content[0].clone());
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
        e.message.contains("A maximum of 4 blocks with cache_control may be provided. Found 5."),
        "{e}"
    );
    // A 1-hour point after a 5-minute one.
    let mut request = first_request("What's the weather in Paris?");
    request.cache = Some(CacheSettings::auto());
    request.messages[0].content.push(ContentBlock::CachePoint(CachePoint {
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
