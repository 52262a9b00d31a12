//! Conversions between the core's types and the Messages API's.
//!
//! The core's conversation maps one to one: a core message is a Messages
//! API message, a `ToolUse` a `tool_use` block, a `ToolResult` a
//! `tool_result` block (its status as `is_error`). JSON tool output becomes
//! a text block holding the JSON (the API's tool results carry text).
//!
//! The client's direction only: [`to_wire_request`] and
//! [`from_wire_response`]. The local server (feature `mock-server`) reads
//! and writes the API with its own types; both are checked against the
//! documented bodies in `tests/fixtures/`.

use std::time::Duration;

use agent_core::{
    Blob, ContentBlock, Document, DocumentFormat, Image, ImageFormat, MediaSource, Message,
    ModelRequest, ModelResponse, Reasoning, Role, StopReason, ToolChoice, ToolResult,
    ToolResultContent, ToolResultStatus, ToolUse, Usage,
};

use crate::wire::{
    Block, MediaSourceWire, MessageContent, MessagesRequest, MessagesResponse, SystemPrompt,
    ToolResultBody, WireMessage, WireTool, WireUsage,
};

/// The Messages API request for `request`, asking `model`.
pub fn to_wire_request(request: &ModelRequest, model: &str, stream: bool) -> MessagesRequest {
    MessagesRequest {
        model: model.to_owned(),
        max_tokens: request.inference.max_tokens,
        system: request
            .system
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| SystemPrompt::Text(s.clone())),
        messages: request.messages.iter().map(to_wire_message).collect(),
        tools: request
            .tools
            .iter()
            .map(|t| WireTool {
                name: t.name.clone(),
                description: t.description.clone(),
                input_schema: t.input_schema.clone(),
            })
            .collect(),
        temperature: request.inference.temperature,
        top_p: request.inference.top_p,
        stop_sequences: request.inference.stop_sequences.clone(),
        tool_choice: request
            .tool_choice
            .as_ref()
            .filter(|_| !request.tools.is_empty())
            .map(|choice| match choice {
                ToolChoice::Auto => serde_json::json!({"type": "auto"}),
                ToolChoice::Any => serde_json::json!({"type": "any"}),
                ToolChoice::Tool(name) => serde_json::json!({"type": "tool", "name": name}),
            }),
        stream,
        thinking: request
            .inference
            .thinking
            .map(|t| serde_json::json!({"type": "enabled", "budget_tokens": t.budget_tokens})),
    }
}

/// The wire source of an image: base64 bytes (`check_supported` refuses
/// S3 sources before this runs).
fn image_source(image: &Image) -> MediaSourceWire {
    MediaSourceWire::Base64 {
        media_type: image.format.mime_type().into(),
        data: image
            .source
            .bytes()
            .map(Blob::to_base64)
            .unwrap_or_default(),
    }
}

/// The wire block of a document: a PDF as base64, text as text (the API
/// takes no other kinds; `SUPPORTS`' check lets only these through).
fn document_block(doc: &Document) -> Block {
    let bytes = doc.source.bytes().cloned().unwrap_or_default();
    let source = match doc.format {
        DocumentFormat::Pdf => MediaSourceWire::Base64 {
            media_type: "application/pdf".into(),
            data: bytes.to_base64(),
        },
        _ => MediaSourceWire::Text {
            media_type: "text/plain".into(),
            data: String::from_utf8_lossy(&bytes).into_owned(),
        },
    };
    Block::Document {
        source,
        title: Some(doc.name.clone()),
    }
}

/// The core's image for a wire source, if it is a supported image.
fn image_from_wire(source: &MediaSourceWire) -> Option<Image> {
    let MediaSourceWire::Base64 { media_type, data } = source else {
        return None;
    };
    Some(Image {
        format: ImageFormat::from_mime_type(media_type)?,
        source: MediaSource::Bytes(Blob::from_base64(data)?),
    })
}

fn to_wire_message(message: &Message) -> WireMessage {
    let blocks = message
        .content
        .iter()
        .filter_map(|block| match block {
            // The API refuses empty text blocks.
            ContentBlock::Text { text } if text.is_empty() => None,
            ContentBlock::Text { text } => Some(Block::Text { text: text.clone() }),
            ContentBlock::ToolUse(u) => Some(Block::ToolUse {
                id: u.id.clone(),
                name: u.name.clone(),
                input: u.input.clone(),
            }),
            ContentBlock::ToolResult(r) => Some(to_wire_result(r)),
            // Sent back exactly as the API wrote them.
            ContentBlock::Reasoning(r) => Some(Block::Thinking {
                thinking: r.text.clone(),
                signature: r.signature.clone().unwrap_or_default(),
            }),
            ContentBlock::RedactedReasoning { data } => Some(Block::RedactedThinking {
                data: String::from_utf8_lossy(data).into_owned(),
            }),
            ContentBlock::Image(i) => Some(Block::Image {
                source: image_source(i),
            }),
            ContentBlock::Document(d) => Some(document_block(d)),
            // Cache points become `cache_control` marks on the blocks
            // before them (cache.rs), not blocks of their own.
            ContentBlock::CachePoint(_) => None,
        })
        .collect();
    WireMessage {
        role: message.role,
        content: MessageContent::Blocks(blocks),
    }
}

fn to_wire_result(result: &ToolResult) -> Block {
    let blocks: Vec<Block> = result
        .content
        .iter()
        .filter_map(|c| match c {
            ToolResultContent::Text(t) if t.is_empty() => None,
            ToolResultContent::Text(t) => Some(Block::Text { text: t.clone() }),
            ToolResultContent::Json(v) => Some(Block::Text {
                text: v.to_string(),
            }),
            ToolResultContent::Image(i) => Some(Block::Image {
                source: image_source(i),
            }),
            ToolResultContent::Document(d) => Some(document_block(d)),
        })
        .collect();
    Block::ToolResult {
        tool_use_id: result.tool_use_id.clone(),
        content: (!blocks.is_empty()).then_some(ToolResultBody::Blocks(blocks)),
        is_error: result.status == ToolResultStatus::Error,
    }
}

/// The core's name for the API's `stop_reason`.
pub fn stop_reason_from_wire(reason: &str) -> StopReason {
    match reason {
        "end_turn" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "refusal" => StopReason::ContentFiltered,
        other => StopReason::Unknown(other.to_owned()),
    }
}

/// The core's usage for the API's: full-price input, cache reads and
/// cache writes apart, as the API reports them.
pub fn usage_from_wire(usage: &WireUsage) -> Usage {
    Usage {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens.unwrap_or(0),
        cache_write_input_tokens: usage.cache_creation_input_tokens.unwrap_or(0),
    }
}

/// The core's response for the API's; `latency` is the measured one (the
/// API reports none).
pub fn from_wire_response(response: MessagesResponse, latency: Duration) -> ModelResponse {
    let content = response
        .content
        .into_iter()
        .filter_map(|block| match block {
            Block::Text { text } => Some(ContentBlock::Text { text }),
            Block::ToolUse { id, name, input } => {
                Some(ContentBlock::ToolUse(ToolUse { id, name, input }))
            }
            Block::Thinking {
                thinking,
                signature,
            } => Some(ContentBlock::Reasoning(Reasoning {
                text: thinking,
                signature: (!signature.is_empty()).then_some(signature),
            })),
            Block::RedactedThinking { data } => Some(ContentBlock::RedactedReasoning {
                data: Blob::from(data.into_bytes()),
            }),
            Block::Image { source } => image_from_wire(&source).map(ContentBlock::Image),
            Block::ToolResult { .. } | Block::Document { .. } | Block::Other => None,
        })
        .collect();
    let stop_reason = match response.stop_reason.as_deref() {
        Some(reason) => stop_reason_from_wire(reason),
        None => StopReason::Unknown("none".into()),
    };
    ModelResponse {
        message: Message {
            role: Role::Assistant,
            content,
        },
        stop_reason,
        usage: usage_from_wire(&response.usage),
        latency,
        model_fields: None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use agent_core::InferenceConfig;
    use serde_json::json;
    use tool_api::ToolSpec;

    use super::*;

    /// A conversation using every block kind; the server side's tests
    /// (`mock/wire.rs`) round-trip it too.
    pub(crate) fn conversation() -> ModelRequest {
        ModelRequest {
            system: Some("Be brief.".into()),
            messages: vec![
                Message::user("Weather?"),
                Message {
                    role: Role::Assistant,
                    content: vec![
                        ContentBlock::Text {
                            text: "Checking.".into(),
                        },
                        ContentBlock::ToolUse(ToolUse {
                            id: "toolu_1".into(),
                            name: "get_weather".into(),
                            input: json!({"location": "Paris", "units": "c"}),
                        }),
                        ContentBlock::ToolUse(ToolUse {
                            id: "toolu_2".into(),
                            name: "nope".into(),
                            input: json!({}),
                        }),
                    ],
                },
                Message {
                    role: Role::User,
                    content: vec![
                        ContentBlock::ToolResult(ToolResult::success(
                            "toolu_1",
                            ToolResultContent::Json(
                                json!({"t": 22, "big": 18446744073709551615u64}),
                            ),
                        )),
                        ContentBlock::ToolResult(ToolResult::error("toolu_2", "unknown tool")),
                    ],
                },
            ],
            tools: vec![ToolSpec::new(
                "get_weather",
                "Weather.",
                json!({"type": "object", "properties": {"location": {"type": "string"}}}),
            )],
            inference: InferenceConfig {
                max_tokens: 100,
                temperature: Some(0.5),
                top_p: None,
                stop_sequences: vec!["END".into()],
                thinking: None,
            },
            ..Default::default()
        }
    }

    #[test]
    fn requests_serialise_as_the_api_documents() {
        let wire = to_wire_request(&conversation(), "claude-x", true);
        let body = serde_json::to_value(&wire).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "claude-x",
                "max_tokens": 100,
                "system": "Be brief.",
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "Checking."},
                        {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                         "input": {"location": "Paris", "units": "c"}},
                        {"type": "tool_use", "id": "toolu_2", "name": "nope", "input": {}}
                    ]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1",
                         "content": [{"type": "text", "text": "{\"t\":22,\"big\":18446744073709551615}"}]},
                        {"type": "tool_result", "tool_use_id": "toolu_2",
                         "content": [{"type": "text", "text": "unknown tool"}], "is_error": true}
                    ]}
                ],
                "tools": [{"name": "get_weather", "description": "Weather.",
                           "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}}}],
                "temperature": 0.5,
                "stop_sequences": ["END"],
                "stream": true
            })
        );
        // Key order is kept (the prompt cache depends on it).
        let text = serde_json::to_string(&wire).unwrap();
        assert!(
            text.contains(r#""input":{"location":"Paris","units":"c"}"#),
            "{text}"
        );
        assert!(text.starts_with(r#"{"model":"claude-x","max_tokens":100,"system""#));
    }

    #[test]
    fn responses_map_blocks_stop_reasons_and_usage() {
        let wire: MessagesResponse = serde_json::from_value(json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "s"},
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"location": "Oslo"}}
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 7}
        }))
        .unwrap();
        let r = from_wire_response(wire, Duration::from_millis(3));
        assert_eq!(r.stop_reason, StopReason::ToolUse);
        assert_eq!(r.message.text(), "Let me look.");
        assert_eq!(
            r.message.tool_uses().next().unwrap().input,
            json!({"location": "Oslo"})
        );
        // Cache reads apart from the full-price input, as the API reports
        // them (the total, 15, is `total_input_tokens`).
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 10,
                output_tokens: 7,
                cache_read_input_tokens: 5,
                cache_write_input_tokens: 0,
            }
        );
        assert_eq!(r.usage.total_input_tokens(), 15);
        for (wire, core) in [
            ("end_turn", StopReason::EndTurn),
            ("max_tokens", StopReason::MaxTokens),
            ("stop_sequence", StopReason::StopSequence),
            ("refusal", StopReason::ContentFiltered),
            ("pause_turn", StopReason::Unknown("pause_turn".into())),
        ] {
            assert_eq!(stop_reason_from_wire(wire), core);
        }
    }
}
