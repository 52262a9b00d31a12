//! [`restore`]: a session's journal read back as a conversation, and what
//! its last run left unfinished.

use super::JournalEntry;
use crate::{Message, Role, ToolResult, ToolUse};

/// What an interrupted run left to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// Nothing: the session is empty or its last run ended with an answer.
    Nothing,
    /// The last message is the user's: the model call that answers it was
    /// not made, or did not finish.
    ModelCall,
    /// The model asked for tools and their batch did not finish.
    Batch {
        /// The calls of the model's last message, in call order.
        calls: Vec<ToolUse>,
        /// The results of the calls that finished, as journaled.
        finished: Vec<ToolResult>,
    },
}

/// A session's state, read back from its journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The conversation's messages: every journaled message, in order
    /// (`Conversation::from_messages` continues it).
    pub messages: Vec<Message>,
    /// What the last run left unfinished.
    pub pending: Pending,
}

/// Reads `entries` back. Consecutive user messages join into one, as they
/// did in the run that journaled them (a prompt after a run stopped on
/// tool results), so roles alternate.
pub fn restore(entries: &[JournalEntry]) -> Restored {
    let mut messages: Vec<Message> = Vec::new();
    let mut finished = Vec::new();
    for entry in entries {
        match entry {
            JournalEntry::Message { message } => {
                // A user message (a prompt, or a batch's results) closes the
                // batch before it. An assistant message does not: calls that
                // started while it streamed (eager start) may have finished,
                // and been journaled, before the message itself.
                if message.role == Role::User {
                    finished.clear();
                }
                match messages.last_mut() {
                    Some(last) if last.role == Role::User && message.role == Role::User => {
                        last.content.extend(message.content.iter().cloned())
                    }
                    _ => messages.push(message.clone()),
                }
            }
            JournalEntry::ToolResult { result, .. } => finished.push(result.clone()),
        }
    }
    let pending = match messages.last() {
        None => Pending::Nothing,
        Some(last) if last.role == Role::User => Pending::ModelCall,
        Some(last) => {
            let calls: Vec<ToolUse> = last.tool_uses().cloned().collect();
            if calls.is_empty() {
                Pending::Nothing
            } else {
                // Only this batch's results count, each once: the last
                // journaled for a call wins (a call of a failed, retried
                // stream is journaled cancelled, then again when it runs).
                finished.retain(|r: &ToolResult| calls.iter().any(|c| c.id == r.tool_use_id));
                let mut last: Vec<ToolResult> = Vec::new();
                for r in finished.into_iter().rev() {
                    if !last.iter().any(|l| l.tool_use_id == r.tool_use_id) {
                        last.push(r);
                    }
                }
                last.reverse();
                let finished = last;
                Pending::Batch { calls, finished }
            }
        }
    };
    Restored { messages, pending }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ContentBlock;

    fn msg(message: Message) -> JournalEntry {
        JournalEntry::Message { message }
    }

    fn call(id: &str) -> ToolUse {
        ToolUse {
            id: id.into(),
            name: "t".into(),
            input: serde_json::json!({}),
        }
    }

    fn asks(ids: &[&str]) -> Message {
        Message {
            role: Role::Assistant,
            content: ids
                .iter()
                .map(|id| ContentBlock::ToolUse(call(id)))
                .collect(),
        }
    }

    fn done(id: &str) -> JournalEntry {
        JournalEntry::ToolResult {
            index: 0,
            name: "t".into(),
            result: ToolResult::error(id, "x"),
        }
    }

    #[test]
    fn an_answered_session_has_nothing_pending() {
        let r = restore(&[msg(Message::user("hi")), msg(Message::assistant("hello"))]);
        assert_eq!(r.pending, Pending::Nothing);
        assert_eq!(r.messages.len(), 2);
        assert_eq!(restore(&[]).pending, Pending::Nothing);
    }

    #[test]
    fn a_prompt_without_its_answer_needs_the_model_call() {
        let r = restore(&[msg(Message::user("hi"))]);
        assert_eq!(r.pending, Pending::ModelCall);
    }

    #[test]
    fn an_interrupted_batch_keeps_only_its_finished_calls() {
        let r = restore(&[
            msg(Message::user("hi")),
            msg(asks(&["a", "b", "c"])),
            done("b"),
            done("b"),
        ]);
        let Pending::Batch { calls, finished } = r.pending else {
            unreachable!("not a batch: {:?}", r.pending)
        };
        assert_eq!(calls.len(), 3);
        assert_eq!(finished.len(), 1);
        assert_eq!(finished[0].tool_use_id, "b");
    }

    #[test]
    fn results_journaled_before_their_message_count() {
        // Eager start: calls finish while the model's message streams.
        let r = restore(&[msg(Message::user("hi")), done("a"), msg(asks(&["a", "b"]))]);
        let Pending::Batch { finished, .. } = r.pending else {
            unreachable!("not a batch: {:?}", r.pending)
        };
        assert_eq!(finished.len(), 1);
        assert_eq!(finished[0].tool_use_id, "a");
    }

    #[test]
    fn the_last_result_journaled_for_a_call_wins() {
        let ok = JournalEntry::ToolResult {
            index: 0,
            name: "t".into(),
            result: ToolResult::success("a", crate::ToolResultContent::Text("ran".into())),
        };
        let r = restore(&[msg(Message::user("hi")), done("a"), msg(asks(&["a"])), ok]);
        let Pending::Batch { finished, .. } = r.pending else {
            unreachable!("not a batch: {:?}", r.pending)
        };
        assert_eq!(finished.len(), 1);
        assert!(!finished[0].is_error());
    }

    #[test]
    fn consecutive_user_messages_join() {
        let results = Message {
            role: Role::User,
            content: vec![ContentBlock::ToolResult(ToolResult::error("a", "x"))],
        };
        let r = restore(&[
            msg(Message::user("hi")),
            msg(asks(&["a"])),
            done("a"),
            msg(results),
            msg(Message::user("again")),
        ]);
        assert_eq!(r.messages.len(), 3);
        assert_eq!(r.messages[2].content.len(), 2);
        assert_eq!(r.pending, Pending::ModelCall);
    }
}
