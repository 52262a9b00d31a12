//! [`ScriptedBackend`]: a deterministic model for tests, examples and
//! benchmarks, playing [`Scenario`]s with a fixed latency.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use agent_core::{ModelBackend, ModelError, ModelRequest, ModelResponse};
use async_trait::async_trait;

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
    faults: Mutex<VecDeque<ModelError>>,
    requests: Mutex<Vec<ModelRequest>>,
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

    /// Fails the next calls, one error each, before playing on.
    pub fn with_faults(self, faults: impl IntoIterator<Item = ModelError>) -> Self {
        if let Ok(mut q) = self.faults.lock() {
            q.extend(faults);
        }
        self
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

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        if let Ok(mut r) = self.requests.lock() {
            r.push(request.clone());
        }
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let fault = self.faults.lock().ok().and_then(|mut q| q.pop_front());
        if let Some(fault) = fault {
            return Err(fault);
        }
        validate_conversation(request).map_err(|e| ModelError::validation(e.to_string()))?;
        let scenario = select(&self.scenarios, request).ok_or_else(|| {
            ModelError::validation(format!(
                "no scenario answers the prompt {:?}",
                first_prompt(request)
            ))
        })?;
        let mut response = scenario.respond(request);
        response.latency = self.latency;
        Ok(response)
    }
}
