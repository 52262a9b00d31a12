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
    /// A hook failed around a model call ([`crate::hooks::Hook`]); the
    /// conversation is as it was before that call.
    Hook(crate::hooks::HookFailure),
    /// Calls of the last batch wait for a person's approval: every one of
    /// them is in the [`crate::hooks::PausedBatch`], with the results of
    /// the calls that ran meanwhile. Decide, then
    /// [`crate::Agent::resume_approved`] with `run.messages`.
    ApprovalNeeded(Box<crate::hooks::PausedBatch>),
    /// A guardrail intervened (stop reason `guardrail_intervened`): the
    /// run ends there, the conversation valid (every tool call answered).
    GuardrailIntervened {
        /// What the service answered in the model's place, if anything.
        message: String,
    },
    /// Resume ([`crate::Agent::resume`]): continuing needs tools this agent
    /// does not have ([`crate::Agent::missing_tools`]). Nothing was run or
    /// journaled; resume again with the interrupted run's tools.
    MissingTools {
        /// The tools missing, in first-use order.
        tools: Vec<String>,
    },
    /// Structured output: the model's answer stayed invalid against the
    /// output schema after every repair attempt.
    InvalidOutput {
        /// Answers tried.
        attempts: u32,
        /// Why the last one is invalid.
        error: String,
    },
}

/// A run that stopped early. The run so far (conversation, events, metrics)
/// is kept in [`AgentError::run`], and its conversation is valid to continue.
///
/// `Display` and `Debug` are both short (the reason, and for `Debug` the
/// run's size), so a `main` returning this error with `?` prints a line,
/// not the whole conversation; read `run` for the details.
#[derive(Clone, thiserror::Error)]
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
                 asked for tools; raise the limit (`AgentBuilder::max_iterations`) or narrow the \
                 request (the conversation so far is in `AgentError::run`)"
            ),
            AgentErrorKind::Model(e) if e.kind == crate::ModelErrorKind::ContextOverflow => write!(
                f,
                "{e}; turn on context management (`--context sliding` or `summarize`, \
                 `AgentBuilder::context_manager`) or, if it is on, lower the window it keeps to \
                 (`--context-window`), shorten the prompt or the tools' results \
                 (`max_output_bytes`), or start a new session"
            ),
            AgentErrorKind::Model(e) => write!(f, "{e}"),
            AgentErrorKind::Cancelled => write!(f, "the run was cancelled"),
            AgentErrorKind::Hook(e) => write!(f, "{e}"),
            AgentErrorKind::ApprovalNeeded(paused) => {
                let names: Vec<&str> = paused
                    .pending
                    .iter()
                    .map(|r| r.call.name.as_str())
                    .collect();
                write!(
                    f,
                    "the run paused: {} tool call(s) need approval ({}); decide each and call \
                     `Agent::resume_approved`",
                    names.len(),
                    names.join(", ")
                )
            }
            AgentErrorKind::GuardrailIntervened { message } if message.is_empty() => {
                write!(f, "the guardrail intervened and stopped the run")
            }
            AgentErrorKind::GuardrailIntervened { message } => write!(
                f,
                "the guardrail intervened and stopped the run; the service answered: {message}"
            ),
            AgentErrorKind::MissingTools { tools } => write!(
                f,
                "cannot resume: the interrupted run needs tools this agent does not have ({}); \
                 nothing was run or saved: resume with the same tools as the interrupted run",
                tools.join(", ")
            ),
            AgentErrorKind::InvalidOutput { attempts, error } => write!(
                f,
                "the model's answer is not valid against the output schema after {attempts} \
                 attempts: {error}"
            ),
        }
    }
}

/// One line: the kind and the run's size, never the run itself (it is
/// about 2 KB for a two-turn run, and grows with every turn).
impl fmt::Debug for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentError")
            .field("kind", &self.kind)
            .field("iterations", &self.run.metrics.iterations)
            .field("messages", &self.run.messages.len())
            .field("tool_calls", &self.run.metrics.tool_calls)
            .finish_non_exhaustive()
    }
}

impl AgentError {
    /// A run that produced nothing, failed for its output schema.
    pub(crate) fn invalid_output(attempts: u32, error: String) -> Self {
        Self {
            kind: AgentErrorKind::InvalidOutput { attempts, error },
            run: Box::default(),
        }
    }

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
    /// The tool choice names a tool the agent does not have.
    #[error("the tool choice names `{name}`, which is not one of the agent's tools ({tools})")]
    UnknownToolChoice {
        /// The name chosen.
        name: String,
        /// The tools there are, comma-separated.
        tools: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message, RunMetrics};

    fn long_run() -> AgentRun {
        AgentRun {
            answer: String::new(),
            stop_reason: None,
            messages: (0..40)
                .map(|i| Message::user(format!("message {i}: {}", "x".repeat(100))))
                .collect(),
            events: Vec::new(),
            output: None,
            model_fields: None,
            metrics: RunMetrics {
                iterations: 20,
                ..RunMetrics::default()
            },
        }
    }

    #[test]
    fn debug_and_display_are_short_and_the_run_stays_reachable() {
        let e = AgentError {
            kind: AgentErrorKind::MaxIterations { limit: 20 },
            run: Box::new(long_run()),
        };
        let debug = format!("{e:?}");
        assert!(debug.len() < 200, "{} bytes: {debug}", debug.len());
        assert!(!debug.contains("message 0"), "{debug}");
        assert!(
            debug.contains("MaxIterations") && debug.contains("messages: 40"),
            "{debug}"
        );
        let display = e.to_string();
        assert!(!display.contains('\n') && display.len() < 300, "{display}");
        assert!(
            display.contains("AgentBuilder::max_iterations"),
            "{display}"
        );
        assert!(!display.contains("agent demo"), "{display}");
        assert_eq!(e.run.messages.len(), 40);
    }
}
