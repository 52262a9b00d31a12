//! ConverseStream events → [`ModelEvent`]s: a plain function over a small
//! state struct, so the mapping is tested without AWS or a network.
//!
//! | SDK event | core event |
//! |---|---|
//! | `messageStart` | `MessageStart` |
//! | `contentBlockStart` with `toolUse` | `ToolUseStart { index, id, name }`, once its id and name pass the service's rules |
//! | `contentBlockDelta` with `text` | `TextDelta` (a text block opens implicitly) |
//! | `contentBlockDelta` with `toolUse.input` | `ToolInputDelta` (JSON text, assembled by `StreamAccumulator`) |
//! | `contentBlockDelta` with `reasoningContent.text` | `ReasoningDelta` (a reasoning block opens implicitly) |
//! | `contentBlockDelta` with `reasoningContent.signature` | `ReasoningSignature` |
//! | `contentBlockDelta` with `reasoningContent.redactedContent` | `RedactedReasoning` |
//! | `contentBlockStop` | `BlockStop` |
//! | `messageStop` | `MessageStop`, or a `ContextOverflow` error for `model_context_window_exceeded` |
//! | `metadata` (may come after `messageStop`) | `Metadata { usage, latency }` |
//! | any other event after `messageStop` | nothing (ignored) |
//! | anything else (citations, unknown events) | nothing |

use std::time::Duration;

use agent_core::{ModelError, ModelErrorKind, ModelEvent, StopReason, Usage};
use aws_sdk_bedrockruntime::types::{self as sdk, ConverseStreamOutput};

use crate::answer_check::ToolUseCheck;
use crate::types::{SdkStopReason, SdkUsage};

/// What the stream has shown so far.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct StreamDecoder {
    started: bool,
    stop_reason: Option<StopReason>,
    metadata: bool,
    tool_uses: ToolUseCheck,
    /// An event decoded but not yet handed out: `messageStop` follows the
    /// model fields it carried.
    pending: Option<ModelEvent>,
}

fn index(i: i32) -> Result<usize, ModelError> {
    usize::try_from(i)
        .map_err(|_| ModelError::protocol(format!("the stream sent the block index {i}")))
}

impl StreamDecoder {
    /// Maps one SDK event; `None` for events the core model does not carry.
    ///
    /// ```
    /// use agent_core::ModelEvent;
    /// use aws_sdk_bedrockruntime::types::{ContentBlockDelta, ContentBlockDeltaEvent, ConverseStreamOutput};
    /// use bedrock_client::StreamDecoder;
    ///
    /// let mut state = StreamDecoder::default();
    /// let delta = ContentBlockDeltaEvent::builder()
    ///     .content_block_index(0)
    ///     .delta(ContentBlockDelta::Text("Hi".into()))
    ///     .build()
    ///     .unwrap();
    /// let event = state.on_event(ConverseStreamOutput::ContentBlockDelta(delta)).unwrap();
    /// assert_eq!(event, Some(ModelEvent::TextDelta { index: 0, text: "Hi".into() }));
    /// ```
    pub fn on_event(
        &mut self,
        event: ConverseStreamOutput,
    ) -> Result<Option<ModelEvent>, ModelError> {
        // After `messageStop` only `metadata` belongs to this message: any
        // other event is a fault of the service and must not change it.
        if self.stop_reason.is_some() && !matches!(event, ConverseStreamOutput::Metadata(_)) {
            return Ok(None);
        }
        Ok(match event {
            ConverseStreamOutput::MessageStart(_) => {
                self.started = true;
                Some(ModelEvent::MessageStart)
            }
            ConverseStreamOutput::ContentBlockStart(e) => match e.start {
                Some(sdk::ContentBlockStart::ToolUse(t)) => {
                    self.tool_uses.check(&t.tool_use_id, &t.name)?;
                    Some(ModelEvent::ToolUseStart {
                        index: index(e.content_block_index)?,
                        id: t.tool_use_id,
                        name: t.name,
                    })
                }
                _ => None,
            },
            ConverseStreamOutput::ContentBlockDelta(e) => match e.delta {
                Some(sdk::ContentBlockDelta::Text(text)) => Some(ModelEvent::TextDelta {
                    index: index(e.content_block_index)?,
                    text,
                }),
                Some(sdk::ContentBlockDelta::ToolUse(t)) => Some(ModelEvent::ToolInputDelta {
                    index: index(e.content_block_index)?,
                    json: t.input,
                }),
                Some(sdk::ContentBlockDelta::ReasoningContent(r)) => {
                    let index = index(e.content_block_index)?;
                    match r {
                        sdk::ReasoningContentBlockDelta::Text(text) => {
                            Some(ModelEvent::ReasoningDelta { index, text })
                        }
                        sdk::ReasoningContentBlockDelta::Signature(signature) => {
                            Some(ModelEvent::ReasoningSignature { index, signature })
                        }
                        sdk::ReasoningContentBlockDelta::RedactedContent(b) => {
                            Some(ModelEvent::RedactedReasoning {
                                index,
                                data: agent_core::Blob::from(b.into_inner()),
                            })
                        }
                        _ => None,
                    }
                }
                _ => None,
            },
            ConverseStreamOutput::ContentBlockStop(e) => Some(ModelEvent::BlockStop {
                index: index(e.content_block_index)?,
            }),
            ConverseStreamOutput::MessageStop(e) => {
                if crate::types::messages::is_context_overflow(&e.stop_reason) {
                    return Err(ModelError::new(
                        ModelErrorKind::ContextOverflow,
                        "the model stopped: the conversation exceeds its context window \
                         (stop reason model_context_window_exceeded)",
                    ));
                }
                let stop_reason = StopReason::from(SdkStopReason(e.stop_reason));
                self.stop_reason = Some(stop_reason.clone());
                let stop = ModelEvent::MessageStop { stop_reason };
                match e.additional_model_response_fields {
                    Some(fields) => {
                        let fields = serde_json::Value::try_from(crate::types::SdkDocument(fields))
                            .map_err(|e| {
                                ModelError::protocol(format!("additionalModelResponseFields: {e}"))
                            })?;
                        self.pending = Some(stop);
                        Some(ModelEvent::ModelFields { fields })
                    }
                    None => Some(stop),
                }
            }
            ConverseStreamOutput::Metadata(e) => {
                self.metadata = true;
                Some(ModelEvent::Metadata {
                    usage: e
                        .usage
                        .map(|u| Usage::from(SdkUsage(u)))
                        .unwrap_or_default(),
                    latency: e
                        .metrics
                        .and_then(|m| u64::try_from(m.latency_ms).ok())
                        .map(Duration::from_millis),
                })
            }
            _ => None,
        })
    }

    /// The event decoded with the last one, to hand out before reading on.
    pub fn take_pending(&mut self) -> Option<ModelEvent> {
        self.pending.take()
    }

    /// Whether `messageStop` has arrived: a stream that ends before it was
    /// cut, and its partial message must not be used.
    pub fn is_complete(&self) -> bool {
        self.stop_reason.is_some()
    }

    /// The stop reason, once `messageStop` has arrived.
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stop_reason.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use agent_core::StreamAccumulator;
    use sdk::{
        ContentBlockDelta, ContentBlockDeltaEvent, ContentBlockStart, ContentBlockStartEvent,
        ContentBlockStopEvent, ConversationRole, ConverseStreamMetadataEvent,
        ConverseStreamMetrics, MessageStartEvent, MessageStopEvent, TokenUsage, ToolUseBlockDelta,
        ToolUseBlockStart,
    };

    use super::*;

    fn events() -> Vec<ConverseStreamOutput> {
        vec![
            ConverseStreamOutput::MessageStart(
                MessageStartEvent::builder()
                    .role(ConversationRole::Assistant)
                    .build()
                    .unwrap(),
            ),
            ConverseStreamOutput::ContentBlockDelta(
                ContentBlockDeltaEvent::builder()
                    .content_block_index(0)
                    .delta(ContentBlockDelta::Text("Checking.".into()))
                    .build()
                    .unwrap(),
            ),
            ConverseStreamOutput::ContentBlockStop(
                ContentBlockStopEvent::builder()
                    .content_block_index(0)
                    .build()
                    .unwrap(),
            ),
            ConverseStreamOutput::ContentBlockStart(
                ContentBlockStartEvent::builder()
                    .content_block_index(1)
                    .start(ContentBlockStart::ToolUse(
                        ToolUseBlockStart::builder()
                            .tool_use_id("t1")
                            .name("get_weather")
                            .build()
                            .unwrap(),
                    ))
                    .build()
                    .unwrap(),
            ),
            ConverseStreamOutput::ContentBlockDelta(
                ContentBlockDeltaEvent::builder()
                    .content_block_index(1)
                    .delta(ContentBlockDelta::ToolUse(
                        ToolUseBlockDelta::builder()
                            .input("{\"z\": 1, ")
                            .build()
                            .unwrap(),
                    ))
                    .build()
                    .unwrap(),
            ),
            ConverseStreamOutput::ContentBlockDelta(
                ContentBlockDeltaEvent::builder()
                    .content_block_index(1)
                    .delta(ContentBlockDelta::ToolUse(
                        ToolUseBlockDelta::builder()
                            .input("\"a\": \"Paris\"}")
                            .build()
                            .unwrap(),
                    ))
                    .build()
                    .unwrap(),
            ),
            ConverseStreamOutput::ContentBlockStop(
                ContentBlockStopEvent::builder()
                    .content_block_index(1)
                    .build()
                    .unwrap(),
            ),
            ConverseStreamOutput::MessageStop(
                MessageStopEvent::builder()
                    .stop_reason(sdk::StopReason::ToolUse)
                    .build()
                    .unwrap(),
            ),
            ConverseStreamOutput::Metadata(
                ConverseStreamMetadataEvent::builder()
                    .usage(
                        TokenUsage::builder()
                            .input_tokens(12)
                            .output_tokens(7)
                            .total_tokens(19)
                            .build()
                            .unwrap(),
                    )
                    .metrics(
                        ConverseStreamMetrics::builder()
                            .latency_ms(42)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ),
        ]
    }

    #[test]
    fn a_tool_turn_assembles_with_usage_after_stop() {
        let mut state = StreamDecoder::default();
        let mut acc = StreamAccumulator::default();
        for e in events() {
            if let Some(ev) = state.on_event(e).unwrap() {
                acc.push(ev).unwrap();
            }
        }
        assert!(state.is_complete());
        let r = acc.finish(Duration::ZERO).unwrap();
        assert_eq!(r.message.text(), "Checking.");
        let input = &r.message.tool_uses().next().unwrap().input;
        // Key order as the model wrote it.
        assert_eq!(input.to_string(), r#"{"z":1,"a":"Paris"}"#);
        assert_eq!(r.stop_reason, StopReason::ToolUse);
        assert_eq!(r.usage.output_tokens, 7);
        assert_eq!(r.latency, Duration::from_millis(42));
    }

    #[test]
    fn reasoning_deltas_assemble_into_signed_and_redacted_blocks() {
        use sdk::ReasoningContentBlockDelta as R;
        let delta = |i: i32, d: R| {
            ConverseStreamOutput::ContentBlockDelta(
                ContentBlockDeltaEvent::builder()
                    .content_block_index(i)
                    .delta(ContentBlockDelta::ReasoningContent(d))
                    .build()
                    .unwrap(),
            )
        };
        let mut evs = vec![
            delta(0, R::Text("Two ".into())),
            delta(0, R::Text("steps.".into())),
            delta(0, R::Signature("c2ln+/==".into())),
            delta(
                1,
                R::RedactedContent(aws_smithy_types::Blob::new(vec![9u8, 8])),
            ),
        ];
        evs.push(ConverseStreamOutput::MessageStop(
            MessageStopEvent::builder()
                .stop_reason(sdk::StopReason::EndTurn)
                .build()
                .unwrap(),
        ));
        let mut state = StreamDecoder::default();
        let mut acc = StreamAccumulator::default();
        for e in evs {
            if let Some(ev) = state.on_event(e).unwrap() {
                acc.push(ev).unwrap();
            }
        }
        let r = acc.finish(Duration::ZERO).unwrap();
        assert_eq!(
            r.message.content,
            vec![
                agent_core::ContentBlock::Reasoning(agent_core::Reasoning {
                    text: "Two steps.".into(),
                    signature: Some("c2ln+/==".into()),
                }),
                agent_core::ContentBlock::RedactedReasoning {
                    data: agent_core::Blob::from(vec![9u8, 8]),
                },
            ]
        );
    }

    #[test]
    fn a_cut_stream_is_not_complete() {
        let mut state = StreamDecoder::default();
        for e in events().into_iter().take(5) {
            state.on_event(e).unwrap();
        }
        assert!(!state.is_complete());
    }

    #[test]
    fn context_window_stop_is_an_overflow_error() {
        let mut state = StreamDecoder::default();
        let stop = ConverseStreamOutput::MessageStop(
            MessageStopEvent::builder()
                .stop_reason(sdk::StopReason::ModelContextWindowExceeded)
                .build()
                .unwrap(),
        );
        let err = state.on_event(stop).unwrap_err();
        assert_eq!(err.kind, ModelErrorKind::ContextOverflow);
    }
}
