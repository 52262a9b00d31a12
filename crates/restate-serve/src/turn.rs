//! [`Turn`]: one `send` invocation's run, between the agent loop and
//! Restate's journal. The loop journals into a channel; each Restate step
//! takes what the channel holds. On replay the steps already in Restate's
//! journal come back first ([`Turn::journaled`]); the run starts only when
//! a step has to be executed, from what they held.

use std::sync::Arc;

use agent_core::session::{Pending, restore};
use agent_core::{
    Agent, AgentError, AgentRun, Conversation, JournalEntry, Message, RunOptions, SessionError,
    SessionJournal,
};
use restate_sdk::errors::{HandlerError, TerminalError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use crate::RunReport;

/// One journaled step of a turn, as Restate keeps it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub(crate) enum Step {
    /// What the run journaled since the step before, in the order it did.
    Entries {
        /// The entries (at least one).
        entries: Vec<JournalEntry>,
    },
    /// The run ended.
    Done {
        /// `send`'s answer.
        document: Value,
        /// The conversation after the turn, kept in the object's state.
        messages: Vec<Message>,
    },
}

/// A turn: what it starts from, and its run once started. Shared between
/// the handler and the step closures (`ctx.run` wants them `'static`).
#[derive(Clone)]
pub(crate) struct Turn(Arc<Mutex<State>>);

struct State {
    agent: Arc<Agent>,
    report: Arc<dyn RunReport>,
    /// The conversation before this turn.
    history: Vec<Message>,
    prompt: String,
    /// This turn's entries found in Restate's journal (replay).
    replayed: Vec<JournalEntry>,
    /// The run, once a step had to be executed.
    running: Option<Running>,
}

/// The run's task and what it sends. Dropping it (the invocation ended or
/// was suspended) aborts the run.
struct Running {
    items: UnboundedReceiver<Item>,
    /// The end, read while taking the entries before it.
    done: Option<Step>,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the run sends the steps.
enum Item {
    Entry(JournalEntry),
    Done(Step),
}

impl Turn {
    pub fn new(
        agent: Arc<Agent>,
        report: Arc<dyn RunReport>,
        history: Vec<Message>,
        prompt: String,
    ) -> Self {
        Self(Arc::new(Mutex::new(State {
            agent,
            report,
            history,
            prompt,
            replayed: Vec::new(),
            running: None,
        })))
    }

    /// Records a step's entries: until the run starts they are the replayed
    /// journal it starts from; after, the run already has them.
    pub async fn journaled(&self, entries: Vec<JournalEntry>) {
        let mut state = self.0.lock().await;
        if state.running.is_none() {
            state.replayed.extend(entries);
        }
    }

    /// The next step, executed (Restate had none in its journal): starts the
    /// run if needed, then waits for at least one entry, or the end.
    pub async fn next_step(&self) -> Result<Step, HandlerError> {
        let mut state = self.0.lock().await;
        if state.running.is_none() {
            let running = state.start();
            state.running = Some(running);
        }
        let Some(running) = state.running.as_mut() else {
            return Err(stopped());
        };
        if let Some(done) = running.done.take() {
            return Ok(done);
        }
        let mut entries = match running.items.recv().await {
            Some(Item::Entry(entry)) => vec![entry],
            Some(Item::Done(done)) => return Ok(done),
            None => return Err(stopped()),
        };
        // Whatever else is ready goes in the same step: one acknowledgement
        // for the results of calls that ended together.
        while let Ok(item) = running.items.try_recv() {
            match item {
                Item::Entry(entry) => entries.push(entry),
                Item::Done(done) => {
                    running.done = Some(done);
                    break;
                }
            }
        }
        Ok(Step::Entries { entries })
    }
}

impl State {
    /// Starts the run: the prompt if nothing of the turn was journaled,
    /// else the resumption of what was.
    fn start(&self) -> Running {
        let (tx, items) = unbounded_channel();
        let journal: Arc<dyn SessionJournal> = Arc::new(ChannelJournal { tx: tx.clone() });
        let options = RunOptions::new().with_journal(journal);
        let agent = Arc::clone(&self.agent);
        let report = Arc::clone(&self.report);
        let start = if self.replayed.is_empty() {
            Start::Prompt(self.history.clone(), self.prompt.clone())
        } else {
            let mut entries: Vec<JournalEntry> = self
                .history
                .iter()
                .map(|message| JournalEntry::Message {
                    message: message.clone(),
                })
                .collect();
            entries.extend(self.replayed.iter().cloned());
            let restored = restore(&entries);
            Start::Resume(restored.messages, restored.pending)
        };
        let task = tokio::spawn(async move {
            let result = match start {
                Start::Prompt(history, prompt) => {
                    let mut conversation = Conversation::from_messages(history);
                    agent.send(&mut conversation, &prompt, options).await
                }
                Start::Resume(messages, pending) => {
                    let mut conversation = Conversation::from_messages(messages);
                    agent.resume(&mut conversation, pending, options).await
                }
            };
            let document = report.document(&result);
            let messages = conversation_after(&result);
            // The receiver is gone only when the invocation is.
            let _ = tx.send(Item::Done(Step::Done { document, messages }));
        });
        Running {
            items,
            done: None,
            task,
        }
    }
}

/// How the run starts.
enum Start {
    /// The conversation so far and the prompt.
    Prompt(Vec<Message>, String),
    /// The restored conversation and what it left pending.
    Resume(Vec<Message>, Pending),
}

/// The conversation to keep: the run's, whole (as far as it got).
fn conversation_after(result: &Result<AgentRun, AgentError>) -> Vec<Message> {
    match result {
        Ok(run) => run.messages.clone(),
        Err(e) => e.run.messages.clone(),
    }
}

/// The error of a step whose run ended without its document.
fn stopped() -> HandlerError {
    TerminalError::new(
        "the agent run stopped without finishing (a panic in the agent or a tool?); see the endpoint's log",
    )
    .into()
}

/// The loop's journal: each entry goes to the turn's steps.
struct ChannelJournal {
    tx: UnboundedSender<Item>,
}

impl SessionJournal for ChannelJournal {
    fn name(&self) -> &str {
        "restate"
    }

    /// The loop never reads its journal back; Restate holds it.
    fn entries(&self) -> Result<Vec<JournalEntry>, SessionError> {
        Ok(Vec::new())
    }

    fn append(&self, entry: &JournalEntry) -> Result<(), SessionError> {
        // The invocation is gone (suspended, aborted): nothing to save to.
        let _ = self.tx.send(Item::Entry(entry.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use agent_testkit::{Scenario, ScriptedBackend};
    use tool_api::ToolRegistry;

    use super::*;
    use crate::RunReport;

    /// Two instant calls and one of a second, in one batch.
    const NAPS: &str = r#"[{
        "name": "naps",
        "prompt": "Take naps",
        "turns": [
            { "text": "Napping.", "tool_calls": [
                { "name": "noop", "input": {} },
                { "name": "sleep_tool", "input": { "ms": 1000 } },
                { "name": "noop", "input": {} }
            ] },
            { "text": "Rested." }
        ]
    }]"#;

    fn turn(backend: &Arc<ScriptedBackend>) -> Turn {
        let mut tools = ToolRegistry::new();
        tools
            .register_all(reference_tools::tools().unwrap(), "reference")
            .unwrap();
        let agent = Agent::builder()
            .backend(Arc::clone(backend))
            .tools(tools)
            .build()
            .unwrap();
        let report: Arc<dyn RunReport> = Arc::new(|r: &Result<AgentRun, AgentError>| match r {
            Ok(run) => serde_json::to_value(&run.events).unwrap(),
            Err(e) => Value::String(e.to_string()),
        });
        Turn::new(Arc::new(agent), report, Vec::new(), "Take naps".into())
    }

    fn backend() -> Arc<ScriptedBackend> {
        let scenarios: Vec<Scenario> = serde_json::from_str(NAPS).unwrap();
        Arc::new(ScriptedBackend::new(scenarios))
    }

    /// Every step until the end: the entries of each, and the end.
    async fn steps(turn: &Turn) -> (Vec<Vec<JournalEntry>>, Value, Vec<Message>) {
        let mut steps = Vec::new();
        loop {
            match turn.next_step().await.unwrap() {
                Step::Entries { entries } => {
                    assert!(!entries.is_empty(), "a step holds at least one entry");
                    turn.journaled(entries.clone()).await;
                    steps.push(entries);
                }
                Step::Done { document, messages } => return (steps, document, messages),
            }
        }
    }

    fn kinds(steps: &[Vec<JournalEntry>]) -> Vec<&'static str> {
        steps
            .iter()
            .flatten()
            .map(|e| match e {
                JournalEntry::Message { .. } => "message",
                JournalEntry::ToolResult { .. } => "tool_result",
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_journals_what_a_session_journals_then_ends_with_its_document() {
        let backend = backend();
        let (steps, document, messages) = steps(&turn(&backend)).await;
        // Prompt, model response, three results as they end, their
        // message, the answer.
        assert_eq!(
            kinds(&steps),
            [
                "message",
                "message",
                "tool_result",
                "tool_result",
                "tool_result",
                "message",
                "message"
            ]
        );
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[3].text(), "Rested.");
        assert!(document.as_array().is_some_and(|events| !events.is_empty()));
        assert_eq!(backend.requests().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_replayed_turn_continues_without_repeating_what_its_steps_hold() {
        // The first attempt: its steps up to the two instant results.
        let first = backend();
        let turn_a = turn(&first);
        let mut journaled: Vec<JournalEntry> = Vec::new();
        let results = |j: &[JournalEntry]| {
            j.iter()
                .filter(|e| matches!(e, JournalEntry::ToolResult { .. }))
                .count()
        };
        while results(&journaled) < 2 {
            match turn_a.next_step().await.unwrap() {
                Step::Entries { entries } => journaled.extend(entries),
                Step::Done { .. } => unreachable!("the slow call has not finished"),
            }
        }
        assert_eq!(results(&journaled), 2, "the slow call is still running");
        drop(turn_a); // the endpoint dies: the run is aborted

        // The retry: Restate hands back those steps, then the run goes on.
        let second = backend();
        let turn_b = turn(&second);
        turn_b.journaled(journaled).await;
        let (_, document, messages) = steps(&turn_b).await;
        let events = document.as_array().unwrap();
        let count = |kind: &str| events.iter().filter(|e| e["event"] == kind).count();
        assert_eq!(count("tool_call_replayed"), 2, "{document}");
        assert_eq!(
            count("tool_call_started"),
            1,
            "only the slow call runs again"
        );
        assert_eq!(
            second.requests().len(),
            1,
            "the model is asked only for the answer"
        );
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[3].text(), "Rested.");
    }
}
