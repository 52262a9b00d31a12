//! The bare-SDK baseline for CHAIN: an `aws-sdk-bedrockruntime` loop making
//! the same HTTP calls as the agent against the same local server, with
//! requests built from the SDK's types directly: no agent loop, no core
//! types, no conversions, no tools (each tool result is a fixed
//! `{"slept_ms": 0}`).
//! Its time per call is what the SDK, the HTTP round trip and the server
//! cost, the least any agent over the SDK can take per turn; the agent's
//! CHAIN overhead per turn is compared with it (the report's `floor`).
//!
//! The client is configured as a plain SDK user would: static keys, the
//! endpoint, the region, retries off (no request fails here).

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_bedrockruntime::error::DisplayErrorContext;
use aws_sdk_bedrockruntime::types as sdk;
use bedrock_client::types::SdkDocument;
use serde_json::json;
use tool_api::ToolRegistry;

use crate::cases::Case;
use agent_cli::exit::Failure;

/// A bare SDK client for the local server at `endpoint`.
pub fn client(endpoint: &str) -> Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "AKIDLOCALDEMO",
            "local-demo-secret",
            None,
            None,
            "agent-bench",
        ))
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

fn sdk_error(what: &str, e: impl std::error::Error) -> Failure {
    Failure::Model(format!("bare SDK loop: {what}: {}", DisplayErrorContext(e)))
}

/// What every request of the loop sends besides its messages: the same
/// tools and settings as the agent's requests.
#[derive(Debug, Clone)]
pub struct Fixed {
    tool_config: sdk::ToolConfiguration,
    inference: sdk::InferenceConfiguration,
    result: SdkDocument,
}

impl Fixed {
    /// The tool config of `tools` and the CLI's default inference settings.
    pub fn new(tools: &ToolRegistry) -> Result<Self, Failure> {
        let specs = tools
            .specs()
            .map(|spec| {
                sdk::ToolSpecification::builder()
                    .name(&spec.name)
                    .description(&spec.description)
                    .input_schema(sdk::ToolInputSchema::Json(
                        SdkDocument::from(&spec.input_schema).0,
                    ))
                    .build()
                    .map(sdk::Tool::ToolSpec)
                    .map_err(|e| sdk_error("tool spec", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tool_config = sdk::ToolConfiguration::builder()
            .set_tools(Some(specs))
            .build()
            .map_err(|e| sdk_error("tool config", e))?;
        let max_tokens = agent_core::InferenceConfig::default().max_tokens;
        let inference = sdk::InferenceConfiguration::builder()
            .max_tokens(i32::try_from(max_tokens).unwrap_or(i32::MAX))
            .build();
        Ok(Self {
            tool_config,
            inference,
            result: SdkDocument::from(&json!({ "slept_ms": 0 })),
        })
    }
}

fn text_message(role: sdk::ConversationRole, text: &str) -> Result<sdk::Message, Failure> {
    sdk::Message::builder()
        .role(role)
        .content(sdk::ContentBlock::Text(text.to_owned()))
        .build()
        .map_err(|e| sdk_error("message", e))
}

/// The user message answering every `toolUse` of `assistant` with `result`.
fn results_for(assistant: &sdk::Message, result: &SdkDocument) -> Result<sdk::Message, Failure> {
    let mut builder = sdk::Message::builder().role(sdk::ConversationRole::User);
    for block in &assistant.content {
        if let sdk::ContentBlock::ToolUse(u) = block {
            let r = sdk::ToolResultBlock::builder()
                .tool_use_id(&u.tool_use_id)
                .content(sdk::ToolResultContentBlock::Json(result.0.clone()))
                .status(sdk::ToolResultStatus::Success)
                .build()
                .map_err(|e| sdk_error("toolResult block", e))?;
            builder = builder.content(sdk::ContentBlock::ToolResult(r));
        }
    }
    builder.build().map_err(|e| sdk_error("message", e))
}

/// One Converse call; the assistant message and its stop reason.
async fn converse(
    client: &Client,
    fixed: &Fixed,
    messages: &[sdk::Message],
) -> Result<(sdk::Message, sdk::StopReason), Failure> {
    let out = client
        .converse()
        .model_id(bedrock_client::DEFAULT_MODEL_ID)
        .set_messages(Some(messages.to_vec()))
        .tool_config(fixed.tool_config.clone())
        .inference_config(fixed.inference.clone())
        .send()
        .await
        .map_err(|e| sdk_error("converse", e))?;
    match out.output {
        Some(sdk::ConverseOutput::Message(m)) => Ok((m, out.stop_reason)),
        _ => Err(Failure::Model(
            "bare SDK loop: the response holds no message".into(),
        )),
    }
}

/// One ConverseStream call, its events assembled into the assistant message.
async fn converse_stream(
    client: &Client,
    fixed: &Fixed,
    messages: &[sdk::Message],
) -> Result<(sdk::Message, sdk::StopReason), Failure> {
    enum Block {
        Text(String),
        ToolUse {
            id: String,
            name: String,
            input: String,
        },
    }
    let mut out = client
        .converse_stream()
        .model_id(bedrock_client::DEFAULT_MODEL_ID)
        .set_messages(Some(messages.to_vec()))
        .tool_config(fixed.tool_config.clone())
        .inference_config(fixed.inference.clone())
        .send()
        .await
        .map_err(|e| sdk_error("converse_stream", e))?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut stop = None;
    while let Some(event) = out
        .stream
        .recv()
        .await
        .map_err(|e| sdk_error("stream", e))?
    {
        match event {
            sdk::ConverseStreamOutput::ContentBlockStart(e) => {
                if let Some(sdk::ContentBlockStart::ToolUse(t)) = e.start {
                    blocks.push(Block::ToolUse {
                        id: t.tool_use_id,
                        name: t.name,
                        input: String::new(),
                    });
                }
            }
            sdk::ConverseStreamOutput::ContentBlockDelta(e) => match (e.delta, blocks.last_mut()) {
                (Some(sdk::ContentBlockDelta::ToolUse(d)), Some(Block::ToolUse { input, .. })) => {
                    input.push_str(&d.input)
                }
                (Some(sdk::ContentBlockDelta::Text(t)), Some(Block::Text(text))) => {
                    text.push_str(&t)
                }
                (Some(sdk::ContentBlockDelta::Text(t)), _) => blocks.push(Block::Text(t)),
                _ => {}
            },
            sdk::ConverseStreamOutput::MessageStop(e) => stop = Some(e.stop_reason),
            _ => {}
        }
    }
    let stop = stop.ok_or_else(|| {
        Failure::Model("bare SDK loop: the stream ended before messageStop".into())
    })?;
    let mut builder = sdk::Message::builder().role(sdk::ConversationRole::Assistant);
    for block in blocks {
        builder = builder.content(match block {
            Block::Text(t) => sdk::ContentBlock::Text(t),
            Block::ToolUse { id, name, input } => {
                let input: serde_json::Value = serde_json::from_str(&input).map_err(|e| {
                    Failure::Model(format!("bare SDK loop: a toolUse input is not JSON: {e}"))
                })?;
                sdk::ContentBlock::ToolUse(
                    sdk::ToolUseBlock::builder()
                        .tool_use_id(id)
                        .name(name)
                        .input(SdkDocument::from(&input).0)
                        .build()
                        .map_err(|e| sdk_error("toolUse block", e))?,
                )
            }
        });
    }
    let message = builder.build().map_err(|e| sdk_error("message", e))?;
    Ok((message, stop))
}

/// Plays `case` once with the bare loop; the time per model call.
pub async fn run_once(client: &Client, fixed: &Fixed, case: &Case) -> Result<Duration, Failure> {
    let mut messages = vec![text_message(sdk::ConversationRole::User, case.prompt())?];
    let mut calls = 0usize;
    let started = Instant::now();
    loop {
        let (message, stop) = if case.streaming {
            converse_stream(client, fixed, &messages).await?
        } else {
            converse(client, fixed, &messages).await?
        };
        calls += 1;
        match stop {
            sdk::StopReason::ToolUse if calls < case.model_calls() => {
                let results = results_for(&message, &fixed.result)?;
                messages.push(message);
                messages.push(results);
            }
            sdk::StopReason::EndTurn => break,
            other => {
                return Err(Failure::Model(format!(
                    "bare SDK loop: {}: unexpected stop reason {other:?} after {calls} calls",
                    case.id()
                )));
            }
        }
    }
    let wall = started.elapsed();
    if calls != case.model_calls() {
        return Err(Failure::Model(format!(
            "bare SDK loop: {}: {calls} calls, expected {}",
            case.id(),
            case.model_calls()
        )));
    }
    Ok(wall / u32::try_from(calls).unwrap_or(u32::MAX))
}
