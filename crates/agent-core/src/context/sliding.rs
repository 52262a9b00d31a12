//! [`SlidingWindow`]: drops the oldest exchanges.

use async_trait::async_trait;

use super::exchanges::{drop_after_first, plan};
use super::{Budget, ContextError, ConversationManager, Reduced};
use crate::Message;

/// Drops the oldest whole exchanges (see [`super::exchanges`]) until the
/// conversation fits: the first message (the task) and the latest exchange
/// stay, no `toolUse` loses its `toolResult`, roles keep alternating. What
/// is dropped is gone from the model's view; [`super::Summarizing`] keeps a
/// summary of it instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlidingWindow;

#[async_trait]
impl ConversationManager for SlidingWindow {
    fn name(&self) -> &str {
        "sliding"
    }

    async fn reduce(
        &self,
        messages: &mut Vec<Message>,
        budget: Budget<'_>,
    ) -> Result<Reduced, ContextError> {
        let count = plan(messages, budget.target, budget.estimator);
        drop_after_first(messages, count);
        Ok(Reduced {
            dropped: count,
            summarized: false,
        })
    }
}
