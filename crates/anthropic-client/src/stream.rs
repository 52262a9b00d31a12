//! [`StreamDecoder`]: the Messages API's server-sent events, one at a time,
//! into [`agent_core::ModelEvent`]s. A plain state struct, so streaming is
//! tested without a network.

use agent_core::{ModelError, ModelEvent, StopReason, Usage};
use http_backend::SseDecoder;

use crate::convert::{stop_reason_from_wire, usage_from_wire};
use crate::error::error_kind;
use crate::wire::{Block, Delta, StreamEvent};

/// Turns the data of each server-sent event into core events.
///
/// - `message_start` → [`ModelEvent::MessageStart`] (input tokens noted);
/// - `content_block_start` of a `tool_use` → [`ModelEvent::ToolUseStart`];
///   of a `text` with initial text → [`ModelEvent::TextDelta`];
/// - `text_delta` → [`ModelEvent::TextDelta`], `input_json_delta` →
///   [`ModelEvent::ToolInputDelta`], `content_block_stop` →
///   [`ModelEvent::BlockStop`];
/// - `message_delta` notes the stop reason and output tokens;
///   `message_stop` → [`ModelEvent::MessageStop`] then
///   [`ModelEvent::Metadata`] with the usage;
/// - `error` → the error, classified like an HTTP error of its type;
/// - a `thinking` block → [`ModelEvent::ReasoningDelta`]s (`thinking_delta`)
///   and a [`ModelEvent::ReasoningSignature`] (`signature_delta`); a
///   `redacted_thinking` block → [`ModelEvent::RedactedReasoning`] (its
///   `data` string's bytes, sent back as the same string);
/// - `ping` and unknown events are skipped.
///
/// ```
/// use agent_core::{ModelEvent, StopReason};
/// use anthropic_client::StreamDecoder;
///
/// let mut d = StreamDecoder::default();
/// let data = [
///     r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"usage":{"input_tokens":12,"output_tokens":1}}}"#,
///     r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
///     r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}"#,
///     r#"{"type":"message_stop"}"#,
/// ];
/// let events: Vec<ModelEvent> = data.iter().flat_map(|d_| d.decode(d_).unwrap()).collect();
/// assert!(d.is_finished());
/// assert_eq!(events[1], ModelEvent::TextDelta { index: 0, text: "Hi".into() });
/// assert_eq!(events[2], ModelEvent::MessageStop { stop_reason: StopReason::EndTurn });
/// ```
#[derive(Debug, Default)]
pub struct StreamDecoder {
    usage: Usage,
    stop_reason: Option<StopReason>,
    finished: bool,
}

impl StreamDecoder {
    /// Decodes one event's `data`; the events it yields, or the error the
    /// stream carried (or a [`ModelError::protocol`] for data that is not
    /// the API's).
    pub fn decode(&mut self, data: &str) -> Result<Vec<ModelEvent>, ModelError> {
        let event: StreamEvent = serde_json::from_str(data).map_err(|e| {
            ModelError::protocol(format!(
                "a stream event is not Messages API JSON ({e}): {}",
                data.chars().take(200).collect::<String>()
            ))
        })?;
        Ok(match event {
            StreamEvent::MessageStart { message } => {
                self.usage = usage_from_wire(&message.usage);
                vec![ModelEvent::MessageStart]
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => match content_block {
                Block::ToolUse { id, name, .. } => {
                    vec![ModelEvent::ToolUseStart { index, id, name }]
                }
                Block::Text { text } if !text.is_empty() => {
                    vec![ModelEvent::TextDelta { index, text }]
                }
                // Opened empty; its text and signature come as deltas.
                Block::Thinking { thinking, .. } if !thinking.is_empty() => {
                    vec![ModelEvent::ReasoningDelta {
                        index,
                        text: thinking,
                    }]
                }
                Block::RedactedThinking { data } => vec![ModelEvent::RedactedReasoning {
                    index,
                    data: agent_core::Blob::from(data.into_bytes()),
                }],
                _ => vec![],
            },
            StreamEvent::ContentBlockDelta { index, delta } => match delta {
                Delta::TextDelta { text } => vec![ModelEvent::TextDelta { index, text }],
                Delta::InputJsonDelta { partial_json } => vec![ModelEvent::ToolInputDelta {
                    index,
                    json: partial_json,
                }],
                Delta::ThinkingDelta { thinking } => vec![ModelEvent::ReasoningDelta {
                    index,
                    text: thinking,
                }],
                Delta::SignatureDelta { signature } => {
                    vec![ModelEvent::ReasoningSignature { index, signature }]
                }
                Delta::Other => vec![],
            },
            StreamEvent::ContentBlockStop { index } => vec![ModelEvent::BlockStop { index }],
            StreamEvent::MessageDelta { delta, usage } => {
                if let Some(reason) = delta.stop_reason {
                    self.stop_reason = Some(stop_reason_from_wire(&reason));
                }
                self.usage.output_tokens = usage.output_tokens;
                if let Some(input) = usage.input_tokens.filter(|n| *n > 0) {
                    self.usage.input_tokens = self.usage.input_tokens.max(input);
                }
                vec![]
            }
            StreamEvent::MessageStop => {
                self.finished = true;
                let stop_reason = self.stop_reason.take().ok_or_else(|| {
                    ModelError::protocol("the stream stopped without a stop reason")
                })?;
                vec![
                    ModelEvent::MessageStop { stop_reason },
                    ModelEvent::Metadata {
                        usage: self.usage,
                        latency: None,
                    },
                ]
            }
            StreamEvent::Error { error } => {
                self.finished = true;
                let kind = error_kind(None, &error.kind, &error.message);
                return Err(ModelError::new(
                    kind,
                    format!("{}: {} (sent mid-stream)", error.kind, error.message),
                ));
            }
            StreamEvent::Ping | StreamEvent::Unknown => vec![],
        })
    }

    /// Whether `message_stop` (or an error) ended the stream; a stream that
    /// ends before is cut.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// The shared pump's view: a body that closes before `message_stop` was
/// cut, whatever it held.
impl SseDecoder for StreamDecoder {
    fn decode(&mut self, data: &str) -> Result<Vec<ModelEvent>, ModelError> {
        StreamDecoder::decode(self, data)
    }

    fn is_finished(&self) -> bool {
        StreamDecoder::is_finished(self)
    }

    fn close(&mut self) -> Result<Vec<ModelEvent>, ModelError> {
        Err(ModelError::stream("the stream ended before message_stop"))
    }
}

#[cfg(test)]
mod tests {
    use agent_core::{ModelErrorKind, StreamAccumulator};
    use serde_json::json;

    use super::*;

    fn decode_all(d: &mut StreamDecoder, events: &[serde_json::Value]) -> Vec<ModelEvent> {
        events
            .iter()
            .flat_map(|e| d.decode(&e.to_string()).unwrap())
            .collect()
    }

    #[test]
    fn decodes_the_documented_tool_use_stream() {
        // The example stream of Anthropic's streaming documentation.
        let events = [
            json!({"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-x","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}),
            json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
            json!({"type":"ping"}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", let's check."}}),
            json!({"type":"content_block_stop","index":0}),
            json!({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}),
            json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}),
            json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}),
            json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San Francisco, CA\"}"}}),
            json!({"type":"content_block_stop","index":1}),
            json!({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}),
            json!({"type":"message_stop"}),
        ];
        let mut d = StreamDecoder::default();
        let out = decode_all(&mut d, &events);
        assert!(d.is_finished());
        let mut acc = StreamAccumulator::default();
        for e in out {
            acc.push(e).unwrap();
        }
        let r = acc.finish(std::time::Duration::ZERO).unwrap();
        assert_eq!(r.stop_reason, StopReason::ToolUse);
        assert_eq!(r.message.text(), "Okay, let's check.");
        let call = r.message.tool_uses().next().unwrap();
        assert_eq!(call.id, "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
        assert_eq!(call.input, json!({"location": "San Francisco, CA"}));
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 472,
                output_tokens: 89,
                ..Default::default()
            }
        );
    }

    #[test]
    fn decodes_thinking_and_skips_unknown_events() {
        let mut d = StreamDecoder::default();
        let out = decode_all(
            &mut d,
            &[
                json!({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}),
                json!({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}),
                json!({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"x"}}),
                json!({"type":"brand_new_event","what":1}),
            ],
        );
        assert_eq!(
            out,
            [
                ModelEvent::ReasoningDelta {
                    index: 0,
                    text: "hmm".into()
                },
                ModelEvent::ReasoningSignature {
                    index: 0,
                    signature: "x".into()
                }
            ]
        );
        assert!(!d.is_finished());
    }

    #[test]
    fn error_events_are_classified_like_http_errors() {
        let mut d = StreamDecoder::default();
        let e = d
            .decode(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            )
            .unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::Unavailable);
        assert!(e.is_retryable());
        let e = StreamDecoder::default()
            .decode(r#"{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}"#)
            .unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::Validation);
        let e = StreamDecoder::default().decode("not json").unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::Protocol);
    }
}
