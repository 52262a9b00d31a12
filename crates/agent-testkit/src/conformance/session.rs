//! A case's session: a fresh server from the [`Harness`], and the real
//! [`Agent`] pointed at it with a retry policy that retries fast and records
//! the `retry_after` hints the backend surfaced.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::{Agent, AgentRun, InferenceConfig, RetryPolicy};

use super::fixtures::{SYSTEM_PROMPT, tools};
use super::harness::{Fault, Harness, Setup, Target};
use crate::scenario::Scenario;

/// A retry policy that retries quickly (real time, tiny delays) and records
/// the `retry_after` hints the backend surfaced.
#[derive(Debug, Clone, Default)]
pub(super) struct RecordingRetry {
    hints: Arc<Mutex<Vec<Option<Duration>>>>,
}

impl RetryPolicy for RecordingRetry {
    fn next_delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if let Ok(mut h) = self.hints.lock() {
            h.push(retry_after);
        }
        (attempt < self.max_attempts()).then_some(Duration::from_millis(5))
    }

    fn max_attempts(&self) -> u32 {
        4
    }
}

impl RecordingRetry {
    pub(super) fn hints(&self) -> Vec<Option<Duration>> {
        self.hints.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

/// A started server and the agent running against it.
pub(super) struct Run {
    pub(super) target: Target,
    pub(super) agent: Agent,
    pub(super) retry: RecordingRetry,
}

/// Starts a server playing `scenarios` after `faults`, and an agent on it.
pub(super) async fn start(
    harness: &dyn Harness,
    scenarios: Vec<Scenario>,
    faults: Vec<Fault>,
    streaming: bool,
    inference: InferenceConfig,
) -> Result<Run, String> {
    let target = harness
        .start(Setup { scenarios, faults })
        .await
        .map_err(|e| format!("the harness could not start a server: {e}"))?;
    let retry = RecordingRetry::default();
    let agent = Agent::builder()
        .backend(target.backend())
        .tools(tools()?)
        .system(SYSTEM_PROMPT)
        .streaming(streaming)
        .inference(inference)
        .model_retry(retry.clone())
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Run {
        target,
        agent,
        retry,
    })
}

/// [`start`] with the default sampling settings and the agent's builder
/// passed through `configure` (tool choice, caching...).
pub(super) async fn start_configured(
    harness: &dyn Harness,
    scenarios: Vec<Scenario>,
    streaming: bool,
    configure: impl FnOnce(agent_core::AgentBuilder) -> agent_core::AgentBuilder,
) -> Result<Run, String> {
    let target = harness
        .start(Setup {
            scenarios,
            faults: vec![],
        })
        .await
        .map_err(|e| format!("the harness could not start a server: {e}"))?;
    let retry = RecordingRetry::default();
    let builder = Agent::builder()
        .backend(target.backend())
        .tools(tools()?)
        .system(SYSTEM_PROMPT)
        .streaming(streaming)
        .model_retry(retry.clone());
    let agent = configure(builder).build().map_err(|e| e.to_string())?;
    Ok(Run {
        target,
        agent,
        retry,
    })
}

/// [`start`] with the default sampling settings.
pub(super) async fn start_simple(
    harness: &dyn Harness,
    scenarios: Vec<Scenario>,
    faults: Vec<Fault>,
    streaming: bool,
) -> Result<Run, String> {
    start(
        harness,
        scenarios,
        faults,
        streaming,
        InferenceConfig::default(),
    )
    .await
}

/// The mode a failure message names.
pub(super) fn mode(streaming: bool) -> &'static str {
    if streaming { "streaming" } else { "converse" }
}

/// Runs `prompt` to the end, a failure naming the mode.
pub(super) async fn run_ok(run: &Run, prompt: &str, streaming: bool) -> Result<AgentRun, String> {
    run.agent
        .run(prompt)
        .await
        .map_err(|e| format!("[{}] the run failed: {e}", mode(streaming)))
}
