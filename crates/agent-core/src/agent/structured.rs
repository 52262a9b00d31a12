//! Structured output: the final answer as a value valid against a JSON
//! Schema, through an output tool.
//!
//! The schema is offered as one more tool, [`OutputSchema::TOOL_NAME`] by
//! default (normalised like any tool's schema); the model answers by
//! calling it. When the model ends its turn without calling it, the run
//! asks for it and forces it with tool choice on the next call. The value
//! is validated (`tool_api::schema::validate`): an invalid one is answered
//! with the validation error as an error tool result, and the model tries
//! again, forced, at most [`OutputSchema::max_repairs`] times; then the run
//! fails with [`AgentErrorKind::InvalidOutput`](super::AgentErrorKind).
//! The output tool never runs: the loop reads its input. Every call of the
//! final message is answered, so the conversation stays valid.
//!
//! A backend with native structured output
//! ([`crate::ModelBackend::native_structured_output`], OpenAI's
//! `response_format`) gets no output tool: the request carries the schema
//! as [`crate::ModelRequest::output_format`], and the answer that ends the
//! turn is read as the value: its text, parsed as JSON, validated the same
//! way and repaired the same bounded way (a user message with the error
//! instead of an error tool result; nothing is forced).

use serde_json::Value;
use tool_api::ToolSpec;

use super::eager::Started;
use super::run::{Next, Run, Stop};
use crate::{ContentBlock, Message, OutputFormat, Role, StopReason, ToolChoice, ToolResult};

/// The schema a run's final answer must fit (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSchema {
    spec: ToolSpec,
    max_repairs: u32,
}

impl OutputSchema {
    /// The output tool's name unless [`OutputSchema::named`] changes it.
    pub const TOOL_NAME: &'static str = "final_answer";

    /// Repairs of an invalid answer allowed by default.
    pub const DEFAULT_MAX_REPAIRS: u32 = 2;

    /// The output of a run whose answer must fit `schema` (a JSON Schema
    /// whose root is an object, as a tool input's). The error says why a
    /// schema cannot be used.
    pub fn new(schema: Value) -> Result<Self, String> {
        let schema = tool_api::schema::normalize(schema)?;
        Ok(Self {
            spec: ToolSpec::new(
                Self::TOOL_NAME,
                "Give your final answer by calling this tool, its input the answer; \
                 call it once, when you are done, and write nothing after it.",
                schema,
            ),
            max_repairs: Self::DEFAULT_MAX_REPAIRS,
        })
    }

    /// The output of a run whose answer is a `T` (its `schemars` schema).
    pub fn for_type<T: schemars::JsonSchema>() -> Result<Self, String> {
        Self::new(schemars::schema_for!(T).to_value())
    }

    /// Names the output tool `name` (a valid tool name, unlike the agent's).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.spec.name = name.into();
        self
    }

    /// Allows `n` repairs of an invalid answer (default 2).
    pub fn max_repairs(mut self, n: u32) -> Self {
        self.max_repairs = n;
        self
    }

    /// The output tool's spec, as offered to the model.
    pub fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    /// The normalised schema.
    pub fn schema(&self) -> &Value {
        &self.spec.input_schema
    }
}

/// A run's structured-output state.
#[derive(Debug)]
pub(super) struct Output {
    schema: OutputSchema,
    /// Answers refused so far (invalid, or no answer at all).
    refused: u32,
    /// The accepted value.
    pub value: Option<Value>,
    /// Whether the backend constrains the final text natively (no output
    /// tool; the text is the value).
    native: bool,
}

impl Output {
    /// The state of a run whose answer must fit `schema`; `native` when
    /// the backend has native structured output.
    pub fn new(schema: OutputSchema, native: bool) -> Self {
        Self {
            schema,
            refused: 0,
            value: None,
            native,
        }
    }
}

/// The result given to the output call once its value is accepted.
const ACCEPTED: &str = "Accepted.";

impl<'a> Run<'a> {
    /// The tools of the next request: the agent's, and the output tool in
    /// a structured run.
    pub(super) fn request_tools(&self) -> Vec<ToolSpec> {
        let mut tools = self.specs.as_ref().clone();
        if let Some(output) = self.structured.as_ref().filter(|o| !o.native) {
            tools.push(output.schema.spec.clone());
        }
        tools
    }

    /// The output format of the next request: the schema, in a structured
    /// run on a backend with native structured output.
    pub(super) fn request_output_format(&self) -> Option<OutputFormat> {
        let output = self.structured.as_ref().filter(|o| o.native)?;
        Some(OutputFormat {
            name: output.schema.spec.name.clone(),
            schema: output.schema.schema().clone(),
        })
    }

    /// A structured run's turn: the output call accepted (the run
    /// responds), refused (the model tries again, forced), or missing from
    /// an answer that ends the turn (asked for, forced). Anything else (no
    /// structured output, tool calls to run, a message cut by max_tokens)
    /// is handed back for the usual turn.
    pub(super) async fn structured_turn(
        &mut self,
        message: Message,
        stop: &StopReason,
        early: Option<Started<'a>>,
    ) -> Result<Next<'a>, (Message, Option<Started<'a>>)> {
        let Some(output) = &self.structured else {
            return Err((message, early));
        };
        if *stop == StopReason::MaxTokens {
            return Err((message, early));
        }
        if output.native {
            return self.native_turn(message, early).await;
        }
        let name = output.schema.spec.name.clone();
        let call = message.tool_uses().find(|u| u.name == name).cloned();
        let Some(call) = call else {
            if message.tool_uses().next().is_some() {
                return Err((message, early));
            }
            // The model ended its turn without the output tool: ask for it.
            if let Some(early) = early {
                early.cancel().await;
            }
            let problem = format!("the model ended its turn without calling `{name}`");
            if let Some(stop) = self.refuse(problem) {
                if !message.content.is_empty() {
                    self.push(message);
                }
                return Ok(Next::Stop(stop));
            }
            if !message.content.is_empty() {
                self.push(message);
            }
            self.journaling_push_user(format!(
                "Give your final answer now by calling the `{name}` tool."
            ));
            return Ok(Next::Think);
        };
        // The output tool never runs, and neither do calls beside it: the
        // answer ends the run, or the model must give it again, alone.
        if let Some(early) = early {
            early.cancel().await;
        }
        let checked = tool_api::schema::validate(output.schema.schema(), &call.input);
        let answer = message.text();
        let others = |why: &str| -> Vec<ContentBlock> {
            message
                .tool_uses()
                .filter(|u| u.id != call.id)
                .map(|u| ContentBlock::ToolResult(ToolResult::error(u.id.clone(), why)))
                .collect()
        };
        match checked {
            Ok(()) => {
                let mut results = vec![ContentBlock::ToolResult(ToolResult::success(
                    call.id.clone(),
                    crate::ToolResultContent::Text(ACCEPTED.into()),
                ))];
                results.extend(others("Not run: the final answer ended the run."));
                self.push(message);
                self.push(Message {
                    role: Role::User,
                    content: results,
                });
                if let Some(output) = &mut self.structured {
                    output.value = Some(call.input);
                }
                Ok(Next::Respond {
                    answer,
                    stop_reason: StopReason::EndTurn,
                })
            }
            Err(error) => {
                let mut results = vec![ContentBlock::ToolResult(ToolResult::error(
                    call.id.clone(),
                    format!(
                        "Invalid answer: {error}. Call `{name}` again with an input valid \
                         against its schema."
                    ),
                ))];
                results.extend(others(&format!(
                    "Not run: call `{name}` alone to give the final answer."
                )));
                self.push(message);
                self.push(Message {
                    role: Role::User,
                    content: results,
                });
                match self.refuse(error) {
                    Some(stop) => Ok(Next::Stop(stop)),
                    None => Ok(Next::Think),
                }
            }
        }
    }

    /// A structured turn on a backend with native structured output: an
    /// answer that ends the turn is the value (its text, as JSON), accepted
    /// or refused; tool calls are handed back for the usual turn.
    async fn native_turn(
        &mut self,
        message: Message,
        early: Option<Started<'a>>,
    ) -> Result<Next<'a>, (Message, Option<Started<'a>>)> {
        if message.tool_uses().next().is_some() {
            return Err((message, early));
        }
        if let Some(early) = early {
            early.cancel().await;
        }
        let Some(output) = &self.structured else {
            return Err((message, None));
        };
        let answer = message.text();
        let checked = serde_json::from_str::<Value>(answer.trim())
            .map_err(|e| format!("the answer is not a JSON value ({e})"))
            .and_then(|value| {
                tool_api::schema::validate(output.schema.schema(), &value).map(|()| value)
            });
        if !message.content.is_empty() {
            self.push(message);
        }
        match checked {
            Ok(value) => {
                if let Some(output) = &mut self.structured {
                    output.value = Some(value);
                }
                Ok(Next::Respond {
                    answer,
                    stop_reason: StopReason::EndTurn,
                })
            }
            Err(error) => {
                let ask = format!(
                    "Invalid answer: {error}. Answer again with only a JSON value valid \
                     against the schema."
                );
                if let Some(stop) = self.refuse(error) {
                    return Ok(Next::Stop(stop));
                }
                self.journaling_push_user(ask);
                Ok(Next::Think)
            }
        }
    }

    /// Counts a refused answer: the stop once repairs are used up, else
    /// `None`, the next call forced to the output tool.
    fn refuse(&mut self, error: String) -> Option<Stop> {
        let output = self.structured.as_mut()?;
        output.refused += 1;
        if output.refused > output.schema.max_repairs {
            return Some(Stop::InvalidOutput {
                attempts: output.refused,
                error,
            });
        }
        // With extended thinking the services refuse a forced tool: the
        // error result already asks the model for the output tool. Native
        // structured output has no tool to force.
        if self.agent.inference.thinking.is_none() && !output.native {
            self.tool_choice = Some(ToolChoice::Tool(output.schema.spec.name.clone()));
        }
        None
    }

    /// Adds a user text message, journaled.
    fn journaling_push_user(&mut self, text: String) {
        self.push(Message::user(text));
    }
}
