//! Errors of the agent: [`AgentError`] for a run, [`BuildError`] for the builder.

use std::fmt;

use super::AgentRun;
use crate::ModelError;

/// Why a run stopped without an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentErrorKind {
    /// The model still asked for tools after the last allowed turn.
    MaxIterations {
        /// The limit.
        limit: u32,
    },
    /// A model call failed and retrying could not help (or retries ran out).
    Model(ModelError),
    /// The run was cancelled.
    Cancelled,
}

/// A run that stopped early. The run so far (conversation, events, metrics)
/// is kept, and its conversation is valid to continue.
#[derive(Debug, Clone, thiserror::Error)]
pub struct AgentError {
    /// Why it stopped.
    pub kind: AgentErrorKind,
    /// The run up to the stop.
    pub run: Box<AgentRun>,
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            AgentErrorKind::MaxIterations { limit } => write!(
                f,
                "stopped after {limit} model turns (max_iterations = {limit}) while the model still \
                 asked for tools; raise max_iterations or narrow the request (the conversation so \
                 far is kept)"
            ),
            AgentErrorKind::Model(e) => write!(f, "{e}"),
            AgentErrorKind::Cancelled => write!(f, "the run was cancelled"),
        }
    }
}

impl AgentError {
    /// The model error, if that is why the run stopped.
    pub fn model_error(&self) -> Option<&ModelError> {
        match &self.kind {
            AgentErrorKind::Model(e) => Some(e),
            _ => None,
        }
    }
}

/// An agent that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// No model backend was given.
    #[error("no model backend: call `.backend(...)` on the builder")]
    NoBackend,
    /// A tool could not be registered.
    #[error(transparent)]
    Tool(#[from] tool_api::RegistryError),
}
