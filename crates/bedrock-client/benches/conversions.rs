//! Converting a four-tool turn between the core types and the AWS SDK's, and
//! back, with the crate's public conversions (`bedrock_client::types`).
//!
//! The turn is Q2 of the reference work: the user's prompt, the assistant's
//! message with four `toolUse` blocks, the user's message with their four
//! JSON results, and the five reference tools on offer.
//!
//! - `request_to_sdk`: the whole [`ModelRequest`] → [`ConverseParts`] (every
//!   message, the tool config), what each model call does before the SDK
//!   serialises it (the exact-JSON interceptor's document list is not part
//!   of it: it is built in the backend);
//! - `assistant_to_sdk` / `assistant_from_sdk`: the four-`toolUse` message
//!   alone, each way (the response direction is what each reply costs);
//! - `round_trip`: core → SDK → core for the three messages.
//!
//! Run: `cargo bench -p bedrock-client --bench conversions`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use agent_core::{
    ContentBlock, InferenceConfig, Message, ModelRequest, Role, ToolResult, ToolResultContent,
    ToolUse,
};
use bedrock_client::types::{ConverseParts, SdkMessage};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::json;

fn four_tool_turn() -> ModelRequest {
    let calls = [
        ("get_weather", json!({"location": "Boston"})),
        ("get_weather", json!({"location": "Miami"})),
        (
            "calculate_distance",
            json!({"origin": "Boston", "destination": "Miami"}),
        ),
        (
            "search_restaurants",
            json!({"location": "Miami", "cuisine": "Italian"}),
        ),
    ];
    let outputs = [
        json!({"location": "Boston", "temperature": 12, "condition": "cloudy", "humidity": 71, "wind_speed": 18}),
        json!({"location": "Miami", "temperature": 29, "condition": "sunny", "humidity": 64, "wind_speed": 9}),
        json!({"origin": "Boston", "destination": "Miami", "distance_km": 2450, "estimated_time": "22 h"}),
        json!({"location": "Miami", "cuisine": "Italian", "restaurants": ["Casa Tua", "Sadelle's", "Carbone", "Fiola", "Il Gabbiano"]}),
    ];
    let uses: Vec<ToolUse> = calls
        .into_iter()
        .enumerate()
        .map(|(i, (name, input))| ToolUse {
            id: format!("tooluse_q2_{i}"),
            name: name.into(),
            input,
        })
        .collect();
    let results = uses
        .iter()
        .zip(outputs)
        .map(|(u, out)| {
            ContentBlock::ToolResult(ToolResult::success(&u.id, ToolResultContent::Json(out)))
        })
        .collect();
    let assistant = Message {
        role: Role::Assistant,
        content: std::iter::once(ContentBlock::Text {
            text: "I'll look all of that up at once.".into(),
        })
        .chain(uses.into_iter().map(ContentBlock::ToolUse))
        .collect(),
    };
    ModelRequest {
        system: Some("You are a helpful travel assistant.".into()),
        messages: vec![
            Message::user(
                "I'm planning a trip from Boston to Miami. Get the weather for both cities, \
                 calculate the distance, and find Italian restaurants in Miami.",
            ),
            assistant,
            Message {
                role: Role::User,
                content: results,
            },
        ],
        tools: agent_testkit::reference::tools().specs().cloned().collect(),
        inference: InferenceConfig::default(),
        ..Default::default()
    }
}

fn conversions(c: &mut Criterion) {
    let request = four_tool_turn();
    let assistant = request.messages[1].clone();
    let sdk_assistant = SdkMessage::try_from(&assistant).unwrap();
    // The conversion back must give the same message: the bench measures a
    // faithful round trip, not a lossy one.
    assert_eq!(Message::try_from(sdk_assistant.clone()).unwrap(), assistant);

    let mut group = c.benchmark_group("conversions_four_tool_turn");
    group.bench_function("request_to_sdk", |b| {
        b.iter(|| black_box(ConverseParts::try_from(black_box(&request)).unwrap()))
    });
    group.bench_function("assistant_to_sdk", |b| {
        b.iter(|| black_box(SdkMessage::try_from(black_box(&assistant)).unwrap()))
    });
    group.bench_function("assistant_from_sdk", |b| {
        b.iter_batched(
            || sdk_assistant.clone(),
            |m| black_box(Message::try_from(m).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("round_trip", |b| {
        b.iter(|| {
            for m in &request.messages {
                let sdk = SdkMessage::try_from(m).unwrap();
                black_box(Message::try_from(sdk).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, conversions);
criterion_main!(benches);
