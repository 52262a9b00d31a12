//! One prompt through an agent, shown to a person: live view while it runs,
//! then the answer, the timeline and the summary; or nothing but JSON.

use std::sync::Arc;

use agent_core::session::{Pending, SessionJournal};
use agent_core::{Agent, AgentError, AgentErrorKind, AgentRun, Conversation, RunOptions};
use tokio_util::sync::CancellationToken;

use crate::exit::Failure;
use crate::json::{ErrorDocument, RunDocument};
use crate::render::{LiveView, Mode, summary, timeline};

/// A token cancelled by Ctrl-C (once; a second Ctrl-C kills the process as usual).
pub fn interrupt_token() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            t.cancel();
        }
    });
    token
}

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
    if let Some(journal) = journal {
        options = options.with_journal(journal);
    }
    let result = match start {
        Start::Prompt(prompt) => agent.send(conversation, prompt, options).await,
        Start::Resume(pending) => agent.resume(conversation, pending, options).await,
    };
    view.finish().await;
    if mode != Mode::Quiet {
        let run = match &result {
            Ok(run) => run,
            Err(e) => &e.run,
        };
        if !mode.streams_text() && !run.answer.is_empty() {
            // A closed pipe loses nothing the reader wanted.
            let _ = crate::stdout::line(crate::render::sanitize::text(&run.answer));
        }
        let color = mode == Mode::Tty;
        let timeline = timeline(run, color);
        if !timeline.is_empty() {
            eprintln!("\n{}", timeline.trim_end());
        }
        eprintln!("{}", summary(run));
    }
    result
}

/// The exit status of a finished run, printing its JSON document first when
/// `json` is set.
pub fn conclude(
    result: Result<AgentRun, AgentError>,
    json: Option<crate::json::Layout>,
) -> Result<(), Failure> {
    let (run, failure) = match result {
        Ok(run) => (run, None),
        Err(e) => {
            let kind = match &e.kind {
                AgentErrorKind::MaxIterations { .. } => "max_iterations",
                AgentErrorKind::Model(_) => "model",
                AgentErrorKind::Cancelled => "cancelled",
            };
            let failure = match &e.kind {
                // The partial figures were shown with the run.
                AgentErrorKind::Cancelled => Failure::Interrupted,
                AgentErrorKind::Model(m)
                    if m.kind == agent_core::ModelErrorKind::Credentials
                        && !e.to_string().contains("agent demo") =>
                {
                    Failure::Model(format!(
                        "{e}\n(`agent demo` needs no credentials: it runs fully offline)"
                    ))
                }
                _ => Failure::Model(e.to_string()),
            };
            (*e.run.clone(), Some((kind, failure, e.to_string())))
        }
    };
    if let Some(layout) = json {
        let error = failure.as_ref().map(|(kind, _, message)| ErrorDocument {
            kind,
            message: message.clone(),
        });
        crate::json::print_as(&RunDocument::new(&run, error), layout)?;
    }
    match failure {
        None => Ok(()),
        Some((_, failure, _)) => Err(failure),
    }
}
