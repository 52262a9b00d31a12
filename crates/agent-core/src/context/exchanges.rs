//! Exchanges: the units a [`super::ConversationManager`] drops.
//!
//! After the first message (the task, kept), a conversation is a run of
//! exchanges: an assistant message, then the user message that answers it
//! (its tool results, or the user's next prompt). A `toolResult` only ever
//! answers a `toolUse` of the message just before it, so dropping whole
//! exchanges after the first message never separates a pair and keeps the
//! roles alternating.

use std::ops::Range;

use super::TokenEstimator;
use crate::{Message, Role};

/// The exchanges that may be dropped, oldest first: each an assistant
/// message and the user message after it, from index 1, all but the latest
/// one. Empty when the conversation does not start with a user message or
/// has fewer than two exchanges.
pub fn droppable(messages: &[Message]) -> Vec<Range<usize>> {
    if messages.first().map(|m| m.role) != Some(Role::User) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut i = 1;
    while i + 1 < messages.len()
        && messages[i].role == Role::Assistant
        && messages[i + 1].role == Role::User
    {
        found.push(i..i + 2);
        i += 2;
    }
    // The latest exchange holds what the model is about to read.
    found.pop();
    found
}

/// How many messages, after the first, to drop (oldest exchanges first) so
/// that `messages` take at most `target` tokens by `estimator`, or as many
/// as may go if that is not enough. Always a whole number of exchanges.
pub fn plan(messages: &[Message], target: u64, estimator: &TokenEstimator) -> usize {
    let mut total = estimator.messages(messages);
    let mut dropped = 0;
    for range in droppable(messages) {
        if total <= target {
            break;
        }
        total = total.saturating_sub(estimator.messages(&messages[range.clone()]));
        dropped = range.end - 1;
    }
    dropped
}

/// Removes the `count` messages after the first and returns them.
pub fn drop_after_first(messages: &mut Vec<Message>, count: usize) -> Vec<Message> {
    let end = (1 + count).min(messages.len());
    messages.drain(1.min(end)..end).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContentBlock, ToolResult, ToolResultContent, ToolUse};

    fn call(id: &str) -> Message {
        Message {
            role: Role::Assistant,
            content: vec![ContentBlock::ToolUse(ToolUse {
                id: id.into(),
                name: "f".into(),
                input: serde_json::json!({}),
            })],
        }
    }

    fn result(id: &str) -> Message {
        Message {
            role: Role::User,
            content: vec![ContentBlock::ToolResult(ToolResult::success(
                id,
                ToolResultContent::Text("x".repeat(400)),
            ))],
        }
    }

    fn chain(n: usize) -> Vec<Message> {
        let mut m = vec![Message::user("task")];
        for i in 0..n {
            m.push(call(&format!("t{i}")));
            m.push(result(&format!("t{i}")));
        }
        m
    }

    #[test]
    fn all_but_the_latest_exchange_may_go() {
        let m = chain(4);
        assert_eq!(droppable(&m), vec![1..3, 3..5, 5..7]);
        assert!(droppable(&chain(1)).is_empty());
        assert!(
            droppable(&m[1..]).is_empty(),
            "not starting with a user message"
        );
    }

    #[test]
    fn plan_drops_whole_exchanges_until_under_target() {
        let m = chain(10);
        let e = TokenEstimator::default();
        let total = e.messages(&m);
        assert_eq!(plan(&m, total, &e), 0);
        let n = plan(&m, total / 2, &e);
        assert!(n > 0 && n.is_multiple_of(2), "{n}");
        let mut kept = m.clone();
        drop_after_first(&mut kept, n);
        assert!(e.messages(&kept) <= total / 2);
        assert_eq!(kept[0], m[0]);
        assert_eq!(kept[1].role, Role::Assistant);
        // Nothing can make it fit: all but the latest exchange go.
        assert_eq!(plan(&m, 0, &e), 18);
    }
}
