//! The Messages API as the server reads and writes it, written from
//! Anthropic's documentation (Messages API reference, "Streaming
//! messages"), independently of the client's `crate::wire`: a field the
//! client names wrongly fails here instead of passing on both sides.
//!
//! Requests are read strictly, as the API reads them: a field it does not
//! know is refused ("Extra inputs are not permitted"), as is a block type
//! it does not know. Answers are written with the documented fields only.
//! The conversions to the core's types are the server's own: a request as
//! the [`ModelRequest`] the scenarios play, the scenario's
//! [`ModelResponse`] as a message or its stream events.

use agent_core::{
    Blob, ContentBlock, Document, DocumentFormat, Image, ImageFormat, InferenceConfig, MediaSource,
    Message as CoreMessage, ModelRequest, ModelResponse, Reasoning, Role as CoreRole, StopReason,
    ToolResult, ToolResultContent, ToolResultStatus, ToolUse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tool_api::ToolSpec;

/// `POST /v1/messages` body. `model` and `max_tokens` default so that
/// their absence gets the API's "Field required" text from the checks.
#[allow(
    dead_code,
    reason = "documented fields the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Request {
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub max_tokens: u32,
    #[serde(default)]
    pub messages: Vec<InputMessage>,
    #[serde(default)]
    pub system: Option<System>,
    #[serde(default)]
    pub tools: Vec<Tool>,
    #[serde(default)]
    pub tool_choice: Option<Value>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub top_k: Option<u32>,
    #[serde(default)]
    pub stop_sequences: Vec<String>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub service_tier: Option<String>,
    #[serde(default)]
    pub thinking: Option<Value>,
}

/// `POST /v1/messages/count_tokens` body: a message request's fields
/// without the sampling settings (which the endpoint refuses as extra).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountRequest {
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub messages: Vec<InputMessage>,
    #[serde(default)]
    pub system: Option<System>,
    #[serde(default)]
    pub tools: Vec<Tool>,
    #[serde(default)]
    pub tool_choice: Option<Value>,
    #[serde(default)]
    pub thinking: Option<Value>,
}

impl CountRequest {
    /// As a message request, to be checked and read the same way (one
    /// token to write: the count endpoint has no `max_tokens`).
    pub(crate) fn into_request(self) -> Request {
        Request {
            model: self.model,
            max_tokens: 1,
            messages: self.messages,
            system: self.system,
            tools: self.tools,
            tool_choice: self.tool_choice,
            temperature: None,
            top_p: None,
            top_k: None,
            stop_sequences: Vec::new(),
            stream: false,
            metadata: None,
            service_tier: None,
            thinking: self.thinking,
        }
    }
}

/// `system`: a string, or text blocks.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum System {
    Text(String),
    Blocks(Vec<SystemBlock>),
}

/// A block of `system`: text only.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum SystemBlock {
    Text(TextBlock),
}

/// A `text` block: in `system`, in a message, in a `tool_result`.
#[allow(
    dead_code,
    reason = "documented fields the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextBlock {
    pub text: String,
    #[serde(default)]
    pub cache_control: Option<Value>,
    #[serde(default)]
    pub citations: Option<Value>,
}

/// An `image` block: in a message or a `tool_result`.
#[allow(
    dead_code,
    reason = "documented fields the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImageBlock {
    pub source: Value,
    #[serde(default)]
    pub cache_control: Option<Value>,
}

/// A `document` block: in a message or a `tool_result`.
#[allow(
    dead_code,
    reason = "documented fields the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentBlock {
    pub source: Value,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub citations: Option<Value>,
    #[serde(default)]
    pub cache_control: Option<Value>,
}

/// `user` or `assistant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    User,
    Assistant,
}

/// One input message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InputMessage {
    pub role: Role,
    pub content: InputContent,
}

/// A message's content: a string is one text block.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum InputContent {
    Text(String),
    Blocks(Vec<InputBlock>),
}

impl InputContent {
    /// The content as blocks.
    pub fn blocks(&self) -> Vec<InputBlock> {
        match self {
            Self::Text(text) => vec![InputBlock::Text(TextBlock {
                text: text.clone(),
                cache_control: None,
                citations: None,
            })],
            Self::Blocks(blocks) => blocks.clone(),
        }
    }
}

/// An input content block of a type the API documents for messages.
#[allow(
    dead_code,
    reason = "documented fields the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum InputBlock {
    Text(TextBlock),
    Image(ImageBlock),
    Document(DocumentBlock),
    ToolUse {
        id: String,
        name: String,
        input: Value,
        #[serde(default)]
        cache_control: Option<Value>,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(default)]
        content: Option<ResultContent>,
        #[serde(default)]
        is_error: Option<bool>,
        #[serde(default)]
        cache_control: Option<Value>,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
}

/// A `tool_result`'s content: a string, or text and image blocks.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum ResultContent {
    Text(String),
    Blocks(Vec<ResultBlock>),
}

/// A block inside a `tool_result`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ResultBlock {
    Text(TextBlock),
    Image(ImageBlock),
    Document(DocumentBlock),
}

/// A client tool's definition.
#[allow(
    dead_code,
    reason = "documented fields the server accepts and does not use"
)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tool {
    /// `custom`, when given.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub input_schema: Value,
    #[serde(default)]
    pub cache_control: Option<Value>,
}

/// A whole message, as the API answers (and, empty, in `message_start`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Message {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub role: &'static str,
    pub content: Vec<OutputBlock>,
    pub model: String,
    pub stop_reason: Option<&'static str>,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
}

/// A block of an answer.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum OutputBlock {
    Text {
        text: String,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

/// Token usage of an answer.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Only when caching was asked for, as the API does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
}

impl Usage {
    /// The API's usage for the scenario's `usage`, with `output` tokens.
    pub(crate) fn of(usage: &agent_core::Usage, output: u64) -> Self {
        let cached = usage.cache_read_input_tokens + usage.cache_write_input_tokens > 0;
        Self {
            input_tokens: usage.input_tokens,
            output_tokens: output,
            cache_creation_input_tokens: cached.then_some(usage.cache_write_input_tokens),
            cache_read_input_tokens: cached.then_some(usage.cache_read_input_tokens),
        }
    }
}

/// One event of a stream: its `type` is also its SSE event name.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Event {
    MessageStart {
        message: Message,
    },
    ContentBlockStart {
        index: usize,
        content_block: OutputBlock,
    },
    Ping,
    ContentBlockDelta {
        index: usize,
        delta: Delta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDelta,
        usage: DeltaUsage,
    },
    MessageStop,
}

impl Event {
    /// The SSE event name: the same as the data's `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::MessageStart { .. } => "message_start",
            Self::ContentBlockStart { .. } => "content_block_start",
            Self::Ping => "ping",
            Self::ContentBlockDelta { .. } => "content_block_delta",
            Self::ContentBlockStop { .. } => "content_block_stop",
            Self::MessageDelta { .. } => "message_delta",
            Self::MessageStop => "message_stop",
        }
    }
}

/// A piece of a block.
#[allow(
    clippy::enum_variant_names,
    reason = "the API's own names: text_delta, input_json_delta, thinking_delta, signature_delta"
)]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Delta {
    TextDelta { text: String },
    InputJsonDelta { partial_json: String },
    ThinkingDelta { thinking: String },
    SignatureDelta { signature: String },
}

/// The body of `message_delta`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MessageDelta {
    pub stop_reason: &'static str,
    pub stop_sequence: Option<String>,
}

/// The usage of `message_delta`: the output tokens so far.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct DeltaUsage {
    pub output_tokens: u64,
}

/// The API's `stop_reason` for the core's.
pub(crate) fn stop_reason(reason: &StopReason) -> &'static str {
    match reason {
        StopReason::EndTurn => "end_turn",
        StopReason::ToolUse => "tool_use",
        StopReason::MaxTokens => "max_tokens",
        StopReason::StopSequence => "stop_sequence",
        StopReason::GuardrailIntervened | StopReason::ContentFiltered => "refusal",
        StopReason::Unknown(_) => "end_turn",
    }
}

/// The text of text blocks, joined by newlines.
fn joined<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    texts.collect::<Vec<_>>().join("\n")
}

impl System {
    /// The prompt's text.
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Blocks(blocks) => joined(blocks.iter().map(|b| match b {
                SystemBlock::Text(t) => t.text.as_str(),
            })),
        }
    }
}

/// The request as the core's: what the scenarios play and the record
/// keeps. Blocks the scenarios have no use for (images, documents,
/// thinking) are left out.
pub(crate) fn to_core(request: &Request) -> ModelRequest {
    let messages = request
        .messages
        .iter()
        .map(|m| CoreMessage {
            role: match m.role {
                Role::User => CoreRole::User,
                Role::Assistant => CoreRole::Assistant,
            },
            content: m
                .content
                .blocks()
                .iter()
                .filter_map(block_to_core)
                .collect(),
        })
        .collect();
    ModelRequest {
        system: request.system.as_ref().map(System::text),
        messages,
        tools: request
            .tools
            .iter()
            .map(|t| {
                ToolSpec::new(
                    &t.name,
                    t.description.as_deref().unwrap_or_default(),
                    t.input_schema.clone(),
                )
            })
            .collect(),
        inference: InferenceConfig {
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            top_p: request.top_p,
            stop_sequences: request.stop_sequences.clone(),
            thinking: None,
        },
        tool_choice: request.tool_choice.as_ref().and_then(|c| {
            match c.get("type").and_then(Value::as_str)? {
                "auto" => Some(agent_core::ToolChoice::Auto),
                "any" => Some(agent_core::ToolChoice::Any),
                "tool" => c
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|n| agent_core::ToolChoice::Tool(n.to_owned())),
                _ => None,
            }
        }),
        ..Default::default()
    }
}

fn block_to_core(block: &InputBlock) -> Option<ContentBlock> {
    match block {
        InputBlock::Text(t) => Some(ContentBlock::Text {
            text: t.text.clone(),
        }),
        InputBlock::ToolUse {
            id, name, input, ..
        } => Some(ContentBlock::ToolUse(ToolUse {
            id: id.clone(),
            name: name.clone(),
            input: input.clone(),
        })),
        InputBlock::ToolResult {
            tool_use_id,
            content,
            is_error,
            ..
        } => {
            let text = match content {
                None => None,
                Some(ResultContent::Text(text)) => Some(text.clone()),
                Some(ResultContent::Blocks(blocks)) => {
                    let text = joined(blocks.iter().filter_map(|b| match b {
                        ResultBlock::Text(t) => Some(t.text.as_str()),
                        _ => None,
                    }));
                    (!text.is_empty()).then_some(text)
                }
            };
            let media = match content {
                Some(ResultContent::Blocks(blocks)) => blocks
                    .iter()
                    .filter_map(|b| match b {
                        ResultBlock::Image(i) => i.to_core().map(ToolResultContent::Image),
                        ResultBlock::Document(d) => d.to_core().map(ToolResultContent::Document),
                        ResultBlock::Text(_) => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Some(ContentBlock::ToolResult(ToolResult {
                tool_use_id: tool_use_id.clone(),
                content: text
                    .map(ToolResultContent::Text)
                    .into_iter()
                    .chain(media)
                    .collect(),
                status: if *is_error == Some(true) {
                    ToolResultStatus::Error
                } else {
                    ToolResultStatus::Success
                },
            }))
        }
        InputBlock::Thinking {
            thinking,
            signature,
        } => Some(ContentBlock::Reasoning(Reasoning {
            text: thinking.clone(),
            signature: Some(signature.clone()),
        })),
        InputBlock::RedactedThinking { data } => Some(ContentBlock::RedactedReasoning {
            data: Blob::from(data.as_bytes()),
        }),
        InputBlock::Image(i) => i.to_core().map(ContentBlock::Image),
        InputBlock::Document(d) => d.to_core().map(ContentBlock::Document),
    }
}

impl ImageBlock {
    /// The image of a source (`{"type": "base64", "media_type", "data"}`)
    /// as the core's; its bytes were checked (`thinking::check`).
    fn to_core(&self) -> Option<Image> {
        let source = &self.source;
        let format = ImageFormat::from_mime_type(source.get("media_type")?.as_str()?)?;
        let bytes = Blob::from_base64(source.get("data")?.as_str()?)?;
        Some(Image {
            format,
            source: MediaSource::Bytes(bytes),
        })
    }
}

impl DocumentBlock {
    /// The document as the core's: a base64 PDF, or plain text.
    fn to_core(&self) -> Option<Document> {
        let data = self.source.get("data")?.as_str()?;
        let (format, bytes) = match self.source.get("type")?.as_str()? {
            "base64" => (DocumentFormat::Pdf, Blob::from_base64(data)?),
            "text" => (DocumentFormat::Txt, Blob::from(data.as_bytes())),
            _ => return None,
        };
        Some(Document {
            name: self.title.as_deref().unwrap_or("document").to_owned(),
            format,
            source: MediaSource::Bytes(bytes),
        })
    }
}

/// The blocks of the scenario's answer, as the API writes them.
pub(crate) fn output_blocks(response: &ModelResponse) -> Vec<OutputBlock> {
    response
        .message
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text { text } => Some(OutputBlock::Text { text: text.clone() }),
            ContentBlock::ToolUse(u) => Some(OutputBlock::ToolUse {
                id: u.id.clone(),
                name: u.name.clone(),
                input: u.input.clone(),
            }),
            ContentBlock::Reasoning(r) => Some(OutputBlock::Thinking {
                thinking: r.text.clone(),
                signature: r.signature.clone().unwrap_or_default(),
            }),
            ContentBlock::RedactedReasoning { data } => Some(OutputBlock::RedactedThinking {
                data: String::from_utf8_lossy(data).into_owned(),
            }),
            // The scripted model writes no other blocks.
            _ => None,
        })
        .collect()
}

/// The whole message for the scenario's answer.
pub(crate) fn message(response: &ModelResponse, id: &str, model: &str) -> Message {
    Message {
        id: id.to_owned(),
        kind: "message",
        role: "assistant",
        content: output_blocks(response),
        model: model.to_owned(),
        stop_reason: Some(stop_reason(&response.stop_reason)),
        stop_sequence: None,
        usage: Usage::of(&response.usage, response.usage.output_tokens),
    }
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
        assert_eq!(core.inference.max_tokens, 1024);
        assert_eq!(core.tools.len(), 1);
        assert_eq!(core.tools[0].name, "get_weather");
        assert_eq!(core.messages.len(), 3);
        assert_eq!(
            core.messages[0].text(),
            "What's the weather like in San Francisco?"
        );
        let uses: Vec<_> = core.messages[1].tool_uses().collect();
        assert_eq!(uses[0].id, "toolu_01A09q90qw90lq917835lq9");
        assert_eq!(uses[0].input, json!({"location": "San Francisco, CA"}));
        let ContentBlock::ToolResult(r) = &core.messages[2].content[0] else {
            panic!("{:?}", core.messages[2]);
        };
        assert_eq!(r.tool_use_id, "toolu_01A09q90qw90lq917835lq9");
        assert_eq!(r.content, [ToolResultContent::Text("15 degrees".into())]);
        assert!(!r.is_error());
    }

    #[test]
    fn refuses_unknown_fields_and_block_types_as_the_api_does() {
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
            (&["messages", "0", "name"], json!("x")),
            (&["messages", "1", "content", "1", "arguments"], json!({})),
            (&["messages", "2", "content", "0", "status"], json!("ok")),
            (&["messages", "1", "content", "0", "extra"], json!(1)),
            (
                &["system"],
                json!([{"type": "text", "text": "Hi.", "extra": 1}]),
            ),
            (&["messages", "1", "content", "0", "type"], json!("toolUse")),
            (&["tools", "0", "parameters"], json!({})),
        ] {
            let e = with(path, value.clone()).unwrap_err();
            assert!(!e.to_string().is_empty(), "{path:?} = {value}");
        }
    }

    #[test]
    fn writes_the_documented_fields() {
        let response = ModelResponse {
            message: CoreMessage {
                role: CoreRole::Assistant,
                content: vec![ContentBlock::Text { text: "Hi".into() }],
            },
            stop_reason: StopReason::EndTurn,
            usage: agent_core::Usage {
                input_tokens: 3,
                output_tokens: 1,
                ..Default::default()
            },
            latency: std::time::Duration::ZERO,
            model_fields: None,
        };
        let written = serde_json::to_value(message(&response, "msg_1", "m")).unwrap();
        assert_eq!(
            written,
            json!({
                "id": "msg_1", "type": "message", "role": "assistant",
                "content": [{"type": "text", "text": "Hi"}], "model": "m",
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": 3, "output_tokens": 1}
            })
        );
    }
}
