//! Chat Completions as the server reads and writes it, written from
//! OpenAI's API reference (the chat completion object, the chunk object,
//! the request body), independently of the client's `crate::wire`: a field
//! the client names wrongly fails here instead of passing on both sides.
//!
//! Requests are read strictly, as OpenAI reads them: an argument it does
//! not know is refused ("Unrecognized request argument supplied"), as is an
//! unknown field of a message, tool or call. Answers carry the documented
//! fields. The conversions to the core's types are the server's own; the
//! protocol has no error flag on a tool result, so every result reads as a
//! success here (what a failure looks like is the client's convention).

use agent_core::{
    ContentBlock, InferenceConfig, Message, ModelRequest, ModelResponse, Role, StopReason,
    ToolResult, ToolResultContent, ToolResultStatus, ToolUse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tool_api::ToolSpec;

/// `POST /v1/chat/completions` body. `model` and `messages` default so
/// that their absence gets OpenAI's own text from the checks.
#[allow(
    dead_code,
    reason = "documented arguments the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Request {
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub tools: Vec<Tool>,
    #[serde(default)]
    pub tool_choice: Option<Value>,
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub stop: Option<Stop>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub seed: Option<i64>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub frequency_penalty: Option<f32>,
    #[serde(default)]
    pub presence_penalty: Option<f32>,
    #[serde(default)]
    pub logprobs: Option<bool>,
    #[serde(default)]
    pub top_logprobs: Option<u32>,
    #[serde(default)]
    pub logit_bias: Option<Value>,
    #[serde(default)]
    pub response_format: Option<Value>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub store: Option<bool>,
    #[serde(default)]
    pub reasoning_effort: Option<String>,
    #[serde(default)]
    pub service_tier: Option<String>,
}

/// `stop`: one sequence or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Stop {
    One(String),
    Many(Vec<String>),
}

/// `stream_options`.
#[allow(
    dead_code,
    reason = "documented options the server accepts and does not use"
)]
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamOptions {
    #[serde(default)]
    pub include_usage: Option<bool>,
    #[serde(default)]
    pub include_obfuscation: Option<bool>,
}

/// One message, by role.
#[allow(
    dead_code,
    reason = "documented fields the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum ChatMessage {
    System {
        content: Content,
        #[serde(default)]
        name: Option<String>,
    },
    Developer {
        content: Content,
        #[serde(default)]
        name: Option<String>,
    },
    User {
        content: Content,
        #[serde(default)]
        name: Option<String>,
    },
    Assistant {
        #[serde(default)]
        content: Option<Content>,
        #[serde(default)]
        tool_calls: Vec<ToolCall>,
        #[serde(default)]
        refusal: Option<String>,
        #[serde(default)]
        name: Option<String>,
    },
    Tool {
        tool_call_id: String,
        content: Content,
    },
}

/// A message's content: a string, or parts.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Parts(Vec<Part>),
}

impl Content {
    /// The text parts, joined by newlines.
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Parts(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Text { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// A content part of a type the API documents.
#[allow(
    dead_code,
    reason = "documented parts the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Part {
    Text { text: String },
    ImageUrl { image_url: Value },
    InputAudio { input_audio: Value },
    File { file: Value },
    Refusal { refusal: String },
}

/// A call of an assistant message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolCall {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionCall,
}

/// The function a call names, and its arguments as JSON text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FunctionCall {
    pub name: String,
    pub arguments: String,
}

/// A tool on offer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tool {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: Function,
}

/// A function's definition.
#[allow(
    dead_code,
    reason = "documented fields the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Function {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub parameters: Value,
    #[serde(default)]
    pub strict: Option<bool>,
}

/// A chat completion object.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Completion {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: Usage,
    pub service_tier: &'static str,
    pub system_fingerprint: &'static str,
}

/// The one choice of a completion.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Choice {
    pub index: u32,
    pub message: AnswerMessage,
    pub logprobs: Option<Value>,
    pub finish_reason: &'static str,
}

/// The assistant's message.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AnswerMessage {
    pub role: &'static str,
    pub content: Option<String>,
    pub refusal: Option<String>,
    pub annotations: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<AnswerCall>,
}

/// A call the assistant asks for.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AnswerCall {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: AnswerFunction,
}

/// The called function and its arguments as JSON text.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AnswerFunction {
    pub name: String,
    pub arguments: String,
}

/// Token usage, with the documented details.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    pub prompt_tokens_details: PromptDetails,
    pub completion_tokens_details: CompletionDetails,
}

/// `usage.prompt_tokens_details`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct PromptDetails {
    pub cached_tokens: u64,
    pub audio_tokens: u64,
}

/// `usage.completion_tokens_details`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct CompletionDetails {
    pub reasoning_tokens: u64,
    pub audio_tokens: u64,
    pub accepted_prediction_tokens: u64,
    pub rejected_prediction_tokens: u64,
}

/// A chat completion chunk object. `usage` is absent unless
/// `include_usage` was asked; then `null` in every chunk but the last.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Chunk {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub service_tier: &'static str,
    pub system_fingerprint: &'static str,
    pub choices: Vec<ChunkChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Option<Usage>>,
}

/// The one choice of a chunk.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    pub logprobs: Option<Value>,
    pub finish_reason: Option<&'static str>,
}

/// What a chunk adds.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Delta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Option<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<CallDelta>,
}

/// A piece of a call: its id, type and name first, then its arguments.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CallDelta {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub function: FunctionDelta,
}

/// A piece of a call's function.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FunctionDelta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub arguments: String,
}

/// The `finish_reason` for the core's stop reason.
pub(crate) fn finish_reason(reason: &StopReason) -> &'static str {
    match reason {
        StopReason::EndTurn | StopReason::StopSequence | StopReason::Unknown(_) => "stop",
        StopReason::ToolUse => "tool_calls",
        StopReason::MaxTokens => "length",
        StopReason::GuardrailIntervened | StopReason::ContentFiltered => "content_filter",
    }
}

/// The request as the core's: what the scenarios play and the record
/// keeps. Consecutive `tool` messages, and a `user` message right after
/// them, become ONE user message, as the core keeps them.
pub(crate) fn to_core(request: &Request) -> ModelRequest {
    let mut system: Vec<String> = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    let mut after_tools = false;
    let push_user =
        |messages: &mut Vec<Message>, block: ContentBlock, after: bool| match messages.last_mut() {
            Some(last) if after => last.content.push(block),
            _ => messages.push(Message {
                role: Role::User,
                content: vec![block],
            }),
        };
    for m in &request.messages {
        match m {
            ChatMessage::System { content, .. } | ChatMessage::Developer { content, .. } => {
                system.push(content.text());
            }
            ChatMessage::User { content, .. } => {
                let text = ContentBlock::Text {
                    text: content.text(),
                };
                push_user(&mut messages, text, after_tools);
                if let Content::Parts(parts) = content {
                    for part in parts {
                        if let Part::ImageUrl { image_url } = part
                            && let Some(image) = data_url_image(image_url)
                        {
                            push_user(&mut messages, ContentBlock::Image(image), true);
                        }
                    }
                }
                after_tools = false;
            }
            ChatMessage::Assistant {
                content,
                tool_calls,
                ..
            } => {
                let mut blocks = Vec::new();
                if let Some(text) = content
                    .as_ref()
                    .map(Content::text)
                    .filter(|t| !t.is_empty())
                {
                    blocks.push(ContentBlock::Text { text });
                }
                for call in tool_calls {
                    let input = serde_json::from_str(&call.function.arguments)
                        .unwrap_or_else(|_| Value::String(call.function.arguments.clone()));
                    blocks.push(ContentBlock::ToolUse(ToolUse {
                        id: call.id.clone(),
                        name: call.function.name.clone(),
                        input,
                    }));
                }
                messages.push(Message {
                    role: Role::Assistant,
                    content: blocks,
                });
                after_tools = false;
            }
            ChatMessage::Tool {
                tool_call_id,
                content,
            } => {
                let result = ContentBlock::ToolResult(ToolResult {
                    tool_use_id: tool_call_id.clone(),
                    content: vec![ToolResultContent::Text(content.text())],
                    status: ToolResultStatus::Success,
                });
                push_user(&mut messages, result, after_tools);
                after_tools = true;
            }
        }
    }
    ModelRequest {
        system: (!system.is_empty()).then(|| system.join("\n\n")),
        messages,
        tools: request
            .tools
            .iter()
            .map(|t| {
                ToolSpec::new(
                    &t.function.name,
                    t.function.description.as_deref().unwrap_or_default(),
                    t.function.parameters.clone(),
                )
            })
            .collect(),
        inference: InferenceConfig {
            max_tokens: request
                .max_completion_tokens
                .or(request.max_tokens)
                .unwrap_or(InferenceConfig::default().max_tokens),
            temperature: request.temperature,
            top_p: request.top_p,
            stop_sequences: match &request.stop {
                None => Vec::new(),
                Some(Stop::One(s)) => vec![s.clone()],
                Some(Stop::Many(v)) => v.clone(),
            },
            thinking: None,
        },
        tool_choice: request.tool_choice.as_ref().and_then(|c| match c {
            Value::String(s) if s == "auto" => Some(agent_core::ToolChoice::Auto),
            Value::String(s) if s == "required" => Some(agent_core::ToolChoice::Any),
            other => other
                .pointer("/function/name")
                .and_then(Value::as_str)
                .map(|n| agent_core::ToolChoice::Tool(n.to_owned())),
        }),
        output_format: super::response_format::output_format(request.response_format.as_ref()),
        ..Default::default()
    }
}

/// The documented usage object for the scenario's token counts.
pub(crate) fn usage(response: &ModelResponse) -> Usage {
    Usage {
        prompt_tokens: response.usage.input_tokens,
        completion_tokens: response.usage.output_tokens,
        total_tokens: response.usage.input_tokens + response.usage.output_tokens,
        prompt_tokens_details: PromptDetails::default(),
        completion_tokens_details: CompletionDetails::default(),
    }
}

/// The scenario's calls as the API writes them: arguments as JSON text.
pub(crate) fn calls(response: &ModelResponse) -> Vec<AnswerCall> {
    response
        .message
        .tool_uses()
        .map(|u| AnswerCall {
            id: u.id.clone(),
            kind: "function",
            function: AnswerFunction {
                name: u.name.clone(),
                arguments: u.input.to_string(),
            },
        })
        .collect()
}

/// The chat completion for the scenario's answer.
pub(crate) fn completion(
    response: &ModelResponse,
    id: &str,
    model: &str,
    created: u64,
) -> Completion {
    let text = response.message.text();
    Completion {
        id: id.to_owned(),
        object: "chat.completion",
        created,
        model: model.to_owned(),
        choices: vec![Choice {
            index: 0,
            message: AnswerMessage {
                role: "assistant",
                content: (!text.is_empty()).then_some(text),
                refusal: None,
                annotations: Vec::new(),
                tool_calls: calls(response),
            },
            logprobs: None,
            finish_reason: finish_reason(&response.stop_reason),
        }],
        usage: usage(response),
        service_tier: "default",
        system_fingerprint: "fp_mock",
    }
}

/// The image of an `image_url` part holding a `data:` URL of a supported
/// format whose bytes are that format; `None` otherwise (the request
/// checks refuse those first).
pub(crate) fn data_url_image(image_url: &Value) -> Option<agent_core::Image> {
    let url = image_url.get("url")?.as_str()?;
    let (head, data) = url.strip_prefix("data:")?.split_once(";base64,")?;
    let format = agent_core::ImageFormat::from_mime_type(head)?;
    let bytes = agent_core::Blob::from_base64(data)?;
    let matches = agent_core::ImageFormat::sniff(&bytes) == Some(format);
    matches.then_some(agent_core::Image {
        format,
        source: agent_core::MediaSource::Bytes(bytes),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const DOCUMENTED: &str = include_str!("../../tests/fixtures/request_tool_result.json");

    #[test]
    fn reads_the_documented_request_as_the_core_conversation() {
        let request: Request = serde_json::from_str(DOCUMENTED).unwrap();
        let core = to_core(&request);
        assert_eq!(core.system.as_deref(), Some("Answer briefly."));
        assert_eq!(core.messages.len(), 3);
        let uses: Vec<_> = core.messages[1].tool_uses().collect();
        assert_eq!(uses[0].id, "call_DdmO9pD3xa9XTPNJ32zg2hcA");
        assert_eq!(uses[0].input, json!({"location": "Paris, France"}));
        let ContentBlock::ToolResult(r) = &core.messages[2].content[0] else {
            panic!("{:?}", core.messages[2]);
        };
        assert_eq!(r.content, [ToolResultContent::Text("14 degrees".into())]);
    }

    #[test]
    fn refuses_unknown_arguments_and_fields_as_openai_does() {
        let with = |path: &[&str], value: Value| {
            let mut body: Value = serde_json::from_str(DOCUMENTED).unwrap();
            let mut at = &mut body;
            for key in &path[..path.len() - 1] {
                at = match key.parse::<usize>() {
                    Ok(i) => &mut at[i],
                    Err(_) => &mut at[*key],
                };
            }
            at[path[path.len() - 1]] = value;
            serde_json::from_value::<Request>(body)
        };
        assert!(with(&["max_tokens"], json!(10)).is_ok());
        for (path, value) in [
            (&["maxTokens"][..], json!(10)),
            (&["messages", "1", "tool_call_id"], json!("x")),
            (&["messages", "2", "tool_calls", "0", "input"], json!({})),
            (&["messages", "3", "is_error"], json!(true)),
            (&["messages", "1", "role"], json!("model")),
            (&["tools", "0", "function", "input_schema"], json!({})),
            (&["stream_options"], json!({"usage": true})),
        ] {
            assert!(with(path, value.clone()).is_err(), "{path:?} = {value}");
        }
    }
}
