//! [`StreamDecoder`]: Chat Completions chunks, one server-sent event at a
//! time, into [`agent_core::ModelEvent`]s. A plain state struct, so
//! streaming is tested without a network.

use agent_core::{ModelError, ModelEvent, StopReason, Usage};
use http_backend::SseDecoder;
use serde_json::Value;

use crate::convert::{stop_reason_from_wire, usage_from_wire};
use crate::error::{error_detail, error_kind};
use crate::wire::ChatChunk;

/// Turns each event's data into core events.
///
/// Text goes to block 0; the tool call at wire `index` i is block i + 1, so
/// the text comes first, then the calls in order. The first piece of a call
/// (with its id and name) opens it ([`ModelEvent::ToolUseStart`]); argument
/// pieces are [`ModelEvent::ToolInputDelta`]s. The stop reason is noted from
/// `finish_reason`, usage from the usage chunk; `[DONE]` closes the blocks
/// and yields [`ModelEvent::MessageStop`] and [`ModelEvent::Metadata`]. A
/// chunk holding an `error` is that error.
///
/// ```
/// use agent_core::{ModelEvent, StopReason};
/// use openai_client::StreamDecoder;
///
/// let mut d = StreamDecoder::default();
/// let mut events = Vec::new();
/// for data in [
///     r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}"#,
///     r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
///     r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#,
///     "[DONE]",
/// ] {
///     events.extend(d.decode(data).unwrap());
/// }
/// assert_eq!(events[1], ModelEvent::TextDelta { index: 0, text: "Hi".into() });
/// assert!(events.contains(&ModelEvent::MessageStop { stop_reason: StopReason::EndTurn }));
/// ```
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    text_open: bool,
    /// Wire index of each call opened, in order.
    calls: Vec<usize>,
    finish_reason: Option<String>,
    usage: Usage,
    finished: bool,
}

impl StreamDecoder {
    /// Decodes one event's `data` (a chunk, or `[DONE]`).
    pub fn decode(&mut self, data: &str) -> Result<Vec<ModelEvent>, ModelError> {
        if data.trim() == "[DONE]" {
            return self.end();
        }
        let value: Value = serde_json::from_str(data).map_err(|e| {
            ModelError::protocol(format!(
                "a stream chunk is not JSON ({e}): {}",
                data.chars().take(200).collect::<String>()
            ))
        })?;
        if value.get("error").is_some() {
            self.finished = true;
            let detail = error_detail(&value).unwrap_or_default();
            let code = detail.code_text();
            let kind = error_kind(
                None,
                code.as_deref(),
                detail.kind.as_deref(),
                &detail.message,
            );
            return Err(ModelError::new(
                kind,
                format!("{} (sent mid-stream)", detail.message),
            ));
        }
        let chunk: ChatChunk = serde_json::from_value(value).map_err(|e| {
            ModelError::protocol(format!(
                "a stream chunk is not a Chat Completions chunk: {e}"
            ))
        })?;
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            out.push(ModelEvent::MessageStart);
        }
        if let Some(usage) = &chunk.usage {
            self.usage = usage_from_wire(Some(usage));
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                self.text_open = true;
                out.push(ModelEvent::TextDelta { index: 0, text });
            }
            for (position, call) in choice.delta.tool_calls.into_iter().enumerate() {
                let wire_index = call.index.unwrap_or(position);
                let block = wire_index + 1;
                let function = call.function.unwrap_or_default();
                if !self.calls.contains(&wire_index) {
                    self.calls.push(wire_index);
                    let id = call
                        .id
                        .filter(|id| !id.is_empty())
                        .unwrap_or_else(|| format!("call_{wire_index}"));
                    out.push(ModelEvent::ToolUseStart {
                        index: block,
                        id,
                        name: function.name.unwrap_or_default(),
                    });
                }
                if let Some(json) = function.arguments.filter(|a| !a.is_empty()) {
                    out.push(ModelEvent::ToolInputDelta { index: block, json });
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
            }
        }
        Ok(out)
    }

    /// The stream ended (`[DONE]`, or the body closed): closes the blocks
    /// and stops. Without a `finish_reason` the stream was cut: a retryable
    /// [`ModelError::stream`].
    pub fn end(&mut self) -> Result<Vec<ModelEvent>, ModelError> {
        if self.finished {
            return Ok(Vec::new());
        }
        self.finished = true;
        let Some(reason) = self.finish_reason.take() else {
            return Err(ModelError::stream(
                "the stream ended before a finish_reason",
            ));
        };
        let mut out = Vec::new();
        if !self.started {
            out.push(ModelEvent::MessageStart);
        }
        if self.text_open {
            out.push(ModelEvent::BlockStop { index: 0 });
        }
        for wire_index in &self.calls {
            out.push(ModelEvent::BlockStop {
                index: wire_index + 1,
            });
        }
        let stop_reason: StopReason = stop_reason_from_wire(Some(&reason), !self.calls.is_empty());
        out.push(ModelEvent::MessageStop { stop_reason });
        out.push(ModelEvent::Metadata {
            usage: self.usage,
            latency: None,
        });
        Ok(out)
    }

    /// Whether the stream is over (`[DONE]` or an error).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Whether a `finish_reason` arrived: a body that closes after it, without
    /// `[DONE]`, is complete.
    pub fn has_finish_reason(&self) -> bool {
        self.finish_reason.is_some()
    }
}

/// The shared pump's view: a body that closes without `[DONE]` is complete
/// if a `finish_reason` arrived (some servers omit `[DONE]`), else cut.
impl SseDecoder for StreamDecoder {
    fn decode(&mut self, data: &str) -> Result<Vec<ModelEvent>, ModelError> {
        StreamDecoder::decode(self, data)
    }

    fn is_finished(&self) -> bool {
        StreamDecoder::is_finished(self)
    }

    fn close(&mut self) -> Result<Vec<ModelEvent>, ModelError> {
        self.end()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agent_core::{ModelErrorKind, StreamAccumulator};
    use serde_json::json;

    use super::*;

    #[test]
    fn assembles_parallel_tool_calls_from_chunks_keyed_by_index() {
        let chunks = [
            json!({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]}),
            json!({"choices":[{"index":0,"delta":{"content":"Checking "}}]}),
            json!({"choices":[{"index":0,"delta":{"content":"both."}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"loca"}}]}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_stock_price","arguments":"{\"symbol\":"}}]}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"tion\":\"NYC\"}"}}]}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\"AAPL\"}"}}]}}]}),
            json!({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}),
            json!({"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70}}),
        ];
        let mut d = StreamDecoder::default();
        let mut acc = StreamAccumulator::default();
        for c in chunks {
            for e in d.decode(&c.to_string()).unwrap() {
                acc.push(e).unwrap();
            }
        }
        for e in d.decode("[DONE]").unwrap() {
            acc.push(e).unwrap();
        }
        assert!(d.is_finished());
        let r = acc.finish(Duration::ZERO).unwrap();
        assert_eq!(r.stop_reason, StopReason::ToolUse);
        assert_eq!(r.message.text(), "Checking both.");
        let uses: Vec<_> = r.message.tool_uses().collect();
        assert_eq!(uses[0].id, "call_a");
        assert_eq!(uses[0].input, json!({"location": "NYC"}));
        assert_eq!(uses[1].input, json!({"symbol": "AAPL"}));
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 50,
                output_tokens: 20,
                ..Default::default()
            }
        );
    }

    #[test]
    fn a_whole_call_in_one_chunk_and_no_done_still_completes() {
        // Ollama sends each call whole, and says "stop".
        let mut d = StreamDecoder::default();
        let mut events = d
            .decode(&json!({"choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_x","index":0,"type":"function","function":{"name":"now","arguments":"{}"}}]},"finish_reason":"stop"}]}).to_string())
            .unwrap();
        assert!(d.has_finish_reason());
        events.extend(d.end().unwrap());
        assert!(events.contains(&ModelEvent::MessageStop {
            stop_reason: StopReason::ToolUse
        }));
    }

    #[test]
    fn cuts_and_errors_are_classified() {
        let mut d = StreamDecoder::default();
        d.decode(r#"{"choices":[{"index":0,"delta":{"content":"Hal"}}]}"#)
            .unwrap();
        let e = d.end().unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::Stream);
        let e = StreamDecoder::default()
            .decode(r#"{"error":{"message":"The server is overloaded","type":"server_error"}}"#)
            .unwrap_err();
        assert!(e.is_retryable(), "{e}");
        let e = StreamDecoder::default()
            .decode(r#"{"error":{"message":"bad","type":"invalid_request_error"}}"#)
            .unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::Validation);
        let e = StreamDecoder::default().decode("{nope").unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::Protocol);
    }
}
