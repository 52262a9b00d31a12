//! [`SessionError`]: why a session could not be opened, read or written.

/// A session store's failure, worded for the person who can fix it.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Another process (or another handle in this one) has the session open.
    #[error(
        "session `{name}` is in use by another process ({holder}); wait for it to finish, or use another session name"
    )]
    Locked {
        /// The session.
        name: String,
        /// Who holds it, as the store knows (e.g. `pid 1234`).
        holder: String,
    },
    /// [`crate::Agent::session`] on an agent built without a store.
    #[error(
        "this agent has no session store: give it one with `AgentBuilder::session_store` \
         (e.g. `session_sqlite::SqliteStore::open(path)`)"
    )]
    NoStore,
    /// No session has that name.
    #[error("no session named `{name}` (`agent sessions list` shows them)")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// The store was written by a newer version of agent.
    #[error(
        "the session store {path} has schema version {found}, newer than this agent understands ({supported}); upgrade agent, or use another --session-store"
    )]
    TooNew {
        /// The store's location.
        path: String,
        /// The version found.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },
    /// A journal entry could not be encoded or decoded.
    #[error("session `{name}`: a journal entry is not valid: {message}")]
    Corrupt {
        /// The session.
        name: String,
        /// What was wrong.
        message: String,
    },
    /// The storage itself failed (read-only path, full disk, I/O error...).
    #[error("session store {path}: {message}")]
    Storage {
        /// The store's location.
        path: String,
        /// What failed, and what to do.
        message: String,
    },
}
