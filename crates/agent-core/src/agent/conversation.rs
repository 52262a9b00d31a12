//! [`Conversation`]: the history a run continues.

use serde::{Deserialize, Serialize};

use crate::{ContentBlock, Message, Role};

/// The messages so far. A run appends to it, and keeps it valid even when it
/// stops early: every `toolUse` is answered, roles alternate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    messages: Vec<Message>,
}

impl Conversation {
    /// An empty conversation.
    pub fn new() -> Self {
        Self::default()
    }

    /// A conversation continuing from `messages` (e.g. saved earlier).
    pub fn from_messages(messages: Vec<Message>) -> Self {
        Self { messages }
    }

    /// The messages, oldest first.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// `blocks` (a prompt and its attachments) as the user's, added to a
    /// trailing user message if there is one: roles must alternate.
    pub(crate) fn push_user_blocks(&mut self, blocks: Vec<ContentBlock>) {
        match self.messages.last_mut() {
            Some(last) if last.role == Role::User => last.content.extend(blocks),
            _ => self.messages.push(Message {
                role: Role::User,
                content: blocks,
            }),
        }
    }

    /// The messages, for a context manager to shorten.
    pub(crate) fn messages_mut(&mut self) -> &mut Vec<Message> {
        &mut self.messages
    }

    pub(crate) fn push(&mut self, message: Message) {
        self.messages.push(message);
    }
}
