//! The `--json` documents: one on stdout, nothing else there.

use agent_core::{AgentEvent, AgentRun, Message, RunMetrics, StopReason};
use serde::Serialize;

/// One run, as `agent run --json` prints it.
#[derive(Debug, Serialize)]
pub struct RunDocument<'a> {
    /// The final answer ("" when the run stopped early).
    pub answer: &'a str,
    /// The model's reasoning (extended thinking, `--thinking`), its
    /// turns' reasoning text joined; left out when there is none. The
    /// signed blocks themselves are in `messages`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reasoning: String,
    /// Structured output (`--output-schema`): the answer's value, valid
    /// against the schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<&'a serde_json::Value>,
    /// The model-specific response fields asked for (`--response-field`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_fields: Option<&'a serde_json::Value>,
    /// Why the model stopped, if it did.
    pub stop_reason: Option<&'a StopReason>,
    /// Why the run stopped early, if it did.
    pub error: Option<ErrorDocument>,
    /// Figures.
    pub metrics: &'a RunMetrics,
    /// Every event.
    pub events: &'a [AgentEvent],
    /// The whole conversation.
    pub messages: &'a [Message],
}

/// An early stop, or a command that failed before (or without) a run.
#[derive(Debug, Serialize)]
pub struct ErrorDocument {
    /// A run's: `max_iterations`, `model`, `cancelled`,
    /// `guardrail_intervened`, `invalid_output`; a command's:
    /// `usage`, `plugin`, `model`, `cancelled`, `other`.
    pub kind: &'static str,
    /// What happened and what to do.
    pub message: String,
}

impl<'a> RunDocument<'a> {
    /// The document of `run`, stopped by `error` if any.
    pub fn new(run: &'a AgentRun, error: Option<ErrorDocument>) -> Self {
        Self {
            answer: &run.answer,
            reasoning: run
                .messages
                .iter()
                .map(Message::reasoning)
                .filter(|r| !r.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
            output: run.output.as_ref(),
            model_fields: run.model_fields.as_ref(),
            stop_reason: run.stop_reason.as_ref(),
            error,
            metrics: &run.metrics,
            events: &run.events,
            messages: &run.messages,
        }
    }
}

/// The document of a command that failed without a run to show (bad
/// usage or settings, a plugin that does not load, a signal before the
/// first prompt): `{"error": {"kind", "message"}}`, so that a script
/// reading `--json` output always gets a document and finds the failure
/// at the same place as in a run's.
#[derive(Debug, Serialize)]
pub struct FailureDocument {
    /// What failed.
    pub error: ErrorDocument,
}

/// Prints the [`FailureDocument`] of `failure` laid out as `layout`,
/// unless its document is already out ([`Failure::Documented`]) or
/// stdout is closed.
///
/// [`Failure::Documented`]: crate::exit::Failure::Documented
pub fn print_failure(
    failure: &crate::exit::Failure,
    layout: Layout,
) -> Result<(), crate::exit::Failure> {
    if matches!(failure, crate::exit::Failure::Documented(_)) {
        return Ok(());
    }
    let Some(kind) = failure.kind() else {
        return Ok(());
    };
    let doc = FailureDocument {
        error: ErrorDocument {
            kind,
            message: failure.to_string(),
        },
    };
    print_as(&doc, layout)
}

/// Prints `doc` as the one JSON document on stdout.
pub fn print<T: Serialize>(doc: &T) -> Result<(), crate::exit::Failure> {
    print_as(doc, Layout::Document)
}

/// How `--json` output is laid out on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One pretty-printed document (`agent run`, `agent demo`).
    Document,
    /// One compact document per line, JSON Lines (`agent chat`: one per
    /// prompt).
    Line,
}

/// Prints `doc` on stdout, laid out as `layout` says.
pub fn print_as<T: Serialize>(doc: &T, layout: Layout) -> Result<(), crate::exit::Failure> {
    let text = match layout {
        Layout::Document => serde_json::to_string_pretty(doc),
        Layout::Line => serde_json::to_string(doc),
    }
    .map_err(|e| crate::exit::Failure::Other(e.to_string()))?;
    crate::stdout::line(text)
}
