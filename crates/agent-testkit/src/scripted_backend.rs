//! [`ScriptedBackend`]: a deterministic model for tests, examples and
//! benchmarks, playing [`Scenario`]s with a fixed latency.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use agent_core::{
    ModelBackend, ModelError, ModelEvent, ModelRequest, ModelResponse, response_events,
};
use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use tokio::time::Instant;

use crate::conversation_rules::validate_conversation;
use crate::reference;
use crate::scenario::Scenario;
use crate::select::{first_prompt, select};

/// A model that plays scripted scenarios.
///
/// It checks each request against the rules every service enforces
/// ([`validate_conversation`]: role alternation, tool-use/tool-result
/// pairing; a broken one fails as a validation error), sleeps its latency on
/// tokio's clock (so a paused test clock makes runs exact), records every
/// request, and can fail the next calls with injected errors.
///
/// Streamed, it sends the whole response when its latency is over, unless
/// [`ScriptedBackend::with_streamed_latency`] spreads the blocks over the
/// latency, as a model writing them does.
///
/// ```
/// use agent_testkit::{ScriptedBackend, ScriptedTurn, Scenario};
///
/// let backend = ScriptedBackend::new(vec![Scenario::new(
///     "hello",
///     None,
///     vec![ScriptedTurn::text("Hello!")],
/// )])
/// .with_latency(std::time::Duration::from_millis(10));
/// ```
#[derive(Debug, Default)]
pub struct ScriptedBackend {
    scenarios: Vec<Scenario>,
    latency: Duration,
    /// The blocks of a streamed response arrive spread over the latency.
    spread: bool,
    faults: Mutex<VecDeque<ModelError>>,
    requests: Mutex<Vec<ModelRequest>>,
    /// Answers `count_tokens` (off: the trait's "not supported").
    counts: bool,
    /// Requests counted so far.
    counted: Mutex<Vec<ModelRequest>>,
    /// Refuses requests above this many input tokens, as a service
    /// refuses a conversation longer than its context window.
    max_input_tokens: Option<u64>,
}

impl ScriptedBackend {
    /// A backend playing `scenarios`, with no latency.
    pub fn new(scenarios: Vec<Scenario>) -> Self {
        Self {
            scenarios,
            ..Self::default()
        }
    }

    /// The reference work: Q1–Q4, FANOUT-n and CHAIN-50.
    pub fn reference() -> Self {
        Self::new(reference::all())
    }

    /// This backend with `latency` per call.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// This backend with `latency` per call, over which a streamed
    /// response's blocks arrive one after the other: of `n` blocks, block
    /// `k` opens at `k/n` of the latency and is complete at `(k+1)/n` (its
    /// stop and the rest of its content arrive then), and the message
    /// stops with the last block. Unstreamed calls take the same latency.
    pub fn with_streamed_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self.spread = true;
        self
    }

    /// Fails the next calls, one error each, before playing on.
    pub fn with_faults(self, faults: impl IntoIterator<Item = ModelError>) -> Self {
        if let Ok(mut q) = self.faults.lock() {
            q.extend(faults);
        }
        self
    }

    /// This backend answering `count_tokens` with [`crate::input_tokens`],
    /// the figure its usage reports.
    pub fn with_token_counting(mut self) -> Self {
        self.counts = true;
        self
    }

    /// This backend refusing any request above `tokens` input tokens with a
    /// [`agent_core::ModelErrorKind::ContextOverflow`] error, as a service
    /// refuses a conversation longer than its context window.
    pub fn with_max_input_tokens(mut self, tokens: u64) -> Self {
        self.max_input_tokens = Some(tokens);
        self
    }

    /// Every request `count_tokens` was asked about, in order.
    pub fn counted(&self) -> Vec<ModelRequest> {
        self.counted.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Every request received so far, in order (failed ones included).
    pub fn requests(&self) -> Vec<ModelRequest> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl ModelBackend for ScriptedBackend {
    fn name(&self) -> &str {
        "scripted"
    }

    async fn count_tokens(&self, request: &ModelRequest) -> Result<u64, ModelError> {
        if !self.counts {
            return Err(ModelError::unsupported(
                "the scripted backend was built without token counting",
            ));
        }
        if let Ok(mut c) = self.counted.lock() {
            c.push(request.clone());
        }
        Ok(crate::input_tokens(request))
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        self.record(request);
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        self.respond(request)
    }

    fn converse_stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxStream<'a, Result<ModelEvent, ModelError>> {
        let timed = async move {
            self.record(request);
            let start = Instant::now();
            let events = match self.respond(request) {
                Ok(response) if self.spread => spread(response, start, self.latency),
                Ok(response) => {
                    let at = start + self.latency;
                    response_events(response)
                        .into_iter()
                        .map(|e| (at, Ok(e)))
                        .collect()
                }
                Err(e) => vec![(start + self.latency, Err(e))],
            };
            stream::iter(events).then(|(at, event)| async move {
                tokio::time::sleep_until(at).await;
                event
            })
        };
        stream::once(timed).flatten().boxed()
    }
}

impl ScriptedBackend {
    fn record(&self, request: &ModelRequest) {
        if let Ok(mut r) = self.requests.lock() {
            r.push(request.clone());
        }
    }

    /// The scripted answer to `request`, after any injected fault and the
    /// conversation rules.
    fn respond(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let fault = self.faults.lock().ok().and_then(|mut q| q.pop_front());
        if let Some(fault) = fault {
            return Err(fault);
        }
        agent_core::check_request(request)?;
        validate_conversation(request).map_err(|e| ModelError::validation(e.to_string()))?;
        let tokens = crate::input_tokens(request);
        if let Some(max) = self.max_input_tokens.filter(|max| tokens > *max) {
            return Err(ModelError::new(
                agent_core::ModelErrorKind::ContextOverflow,
                format!("prompt is too long: {tokens} tokens > {max} maximum"),
            ));
        }
        let scenario = select(&self.scenarios, request).ok_or_else(|| {
            ModelError::validation(format!(
                "no scenario answers the prompt {:?}",
                first_prompt(request)
            ))
        })?;
        let mut response = scenario.respond(request);
        response.latency = self.latency;
        if request.inference.thinking.is_some() {
            // A thinking model reasons first; the signature stands for the
            // services' (the scripted model checks none).
            response.message.content.insert(
                0,
                agent_core::ContentBlock::Reasoning(agent_core::Reasoning {
                    text: format!("Scripted reasoning for {:?}.", scenario.name),
                    signature: Some("scripted".into()),
                }),
            );
        }
        Ok(response)
    }
}

/// `response`'s events, each with the time it arrives: the blocks spread
/// over `latency` from `start` (see [`ScriptedBackend::with_streamed_latency`]).
fn spread(
    response: ModelResponse,
    start: Instant,
    latency: Duration,
) -> Vec<(Instant, Result<ModelEvent, ModelError>)> {
    let blocks = response.message.content.len().max(1);
    let at = |k: usize| start + latency.mul_f64(k as f64 / blocks as f64);
    let end = start + latency;
    let mut timed = Vec::new();
    for event in response_events(response) {
        let when = match &event {
            ModelEvent::MessageStart => start,
            // A block opens at the start of its share of the latency.
            ModelEvent::ToolUseStart { index, .. }
            | ModelEvent::TextDelta { index, .. }
            | ModelEvent::ReasoningDelta { index, .. }
            | ModelEvent::RedactedReasoning { index, .. } => at(*index),
            ModelEvent::ReasoningSignature { index, .. } => at(*index + 1),
            ModelEvent::ToolInputDelta { index, .. } | ModelEvent::BlockStop { index } => {
                at(*index + 1)
            }
            ModelEvent::MessageStop { .. }
            | ModelEvent::ModelFields { .. }
            | ModelEvent::Metadata { .. } => end,
        };
        timed.push((when, Ok(event)));
    }
    timed
}
