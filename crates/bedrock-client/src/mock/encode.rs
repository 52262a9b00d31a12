//! The ConverseStream body: AWS event-stream frames, as the service sends
//! them (`aws-smithy-eventstream` does the framing and the CRCs).
//!
//! Every event frame has `:event-type` (`messageStart`, `contentBlockStart`,
//! `contentBlockDelta`, `contentBlockStop`, `messageStop`, `metadata`),
//! `:content-type: application/json` and `:message-type: event`; an error is
//! a frame with `:message-type: exception` and `:exception-type`. Like the
//! service, text blocks open with their first delta (no `contentBlockStart`),
//! tool inputs arrive as pieces of JSON text, usage comes last, and each
//! payload carries a `p` padding field that clients ignore.

use agent_core::{ContentBlock, ModelResponse};
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use mock_support::split::char_chunks;
use serde_json::{Value, json};

use super::wire::{stop_reason, usage_json};

/// How many characters of text or tool-input JSON go in one delta.
pub(crate) const DELTA_CHARS: usize = 24;

fn header(name: &'static str, value: &str) -> Header {
    Header::new(name, HeaderValue::String(value.to_owned().into()))
}

fn frame(headers: Vec<Header>, payload: &Value) -> Vec<u8> {
    let message = Message::new_from_parts(headers, serde_json::to_vec(payload).unwrap_or_default());
    let mut out = Vec::new();
    // Writing to a Vec fails only for headers or payloads over the format's
    // limits (16 MB), which a scripted turn never reaches.
    if let Err(e) = write_message_to(&message, &mut out) {
        tracing::error!(error = %e, "could not encode an event-stream frame");
    }
    out
}

/// One event frame.
pub(crate) fn event_frame(event_type: &str, payload: &Value) -> Vec<u8> {
    frame(
        vec![
            header(":event-type", event_type),
            header(":content-type", "application/json"),
            header(":message-type", "event"),
        ],
        payload,
    )
}

/// One exception frame (`modelStreamErrorException`, `throttlingException`...).
pub(crate) fn exception_frame(exception_type: &str, message: &str) -> Vec<u8> {
    frame(
        vec![
            header(":exception-type", exception_type),
            header(":content-type", "application/json"),
            header(":message-type", "exception"),
        ],
        &json!({ "message": message, "originalStatusCode": 500, "originalMessage": message }),
    )
}

fn padded(mut payload: Value, n: usize) -> Value {
    const PAD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    if let Value::Object(map) = &mut payload {
        map.insert(
            "p".into(),
            Value::String(PAD[..1 + n % PAD.len().saturating_sub(1)].to_owned()),
        );
    }
    payload
}

/// The events of `response`, in order, as (event type, payload).
pub(crate) fn response_events(response: &ModelResponse) -> Vec<(&'static str, Value)> {
    let mut events = vec![("messageStart", json!({ "role": "assistant" }))];
    for (i, block) in response.message.content.iter().enumerate() {
        match block {
            ContentBlock::Text { text } => {
                for piece in char_chunks(text, DELTA_CHARS) {
                    events.push((
                        "contentBlockDelta",
                        json!({ "contentBlockIndex": i, "delta": { "text": piece } }),
                    ));
                }
            }
            ContentBlock::ToolUse(u) => {
                events.push((
                    "contentBlockStart",
                    json!({
                        "contentBlockIndex": i,
                        "start": { "toolUse": { "toolUseId": u.id, "name": u.name } }
                    }),
                ));
                for piece in char_chunks(&u.input.to_string(), DELTA_CHARS) {
                    events.push((
                        "contentBlockDelta",
                        json!({ "contentBlockIndex": i, "delta": { "toolUse": { "input": piece } } }),
                    ));
                }
            }
            ContentBlock::Reasoning(r) => {
                for piece in char_chunks(&r.text, DELTA_CHARS) {
                    events.push((
                        "contentBlockDelta",
                        json!({ "contentBlockIndex": i, "delta": { "reasoningContent": { "text": piece } } }),
                    ));
                }
                if let Some(signature) = &r.signature {
                    events.push((
                        "contentBlockDelta",
                        json!({ "contentBlockIndex": i, "delta": { "reasoningContent": { "signature": signature } } }),
                    ));
                }
            }
            ContentBlock::RedactedReasoning { data } => events.push((
                "contentBlockDelta",
                json!({ "contentBlockIndex": i, "delta": { "reasoningContent": { "redactedContent": data.to_base64() } } }),
            )),
            // Not in an assistant message (nor anything a later version
            // adds).
            _ => continue,
        }
        events.push(("contentBlockStop", json!({ "contentBlockIndex": i })));
    }
    let mut stop = json!({ "stopReason": stop_reason(&response.stop_reason) });
    if let Some(fields) = &response.model_fields {
        stop["additionalModelResponseFields"] = fields.clone();
    }
    events.push(("messageStop", stop));
    events.push((
        "metadata",
        json!({
            "usage": usage_json(response),
            "metrics": { "latencyMs": response.latency.as_millis() as u64 },
        }),
    ));
    events
        .into_iter()
        .enumerate()
        .map(|(n, (t, p))| (t, padded(p, n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use agent_core::{Message, Role, StopReason, ToolUse, Usage};
    use aws_smithy_eventstream::frame::read_message_from;

    use super::*;

    #[test]
    fn frames_decode_with_the_sdks_reader() {
        let bytes = event_frame("messageStart", &json!({"role": "assistant"}));
        let message = read_message_from(&bytes[..]).unwrap();
        let names: Vec<_> = message
            .headers()
            .iter()
            .map(|h| h.name().as_str().to_owned())
            .collect();
        assert_eq!(names, [":event-type", ":content-type", ":message-type"]);
        assert_eq!(&message.payload()[..], br#"{"role":"assistant"}"#);
    }

    #[test]
    fn a_tool_turn_streams_like_the_service() {
        let response = ModelResponse {
            message: Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Text {
                        text: "Let me check the weather for you.".into(),
                    },
                    ContentBlock::ToolUse(ToolUse {
                        id: "t1".into(),
                        name: "get_weather".into(),
                        input: json!({"location": "San Francisco, CA"}),
                    }),
                ],
            },
            stop_reason: StopReason::ToolUse,
            usage: Usage {
                input_tokens: 5,
                output_tokens: 9,
                ..Default::default()
            },
            latency: std::time::Duration::from_millis(3),
            model_fields: None,
        };
        let events = response_events(&response);
        let types: Vec<_> = events.iter().map(|(t, _)| *t).collect();
        assert_eq!(types.first(), Some(&"messageStart"));
        assert_eq!(&types[types.len() - 2..], ["messageStop", "metadata"]);
        assert!(
            !types[1..3].contains(&"contentBlockStart"),
            "text opens implicitly"
        );
        let input: String = events
            .iter()
            .filter_map(|(_, p)| p.pointer("/delta/toolUse/input").and_then(Value::as_str))
            .collect();
        assert_eq!(input, r#"{"location":"San Francisco, CA"}"#);
        assert!(events.iter().all(|(_, p)| p.get("p").is_some()));
    }
}
