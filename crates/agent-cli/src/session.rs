//! One prompt through an agent, shown to a person: live view while it runs,
//! then the answer, the timeline and the summary; or nothing but JSON.

use std::sync::Arc;

use agent_core::session::{Pending, SessionJournal};
use agent_core::{Agent, AgentError, AgentErrorKind, AgentRun, Conversation, RunOptions};
use tokio_util::sync::CancellationToken;

use crate::exit::Failure;
use crate::json::{ErrorDocument, Layout, RunDocument};
use crate::render::{LiveView, Mode, summary, timeline};
use crate::signals::{Signal, Signals};

/// Runs `prompt` in `conversation` and shows it in `mode`.
pub async fn show(
    agent: &Agent,
    conversation: &mut Conversation,
    prompt: &str,
    mode: Mode,
    cancel: CancellationToken,
) -> Result<AgentRun, AgentError> {
    show_start(
        agent,
        conversation,
        Start::Prompt(prompt),
        mode,
        cancel,
        None,
    )
    .await
}

/// How a shown run starts.
#[derive(Debug)]
pub enum Start<'a> {
    /// With the user's prompt.
    Prompt(&'a str),
    /// With the user's prompt and files sent with it (images, documents).
    Attached(&'a str, Vec<agent_core::ContentBlock>),
    /// Where an interrupted run stopped (`agent resume`).
    Resume(Pending),
}

/// Like [`show`], starting as `start` says and journaled to `journal`.
pub async fn show_start(
    agent: &Agent,
    conversation: &mut Conversation,
    start: Start<'_>,
    mode: Mode,
    cancel: CancellationToken,
    journal: Option<Arc<dyn SessionJournal>>,
) -> Result<AgentRun, AgentError> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let view = LiveView::start(mode, rx);
    let mut options = RunOptions::new().with_events(tx).with_cancellation(cancel);
    if !agent.approvals().is_empty() {
        options = options.with_approver(crate::approval::approver(mode, view.asker()));
    }
    if let Some(journal) = journal {
        options = options.with_journal(journal);
    }
    let result = match start {
        Start::Prompt(prompt) => agent.send(conversation, prompt, options).await,
        Start::Attached(prompt, files) => {
            let options = options.with_attachments(files);
            agent.send(conversation, prompt, options).await
        }
        Start::Resume(pending) => agent.resume(conversation, pending, options).await,
    };
    view.finish().await;
    if mode != Mode::Quiet {
        let run = match &result {
            Ok(run) => run,
            Err(e) => &e.run,
        };
        // On a terminal the answer streams as it is written, unless nothing
        // streamed (`--no-stream`): then it is printed whole, as elsewhere.
        let streamed = run
            .events
            .iter()
            .any(|e| matches!(e.kind, agent_core::EventKind::TextDelta { .. }));
        if (!mode.streams_text() || !streamed) && !run.answer.is_empty() {
            // A closed pipe loses nothing the reader wanted.
            let _ = crate::stdout::line(crate::render::sanitize::text(&run.answer));
        }
        let color = mode.color();
        let timeline = timeline(run, color);
        if !timeline.is_empty() {
            eprintln!("\n{}", timeline.trim_end());
        }
        eprintln!("{}", summary(run));
    }
    result
}

/// How a run ended: the run (whole, or as far as it got) and, when it
/// stopped early, why, as its JSON document and its exit status say it.
#[derive(Debug)]
pub struct Ending {
    /// The run, or what it did before it stopped.
    pub run: AgentRun,
    /// Why it stopped early, if it did.
    pub stop: Option<Stop>,
}

/// An early stop of a run.
#[derive(Debug)]
pub struct Stop {
    /// The `error.kind` of the run's document: `max_iterations`, `model`,
    /// `cancelled`.
    pub kind: &'static str,
    /// The error's own text.
    pub message: String,
    /// What it means for the process: its exit code and message.
    pub failure: Failure,
}

impl Ending {
    /// The ending of `result`; a cancelled run was stopped by the signal
    /// `signals` received last (Ctrl-C if none).
    pub fn of(result: Result<AgentRun, AgentError>, signals: &Signals) -> Self {
        let e = match result {
            Ok(run) => return Self { run, stop: None },
            Err(e) => e,
        };
        let kind = stop_kind(&e.kind);
        let failure = match &e.kind {
            // The partial figures were shown with the run.
            AgentErrorKind::Cancelled => {
                Failure::Interrupted(signals.received().unwrap_or(Signal::Interrupt))
            }
            // The library's text names its builder; a CLI user has a flag.
            AgentErrorKind::MaxIterations { limit } => Failure::Model(format!(
                "stopped after {limit} model turns (--max-iterations {limit}) while the \
                 model still asked for tools; raise --max-iterations (or max_iterations in \
                 agent.toml) or narrow the request"
            )),
            AgentErrorKind::Model(m)
                if m.kind == agent_core::ModelErrorKind::Credentials
                    && !e.to_string().contains("agent demo") =>
            {
                Failure::Model(format!(
                    "{e}\n(`agent demo` needs no credentials: it runs fully offline)"
                ))
            }
            // Nothing ran: the command was not given the tools it needs.
            AgentErrorKind::MissingTools { tools } => Failure::Usage(format!(
                "the interrupted run needs tools this command was not given: {}; nothing was \
                 run or saved: pass the same --plugin, --plugins-dir or --mcp flags as the \
                 interrupted run",
                tools.join(", ")
            )),
            _ => Failure::Model(e.to_string()),
        };
        let message = e.to_string();
        Self {
            run: *e.run,
            stop: Some(Stop {
                kind,
                message,
                failure,
            }),
        }
    }

    /// Prints the run's JSON document laid out as `layout`.
    pub fn print_json(&self, layout: Layout) -> Result<(), Failure> {
        let error = self.stop.as_ref().map(|s| ErrorDocument {
            kind: s.kind,
            message: s.message.clone(),
        });
        crate::json::print_as(&RunDocument::new(&self.run, error), layout)
    }

    /// The exit status, printing the run's JSON document first when `json`
    /// is set (a failure then says its document is out).
    pub fn conclude(self, json: Option<Layout>) -> Result<(), Failure> {
        if let Some(layout) = json {
            self.print_json(layout)?;
        }
        match self.stop {
            None => Ok(()),
            Some(stop) if json.is_some() => Err(Failure::Documented(Box::new(stop.failure))),
            Some(stop) => Err(stop.failure),
        }
    }
}

/// The `error.kind` of a run's document for a run stopped by `kind`.
fn stop_kind(kind: &AgentErrorKind) -> &'static str {
    match kind {
        AgentErrorKind::MaxIterations { .. } => "max_iterations",
        AgentErrorKind::Model(_) => "model",
        AgentErrorKind::Cancelled => "cancelled",
        AgentErrorKind::Hook(_) => "hook",
        AgentErrorKind::ApprovalNeeded(_) => "approval_needed",
        AgentErrorKind::GuardrailIntervened { .. } => "guardrail_intervened",
        AgentErrorKind::InvalidOutput { .. } => "invalid_output",
        AgentErrorKind::MissingTools { .. } => "missing_tools",
    }
}

/// The run's document as `agent run --json` prints it, as a JSON value
/// (what `agent serve --restate` answers a `send` with).
pub fn document(result: &Result<AgentRun, AgentError>) -> serde_json::Value {
    let (run, error) = match result {
        Ok(run) => (run, None),
        Err(e) => (
            &*e.run,
            Some(ErrorDocument {
                kind: stop_kind(&e.kind),
                message: e.to_string(),
            }),
        ),
    };
    serde_json::to_value(RunDocument::new(run, error)).unwrap_or_else(|e| {
        // Only a map with non-string keys fails, and a run has none.
        serde_json::json!({ "error": { "kind": "other", "message": e.to_string() } })
    })
}

/// The exit status of a finished run, printing its JSON document first when
/// `json` is set.
pub fn conclude(
    result: Result<AgentRun, AgentError>,
    json: Option<Layout>,
    signals: &Signals,
) -> Result<(), Failure> {
    Ending::of(result, signals).conclude(json)
}
