//! The stream's body: a [`ModelResponse`] as the server-sent events the
//! Messages API sends (text in small deltas, tool input JSON in pieces, a
//! tool input cut short when the turn stops at `max_tokens`).

use agent_core::{ModelResponse, StopReason};
use mock_support::split::{cut_half, pieces, word_chunks};
use serde_json::json;

use super::wire::{response_to_wire, stop_reason_to_wire};
use crate::wire::{
    Block, Delta, DeltaUsage, MessageDeltaBody, MessagesResponse, StreamEvent, WireUsage,
};

/// The stream's events, as (event name, data JSON).
pub(crate) fn events(response: &ModelResponse, id: &str, model: &str) -> Vec<(String, String)> {
    let wire = response_to_wire(response, id, model);
    let mut events = vec![StreamEvent::MessageStart {
        message: MessagesResponse {
            content: Vec::new(),
            stop_reason: None,
            usage: WireUsage {
                output_tokens: 1,
                ..wire.usage
            },
            ..wire.clone()
        },
    }];
    events.push(StreamEvent::Ping);
    let last = wire.content.len().saturating_sub(1);
    let cut = response.stop_reason == StopReason::MaxTokens;
    for (index, block) in wire.content.iter().enumerate() {
        match block {
            Block::Text { text } => {
                events.push(StreamEvent::ContentBlockStart {
                    index,
                    content_block: Block::Text {
                        text: String::new(),
                    },
                });
                for text in word_chunks(text, 3) {
                    events.push(StreamEvent::ContentBlockDelta {
                        index,
                        delta: Delta::TextDelta { text },
                    });
                }
            }
            Block::ToolUse { id, name, input } => {
                events.push(StreamEvent::ContentBlockStart {
                    index,
                    content_block: Block::ToolUse {
                        id: id.clone(),
                        name: name.clone(),
                        input: json!({}),
                    },
                });
                let mut json = input.to_string();
                if cut && index == last {
                    json = cut_half(&json);
                }
                for partial_json in pieces(&json, 3) {
                    events.push(StreamEvent::ContentBlockDelta {
                        index,
                        delta: Delta::InputJsonDelta { partial_json },
                    });
                }
            }
            Block::ToolResult { .. } | Block::Other => continue,
        }
        events.push(StreamEvent::ContentBlockStop { index });
    }
    events.push(StreamEvent::MessageDelta {
        delta: MessageDeltaBody {
            stop_reason: Some(stop_reason_to_wire(&response.stop_reason)),
            stop_sequence: None,
        },
        usage: DeltaUsage {
            output_tokens: wire.usage.output_tokens,
            input_tokens: None,
        },
    });
    events.push(StreamEvent::MessageStop);
    events
        .into_iter()
        .map(|e| {
            let data = serde_json::to_value(&e).unwrap_or_default();
            let name = data
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or("unknown")
                .to_owned();
            (name, data.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agent_core::{ContentBlock, Message, Role, StreamAccumulator, ToolUse, Usage};

    use super::*;
    use crate::stream::StreamDecoder;

    #[test]
    fn the_events_decode_back_to_the_response() {
        let response = ModelResponse {
            message: Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Text {
                        text: "Let me check the weather for you.".into(),
                    },
                    ContentBlock::ToolUse(ToolUse {
                        id: "tooluse_0_0".into(),
                        name: "get_weather".into(),
                        input: json!({"location": "New York"}),
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
        let evs = events(&response, "msg_1", "m");
        assert_eq!(evs[0].0, "message_start");
        assert_eq!(evs.last().unwrap().0, "message_stop");
        for (_, data) in evs {
            for e in decoder.decode(&data).unwrap() {
                acc.push(e).unwrap();
            }
        }
        assert_eq!(acc.finish(Duration::ZERO).unwrap(), response);
    }
}
