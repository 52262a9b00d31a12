//! [`Scenario`]: a scripted conversation, played by [`crate::ScriptedBackend`]
//! and by every local mock server of a wire protocol.
//!
//! Playing is stateless: the scenario is chosen by the first user message of
//! the request ([`crate::select`]) and the turn by the number of assistant messages already in
//! it. So retries, concurrent conversations and restarts all replay exactly.
//!
//! # File format
//!
//! A scenario file (JSON) holds a list of scenarios:
//!
//! ```json
//! [
//!   {
//!     "name": "weather",
//!     "prompt": "What's the weather in Paris?",
//!     "turns": [
//!       { "tool_calls": [ { "name": "get_weather", "input": { "location": "Paris" } } ] },
//!       { "text": "It is sunny in Paris." }
//!     ]
//!   }
//! ]
//! ```
//!
//! - `prompt` is matched against the first user message's text, exactly,
//!   then as a case-insensitive substring; a scenario without `prompt`
//!   matches any conversation no other scenario matched.
//! - A turn with `tool_calls` ends with stop reason `tool_use` (and may carry
//!   `text` before the calls); a turn with only `text` ends the turn.
//!   `"stop": "max_tokens"` makes a turn stop as if cut by `max_tokens`.
//! - Past its last turn a scenario answers with a short final text.
//! - Tool-use ids are `tooluse_<turn>_<index>`, unique within a conversation
//!   (`<turn>` counts the assistant messages before this one: the first
//!   turn's calls are `tooluse_0_0`, `tooluse_0_1`…).
//! - The turn played is the one after the last assistant message: their
//!   count, or one past the highest `<turn>` among the tool-use ids in the
//!   request, whichever is more, so a conversation a context manager has
//!   shortened (older exchanges dropped) carries on with its script.
//! - Input tokens are [`input_tokens`]: the figure usage reports, and the
//!   local servers' `count_tokens` answers, so the two agree.
//! - Unknown keys are refused, naming the key and its line.
//! - A request forcing a tool (tool choice `any` or a tool's name) whose
//!   scripted turn does not call it is answered, as a model would, with a
//!   call of that tool (for `any`, the first tool offered) whose input is
//!   valid against its schema ([`crate::schema_example`]), and nothing else.
//! - A request with native structured output
//!   ([`agent_core::ModelRequest::output_format`]) whose turn makes no calls
//!   is answered with JSON text: the scripted text if it is JSON (valid or
//!   not, to test repairs), else a value valid against the schema.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use agent_core::{
    ContentBlock, Message, ModelRequest, ModelResponse, Role, StopReason, ToolChoice, ToolUse,
    Usage,
};

/// A scripted conversation. Unknown keys are refused (a misspelt
/// `tool_calls` would otherwise play a turn without calls).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for logs and errors.
    pub name: String,
    /// The first user message this scenario answers; `None` answers any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The model's turns, in order.
    pub turns: Vec<ScriptedTurn>,
}

/// One scripted model response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedTurn {
    /// Text before any tool calls (or the whole answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Tool calls, all in this one message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ScriptedCall>,
    /// Overrides the stop reason (`max_tokens`, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopReason>,
}

/// One scripted tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedCall {
    /// The tool's name.
    pub name: String,
    /// Its input.
    pub input: Value,
}

impl ScriptedTurn {
    /// A final answer.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// A turn that asks for `calls`, all at once.
    pub fn tools(calls: impl IntoIterator<Item = (&'static str, Value)>) -> Self {
        Self {
            tool_calls: calls
                .into_iter()
                .map(|(name, input)| ScriptedCall {
                    name: name.into(),
                    input,
                })
                .collect(),
            ..Self::default()
        }
    }
}

impl Scenario {
    /// A scenario answering `prompt` with `turns`.
    pub fn new(name: impl Into<String>, prompt: Option<&str>, turns: Vec<ScriptedTurn>) -> Self {
        Self {
            name: name.into(),
            prompt: prompt.map(str::to_owned),
            turns,
        }
    }

    /// The response to `request` under this scenario: the turn after the
    /// last assistant message. Token counts are estimated (4 bytes a token)
    /// so usage figures move like a real model's.
    pub fn respond(&self, request: &ModelRequest) -> ModelResponse {
        let turn_index = turn_of(request);
        let mut content = Vec::new();
        let (turn, default_stop) = match self.turns.get(turn_index) {
            Some(turn) => (turn.clone(), None),
            None => (
                ScriptedTurn::text(format!("Done ({}).", self.name)),
                Some(StopReason::EndTurn),
            ),
        };
        let (turn, default_stop) = match forced_call(request, &turn) {
            Some(call) => (
                ScriptedTurn {
                    tool_calls: vec![call],
                    ..ScriptedTurn::default()
                },
                None,
            ),
            None => (turn, default_stop),
        };
        if let Some(text) = native_output_text(request, &turn).or_else(|| turn.text.clone()) {
            content.push(ContentBlock::Text { text });
        }
        for (i, call) in turn.tool_calls.iter().enumerate() {
            content.push(ContentBlock::ToolUse(ToolUse {
                id: format!("tooluse_{turn_index}_{i}"),
                name: call.name.clone(),
                input: call.input.clone(),
            }));
        }
        let stop_reason =
            turn.stop
                .clone()
                .or(default_stop)
                .unwrap_or(if turn.tool_calls.is_empty() {
                    StopReason::EndTurn
                } else {
                    StopReason::ToolUse
                });
        let message = Message {
            role: Role::Assistant,
            content,
        };
        let usage = Usage {
            input_tokens: input_tokens(request),
            output_tokens: estimate_tokens(&serde_json::to_string(&message).unwrap_or_default()),
            ..Usage::default()
        };
        ModelResponse {
            message,
            stop_reason,
            usage,
            latency: std::time::Duration::ZERO,
            model_fields: None,
        }
    }
}

/// The input tokens a scripted model counts for `request`: a token per 4
/// bytes of its messages' JSON. Usage figures and `count_tokens` both use it.
pub fn input_tokens(request: &ModelRequest) -> u64 {
    estimate_tokens(&serde_json::to_string(&request.messages).unwrap_or_default())
}

/// The turn `request` asks for: after the last assistant message, counted,
/// or read from the scripted tool-use ids when older turns were dropped.
fn turn_of(request: &ModelRequest) -> usize {
    let assistants = request
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant);
    let counted = assistants.clone().count();
    let from_ids = assistants
        .flat_map(|m| m.tool_uses())
        .filter_map(|u| {
            let rest = u.id.strip_prefix("tooluse_")?;
            rest.split('_').next()?.parse::<usize>().ok()
        })
        .max()
        .map_or(0, |t| t + 1);
    counted.max(from_ids)
}

/// The call a forced tool choice obliges the model to make when its
/// scripted `turn` does not make it: `None` if nothing is forced or the
/// turn already complies (a call of the named tool; for `any`, any call).
fn forced_call(request: &ModelRequest, turn: &ScriptedTurn) -> Option<ScriptedCall> {
    let spec = match request.tool_choice.as_ref()? {
        ToolChoice::Auto => return None,
        ToolChoice::Any if !turn.tool_calls.is_empty() => return None,
        ToolChoice::Any => request.tools.first()?,
        ToolChoice::Tool(name) if turn.tool_calls.iter().any(|c| &c.name == name) => {
            return None;
        }
        ToolChoice::Tool(name) => request.tools.iter().find(|t| &t.name == name)?,
    };
    Some(ScriptedCall {
        name: spec.name.clone(),
        input: crate::schema_example(&spec.input_schema),
    })
}

/// The text a request with native structured output
/// ([`ModelRequest::output_format`]) obliges an answer without calls to
/// be, when the scripted text is not JSON: a value valid against the
/// schema. Scripted JSON, even invalid, is played as written, so a
/// scenario can test repairs.
fn native_output_text(request: &ModelRequest, turn: &ScriptedTurn) -> Option<String> {
    let format = request.output_format.as_ref()?;
    if !turn.tool_calls.is_empty() {
        return None;
    }
    let scripted = turn.text.as_deref().unwrap_or_default().trim();
    if serde_json::from_str::<Value>(scripted).is_ok() {
        return None;
    }
    Some(crate::schema_example(&format.schema).to_string())
}

fn estimate_tokens(s: &str) -> u64 {
    (s.len() as u64).div_ceil(4)
}
