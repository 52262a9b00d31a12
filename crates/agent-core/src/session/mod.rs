//! Durable sessions: a conversation journaled as it happens, so another
//! process can continue it, or resume a run that was interrupted.
//!
//! [`SessionStore`] is the seam: agent-core knows no database; the embedded
//! SQLite store lives in the `session-sqlite` crate.
//!
//! # Contract
//!
//! A run given a [`SessionJournal`] (through
//! [`RunOptions::with_journal`](crate::RunOptions::with_journal)) appends,
//! in this order and never rewriting anything:
//!
//! - [`JournalEntry::Message`] with the user's prompt, before the first
//!   model call;
//! - [`JournalEntry::Message`] with each model response, once it is
//!   complete (a streamed response is journaled whole, after its last
//!   event; a failed attempt is never journaled);
//! - [`JournalEntry::ToolResult`] for each tool call **as soon as that call
//!   finishes**, not at the end of its batch, so a crash loses only the
//!   calls in flight;
//! - [`JournalEntry::Message`] with the batch's tool-results message once
//!   every call of the batch has finished.
//!
//! The conversation is the `Message` entries in order ([`restore`]); the
//! `ToolResult` entries after the last message are the finished calls of
//! an interrupted batch. A journal that fails to append never stops the
//! run: the run goes on in memory and the failure is the journal's to
//! report (the CLI prints it after the answer).
//!
//! A [`SessionStore`] hands out at most one open journal per session at a
//! time, across processes: a second [`SessionStore::open`] of the same name
//! fails with [`SessionError::Locked`] until the first is dropped.

mod error;
mod journal;
mod restore;

use serde::{Deserialize, Serialize};

pub use error::SessionError;
pub(crate) use journal::Journaling;
pub use restore::{Pending, Restored, restore};

use crate::{Message, ToolResult};

/// One append-only entry of a session's journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JournalEntry {
    /// A message added to the conversation: the user's prompt, a complete
    /// model response, or a batch's tool results.
    Message {
        /// The message, as sent to the model.
        message: Message,
    },
    /// One tool call finished (journaled the moment it ends).
    ToolResult {
        /// The call's position in the model's message.
        index: usize,
        /// The tool's name.
        name: String,
        /// The result, as it will be sent back.
        result: ToolResult,
    },
}

/// An open session: its journal so far, and where new entries go. Holding
/// one holds the session's lock.
pub trait SessionJournal: Send + Sync {
    /// The session's name.
    fn name(&self) -> &str;

    /// Every entry so far, oldest first.
    fn entries(&self) -> Result<Vec<JournalEntry>, SessionError>;

    /// Appends `entry` durably (as the store's sync setting promises) before
    /// returning. Called from the agent loop and from tool calls' tasks,
    /// concurrently: implementations serialise appends themselves.
    fn append(&self, entry: &JournalEntry) -> Result<(), SessionError>;
}

/// A session as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Its name.
    pub name: String,
    /// How many entries its journal holds.
    pub entries: u64,
    /// How many of them are messages.
    pub messages: u64,
    /// When it was created, seconds since the Unix epoch.
    pub created: i64,
    /// When it was last appended to, seconds since the Unix epoch.
    pub updated: i64,
}

/// What [`crate::AgentBuilder::session_store`] takes: a store by value,
/// or one already shared.
pub trait IntoStore {
    /// The store, shared.
    fn into_store(self) -> std::sync::Arc<dyn SessionStore>;
}

impl<S: SessionStore + 'static> IntoStore for S {
    fn into_store(self) -> std::sync::Arc<dyn SessionStore> {
        std::sync::Arc::new(self)
    }
}

impl IntoStore for std::sync::Arc<dyn SessionStore> {
    fn into_store(self) -> std::sync::Arc<dyn SessionStore> {
        self
    }
}

/// Where sessions are kept.
pub trait SessionStore: Send + Sync {
    /// Opens session `name`, creating it if it is new, and takes its lock
    /// (released when the journal is dropped).
    fn open(&self, name: &str) -> Result<Box<dyn SessionJournal>, SessionError>;

    /// Every session, by name.
    fn list(&self) -> Result<Vec<SessionInfo>, SessionError>;

    /// Session `name`'s entries, without taking its lock;
    /// [`SessionError::NotFound`] if there is none.
    fn entries(&self, name: &str) -> Result<Vec<JournalEntry>, SessionError>;

    /// Deletes session `name`; [`SessionError::NotFound`] if there is none,
    /// [`SessionError::Locked`] while a process has it open.
    fn remove(&self, name: &str) -> Result<(), SessionError>;
}
