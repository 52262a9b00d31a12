//! The stream's body: a [`ModelResponse`] as the server-sent events the
//! Messages API sends (text in small deltas, tool input JSON in pieces, a
//! tool input cut short when the turn stops at `max_tokens`).

use agent_core::{ModelResponse, StopReason};
use mock_support::split::{cut_half, pieces, word_chunks};
use serde_json::json;

use super::wire::{
    Delta, DeltaUsage, Event, Message, MessageDelta, OutputBlock, Usage, output_blocks, stop_reason,
};

/// The stream's events, as (event name, data JSON).
pub(crate) fn events(response: &ModelResponse, id: &str, model: &str) -> Vec<(String, String)> {
    let blocks = output_blocks(response);
    let mut events = vec![
        Event::MessageStart {
            message: Message {
                id: id.to_owned(),
                kind: "message",
                role: "assistant",
                content: Vec::new(),
                model: model.to_owned(),
                stop_reason: None,
                stop_sequence: None,
                usage: Usage::of(&response.usage, 1),
            },
        },
        Event::Ping,
    ];
    let last = blocks.len().saturating_sub(1);
    let cut = response.stop_reason == StopReason::MaxTokens;
    for (index, block) in blocks.into_iter().enumerate() {
        match block {
            OutputBlock::Text { text } => {
                events.push(Event::ContentBlockStart {
                    index,
                    content_block: OutputBlock::Text {
                        text: String::new(),
                    },
                });
                for text in word_chunks(&text, 3) {
                    events.push(Event::ContentBlockDelta {
                        index,
                        delta: Delta::TextDelta { text },
                    });
                }
            }
            OutputBlock::Thinking {
                thinking,
                signature,
            } => {
                events.push(Event::ContentBlockStart {
                    index,
                    content_block: OutputBlock::Thinking {
                        thinking: String::new(),
                        signature: String::new(),
                    },
                });
                for thinking in word_chunks(&thinking, 3) {
                    events.push(Event::ContentBlockDelta {
                        index,
                        delta: Delta::ThinkingDelta { thinking },
                    });
                }
                events.push(Event::ContentBlockDelta {
                    index,
                    delta: Delta::SignatureDelta { signature },
                });
            }
            OutputBlock::RedactedThinking { data } => {
                events.push(Event::ContentBlockStart {
                    index,
                    content_block: OutputBlock::RedactedThinking { data },
                });
            }
            OutputBlock::ToolUse { id, name, input } => {
                events.push(Event::ContentBlockStart {
                    index,
                    content_block: OutputBlock::ToolUse {
                        id,
                        name,
                        input: json!({}),
                    },
                });
                let mut json = input.to_string();
                if cut && index == last {
                    json = cut_half(&json);
                }
                for partial_json in pieces(&json, 3) {
                    events.push(Event::ContentBlockDelta {
                        index,
                        delta: Delta::InputJsonDelta { partial_json },
                    });
                }
            }
        }
        events.push(Event::ContentBlockStop { index });
    }
    events.push(Event::MessageDelta {
        delta: MessageDelta {
            stop_reason: stop_reason(&response.stop_reason),
            stop_sequence: None,
        },
        usage: DeltaUsage {
            output_tokens: response.usage.output_tokens,
        },
    });
    events.push(Event::MessageStop);
    events
        .into_iter()
        .map(|e| {
            let data = serde_json::to_string(&e).unwrap_or_default();
            (e.name().to_owned(), data)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agent_core::{ContentBlock, Message as CoreMessage, Role, ToolUse, Usage};
    use serde_json::Value;

    use super::*;

    fn response(stop: StopReason) -> ModelResponse {
        ModelResponse {
            message: CoreMessage {
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
            stop_reason: stop,
            usage: Usage {
                input_tokens: 40,
                output_tokens: 12,
                ..Default::default()
            },
            latency: Duration::ZERO,
            model_fields: None,
        }
    }

    /// The text deltas and the tool input's pieces, joined.
    fn joined(events: &[(String, String)]) -> (String, String) {
        let (mut text, mut input) = (String::new(), String::new());
        for (name, data) in events {
            let data: Value = serde_json::from_str(data).unwrap();
            assert_eq!(
                data["type"],
                name.as_str(),
                "the event is named as its type"
            );
            let delta = &data["delta"];
            match delta["type"].as_str() {
                Some("text_delta") => text.push_str(delta["text"].as_str().unwrap()),
                Some("input_json_delta") => input.push_str(delta["partial_json"].as_str().unwrap()),
                _ => {}
            }
        }
        (text, input)
    }

    #[test]
    fn the_events_carry_the_text_and_the_input_in_pieces() {
        let evs = events(&response(StopReason::ToolUse), "msg_1", "m");
        let names: Vec<_> = evs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[..3], ["message_start", "ping", "content_block_start"]);
        assert_eq!(names[names.len() - 2..], ["message_delta", "message_stop"]);
        let (text, input) = joined(&evs);
        assert_eq!(text, "Let me check the weather for you.");
        assert_eq!(input, r#"{"location":"New York"}"#);
        let (_, cut) = joined(&events(&response(StopReason::MaxTokens), "msg_1", "m"));
        assert!(cut.len() < input.len() && input.starts_with(&cut), "{cut}");
    }
}
