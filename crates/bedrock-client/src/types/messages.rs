//! Messages and their blocks: core [`Message`]s ↔ SDK `Message`s, stop
//! reasons and token usage.
//!
//! A request's blocks map one to one, in order, so a block's index in the
//! SDK message is its index in the core message (the request's exact-JSON
//! rewrite relies on it). Reasoning, images and documents map to their own
//! blocks (`reasoning.rs`, `media.rs`). A response may carry blocks the core
//! model has no place for (citations, video); they are left out, and logged.

use agent_core::{
    CachePoint, ContentBlock, Message, ModelError, Role, StopReason, ToolResult, ToolResultContent,
    ToolResultStatus, ToolUse, Usage,
};
use aws_sdk_bedrockruntime::types as sdk;
use serde_json::Value;

use super::documents::SdkDocument;
use super::media::{SdkDocumentBlock, SdkImage};
use super::reasoning::{core_block, reasoning_block, redacted_block};

/// An SDK message made from a core [`Message`], or read back into one.
///
/// ```
/// use agent_core::Message;
/// use bedrock_client::types::SdkMessage;
///
/// let sdk = SdkMessage::try_from(&Message::user("Hello")).unwrap();
/// assert_eq!(Message::try_from(sdk).unwrap(), Message::user("Hello"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SdkMessage(pub sdk::Message);

/// An SDK content block made from a core [`ContentBlock`].
#[derive(Debug, Clone, PartialEq)]
pub struct SdkContentBlock(pub sdk::ContentBlock);

/// An SDK stop reason, read into a core [`StopReason`].
#[derive(Debug, Clone, PartialEq)]
pub struct SdkStopReason(pub sdk::StopReason);

/// SDK token usage, read into core [`Usage`].
#[derive(Debug, Clone, PartialEq)]
pub struct SdkUsage(pub sdk::TokenUsage);

/// What an empty tool result is sent as: the service refuses blank text
/// blocks, and a refused block would wedge the conversation for good.
pub const EMPTY_RESULT_TEXT: &str = "(no output)";

/// How a tool result's content is sent. JSON goes as Bedrock's `json` member
/// when it is an object, else as its JSON text: the service refuses any other
/// `json` ("Provide a json object for the field"). Blank text goes as
/// [`EMPTY_RESULT_TEXT`]. Images and documents go as their blocks.
pub(crate) fn tool_result_content(
    content: &ToolResultContent,
) -> Result<sdk::ToolResultContentBlock, ModelError> {
    Ok(match content {
        ToolResultContent::Json(v @ Value::Object(_)) => {
            sdk::ToolResultContentBlock::Json(SdkDocument::from(v).0)
        }
        ToolResultContent::Json(v) => sdk::ToolResultContentBlock::Text(v.to_string()),
        ToolResultContent::Text(t) if t.trim().is_empty() => {
            sdk::ToolResultContentBlock::Text(EMPTY_RESULT_TEXT.into())
        }
        ToolResultContent::Text(t) => sdk::ToolResultContentBlock::Text(t.clone()),
        ToolResultContent::Image(i) => sdk::ToolResultContentBlock::Image(SdkImage::try_from(i)?.0),
        ToolResultContent::Document(d) => {
            sdk::ToolResultContentBlock::Document(SdkDocumentBlock::try_from(d)?.0)
        }
    })
}

/// A tool result's content list, never empty (the service wants at least
/// one block).
pub(crate) fn tool_result_contents(
    result: &ToolResult,
) -> Result<Vec<sdk::ToolResultContentBlock>, ModelError> {
    if result.content.is_empty() {
        return Ok(vec![sdk::ToolResultContentBlock::Text(
            EMPTY_RESULT_TEXT.into(),
        )]);
    }
    result.content.iter().map(tool_result_content).collect()
}

fn build_error(what: &str, e: impl std::fmt::Display) -> ModelError {
    ModelError::new(
        agent_core::ModelErrorKind::Other,
        format!("could not build the Bedrock {what}: {e}"),
    )
}

impl TryFrom<&ContentBlock> for SdkContentBlock {
    type Error = ModelError;

    fn try_from(block: &ContentBlock) -> Result<Self, Self::Error> {
        Ok(Self(match block {
            ContentBlock::Text { text } => sdk::ContentBlock::Text(text.clone()),
            ContentBlock::ToolUse(u) => sdk::ContentBlock::ToolUse(
                sdk::ToolUseBlock::builder()
                    .tool_use_id(&u.id)
                    .name(&u.name)
                    .input(SdkDocument::from(&u.input).0)
                    .build()
                    .map_err(|e| build_error("toolUse block", e))?,
            ),
            ContentBlock::ToolResult(r) => sdk::ContentBlock::ToolResult(
                sdk::ToolResultBlock::builder()
                    .tool_use_id(&r.tool_use_id)
                    .set_content(Some(tool_result_contents(r)?))
                    .status(match r.status {
                        ToolResultStatus::Success => sdk::ToolResultStatus::Success,
                        ToolResultStatus::Error => sdk::ToolResultStatus::Error,
                    })
                    .build()
                    .map_err(|e| build_error("toolResult block", e))?,
            ),
            ContentBlock::Reasoning(r) => reasoning_block(r)?,
            ContentBlock::RedactedReasoning { data } => redacted_block(data),
            ContentBlock::Image(i) => sdk::ContentBlock::Image(SdkImage::try_from(i)?.0),
            ContentBlock::Document(d) => {
                sdk::ContentBlock::Document(SdkDocumentBlock::try_from(d)?.0)
            }
            ContentBlock::CachePoint(point) => sdk::ContentBlock::CachePoint(cache_point(*point)?),
        }))
    }
}

impl TryFrom<&Message> for SdkMessage {
    type Error = ModelError;

    fn try_from(message: &Message) -> Result<Self, Self::Error> {
        let content = message
            .content
            .iter()
            .map(|b| SdkContentBlock::try_from(b).map(|b| b.0))
            .collect::<Result<Vec<_>, _>>()?;
        sdk::Message::builder()
            .role(match message.role {
                Role::User => sdk::ConversationRole::User,
                Role::Assistant => sdk::ConversationRole::Assistant,
            })
            .set_content(Some(content))
            .build()
            .map(Self)
            .map_err(|e| build_error("message", e))
    }
}

fn json_of(doc: &aws_smithy_types::Document, what: &str) -> Result<Value, ModelError> {
    Value::try_from(SdkDocument(doc.clone()))
        .map_err(|e| ModelError::protocol(format!("{what}: {e}")))
}

impl TryFrom<SdkMessage> for Message {
    type Error = ModelError;

    fn try_from(message: SdkMessage) -> Result<Self, Self::Error> {
        let role = match message.0.role {
            sdk::ConversationRole::User => Role::User,
            sdk::ConversationRole::Assistant => Role::Assistant,
            other => {
                return Err(ModelError::protocol(format!(
                    "the service sent a message with the unknown role `{}`",
                    other.as_str()
                )));
            }
        };
        let mut content = Vec::with_capacity(message.0.content.len());
        for block in message.0.content {
            match block {
                sdk::ContentBlock::Text(text) => content.push(ContentBlock::Text { text }),
                sdk::ContentBlock::ToolUse(u) => {
                    let input = json_of(&u.input, "toolUse input")?;
                    content.push(ContentBlock::ToolUse(ToolUse {
                        id: u.tool_use_id,
                        name: u.name,
                        input,
                    }));
                }
                sdk::ContentBlock::ToolResult(r) => {
                    let mut parts = Vec::with_capacity(r.content.len());
                    for part in &r.content {
                        match part {
                            sdk::ToolResultContentBlock::Json(d) => {
                                parts.push(ToolResultContent::Json(json_of(d, "toolResult json")?))
                            }
                            sdk::ToolResultContentBlock::Text(t) => {
                                parts.push(ToolResultContent::Text(t.clone()))
                            }
                            sdk::ToolResultContentBlock::Image(i) => parts
                                .push(ToolResultContent::Image(SdkImage(i.clone()).try_into()?)),
                            sdk::ToolResultContentBlock::Document(d) => {
                                parts.push(ToolResultContent::Document(
                                    SdkDocumentBlock(d.clone()).try_into()?,
                                ))
                            }
                            other => tracing::debug!(?other, "skipping a toolResult part"),
                        }
                    }
                    content.push(ContentBlock::ToolResult(ToolResult {
                        tool_use_id: r.tool_use_id,
                        content: parts,
                        status: match r.status {
                            Some(sdk::ToolResultStatus::Error) => ToolResultStatus::Error,
                            _ => ToolResultStatus::Success,
                        },
                    }));
                }
                sdk::ContentBlock::ReasoningContent(r) => content.extend(core_block(r)),
                sdk::ContentBlock::Image(i) => {
                    content.push(ContentBlock::Image(SdkImage(i).try_into()?))
                }
                sdk::ContentBlock::Document(d) => {
                    content.push(ContentBlock::Document(SdkDocumentBlock(d).try_into()?))
                }
                other => tracing::debug!(
                    ?other,
                    "skipping a content block the core model has no place for"
                ),
            }
        }
        Ok(Message { role, content })
    }
}

impl From<SdkStopReason> for StopReason {
    fn from(reason: SdkStopReason) -> Self {
        match reason.0 {
            sdk::StopReason::EndTurn => StopReason::EndTurn,
            sdk::StopReason::ToolUse => StopReason::ToolUse,
            sdk::StopReason::MaxTokens => StopReason::MaxTokens,
            sdk::StopReason::StopSequence => StopReason::StopSequence,
            sdk::StopReason::GuardrailIntervened => StopReason::GuardrailIntervened,
            sdk::StopReason::ContentFiltered => StopReason::ContentFiltered,
            other => StopReason::Unknown(other.as_str().to_owned()),
        }
    }
}

impl From<SdkUsage> for Usage {
    fn from(usage: SdkUsage) -> Self {
        let count = |n: Option<i32>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        Usage {
            input_tokens: u64::try_from(usage.0.input_tokens).unwrap_or(0),
            output_tokens: u64::try_from(usage.0.output_tokens).unwrap_or(0),
            cache_read_input_tokens: count(usage.0.cache_read_input_tokens),
            cache_write_input_tokens: count(usage.0.cache_write_input_tokens),
        }
    }
}

/// The SDK cache point block of a core [`CachePoint`] (type `default`,
/// with its TTL when it has one).
pub(crate) fn cache_point(point: CachePoint) -> Result<sdk::CachePointBlock, ModelError> {
    sdk::CachePointBlock::builder()
        .r#type(sdk::CachePointType::Default)
        .set_ttl(point.ttl.map(|t| sdk::CacheTtl::from(t.as_str())))
        .build()
        .map_err(|e| build_error("cachePoint block", e))
}

/// Whether `reason` says the conversation no longer fits the context window;
/// the backend turns it into a [`agent_core::ModelErrorKind::ContextOverflow`].
pub(crate) fn is_context_overflow(reason: &sdk::StopReason) -> bool {
    matches!(reason, sdk::StopReason::ModelContextWindowExceeded)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn conversation() -> Vec<Message> {
        vec![
            Message::user("weather?"),
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Text {
                        text: "Checking.".into(),
                    },
                    ContentBlock::ToolUse(ToolUse {
                        id: "t1".into(),
                        name: "get_weather".into(),
                        input: json!({"location": "Paris", "days": 3}),
                    }),
                ],
            },
            Message {
                role: Role::User,
                content: vec![
                    ContentBlock::ToolResult(ToolResult::success(
                        "t1",
                        ToolResultContent::Json(json!({"temp": -4, "ok": true})),
                    )),
                    ContentBlock::ToolResult(ToolResult::error("t2", "timed out")),
                ],
            },
        ]
    }

    #[test]
    fn reasoning_images_and_documents_round_trip_unchanged() {
        let assistant = Message {
            role: Role::Assistant,
            content: vec![
                ContentBlock::Reasoning(agent_core::Reasoning {
                    text: "Let me think  about it.\n".into(),
                    signature: Some("EqQBCkYIARgCKkA+/=".into()),
                }),
                ContentBlock::RedactedReasoning {
                    data: agent_core::Blob::from(vec![0u8, 200, 7]),
                },
                ContentBlock::Text { text: "ok".into() },
            ],
        };
        let image = agent_core::Image::from_bytes(b"GIF89a....".to_vec()).unwrap();
        let doc = agent_core::Document::from_bytes("a.csv", b"a,b\n1,2\n".to_vec()).unwrap();
        let user = Message {
            role: Role::User,
            content: vec![
                ContentBlock::Text { text: "see".into() },
                ContentBlock::Image(image.clone()),
                ContentBlock::Document(doc.clone()),
                ContentBlock::ToolResult(ToolResult {
                    tool_use_id: "t1".into(),
                    content: vec![
                        ToolResultContent::Text("a chart".into()),
                        ToolResultContent::Image(image),
                        ToolResultContent::Document(doc),
                    ],
                    status: ToolResultStatus::Success,
                }),
            ],
        };
        for m in [assistant, user] {
            let sdk = SdkMessage::try_from(&m).unwrap();
            assert_eq!(Message::try_from(sdk).unwrap(), m);
        }
    }

    #[test]
    fn messages_round_trip() {
        for m in conversation() {
            let sdk = SdkMessage::try_from(&m).unwrap();
            assert_eq!(Message::try_from(sdk).unwrap(), m);
        }
    }

    #[test]
    fn tool_results_carry_json_text_and_status() {
        let m = &conversation()[2];
        let sdk = SdkMessage::try_from(m).unwrap().0;
        let sdk::ContentBlock::ToolResult(ok) = &sdk.content[0] else {
            panic!("not a tool result")
        };
        assert!(matches!(
            ok.content[0],
            sdk::ToolResultContentBlock::Json(_)
        ));
        assert_eq!(ok.status, Some(sdk::ToolResultStatus::Success));
        let sdk::ContentBlock::ToolResult(err) = &sdk.content[1] else {
            panic!("not a tool result")
        };
        assert_eq!(
            err.content[0],
            sdk::ToolResultContentBlock::Text("timed out".into())
        );
        assert_eq!(err.status, Some(sdk::ToolResultStatus::Error));
    }

    #[test]
    fn non_object_json_results_go_as_text() {
        let block = tool_result_content(&ToolResultContent::Json(json!([1, 2]))).unwrap();
        assert_eq!(block, sdk::ToolResultContentBlock::Text("[1,2]".into()));
        let blank = tool_result_content(&ToolResultContent::Text(" ".into())).unwrap();
        assert_eq!(
            blank,
            sdk::ToolResultContentBlock::Text(EMPTY_RESULT_TEXT.into())
        );
    }

    #[test]
    fn stop_reasons_and_usage() {
        assert_eq!(
            StopReason::from(SdkStopReason(sdk::StopReason::ToolUse)),
            StopReason::ToolUse
        );
        assert_eq!(
            StopReason::from(SdkStopReason(sdk::StopReason::MalformedToolUse)),
            StopReason::Unknown("malformed_tool_use".into())
        );
        let usage = sdk::TokenUsage::builder()
            .input_tokens(10)
            .output_tokens(3)
            .total_tokens(13)
            .build()
            .unwrap();
        assert_eq!(
            Usage::from(SdkUsage(usage)),
            Usage {
                input_tokens: 10,
                output_tokens: 3,
                ..Default::default()
            }
        );
    }
}
