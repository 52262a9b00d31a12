//! Context management: keeping a long conversation inside the model's
//! context window.
//!
//! A [`ConversationManager`] shortens the conversation when it no longer
//! fits. Two are built in: [`SlidingWindow`] drops the oldest exchanges,
//! [`Summarizing`] has the model summarise them first. The agent loop
//! (`agent/context.rs`) decides when: before a request whose estimated input
//! exceeds the window, and once more after the service reports a context
//! overflow.
//!
//! # Contract
//!
//! A manager's [`ConversationManager::reduce`] leaves a conversation every
//! service accepts:
//!
//! - the first message (the user's first prompt, the task) is kept, so the
//!   conversation starts with a user message;
//! - what is dropped is whole **exchanges**: an assistant message and the
//!   user message after it, together ([`exchanges`]). A user message only
//!   ever answers the assistant message just before it, so a `toolUse` is
//!   never separated from its `toolResult`, and roles keep alternating;
//! - the latest exchange is never dropped: it holds the results the model
//!   is about to read;
//! - what is dropped is dropped from the run's conversation (a session's
//!   journal keeps everything: a restored session is reduced again before
//!   its next request).

mod error;
mod estimate;
pub mod exchanges;
mod sliding;
mod summarize;
mod window;

use async_trait::async_trait;

pub use error::ContextError;
pub use estimate::TokenEstimator;
pub use sliding::SlidingWindow;
pub use summarize::{SUMMARY_INSTRUCTION, SUMMARY_TAG, Summarizing};
pub use window::known_context_window;

use crate::{Message, ModelBackend};

/// What a reduction must reach, and the means to get there.
pub struct Budget<'a> {
    /// Tokens the messages may take after the reduction.
    pub target: u64,
    /// Tokens of a message, calibrated on what the service reported.
    pub estimator: &'a TokenEstimator,
    /// The run's backend (the summariser asks it for a summary).
    pub backend: &'a dyn ModelBackend,
}

/// What a reduction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reduced {
    /// Messages removed from the conversation.
    pub dropped: usize,
    /// Whether a summary of them was added.
    pub summarized: bool,
}

/// Shortens a conversation that no longer fits the context window.
///
/// Implementations keep to the module's contract: whole exchanges dropped,
/// the first message and the latest exchange kept.
#[async_trait]
pub trait ConversationManager: Send + Sync {
    /// A short name for events and logs: `sliding`, `summarize`.
    fn name(&self) -> &str;

    /// Shortens `messages` until [`TokenEstimator::messages`] says they take
    /// at most `budget.target` tokens, or nothing more can go. Returns what
    /// was done; dropping nothing is not an error.
    async fn reduce(
        &self,
        messages: &mut Vec<Message>,
        budget: Budget<'_>,
    ) -> Result<Reduced, ContextError>;
}

/// What [`crate::AgentBuilder::context_manager`] takes: a manager by
/// value, or one already shared.
pub trait IntoManager {
    /// The manager, shared.
    fn into_manager(self) -> std::sync::Arc<dyn ConversationManager>;
}

impl<M: ConversationManager + 'static> IntoManager for M {
    fn into_manager(self) -> std::sync::Arc<dyn ConversationManager> {
        std::sync::Arc::new(self)
    }
}

impl IntoManager for std::sync::Arc<dyn ConversationManager> {
    fn into_manager(self) -> std::sync::Arc<dyn ConversationManager> {
        self
    }
}

/// Which manager a host chose, by name (`--context` in the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextStrategy {
    /// Drop the oldest exchanges ([`SlidingWindow`]).
    Sliding,
    /// Summarise the oldest exchanges, then drop them ([`Summarizing`]).
    Summarize,
    /// No management: an overflow ends the run.
    Off,
}

impl ContextStrategy {
    /// The names, as a host's setting takes them.
    pub const NAMES: [&'static str; 3] = ["sliding", "summarize", "off"];

    /// The strategy called `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "sliding" => Some(Self::Sliding),
            "summarize" | "summarise" => Some(Self::Summarize),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    /// The manager for this strategy; `None` for [`ContextStrategy::Off`].
    pub fn manager(self) -> Option<std::sync::Arc<dyn ConversationManager>> {
        match self {
            Self::Sliding => Some(std::sync::Arc::new(SlidingWindow)),
            Self::Summarize => Some(std::sync::Arc::new(Summarizing::default())),
            Self::Off => None,
        }
    }
}
