//! [`ModelEvent`]: a streamed response, piece by piece, and
//! [`StreamAccumulator`], which assembles the pieces into a [`ModelResponse`].
//!
//! The events follow the Converse stream (which the Anthropic stream matches
//! and the OpenAI stream maps onto by index): blocks open, receive deltas and
//! close; a message stop carries the stop reason; usage may arrive after it.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    Blob, ContentBlock, Message, ModelError, ModelResponse, Reasoning, Role, StopReason, ToolUse,
    Usage,
};

/// One event of a streamed response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ModelEvent {
    /// The response starts.
    MessageStart,
    /// A tool-use block opens at `index`; its input follows as JSON deltas.
    ToolUseStart {
        /// The block's index in the message.
        index: usize,
        /// The call's id.
        id: String,
        /// The tool's name.
        name: String,
    },
    /// Text for the text block at `index` (opened implicitly).
    TextDelta {
        /// The block's index.
        index: usize,
        /// The new text.
        text: String,
    },
    /// Reasoning text for the reasoning block at `index` (opened
    /// implicitly).
    ReasoningDelta {
        /// The block's index.
        index: usize,
        /// The new reasoning text.
        text: String,
    },
    /// (A piece of) the signature of the reasoning block at `index`.
    ReasoningSignature {
        /// The block's index.
        index: usize,
        /// The signature text, appended as it comes.
        signature: String,
    },
    /// Redacted (encrypted) reasoning for the block at `index`.
    RedactedReasoning {
        /// The block's index.
        index: usize,
        /// The opaque bytes, appended as they come.
        data: Blob,
    },
    /// A piece of a tool call's input JSON, for the block at `index`.
    ToolInputDelta {
        /// The block's index.
        index: usize,
        /// The next piece of the JSON text.
        json: String,
    },
    /// The block at `index` is complete.
    BlockStop {
        /// The block's index.
        index: usize,
    },
    /// The message is complete.
    MessageStop {
        /// Why the model stopped.
        stop_reason: StopReason,
    },
    /// The model-specific response fields asked for with
    /// [`crate::ModelRequest::response_field_paths`] (with or after
    /// `MessageStop`).
    ModelFields {
        /// The fields, as the service returned them.
        fields: Value,
    },
    /// Token usage and latency (may come after `MessageStop`).
    Metadata {
        /// Tokens used.
        usage: Usage,
        /// Latency reported by the service, if any.
        latency: Option<Duration>,
    },
}

#[derive(Debug)]
enum Partial {
    Text(String),
    Reasoning {
        text: String,
        signature: Option<String>,
    },
    Redacted(Vec<u8>),
    Tool {
        id: String,
        name: String,
        json: String,
        /// `json` parsed once its block was complete (eager start), so
        /// [`StreamAccumulator::finish`] does not parse it again.
        parsed: Option<Value>,
    },
}

/// Assembles streamed [`ModelEvent`]s into a [`ModelResponse`].
///
/// A plain state struct, so every backend's streaming is testable without a
/// network: feed it events, then [`StreamAccumulator::finish`].
///
/// ```
/// use agent_core::{ModelEvent, StopReason, StreamAccumulator};
///
/// let mut acc = StreamAccumulator::default();
/// acc.push(ModelEvent::TextDelta { index: 0, text: "Hel".into() }).unwrap();
/// acc.push(ModelEvent::TextDelta { index: 0, text: "lo".into() }).unwrap();
/// acc.push(ModelEvent::MessageStop { stop_reason: StopReason::EndTurn }).unwrap();
/// let response = acc.finish(std::time::Duration::ZERO).unwrap();
/// assert_eq!(response.message.text(), "Hello");
/// ```
#[derive(Debug, Default)]
pub struct StreamAccumulator {
    blocks: Vec<(usize, Partial)>,
    stop_reason: Option<StopReason>,
    usage: Usage,
    latency: Option<Duration>,
    model_fields: Option<Value>,
}

impl StreamAccumulator {
    /// Takes one event; an event that contradicts the stream so far is a
    /// [`ModelErrorKind::Protocol`](crate::ModelErrorKind::Protocol).
    pub fn push(&mut self, event: ModelEvent) -> Result<(), ModelError> {
        match event {
            ModelEvent::MessageStart | ModelEvent::BlockStop { .. } => {}
            ModelEvent::ModelFields { fields } => self.model_fields = Some(fields),
            ModelEvent::ToolUseStart { index, id, name } => {
                if self.block_mut(index).is_some() {
                    return Err(ModelError::protocol(format!(
                        "stream opened block {index} twice"
                    )));
                }
                self.blocks.push((
                    index,
                    Partial::Tool {
                        id,
                        name,
                        json: String::new(),
                        parsed: None,
                    },
                ));
            }
            ModelEvent::TextDelta { index, text } => match self.block_mut(index) {
                Some(Partial::Text(t)) => t.push_str(&text),
                Some(_) => return Err(Self::mismatch("text", index)),
                None => self.blocks.push((index, Partial::Text(text))),
            },
            ModelEvent::ReasoningDelta { index, text } => match self.block_mut(index) {
                Some(Partial::Reasoning { text: t, .. }) => t.push_str(&text),
                Some(_) => return Err(Self::mismatch("reasoning", index)),
                None => self.blocks.push((
                    index,
                    Partial::Reasoning {
                        text,
                        signature: None,
                    },
                )),
            },
            ModelEvent::ReasoningSignature { index, signature } => match self.block_mut(index) {
                Some(Partial::Reasoning { signature: s, .. }) => {
                    s.get_or_insert_with(String::new).push_str(&signature)
                }
                Some(_) => return Err(Self::mismatch("a reasoning signature", index)),
                // A signature may open the block (reasoning of no text).
                None => self.blocks.push((
                    index,
                    Partial::Reasoning {
                        text: String::new(),
                        signature: Some(signature),
                    },
                )),
            },
            ModelEvent::RedactedReasoning { index, data } => match self.block_mut(index) {
                Some(Partial::Redacted(d)) => d.extend_from_slice(&data),
                Some(_) => return Err(Self::mismatch("redacted reasoning", index)),
                None => self.blocks.push((index, Partial::Redacted(data.to_vec()))),
            },
            ModelEvent::ToolInputDelta { index, json } => match self.block_mut(index) {
                Some(Partial::Tool {
                    json: j, parsed, ..
                }) => {
                    // Input after a parse (a stream that sent more after the
                    // block's stop): the parse no longer holds.
                    *parsed = None;
                    j.push_str(&json);
                }
                _ => {
                    return Err(ModelError::protocol(format!(
                        "stream sent tool input for block {index}, which is not a tool-use block"
                    )));
                }
            },
            ModelEvent::MessageStop { stop_reason } => self.stop_reason = Some(stop_reason),
            ModelEvent::Metadata { usage, latency } => {
                self.usage = usage;
                self.latency = latency.or(self.latency);
            }
        }
        Ok(())
    }

    /// The tool call of block `index` as the stream has it so far, if that
    /// block is a tool-use block whose input is (already) a complete JSON
    /// object: what eager start runs once the block is complete. The input
    /// parsed here is kept, so [`StreamAccumulator::finish`] reuses it
    /// rather than parse it again (call this once the block is complete:
    /// later deltas to it are a protocol error anyway).
    pub fn tool_use(&mut self, index: usize) -> Option<ToolUse> {
        let (
            _,
            Partial::Tool {
                id,
                name,
                json,
                parsed,
            },
        ) = self.blocks.iter_mut().rev().find(|(i, _)| *i == index)?
        else {
            return None;
        };
        let input = match parsed {
            Some(input) => input.clone(),
            None => {
                let input = if json.trim().is_empty() {
                    Value::Object(Default::default())
                } else {
                    serde_json::from_str::<Value>(json)
                        .ok()
                        .filter(Value::is_object)?
                };
                *parsed = Some(input.clone());
                input
            }
        };
        Some(ToolUse {
            id: id.clone(),
            name: name.clone(),
            input,
        })
    }

    fn mismatch(what: &str, index: usize) -> ModelError {
        ModelError::protocol(format!(
            "stream sent {what} into block {index}, which is another kind of block"
        ))
    }

    fn block_mut(&mut self, index: usize) -> Option<&mut Partial> {
        self.blocks
            .iter_mut()
            .rev()
            .find(|(i, _)| *i == index)
            .map(|(_, b)| b)
    }

    /// The assembled response; `measured` is used when the service reported
    /// no latency. A stream that ended without a stop is an error (retryable:
    /// the connection was most likely cut).
    pub fn finish(mut self, measured: Duration) -> Result<ModelResponse, ModelError> {
        let Some(stop_reason) = self.stop_reason.take() else {
            return Err(ModelError::stream(
                "the stream ended before the message was complete",
            ));
        };
        self.blocks.sort_by_key(|(i, _)| *i);
        let mut content = Vec::with_capacity(self.blocks.len());
        for (_, block) in self.blocks {
            match block {
                Partial::Text(text) => content.push(ContentBlock::Text { text }),
                Partial::Reasoning { text, signature } => {
                    content.push(ContentBlock::Reasoning(Reasoning { text, signature }))
                }
                Partial::Redacted(data) => content.push(ContentBlock::RedactedReasoning {
                    data: Blob::from(data),
                }),
                Partial::Tool {
                    id,
                    name,
                    parsed: Some(input),
                    ..
                } => content.push(ContentBlock::ToolUse(ToolUse { id, name, input })),
                Partial::Tool { id, name, json, .. } => {
                    let input = if json.trim().is_empty() {
                        Value::Object(Default::default())
                    } else {
                        match serde_json::from_str(&json) {
                            Ok(v) => v,
                            // Input cut by max_tokens is incomplete JSON; the
                            // agent does not run calls of a truncated message.
                            Err(_) if stop_reason == StopReason::MaxTokens => Value::String(json),
                            Err(e) => {
                                return Err(ModelError::protocol(format!(
                                    "tool `{name}` input is not valid JSON: {e}"
                                )));
                            }
                        }
                    };
                    content.push(ContentBlock::ToolUse(ToolUse { id, name, input }));
                }
            }
        }
        Ok(ModelResponse {
            message: Message {
                role: Role::Assistant,
                content,
            },
            stop_reason,
            usage: self.usage,
            latency: self.latency.unwrap_or(measured),
            model_fields: self.model_fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn assembles_text_and_tool_inputs_from_deltas() {
        let mut acc = StreamAccumulator::default();
        let events = [
            ModelEvent::MessageStart,
            ModelEvent::TextDelta {
                index: 0,
                text: "Let me ".into(),
            },
            ModelEvent::TextDelta {
                index: 0,
                text: "check.".into(),
            },
            ModelEvent::BlockStop { index: 0 },
            ModelEvent::ToolUseStart {
                index: 1,
                id: "t1".into(),
                name: "get_weather".into(),
            },
            ModelEvent::ToolInputDelta {
                index: 1,
                json: "{\"loca".into(),
            },
            ModelEvent::ToolInputDelta {
                index: 1,
                json: "tion\": \"Paris\"}".into(),
            },
            ModelEvent::BlockStop { index: 1 },
            ModelEvent::ToolUseStart {
                index: 2,
                id: "t2".into(),
                name: "now".into(),
            },
            ModelEvent::BlockStop { index: 2 },
            ModelEvent::MessageStop {
                stop_reason: StopReason::ToolUse,
            },
            ModelEvent::Metadata {
                usage: Usage {
                    input_tokens: 10,
                    output_tokens: 5,
                    ..Default::default()
                },
                latency: None,
            },
        ];
        for e in events {
            acc.push(e).unwrap();
        }
        let r = acc.finish(Duration::from_millis(7)).unwrap();
        assert_eq!(r.message.text(), "Let me check.");
        let uses: Vec<_> = r.message.tool_uses().collect();
        assert_eq!(uses[0].input, json!({"location": "Paris"}));
        assert_eq!(uses[1].input, json!({}));
        assert_eq!(r.usage.output_tokens, 5);
        assert_eq!(r.latency, Duration::from_millis(7));
    }

    #[test]
    fn a_tool_block_is_known_once_its_input_is_complete() {
        let mut acc = StreamAccumulator::default();
        acc.push(ModelEvent::ToolUseStart {
            index: 1,
            id: "t1".into(),
            name: "get_weather".into(),
        })
        .unwrap();
        assert_eq!(acc.tool_use(1).unwrap().input, json!({}));
        acc.push(ModelEvent::ToolInputDelta {
            index: 1,
            json: "{\"location\": \"Pa".into(),
        })
        .unwrap();
        assert_eq!(acc.tool_use(1), None, "incomplete input");
        acc.push(ModelEvent::ToolInputDelta {
            index: 1,
            json: "ris\"}".into(),
        })
        .unwrap();
        let call = acc.tool_use(1).unwrap();
        assert_eq!(
            (call.id.as_str(), call.name.as_str()),
            ("t1", "get_weather")
        );
        assert_eq!(call.input, json!({"location": "Paris"}));
        assert_eq!(acc.tool_use(0), None, "no such block");
        acc.push(ModelEvent::TextDelta {
            index: 2,
            text: "x".into(),
        })
        .unwrap();
        assert_eq!(acc.tool_use(2), None, "a text block");
    }

    #[test]
    fn assembles_signed_and_redacted_reasoning_exactly() {
        let mut acc = StreamAccumulator::default();
        let events = [
            ModelEvent::MessageStart,
            ModelEvent::ReasoningDelta {
                index: 0,
                text: "The user ".into(),
            },
            ModelEvent::ReasoningDelta {
                index: 0,
                text: "wants  weather.\n".into(),
            },
            ModelEvent::ReasoningSignature {
                index: 0,
                signature: "EqQBCkYI".into(),
            },
            ModelEvent::ReasoningSignature {
                index: 0,
                signature: "ARgCKkA=".into(),
            },
            ModelEvent::BlockStop { index: 0 },
            ModelEvent::RedactedReasoning {
                index: 1,
                data: Blob::from(vec![0u8, 1]),
            },
            ModelEvent::RedactedReasoning {
                index: 1,
                data: Blob::from(vec![2u8]),
            },
            ModelEvent::TextDelta {
                index: 2,
                text: "Done.".into(),
            },
            ModelEvent::MessageStop {
                stop_reason: StopReason::EndTurn,
            },
        ];
        for e in events {
            acc.push(e).unwrap();
        }
        let r = acc.finish(Duration::ZERO).unwrap();
        assert_eq!(
            r.message.content,
            vec![
                ContentBlock::Reasoning(Reasoning {
                    text: "The user wants  weather.\n".into(),
                    signature: Some("EqQBCkYIARgCKkA=".into()),
                }),
                ContentBlock::RedactedReasoning {
                    data: Blob::from(vec![0u8, 1, 2]),
                },
                ContentBlock::Text {
                    text: "Done.".into()
                },
            ]
        );
        let mut acc = StreamAccumulator::default();
        acc.push(ModelEvent::TextDelta {
            index: 0,
            text: "x".into(),
        })
        .unwrap();
        assert!(
            acc.push(ModelEvent::ReasoningSignature {
                index: 0,
                signature: "s".into()
            })
            .is_err()
        );
    }

    #[test]
    fn a_stream_without_stop_is_a_retryable_error() {
        let mut acc = StreamAccumulator::default();
        acc.push(ModelEvent::TextDelta {
            index: 0,
            text: "Hal".into(),
        })
        .unwrap();
        let err = acc.finish(Duration::ZERO).unwrap_err();
        assert!(err.is_retryable(), "{err}");
    }

    #[test]
    fn contradictions_are_protocol_errors() {
        let mut acc = StreamAccumulator::default();
        let err = acc
            .push(ModelEvent::ToolInputDelta {
                index: 0,
                json: "{".into(),
            })
            .unwrap_err();
        assert!(!err.is_retryable());
        let mut acc = StreamAccumulator::default();
        acc.push(ModelEvent::ToolUseStart {
            index: 0,
            id: "a".into(),
            name: "x".into(),
        })
        .unwrap();
        acc.push(ModelEvent::ToolInputDelta {
            index: 0,
            json: "{oops".into(),
        })
        .unwrap();
        acc.push(ModelEvent::MessageStop {
            stop_reason: StopReason::ToolUse,
        })
        .unwrap();
        assert!(
            acc.finish(Duration::ZERO)
                .unwrap_err()
                .to_string()
                .contains("not valid JSON")
        );
    }
}
