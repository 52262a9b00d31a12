//! The stream's body: a [`ModelResponse`] as the chunks of a Chat
//! Completions stream (text in small deltas, each tool call opened with its
//! id and name then its arguments in pieces, the last call's arguments cut
//! short when the turn stops at `max_tokens`, usage last).

use agent_core::{ModelResponse, StopReason};

use mock_support::split::{cut_half, pieces, word_chunks};

use super::wire::{response_to_wire, stop_reason_to_wire};
use crate::wire::{ChatChunk, ChunkChoice, ChunkDelta, FunctionDelta, ToolCallDelta};

/// The stream's chunks, as data JSON, `[DONE]` last. Usage comes in its own
/// chunk when `include_usage` was asked.
pub(crate) fn chunks(
    response: &ModelResponse,
    id: &str,
    model: &str,
    created: u64,
    include_usage: bool,
) -> Vec<String> {
    let wire = response_to_wire(response, id, model, created);
    let chunk = |delta: ChunkDelta, finish_reason: Option<String>| ChatChunk {
        id: id.to_owned(),
        object: "chat.completion.chunk".into(),
        created,
        model: model.to_owned(),
        choices: vec![ChunkChoice {
            index: 0,
            delta,
            finish_reason,
        }],
        usage: None,
    };
    let mut out = vec![chunk(
        ChunkDelta {
            role: Some("assistant".into()),
            content: Some(String::new()),
            tool_calls: Vec::new(),
        },
        None,
    )];
    let Some(choice) = wire.choices.first() else {
        return Vec::new();
    };
    if let Some(text) = &choice.message.content {
        for piece in word_chunks(text, 3) {
            out.push(chunk(
                ChunkDelta {
                    content: Some(piece),
                    ..ChunkDelta::default()
                },
                None,
            ));
        }
    }
    let calls = &choice.message.tool_calls;
    let cut = response.stop_reason == StopReason::MaxTokens;
    for (index, call) in calls.iter().enumerate() {
        out.push(chunk(
            ChunkDelta {
                tool_calls: vec![ToolCallDelta {
                    index: Some(index),
                    id: Some(call.id.clone()),
                    kind: Some("function".into()),
                    function: Some(FunctionDelta {
                        name: Some(call.function.name.clone()),
                        arguments: Some(String::new()),
                    }),
                }],
                ..ChunkDelta::default()
            },
            None,
        ));
        let mut arguments = call.function.arguments.clone();
        if cut && index + 1 == calls.len() {
            arguments = cut_half(&arguments);
        }
        for piece in pieces(&arguments, 3) {
            out.push(chunk(
                ChunkDelta {
                    tool_calls: vec![ToolCallDelta {
                        index: Some(index),
                        function: Some(FunctionDelta {
                            name: None,
                            arguments: Some(piece),
                        }),
                        ..ToolCallDelta::default()
                    }],
                    ..ChunkDelta::default()
                },
                None,
            ));
        }
    }
    out.push(chunk(
        ChunkDelta::default(),
        Some(stop_reason_to_wire(&response.stop_reason)),
    ));
    if include_usage {
        out.push(ChatChunk {
            choices: Vec::new(),
            usage: wire.usage,
            ..chunk(ChunkDelta::default(), None)
        });
    }
    let mut data: Vec<String> = out
        .iter()
        .map(|c| serde_json::to_string(c).unwrap_or_default())
        .collect();
    data.push("[DONE]".into());
    data
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agent_core::{ContentBlock, Message, Role, StreamAccumulator, ToolUse, Usage};
    use serde_json::json;

    use super::*;
    use crate::stream::StreamDecoder;

    #[test]
    fn the_chunks_decode_back_to_the_response() {
        let response = ModelResponse {
            message: Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Text {
                        text: "Let me check both for you.".into(),
                    },
                    ContentBlock::ToolUse(ToolUse {
                        id: "tooluse_0_0".into(),
                        name: "get_weather".into(),
                        input: json!({"location": "New York"}),
                    }),
                    ContentBlock::ToolUse(ToolUse {
                        id: "tooluse_0_1".into(),
                        name: "get_stock_price".into(),
                        input: json!({"symbol": "AAPL"}),
                    }),
                ],
            },
            stop_reason: StopReason::ToolUse,
            usage: Usage {
                input_tokens: 40,
                output_tokens: 12,
            },
            latency: Duration::ZERO,
        };
        let mut decoder = StreamDecoder::default();
        let mut acc = StreamAccumulator::default();
        let data = chunks(&response, "chatcmpl-1", "m", 0, true);
        assert_eq!(data.last().unwrap(), "[DONE]");
        for d in data {
            for e in decoder.decode(&d).unwrap() {
                acc.push(e).unwrap();
            }
        }
        assert_eq!(acc.finish(Duration::ZERO).unwrap(), response);
    }
}
