//! A guardrail intervened: the run ends there, its conversation valid.

use super::eager::Started;
use super::run::{Next, Run, Stop};
use crate::{ContentBlock, Message};

impl<'a> Run<'a> {
    /// The service stopped the response with `guardrail_intervened`: calls
    /// started early are cancelled, tool calls in the message are dropped
    /// (none is answered, so none may stay), what the service wrote in the
    /// model's place is kept, and the run stops with it.
    pub(super) async fn guardrail_stop(
        &mut self,
        mut message: Message,
        early: Option<Started<'a>>,
    ) -> Next<'a> {
        if let Some(early) = early {
            early.cancel().await;
        }
        message
            .content
            .retain(|b| matches!(b, ContentBlock::Text { .. }));
        let text = message.text();
        if !message.content.is_empty() {
            self.push(message);
        }
        Next::Stop(Stop::Guardrail(text))
    }
}
