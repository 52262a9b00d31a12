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

/// The request's instruction (its first words are what scripted scenarios
/// match a summary request on).
const INSTRUCTION: &str = "Summarise the earlier part of a conversation between a user and an \
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
            messages: vec![Message::user(format!("{INSTRUCTION}\n\n{transcript}"))],
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
