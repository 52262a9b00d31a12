//! [`Session`]: a named, durable conversation of an agent built with a
//! [`SessionStore`](crate::SessionStore): each run is journaled, and the
//! next process continues it, or resumes a run a crash cut off.

use std::sync::Arc;

use super::{Agent, AgentError, AgentRun, Conversation, RunOptions};
use crate::session::{JournalEntry, Pending, SessionError, SessionJournal, restore};
use crate::{ContentBlock, Message, Role, ToolResult};

/// A named session opened with [`Agent::session`]: the conversation so far
/// (read back from the store), where its runs are journaled, and what the
/// last run left unfinished. Holding it holds the session's lock; drop it
/// to let another process in.
pub struct Session {
    agent: Agent,
    journal: Arc<dyn SessionJournal>,
    conversation: Conversation,
    pending: Pending,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("name", &self.journal.name())
            .field("messages", &self.conversation.messages().len())
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(super) fn open(agent: &Agent, name: &str) -> Result<Self, SessionError> {
        let store = agent.session_store.as_ref().ok_or(SessionError::NoStore)?;
        let journal: Arc<dyn SessionJournal> = Arc::from(store.open(name)?);
        let restored = restore(&journal.entries()?);
        Ok(Self {
            agent: agent.clone(),
            journal,
            conversation: Conversation::from_messages(restored.messages),
            pending: restored.pending,
        })
    }

    /// The session's name.
    pub fn name(&self) -> &str {
        self.journal.name()
    }

    /// The conversation so far, every run of every process included.
    pub fn messages(&self) -> &[Message] {
        self.conversation.messages()
    }

    /// What the last run left unfinished ([`Pending::Nothing`] after an
    /// answer); [`Session::resume`] finishes it.
    pub fn pending(&self) -> &Pending {
        &self.pending
    }

    /// Continues the conversation with `prompt`, journaled as it goes.
    pub async fn send(&mut self, prompt: &str) -> Result<AgentRun, AgentError> {
        self.send_with(prompt, RunOptions::new()).await
    }

    /// [`Session::send`] with events and cancellation (the journal is the
    /// session's). If the last run was cut off in a tool batch, that batch
    /// is closed first without running anything: finished calls keep their
    /// journaled results, the others are answered with an error saying the
    /// run was interrupted (call [`Session::resume`] instead to finish it).
    pub async fn send_with(
        &mut self,
        prompt: &str,
        options: RunOptions,
    ) -> Result<AgentRun, AgentError> {
        if let Pending::Batch { calls, finished } =
            std::mem::replace(&mut self.pending, Pending::Nothing)
        {
            let content = calls
                .iter()
                .map(|call| {
                    let result = finished
                        .iter()
                        .find(|r| r.tool_use_id == call.id)
                        .cloned()
                        .unwrap_or_else(|| {
                            ToolResult::error(
                                call.id.clone(),
                                format!(
                                    "tool `{}` was interrupted before it finished and was not run again",
                                    call.name
                                ),
                            )
                        });
                    ContentBlock::ToolResult(result)
                })
                .collect();
            let message = Message {
                role: Role::User,
                content,
            };
            if let Err(e) = self.journal.append(&JournalEntry::Message {
                message: message.clone(),
            }) {
                tracing::warn!(error = %e, session = self.name(), "could not journal the closed batch");
            }
            self.conversation.push(message);
        }
        let options = options.with_journal(self.journal.clone());
        let result = self
            .agent
            .send(&mut self.conversation, prompt, options)
            .await;
        self.refresh_pending();
        result
    }

    /// Finishes the run the last process left unfinished (see
    /// [`Agent::resume`]): a finished model call is not made again,
    /// finished tool calls are replayed from the journal, and calls of
    /// non-idempotent tools cut off mid-call are answered with an error.
    /// With nothing pending, returns the last answer.
    pub async fn resume(&mut self) -> Result<AgentRun, AgentError> {
        self.resume_with(RunOptions::new()).await
    }

    /// [`Session::resume`] with events and cancellation.
    pub async fn resume_with(&mut self, options: RunOptions) -> Result<AgentRun, AgentError> {
        let pending = std::mem::replace(&mut self.pending, Pending::Nothing);
        let options = options.with_journal(self.journal.clone());
        let result = self
            .agent
            .resume(&mut self.conversation, pending, options)
            .await;
        self.refresh_pending();
        result
    }

    /// After a run: what it left unfinished (a cancelled run may leave a
    /// model call to make).
    fn refresh_pending(&mut self) {
        self.pending = match self.journal.entries() {
            Ok(entries) => restore(&entries).pending,
            Err(_) => Pending::Nothing,
        };
    }
}
