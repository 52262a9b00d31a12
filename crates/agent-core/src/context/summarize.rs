//! [`Summarizing`]: the model summarises the oldest exchanges, then they
//! are dropped and the summary stays.

use async_trait::async_trait;

use super::exchanges::{drop_after_first, plan};
use super::{Budget, ContextError, ConversationManager, Reduced};
use crate::{ContentBlock, InferenceConfig, Message, ModelRequest, Role};

/// How the summary block in the first message starts; a later reduction
/// finds the earlier summary by it and folds it into the new one.
pub const SUMMARY_TAG: &str = "<conversation-summary>";
const SUMMARY_END: &str = "</conversation-summary>";

/// The summary request's instruction, the start of its one user message
/// (what the local servers' built-in summary scenario matches a summary
/// request on).
pub const SUMMARY_INSTRUCTION: &str = "Summarise the earlier part of a conversation between a user and an \
AI assistant that uses tools, so the assistant can carry on without it. Keep every fact, \
result, decision and open question the rest of the task may need; leave out chatter. \
Answer with the summary only.";

/// The longest text of one block shown to the summariser: a huge tool
/// result is cut (its start is what matters most).
const BLOCK_CHARS: usize = 4000;

/// Has the model summarise the oldest whole exchanges (through the run's
/// own backend, one unstreamed call without tools), then drops them like
/// [`super::SlidingWindow`] and keeps the summary in the conversation: as a
/// text block of the first message, tagged [`SUMMARY_TAG`], so the
/// conversation still starts with the task and roles still alternate. A
/// later reduction summarises the earlier summary with the newly dropped
/// exchanges, so there is one summary at a time.
#[derive(Debug, Clone, Copy)]
pub struct Summarizing {
    max_tokens: u32,
}

impl Default for Summarizing {
    /// Summaries of at most 1024 tokens.
    fn default() -> Self {
        Self { max_tokens: 1024 }
    }
}

impl Summarizing {
    /// Summaries of at most `max_tokens` tokens.
    pub fn new(max_tokens: u32) -> Self {
        Self {
            max_tokens: max_tokens.max(1),
        }
    }
}

#[async_trait]
impl ConversationManager for Summarizing {
    fn name(&self) -> &str {
        "summarize"
    }

    async fn reduce(
        &self,
        messages: &mut Vec<Message>,
        budget: Budget<'_>,
    ) -> Result<Reduced, ContextError> {
        // Room for the summary itself.
        let target = budget.target.saturating_sub(u64::from(self.max_tokens));
        let count = plan(messages, target, budget.estimator);
        if count == 0 {
            return Ok(Reduced::default());
        }
        let previous = messages.first().and_then(summary_of);
        let transcript = transcript(previous.as_deref(), &messages[1..1 + count]);
        let request = ModelRequest {
            system: None,
            messages: vec![Message::user(format!(
                "{SUMMARY_INSTRUCTION}\n\n{transcript}"
            ))],
            tools: Vec::new(),
            inference: InferenceConfig {
                max_tokens: self.max_tokens,
                ..InferenceConfig::default()
            },
            ..ModelRequest::default()
        };
        let response = budget
            .backend
            .converse(&request)
            .await
            .map_err(ContextError::Summary)?;
        let mut summary = response.message.text();
        if summary.trim().is_empty() {
            summary = format!(
                "({count} earlier messages were dropped; the model gave no summary of them.)"
            );
        }
        drop_after_first(messages, count);
        if let Some(first) = messages.first_mut() {
            first.content.retain(
                |b| !matches!(b, ContentBlock::Text { text } if text.starts_with(SUMMARY_TAG)),
            );
            first.content.push(ContentBlock::Text {
                text: format!(
                    "{SUMMARY_TAG}\nA summary of the earlier conversation, which was dropped to fit the context window:\n{summary}\n{SUMMARY_END}"
                ),
            });
        }
        Ok(Reduced {
            dropped: count,
            summarized: true,
        })
    }
}

/// The summary block of `first`, if an earlier reduction left one.
fn summary_of(first: &Message) -> Option<String> {
    first.content.iter().find_map(|b| match b {
        ContentBlock::Text { text } if text.starts_with(SUMMARY_TAG) => Some(text.clone()),
        _ => None,
    })
}

/// The dropped messages as plain text for the summariser: no tool blocks,
/// so the request needs no tools and has no pairs to keep.
fn transcript(previous: Option<&str>, dropped: &[Message]) -> String {
    let mut out = String::new();
    if let Some(previous) = previous {
        out.push_str("Summary so far:\n");
        out.push_str(previous);
        out.push_str("\n\n");
    }
    out.push_str("Conversation:\n");
    for message in dropped {
        let who = match message.role {
            Role::User => "User",
            Role::Assistant => "Assistant",
        };
        for block in &message.content {
            let line = match block {
                ContentBlock::Text { text } => format!("{who}: {}", cut(text)),
                ContentBlock::ToolUse(u) => {
                    format!(
                        "{who} called tool {} with {}",
                        u.name,
                        cut(&u.input.to_string())
                    )
                }
                ContentBlock::ToolResult(r) => format!(
                    "Result of call {}{}: {}",
                    r.tool_use_id,
                    if r.is_error() { " (error)" } else { "" },
                    cut(&serde_json::to_string(&r.content).unwrap_or_default())
                ),
                #[allow(unreachable_patterns)]
                _ => continue,
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// `text`, cut to [`BLOCK_CHARS`] characters with a note of how much went.
fn cut(text: &str) -> String {
    match text.char_indices().nth(BLOCK_CHARS) {
        None => text.to_owned(),
        Some((at, _)) => format!("{} […{} more bytes]", &text[..at], text.len() - at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::TokenEstimator;
    use crate::{ModelError, ModelResponse, StopReason, ToolResult, ToolUse, Usage};

    /// Answers every request with a summary and keeps the requests.
    #[derive(Default)]
    struct Recorder(std::sync::Mutex<Vec<ModelRequest>>);

    #[async_trait]
    impl crate::ModelBackend for Recorder {
        fn name(&self) -> &str {
            "recorder"
        }
        async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
            self.0.lock().unwrap().push(request.clone());
            Ok(ModelResponse {
                message: Message::assistant("the summary"),
                stop_reason: StopReason::EndTurn,
                usage: Usage::default(),
                latency: Default::default(),
                model_fields: None,
            })
        }
    }

    fn exchange(i: usize) -> [Message; 2] {
        let call = ToolUse {
            id: format!("c{i}"),
            name: "get_weather".into(),
            input: serde_json::json!({ "location": format!("city {i}") }),
        };
        [
            Message {
                role: Role::Assistant,
                content: vec![ContentBlock::ToolUse(call)],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult(ToolResult::success(
                    format!("c{i}"),
                    crate::ToolResultContent::Text(format!("sunny in city {i}")),
                ))],
            },
        ]
    }

    /// Bedrock and Anthropic refuse `toolUse`/`toolResult` blocks in a
    /// request without tools: the summary request carries the dropped
    /// exchanges, calls and results included, as text in one user message.
    #[tokio::test]
    async fn the_summary_request_holds_no_tool_blocks() {
        let mut messages = vec![Message::user("Plan a trip.")];
        for i in 0..6 {
            messages.extend(exchange(i));
        }
        let backend = Recorder::default();
        let estimator = TokenEstimator::default();
        let budget = Budget {
            target: 1100 + estimator.messages(&messages[..3]),
            estimator: &estimator,
            backend: &backend,
        };
        let reduced = Summarizing::new(1000)
            .reduce(&mut messages, budget)
            .await
            .unwrap();
        assert!(reduced.summarized && reduced.dropped > 0, "{reduced:?}");
        let requests = backend.0.lock().unwrap();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert!(request.tools.is_empty());
        assert_eq!(request.messages.len(), 1);
        assert_eq!(request.messages[0].role, Role::User);
        assert!(
            request.messages[0]
                .content
                .iter()
                .all(|b| matches!(b, ContentBlock::Text { .. })),
            "{:?}",
            request.messages[0]
        );
        let text = request.messages[0].text();
        assert!(text.starts_with(SUMMARY_INSTRUCTION));
        assert!(text.contains("called tool get_weather"), "{text}");
        assert!(text.contains("sunny in city 0"), "{text}");
        assert!(messages[0].text().contains("the summary"));
    }
}
