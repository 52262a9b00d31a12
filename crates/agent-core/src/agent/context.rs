//! Context management in the loop: when the run asks its
//! [`ConversationManager`] to shorten the conversation (before a request
//! whose estimated input exceeds the window, and once after the service
//! reports an overflow), and how the input is estimated.

use std::sync::Arc;

use super::EventKind;
use super::run::Run;
use crate::context::{Budget, ConversationManager, SlidingWindow, TokenEstimator};
use crate::{ModelError, ModelErrorKind, ModelRequest, Usage};

/// An agent's context management: the manager and the window it keeps to.
#[derive(Clone)]
pub(super) struct ContextSettings {
    pub manager: Arc<dyn ConversationManager>,
    /// The model's window in tokens; without one, only an overflow the
    /// service reports starts a reduction.
    pub window: Option<u64>,
}

/// What one run knows about its input's size.
#[derive(Debug, Default)]
pub(super) struct ContextState {
    estimator: TokenEstimator,
    /// The last request's message count and the input tokens the service
    /// counted for it (reported usage, or `count_tokens`).
    reported: Option<(usize, u64)>,
    /// The backend said it cannot count tokens: not asked again.
    no_count: bool,
}

/// After a reduction the conversation takes at most this share of the
/// window, so the next turns do not each need one.
const AFTER_REDUCTION: (u64, u64) = (3, 4);
/// After an overflow the service reported, the input is estimated to take
/// at most this share of what it took (the estimate was off).
const AFTER_OVERFLOW: (u64, u64) = (3, 5);

fn share(tokens: u64, (num, den): (u64, u64)) -> u64 {
    tokens / den * num + tokens % den * num / den
}

impl Run<'_> {
    /// Before a request: shortens the conversation if its estimated input
    /// exceeds the window (checked with the backend's `count_tokens` where
    /// it has one).
    pub(super) async fn fit_context(&mut self) {
        let Some(settings) = self.agent.context.clone() else {
            return;
        };
        let Some(window) = settings.window else {
            return;
        };
        let mut estimate = self.estimate_input();
        if estimate <= window {
            return;
        }
        if !self.context.no_count {
            let request = self.request();
            match self.agent.backend.count_tokens(&request).await {
                Ok(counted) => {
                    self.calibrate(counted);
                    estimate = counted;
                }
                Err(e) if e.kind == ModelErrorKind::Unsupported => self.context.no_count = true,
                Err(e) => tracing::debug!(error = %e, "count_tokens failed; using the estimate"),
            }
        }
        if estimate > window {
            let target = share(window, AFTER_REDUCTION);
            self.reduce(&settings, estimate, target, false).await;
        }
    }

    /// After a failed turn: `true` if `error` is a context overflow and the
    /// manager shortened the conversation, so the turn is worth one more try.
    pub(super) async fn recover_from_overflow(&mut self, error: &ModelError) -> bool {
        if error.kind != ModelErrorKind::ContextOverflow {
            return false;
        }
        let Some(settings) = self.agent.context.clone() else {
            return false;
        };
        let estimate = self.estimate_input();
        let limit = settings.window.map_or(estimate, |w| w.min(estimate));
        let target = share(limit, AFTER_OVERFLOW);
        self.reduce(&settings, estimate, target, true).await > 0
    }

    /// A turn succeeded: `sent` messages cost `usage`'s whole input, read
    /// from the prompt cache or not (the window holds all of it).
    pub(super) fn saw_usage(&mut self, sent: usize, usage: Usage) {
        let input = usage.total_input_tokens();
        if input > 0 {
            self.context.reported = Some((sent, input));
        }
    }

    /// Asks the manager to bring the input to `target` tokens; the number
    /// of messages dropped.
    async fn reduce(
        &mut self,
        settings: &ContextSettings,
        before: u64,
        target: u64,
        overflow: bool,
    ) -> usize {
        // Calibrate on the whole conversation once: reductions are rare.
        if let Some((sent, reported)) = self.context.reported
            && sent == self.conversation.messages().len()
        {
            let raw = self.raw_overhead() + TokenEstimator::raw_all(self.conversation.messages());
            self.context.estimator.calibrate(raw, reported);
        }
        let overhead = self.context.estimator.scale(self.raw_overhead());
        let mut messages = self.conversation.messages().to_vec();
        let budget = Budget {
            target: target.saturating_sub(overhead),
            estimator: &self.context.estimator,
            backend: self.agent.backend.as_ref(),
        };
        let reduced = match settings.manager.reduce(&mut messages, budget).await {
            Ok(r) => r,
            Err(e) => {
                // Dropping without a summary beats failing the run.
                tracing::warn!(error = %e, "dropping old exchanges without a summary");
                let budget = Budget {
                    target: target.saturating_sub(overhead),
                    estimator: &self.context.estimator,
                    backend: self.agent.backend.as_ref(),
                };
                match SlidingWindow.reduce(&mut messages, budget).await {
                    Ok(r) => r,
                    Err(_) => return 0,
                }
            }
        };
        if reduced.dropped == 0 && !reduced.summarized {
            return 0;
        }
        *self.conversation.messages_mut() = messages;
        self.context.reported = None;
        let after = self.estimate_input();
        self.log.emit(EventKind::ContextReduced {
            iteration: self.iteration,
            manager: settings.manager.name().to_owned(),
            dropped: reduced.dropped,
            summarized: reduced.summarized,
            tokens_before: before,
            tokens_after: after,
            overflow,
        });
        reduced.dropped
    }

    /// The input the next request would cost: the last count plus an
    /// estimate of the messages added since, or an estimate of it all.
    fn estimate_input(&self) -> u64 {
        let messages = self.conversation.messages();
        let e = &self.context.estimator;
        match self.context.reported {
            Some((sent, reported)) if sent <= messages.len() => {
                reported + e.messages(&messages[sent..])
            }
            _ => e.scale(self.raw_overhead()) + e.messages(messages),
        }
    }

    /// A count of the whole request: calibrates the estimator.
    fn calibrate(&mut self, counted: u64) {
        let len = self.conversation.messages().len();
        let raw = self.raw_overhead() + TokenEstimator::raw_all(self.conversation.messages());
        self.context.estimator.calibrate(raw, counted);
        self.context.reported = Some((len, counted));
    }

    /// The raw estimate of what every request carries besides messages:
    /// the system prompt and the tools.
    fn raw_overhead(&self) -> u64 {
        let system = self
            .agent
            .system
            .as_deref()
            .map_or(0, TokenEstimator::raw_text);
        let tools = TokenEstimator::raw_text(
            &serde_json::to_string(self.specs.as_ref()).unwrap_or_default(),
        );
        system + tools
    }

    /// The request the conversation makes now.
    pub(super) fn request(&self) -> ModelRequest {
        ModelRequest {
            system: self.agent.system.clone(),
            messages: self.conversation.messages().to_vec(),
            tools: self.request_tools(),
            inference: self.agent.inference.clone(),
            output_format: self.request_output_format(),
            ..self.agent.options.base_request()
        }
    }
}
