//! Chat Completions as the server reads and writes it: a wire request as
//! the core's [`ModelRequest`], the core's [`ModelResponse`] as a wire
//! response. The inverse of `crate::convert`, so both ends are tested
//! against each other; the JSON types themselves are `crate::wire`'s.

use agent_core::{
    ContentBlock, InferenceConfig, Message, ModelRequest, ModelResponse, Role, StopReason,
    ToolResult, ToolResultContent, ToolResultStatus, ToolUse,
};
use serde_json::Value;
use tool_api::ToolSpec;

use crate::convert::ERROR_PREFIX;
use crate::wire::{
    ChatMessage, ChatRequest, ChatResponse, ChatUsage, Choice, Content, FunctionCall,
    ResponseMessage, Stop, ToolCall,
};

/// The `finish_reason` for the core's stop reason.
pub(crate) fn stop_reason_to_wire(reason: &StopReason) -> String {
    match reason {
        StopReason::EndTurn | StopReason::StopSequence => "stop".into(),
        StopReason::ToolUse => "tool_calls".into(),
        StopReason::MaxTokens => "length".into(),
        StopReason::GuardrailIntervened | StopReason::ContentFiltered => "content_filter".into(),
        StopReason::Unknown(other) => other.clone(),
    }
}

/// The core's request for a Chat Completions request (the server side).
/// Consecutive `tool` messages, and a `user` message right after them,
/// become ONE user message, as the core keeps them; a result whose text
/// starts with `Error: ` is an error result.
pub(crate) fn request_from_wire(request: &ChatRequest) -> ModelRequest {
    let mut system: Vec<String> = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    let mut after_tools = false;
    for m in &request.messages {
        match m {
            ChatMessage::System { content } | ChatMessage::Developer { content } => {
                system.push(content.text());
            }
            ChatMessage::User { content } => {
                let block = ContentBlock::Text {
                    text: content.text(),
                };
                match messages.last_mut() {
                    Some(last) if after_tools => last.content.push(block),
                    _ => messages.push(Message {
                        role: Role::User,
                        content: vec![block],
                    }),
                }
                after_tools = false;
            }
            ChatMessage::Assistant {
                content,
                tool_calls,
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
                let text = content.text();
                let status = if text.starts_with(ERROR_PREFIX) {
                    ToolResultStatus::Error
                } else {
                    ToolResultStatus::Success
                };
                let block = ContentBlock::ToolResult(ToolResult {
                    tool_use_id: tool_call_id.clone(),
                    content: vec![ToolResultContent::Text(text)],
                    status,
                });
                match messages.last_mut() {
                    Some(last) if after_tools => last.content.push(block),
                    _ => messages.push(Message {
                        role: Role::User,
                        content: vec![block],
                    }),
                }
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
                    &t.function.description,
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
            stop_sequences: request.stop.as_ref().map(Stop::to_vec).unwrap_or_default(),
        },
    }
}

/// The Chat Completions response for the core's (the server side).
pub(crate) fn response_to_wire(
    response: &ModelResponse,
    id: &str,
    model: &str,
    created: u64,
) -> ChatResponse {
    let text = response.message.text();
    ChatResponse {
        id: id.to_owned(),
        object: "chat.completion".into(),
        created,
        model: model.to_owned(),
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage {
                role: "assistant".into(),
                content: (!text.is_empty()).then_some(text),
                tool_calls: response
                    .message
                    .tool_uses()
                    .map(|u| ToolCall {
                        id: u.id.clone(),
                        kind: "function".into(),
                        function: FunctionCall {
                            name: u.name.clone(),
                            arguments: u.input.to_string(),
                        },
                    })
                    .collect(),
                refusal: None,
            },
            finish_reason: Some(stop_reason_to_wire(&response.stop_reason)),
        }],
        usage: Some(ChatUsage {
            prompt_tokens: response.usage.input_tokens,
            completion_tokens: response.usage.output_tokens,
            total_tokens: response.usage.input_tokens + response.usage.output_tokens,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::tests::conversation;
    use crate::convert::{MaxTokensField, to_wire_request};

    #[test]
    fn the_server_side_regroups_tool_messages_into_one_user_message() {
        let original = conversation();
        let back = request_from_wire(&to_wire_request(
            &original,
            "m",
            false,
            MaxTokensField::MaxTokens,
        ));
        assert_eq!(back.system, original.system);
        assert_eq!(back.tools, original.tools);
        assert_eq!(back.inference, original.inference);
        assert_eq!(back.messages.len(), 3);
        assert_eq!(back.messages[..2], original.messages[..2]);
        let results = &back.messages[2].content;
        assert_eq!(results.len(), 3);
        let ContentBlock::ToolResult(err) = &results[1] else {
            panic!("{results:?}");
        };
        assert!(err.is_error());
        assert_eq!(
            results[2],
            ContentBlock::Text {
                text: "And tomorrow?".into()
            }
        );
    }
}
