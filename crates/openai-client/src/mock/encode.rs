//! The stream's body: a [`ModelResponse`] as the chunks of a Chat
//! Completions stream (text in small deltas, each tool call opened with its
//! id and name then its arguments in pieces, the last call's arguments cut
//! short when the turn stops at `max_tokens`, usage last).

use agent_core::{ModelResponse, StopReason};
use mock_support::split::{cut_half, pieces, word_chunks};

use super::wire::{
    CallDelta, Chunk, ChunkChoice, Delta, FunctionDelta, calls, finish_reason, usage,
};

/// The stream's chunks, as data JSON, `[DONE]` last. With `include_usage`,
/// every chunk carries `usage: null` and a last chunk without choices
/// carries the usage, as documented.
pub(crate) fn chunks(
    response: &ModelResponse,
    id: &str,
    model: &str,
    created: u64,
    include_usage: bool,
) -> Vec<String> {
    let chunk = |delta: Delta, finish_reason: Option<&'static str>| Chunk {
        id: id.to_owned(),
        object: "chat.completion.chunk",
        created,
        model: model.to_owned(),
        service_tier: "default",
        system_fingerprint: "fp_mock",
        choices: vec![ChunkChoice {
            index: 0,
            delta,
            logprobs: None,
            finish_reason,
        }],
        usage: include_usage.then_some(None),
    };
    let mut out = vec![chunk(
        Delta {
            role: Some("assistant"),
            content: Some(String::new()),
            refusal: Some(None),
            tool_calls: Vec::new(),
        },
        None,
    )];
    let text = response.message.text();
    for piece in word_chunks(&text, 3) {
        out.push(chunk(
            Delta {
                content: Some(piece),
                ..Delta::default()
            },
            None,
        ));
    }
    let calls = calls(response);
    let cut = response.stop_reason == StopReason::MaxTokens;
    for (index, call) in calls.iter().enumerate() {
        out.push(chunk(
            Delta {
                tool_calls: vec![CallDelta {
                    index,
                    id: Some(call.id.clone()),
                    kind: Some("function"),
                    function: FunctionDelta {
                        name: Some(call.function.name.clone()),
                        arguments: String::new(),
                    },
                }],
                ..Delta::default()
            },
            None,
        ));
        let mut arguments = call.function.arguments.clone();
        if cut && index + 1 == calls.len() {
            arguments = cut_half(&arguments);
        }
        for piece in pieces(&arguments, 3) {
            out.push(chunk(
                Delta {
                    tool_calls: vec![CallDelta {
                        index,
                        id: None,
                        kind: None,
                        function: FunctionDelta {
                            name: None,
                            arguments: piece,
                        },
                    }],
                    ..Delta::default()
                },
                None,
            ));
        }
    }
    out.push(chunk(
        Delta::default(),
        Some(finish_reason(&response.stop_reason)),
    ));
    if include_usage {
        out.push(Chunk {
            choices: Vec::new(),
            usage: Some(Some(usage(response))),
            ..chunk(Delta::default(), None)
        });
    }
    let mut data: Vec<String> = out
        .iter()
        .map(|c| serde_json::to_string(c).unwrap_or_default())
        .collect();
    data.push("[DONE]".into());
    data
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agent_core::{ContentBlock, Message, Role, ToolUse, Usage};
    use serde_json::{Value, json};

    use super::*;

    fn response(stop: StopReason) -> ModelResponse {
        ModelResponse {
            message: Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Text {
                        text: "Let me check both for you.".into(),
                    },
                    ContentBlock::ToolUse(ToolUse {
                        id: "tooluse_0_0".into(),
                        name: "get_weather".into(),
                        input: json!({"location": "New York"}),
                    }),
                    ContentBlock::ToolUse(ToolUse {
                        id: "tooluse_0_1".into(),
                        name: "get_stock_price".into(),
                        input: json!({"symbol": "AAPL"}),
                    }),
                ],
            },
            stop_reason: stop,
            usage: Usage {
                input_tokens: 40,
                output_tokens: 12,
                ..Default::default()
            },
            latency: Duration::ZERO,
            model_fields: None,
        }
    }

    /// The text, and each call's arguments, joined from the chunks.
    fn joined(data: &[String]) -> (String, Vec<String>) {
        let (mut text, mut args) = (String::new(), Vec::<String>::new());
        for d in &data[..data.len() - 1] {
            let chunk: Value = serde_json::from_str(d).unwrap();
            let Some(delta) = chunk["choices"].get(0).map(|c| &c["delta"]) else {
                continue;
            };
            if let Some(t) = delta["content"].as_str() {
                text.push_str(t);
            }
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                let i = call["index"].as_u64().unwrap() as usize;
                if args.len() <= i {
                    args.resize(i + 1, String::new());
                }
                args[i].push_str(call["function"]["arguments"].as_str().unwrap());
            }
        }
        (text, args)
    }

    #[test]
    fn the_chunks_carry_the_text_and_each_calls_arguments_in_pieces() {
        let data = chunks(&response(StopReason::ToolUse), "c", "m", 0, true);
        assert_eq!(data.last().unwrap(), "[DONE]");
        let (text, args) = joined(&data);
        assert_eq!(text, "Let me check both for you.");
        assert_eq!(args, [r#"{"location":"New York"}"#, r#"{"symbol":"AAPL"}"#]);
        let usage: Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
        assert_eq!(usage["usage"]["total_tokens"], 52);
        let (_, cut) = joined(&chunks(
            &response(StopReason::MaxTokens),
            "c",
            "m",
            0,
            false,
        ));
        assert!(cut[1].len() < args[1].len() && args[1].starts_with(&cut[1]));
    }
}
