//! The Messages API as the server reads and writes it: a wire request as
//! the core's [`ModelRequest`], the core's [`ModelResponse`] as a wire
//! response. The inverse of `crate::convert`, so both ends are tested
//! against each other; the JSON types themselves are `crate::wire`'s.

use agent_core::{
    ContentBlock, InferenceConfig, Message, ModelRequest, ModelResponse, Role, StopReason,
    ToolResult, ToolResultContent, ToolResultStatus, ToolUse,
};
use tool_api::ToolSpec;

use crate::wire::{Block, MessagesRequest, MessagesResponse, SystemPrompt, WireUsage};

/// The API's `stop_reason` for the core's.
pub(crate) fn stop_reason_to_wire(reason: &StopReason) -> String {
    match reason {
        StopReason::EndTurn => "end_turn".into(),
        StopReason::ToolUse => "tool_use".into(),
        StopReason::MaxTokens => "max_tokens".into(),
        StopReason::StopSequence => "stop_sequence".into(),
        StopReason::GuardrailIntervened | StopReason::ContentFiltered => "refusal".into(),
        StopReason::Unknown(other) => other.clone(),
    }
}

/// The core's request for a Messages API request (the server side).
pub(crate) fn request_from_wire(request: &MessagesRequest) -> ModelRequest {
    ModelRequest {
        system: request.system.as_ref().map(SystemPrompt::text),
        messages: request
            .messages
            .iter()
            .map(|m| Message {
                role: m.role,
                content: m
                    .content
                    .blocks()
                    .into_iter()
                    .filter_map(block_from_wire)
                    .collect(),
            })
            .collect(),
        tools: request
            .tools
            .iter()
            .map(|t| ToolSpec::new(&t.name, &t.description, t.input_schema.clone()))
            .collect(),
        inference: InferenceConfig {
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            top_p: request.top_p,
            stop_sequences: request.stop_sequences.clone(),
        },
    }
}

fn block_from_wire(block: Block) -> Option<ContentBlock> {
    match block {
        Block::Text { text } => Some(ContentBlock::Text { text }),
        Block::ToolUse { id, name, input } => {
            Some(ContentBlock::ToolUse(ToolUse { id, name, input }))
        }
        Block::ToolResult {
            tool_use_id,
            content,
            is_error,
        } => Some(ContentBlock::ToolResult(ToolResult {
            tool_use_id,
            content: content
                .map(|c| vec![ToolResultContent::Text(c.text())])
                .unwrap_or_default(),
            status: if is_error {
                ToolResultStatus::Error
            } else {
                ToolResultStatus::Success
            },
        })),
        Block::Other => None,
    }
}

/// The Messages API response for the core's (the server side).
pub(crate) fn response_to_wire(
    response: &ModelResponse,
    id: &str,
    model: &str,
) -> MessagesResponse {
    MessagesResponse {
        id: id.to_owned(),
        kind: "message".into(),
        role: Role::Assistant,
        content: response
            .message
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(Block::Text { text: text.clone() }),
                ContentBlock::ToolUse(u) => Some(Block::ToolUse {
                    id: u.id.clone(),
                    name: u.name.clone(),
                    input: u.input.clone(),
                }),
                ContentBlock::ToolResult(_) => None,
            })
            .collect(),
        model: model.to_owned(),
        stop_reason: Some(stop_reason_to_wire(&response.stop_reason)),
        stop_sequence: None,
        usage: WireUsage {
            input_tokens: response.usage.input_tokens,
            output_tokens: response.usage.output_tokens,
            cache_creation_input_tokens: None,
            cache_read_input_tokens: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::convert::tests::conversation;
    use crate::convert::{from_wire_response, to_wire_request};

    #[test]
    fn requests_round_trip_through_the_server_side() {
        let original = conversation();
        let back = request_from_wire(&to_wire_request(&original, "m", false));
        assert_eq!(back.system, original.system);
        assert_eq!(back.tools, original.tools);
        assert_eq!(back.inference, original.inference);
        assert_eq!(back.messages[..2], original.messages[..2]);
        let ContentBlock::ToolResult(r) = &back.messages[2].content[1] else {
            panic!("{:?}", back.messages[2]);
        };
        assert!(r.is_error());
        assert_eq!(r.content, [ToolResultContent::Text("unknown tool".into())]);
    }

    #[test]
    fn responses_and_stop_reasons_round_trip() {
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
        let again = from_wire_response(response_to_wire(&r, "msg_2", "m"), r.latency);
        assert_eq!(again, r);
        for (wire, core) in [
            ("end_turn", StopReason::EndTurn),
            ("max_tokens", StopReason::MaxTokens),
            ("stop_sequence", StopReason::StopSequence),
            ("refusal", StopReason::ContentFiltered),
            ("pause_turn", StopReason::Unknown("pause_turn".into())),
        ] {
            assert_eq!(stop_reason_to_wire(&core), wire);
        }
    }
}
