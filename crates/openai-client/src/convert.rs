//! Conversions between the core's types and Chat Completions'.
//!
//! - The system prompt is the first message, `role: "system"`.
//! - The core's ONE user message of N tool results becomes N `role: "tool"`
//!   messages, in call order, each carrying its `tool_call_id`; any text in
//!   that user message follows as a `user` message.
//! - A tool result's content is text (JSON output serialised); an error
//!   result is prefixed `Error: ` (the protocol has no error flag).
//! - An assistant message's tool uses are `tool_calls` whose arguments are
//!   the input serialised as a JSON string (key order kept).
//!
//! The client's direction only: [`to_wire_request`] and
//! [`from_wire_response`]. The local server (feature `mock-server`) reads
//! and writes the protocol with its own types; both are checked against
//! the documented bodies in `tests/fixtures/`.

use std::time::Duration;

use agent_core::{
    ContentBlock, Message, ModelError, ModelRequest, ModelResponse, Role, StopReason, ToolChoice,
    ToolResult, ToolResultContent, ToolResultStatus, ToolUse, Usage,
};
use serde_json::Value;

use crate::wire::{
    ChatMessage, ChatRequest, ChatResponse, ChatTool, ChatUsage, Content, ContentPart,
    FunctionCall, FunctionDef, ImageUrl, Stop, StreamOptions, ToolCall,
};

/// The prefix of an error result's content.
pub const ERROR_PREFIX: &str = "Error: ";

/// Which request field carries `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaxTokensField {
    /// `max_tokens`: Ollama, vLLM, llama.cpp, LM Studio, older OpenAI models.
    #[default]
    MaxTokens,
    /// `max_completion_tokens`: OpenAI's current field (required by its
    /// reasoning models).
    MaxCompletionTokens,
}

/// The Chat Completions request for `request`, asking `model`.
pub fn to_wire_request(
    request: &ModelRequest,
    model: &str,
    stream: bool,
    max_tokens_field: MaxTokensField,
) -> ChatRequest {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = request.system.as_ref().filter(|s| !s.is_empty()) {
        messages.push(ChatMessage::System {
            content: Content::Text(system.clone()),
        });
    }
    for message in &request.messages {
        push_wire_messages(message, &mut messages);
    }
    let max = Some(request.inference.max_tokens);
    let (max_tokens, max_completion_tokens) = match max_tokens_field {
        MaxTokensField::MaxTokens => (max, None),
        MaxTokensField::MaxCompletionTokens => (None, max),
    };
    ChatRequest {
        model: model.to_owned(),
        messages,
        tools: request
            .tools
            .iter()
            .map(|t| ChatTool {
                kind: "function".into(),
                function: FunctionDef {
                    name: t.name.clone(),
                    description: t.description.clone(),
                    parameters: t.input_schema.clone(),
                },
            })
            .collect(),
        // Only allowed alongside tools.
        parallel_tool_calls: (!request.tools.is_empty()).then_some(true),
        tool_choice: request
            .tool_choice
            .as_ref()
            .filter(|_| !request.tools.is_empty())
            .map(|choice| match choice {
                ToolChoice::Auto => serde_json::json!("auto"),
                ToolChoice::Any => serde_json::json!("required"),
                ToolChoice::Tool(name) => {
                    serde_json::json!({"type": "function", "function": {"name": name}})
                }
            }),
        max_tokens,
        max_completion_tokens,
        temperature: request.inference.temperature,
        top_p: request.inference.top_p,
        stop: (!request.inference.stop_sequences.is_empty())
            .then(|| Stop::Many(request.inference.stop_sequences.clone())),
        stream,
        stream_options: stream.then_some(StreamOptions {
            include_usage: true,
        }),
        // Set by the backend when its native structured output is on
        // (`crate::response_format`).
        response_format: None,
    }
}

fn texts(blocks: &[ContentBlock]) -> Option<String> {
    let parts: Vec<&str> = blocks
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text { text } if !text.is_empty() => Some(text.as_str()),
            _ => None,
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// A tool result as the text of its `tool` message.
pub fn result_text(result: &ToolResult) -> String {
    let body = result
        .content
        .iter()
        .map(|c| match c {
            ToolResultContent::Text(t) => t.clone(),
            ToolResultContent::Json(v) => v.to_string(),
            // Refused before sending (`check_supported` in the backend).
            _ => String::new(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    match result.status {
        ToolResultStatus::Success => body,
        ToolResultStatus::Error => format!("{ERROR_PREFIX}{body}"),
    }
}

fn push_wire_messages(message: &Message, out: &mut Vec<ChatMessage>) {
    match message.role {
        Role::User => {
            for block in &message.content {
                if let ContentBlock::ToolResult(r) = block {
                    out.push(ChatMessage::Tool {
                        tool_call_id: r.tool_use_id.clone(),
                        content: Content::Text(result_text(r)),
                    });
                }
            }
            let images: Vec<&agent_core::Image> = message
                .content
                .iter()
                .filter_map(|b| match b {
                    ContentBlock::Image(i) => Some(i),
                    _ => None,
                })
                .collect();
            let text = texts(&message.content);
            if images.is_empty() {
                if let Some(text) = text {
                    out.push(ChatMessage::User {
                        content: Content::Text(text),
                    });
                }
            } else {
                // The text, then each image as a `data:` URL part.
                let mut parts: Vec<ContentPart> = text
                    .map(|text| ContentPart {
                        kind: "text".into(),
                        text: Some(text),
                        image_url: None,
                    })
                    .into_iter()
                    .collect();
                parts.extend(images.into_iter().map(|i| ContentPart {
                    kind: "image_url".into(),
                    text: None,
                    image_url: Some(ImageUrl {
                        url: format!(
                            "data:{};base64,{}",
                            i.format.mime_type(),
                            i.source.bytes().map(agent_core::Blob::to_base64).unwrap_or_default()
                        ),
                    }),
                }));
                out.push(ChatMessage::User {
                    content: Content::Parts(parts),
                });
            }
        }
        Role::Assistant => {
            let tool_calls: Vec<ToolCall> = message
                .tool_uses()
                .map(|u| ToolCall {
                    id: u.id.clone(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: u.name.clone(),
                        arguments: u.input.to_string(),
                    },
                })
                .collect();
            out.push(ChatMessage::Assistant {
                content: texts(&message.content).map(Content::Text),
                tool_calls,
            });
        }
    }
}

/// The core's stop reason for a `finish_reason`; a message with tool calls
/// stopped to use them whatever the server says (some send `stop`).
pub fn stop_reason_from_wire(reason: Option<&str>, has_tool_calls: bool) -> StopReason {
    match reason {
        Some("length") => StopReason::MaxTokens,
        Some("content_filter") => StopReason::ContentFiltered,
        _ if has_tool_calls => StopReason::ToolUse,
        Some("stop") | Some("eos") | None => StopReason::EndTurn,
        Some("tool_calls") | Some("function_call") => StopReason::ToolUse,
        Some(other) => StopReason::Unknown(other.to_owned()),
    }
}

/// The core's usage for the API's.
pub fn usage_from_wire(usage: Option<&ChatUsage>) -> Usage {
    usage
        .map(|u| Usage {
            input_tokens: u.prompt_tokens,
            output_tokens: u.completion_tokens,
            ..Default::default()
        })
        .unwrap_or_default()
}

/// A tool call's arguments as the core's input: `{}` when empty; kept as
/// text when cut by `max_tokens` (the agent does not run such calls).
pub fn parse_arguments(
    name: &str,
    arguments: &str,
    stop_reason: &StopReason,
) -> Result<Value, ModelError> {
    if arguments.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_str(arguments) {
        Ok(v) => Ok(v),
        Err(_) if *stop_reason == StopReason::MaxTokens => Ok(Value::String(arguments.into())),
        Err(e) => Err(ModelError::protocol(format!(
            "the arguments of the call to `{name}` are not valid JSON ({e}): {arguments}"
        ))),
    }
}

/// The core's response for the API's first choice; `latency` is the
/// measured one.
pub fn from_wire_response(
    response: ChatResponse,
    latency: Duration,
) -> Result<ModelResponse, ModelError> {
    let Some(choice) = response.choices.into_iter().next() else {
        return Err(ModelError::protocol("the response holds no choices"));
    };
    let message = choice.message;
    let stop_reason = stop_reason_from_wire(
        choice.finish_reason.as_deref(),
        !message.tool_calls.is_empty(),
    );
    let mut content = Vec::new();
    if let Some(text) = message.content.filter(|t| !t.is_empty()) {
        content.push(ContentBlock::Text { text });
    } else if let Some(refusal) = message.refusal.filter(|t| !t.is_empty()) {
        content.push(ContentBlock::Text { text: refusal });
    }
    for (i, call) in message.tool_calls.into_iter().enumerate() {
        let input = parse_arguments(&call.function.name, &call.function.arguments, &stop_reason)?;
        content.push(ContentBlock::ToolUse(ToolUse {
            id: if call.id.is_empty() {
                format!("call_{i}")
            } else {
                call.id
            },
            name: call.function.name,
            input,
        }));
    }
    Ok(ModelResponse {
        message: Message {
            role: Role::Assistant,
            content,
        },
        stop_reason,
        usage: usage_from_wire(response.usage.as_ref()),
        latency,
        model_fields: None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use agent_core::InferenceConfig;
    use serde_json::json;
    use tool_api::ToolSpec;

    use super::*;

    /// A conversation of tool calls, results and text; the server side's
    /// tests (`mock/wire.rs`) round-trip it too.
    pub(crate) fn conversation() -> ModelRequest {
        ModelRequest {
            system: Some("Be brief.".into()),
            messages: vec![
                Message::user("Weather?"),
                Message {
                    role: Role::Assistant,
                    content: vec![
                        ContentBlock::ToolUse(ToolUse {
                            id: "call_1".into(),
                            name: "get_weather".into(),
                            input: json!({"location": "Paris", "units": "c"}),
                        }),
                        ContentBlock::ToolUse(ToolUse {
                            id: "call_2".into(),
                            name: "nope".into(),
                            input: json!({}),
                        }),
                    ],
                },
                Message {
                    role: Role::User,
                    content: vec![
                        ContentBlock::ToolResult(ToolResult::success(
                            "call_1",
                            ToolResultContent::Json(json!({"t": 22})),
                        )),
                        ContentBlock::ToolResult(ToolResult::error("call_2", "unknown tool")),
                        ContentBlock::Text {
                            text: "And tomorrow?".into(),
                        },
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
    fn one_user_message_of_results_becomes_n_tool_messages_in_call_order() {
        let wire = to_wire_request(&conversation(), "gpt-x", true, MaxTokensField::MaxTokens);
        assert_eq!(
            serde_json::to_value(&wire).unwrap(),
            json!({
                "model": "gpt-x",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Weather?"},
                    {"role": "assistant", "content": null, "tool_calls": [
                        {"id": "call_1", "type": "function",
                         "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\",\"units\":\"c\"}"}},
                        {"id": "call_2", "type": "function", "function": {"name": "nope", "arguments": "{}"}}
                    ]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "{\"t\":22}"},
                    {"role": "tool", "tool_call_id": "call_2", "content": "Error: unknown tool"},
                    {"role": "user", "content": "And tomorrow?"}
                ],
                "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather.",
                           "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}],
                "parallel_tool_calls": true,
                "max_tokens": 100,
                "temperature": 0.5,
                "stop": ["END"],
                "stream": true,
                "stream_options": {"include_usage": true}
            })
        );
        let openai = to_wire_request(
            &conversation(),
            "gpt-x",
            false,
            MaxTokensField::MaxCompletionTokens,
        );
        let v = serde_json::to_value(&openai).unwrap();
        assert_eq!(v["max_completion_tokens"], 100);
        assert!(v.get("max_tokens").is_none() && v.get("stream_options").is_none());
    }

    #[test]
    fn responses_map_tool_calls_finish_reasons_and_usage() {
        let wire: ChatResponse = serde_json::from_value(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "llama3.2",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": "",
                "tool_calls": [{"id": "call_a", "type": "function",
                                "function": {"name": "get_weather", "arguments": "{\"location\":\"Oslo\"}"}},
                               {"id": "", "type": "function", "function": {"name": "now", "arguments": ""}}]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17}
        }))
        .unwrap();
        let r = from_wire_response(wire, Duration::ZERO).unwrap();
        // Ollama says "stop" with tool calls: they are still tool calls.
        assert_eq!(r.stop_reason, StopReason::ToolUse);
        let uses: Vec<_> = r.message.tool_uses().collect();
        assert_eq!(uses[0].input, json!({"location": "Oslo"}));
        assert_eq!(uses[1].id, "call_1");
        assert_eq!(uses[1].input, json!({}));
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 10,
                output_tokens: 7,
                ..Default::default()
            }
        );
        for (wire, tools, core) in [
            (Some("stop"), false, StopReason::EndTurn),
            (Some("tool_calls"), true, StopReason::ToolUse),
            (Some("length"), true, StopReason::MaxTokens),
            (Some("content_filter"), false, StopReason::ContentFiltered),
            (Some("weird"), false, StopReason::Unknown("weird".into())),
        ] {
            assert_eq!(stop_reason_from_wire(wire, tools), core);
        }
        let bad = parse_arguments("f", "{oops", &StopReason::ToolUse).unwrap_err();
        assert!(bad.to_string().contains("not valid JSON"));
        assert_eq!(
            parse_arguments("f", "{\"a\":", &StopReason::MaxTokens).unwrap(),
            json!("{\"a\":")
        );
    }
}
