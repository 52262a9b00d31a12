//! Where `--session` keeps conversations: the SQLite store's location
//! (flag, `AGENT_SESSION_STORE`, or the user's data directory), opening a
//! session for a run, and reporting a journal that could not be written
//! without losing the run's answer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use agent_core::SessionStore;
use agent_core::session::{JournalEntry, Pending, Restored, SessionError, SessionJournal};
use session_sqlite::SqliteStore;

use crate::exit::Failure;

/// The environment variable naming the store (the flag wins).
pub const ENV: &str = "AGENT_SESSION_STORE";

/// The store's path: `flag`, else `$AGENT_SESSION_STORE`, else
/// `<data dir>/agent/sessions.db`.
pub fn location(flag: Option<PathBuf>) -> Result<PathBuf, Failure> {
    if let Some(path) = flag {
        return Ok(path);
    }
    if let Some(path) = std::env::var_os(ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    dirs::data_dir()
        .map(|d| d.join("agent").join("sessions.db"))
        .ok_or_else(|| {
            Failure::Usage(format!(
                "no user data directory to keep sessions in: pass --session-store PATH or set {ENV}"
            ))
        })
}

/// Opens the store at `flag`'s location.
pub fn open_store(flag: Option<PathBuf>) -> Result<SqliteStore, Failure> {
    SqliteStore::open(location(flag)?).map_err(failure)
}

/// A session error as the command's failure: a lock or a newer store is
/// the user's to resolve (exit 2); storage trouble is exit 1.
pub fn failure(e: SessionError) -> Failure {
    match e {
        SessionError::Storage { .. } | SessionError::Corrupt { .. } => {
            Failure::Other(e.to_string())
        }
        _ => Failure::Usage(e.to_string()),
    }
}

/// A session opened for runs: its journal (if the store could be written)
/// and the conversation so far.
pub struct OpenSession {
    /// Where the runs are journaled; `None` when the store is unusable
    /// (the run goes on unsaved, and the failure is reported after it).
    pub journal: Option<Arc<Reporting>>,
    /// The session's conversation, and what its last run left unfinished.
    pub restored: Restored,
}

impl OpenSession {
    /// Opens session `name` in the store at `store`, locked for this
    /// process. A lock held elsewhere or a store from a newer version
    /// refuses the run; a store that cannot be written (read-only path,
    /// full disk) lets it go on unsaved.
    pub fn open(store: Option<PathBuf>, name: &str) -> Result<Self, Failure> {
        let opened = location(store).and_then(|path| {
            SqliteStore::open(path)
                .and_then(|s| s.open(name))
                .map_err(failure)
        });
        match opened {
            Ok(journal) => {
                let entries = journal.entries().map_err(failure)?;
                Ok(Self {
                    restored: agent_core::session::restore(&entries),
                    journal: Some(Arc::new(Reporting::new(journal))),
                })
            }
            Err(Failure::Other(message)) => {
                eprintln!("warning: session `{name}` cannot be saved: {message}");
                eprintln!("warning: the run goes on without it");
                Ok(Self {
                    journal: None,
                    restored: agent_core::session::restore(&[]),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The journal for [`crate::session::show_start`].
    pub fn journal(&self) -> Option<Arc<dyn SessionJournal>> {
        self.journal.clone().map(|j| j as Arc<dyn SessionJournal>)
    }

    /// Refuses a new prompt on top of an interrupted tool batch: the
    /// conversation would hold unanswered calls.
    pub fn ready_for_prompt(&self, name: &str) -> Result<(), Failure> {
        match self.restored.pending {
            Pending::Batch { .. } => Err(Failure::Usage(format!(
                "session `{name}` has an interrupted run: finish it first with `agent resume {name}`"
            ))),
            _ => Ok(()),
        }
    }

    /// After a run: a journal that failed is reported as the command's
    /// failure (exit 1); the answer was already printed.
    pub fn check(&self) -> Result<(), Failure> {
        match self.journal.as_ref().and_then(|j| j.failure()) {
            Some(message) => Err(Failure::Other(format!(
                "the session was not fully saved: {message}"
            ))),
            None => Ok(()),
        }
    }
}

/// A journal that remembers its first failure, so the command can report
/// it once the run's answer is out.
pub struct Reporting {
    inner: Box<dyn SessionJournal>,
    failed: Mutex<Option<String>>,
}

impl Reporting {
    fn new(inner: Box<dyn SessionJournal>) -> Self {
        Self {
            inner,
            failed: Mutex::new(None),
        }
    }

    /// The first append that failed, if any.
    pub fn failure(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl SessionJournal for Reporting {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn entries(&self) -> Result<Vec<JournalEntry>, SessionError> {
        self.inner.entries()
    }

    fn append(&self, entry: &JournalEntry) -> Result<(), SessionError> {
        let result = self.inner.append(entry);
        if let Err(e) = &result {
            self.failed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert_with(|| e.to_string());
        }
        result
    }
}
