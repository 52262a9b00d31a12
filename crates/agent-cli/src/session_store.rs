//! Where `--session` keeps conversations: the SQLite store's location
//! (flag, `AGENT_SESSION_STORE`, or the user's data directory), opening a
//! session for a run, and reporting a journal that could not be written
//! without losing the run's answer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use agent_core::session::{JournalEntry, Pending, Restored, SessionError, SessionJournal};
use agent_core::{Agent, SessionStore};
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

/// Opens the store at `flag`'s location to read it (`agent sessions list`,
/// `show`, `export`): for writing when it can be, else with SQLite's
/// read-only mode (a read-only mount, a full disk), so reading always works
/// where the file can be read. `None` when there is no store there yet
/// (nothing is created).
pub fn open_to_read(flag: Option<PathBuf>) -> Result<Option<SqliteStore>, Failure> {
    let path = location(flag)?;
    if !path.exists() {
        return Ok(None);
    }
    match SqliteStore::open(&path) {
        Ok(store) => Ok(Some(store)),
        Err(SessionError::Storage { message, .. }) => {
            SqliteStore::open_read_only(&path).map(Some).map_err(|e| {
                Failure::Usage(format!(
                    "cannot read the session store {}: {e} (opening it for writing failed \
                     too: {message})",
                    path.display()
                ))
            })
        }
        Err(e) => Err(failure(e)),
    }
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
    /// Where the runs are journaled; `None` when the store cannot be
    /// written (the run goes on unsaved, and the command fails after it).
    pub journal: Option<Arc<Reporting>>,
    /// The session's conversation, and what its last run left unfinished.
    pub restored: Restored,
    /// Why the store cannot be written, when it cannot.
    unsaved: Option<String>,
}

impl OpenSession {
    /// Opens session `name` in the store at `store`, locked for this
    /// process. A lock held elsewhere or a store from a newer version
    /// refuses the run. A store that cannot be written (read-only mount,
    /// full disk) is read instead, so the conversation continues from its
    /// history, unsaved: a warning says so now and the command fails with
    /// exit 1 after the answer. A store that exists but cannot even be read is
    /// refused (exit 2), naming the path and the cause.
    pub fn open(store: Option<PathBuf>, name: &str) -> Result<Self, Failure> {
        check_name(name)?;
        let path = location(store)?;
        let writable = SqliteStore::open(&path)
            .and_then(|s| s.open(name))
            .map_err(failure);
        let cause = match writable {
            Ok(journal) => {
                let entries = journal.entries().map_err(failure)?;
                return Ok(Self {
                    restored: agent_core::session::restore(&entries),
                    journal: Some(Arc::new(Reporting::new(journal))),
                    unsaved: None,
                });
            }
            Err(Failure::Other(message)) => message,
            Err(e) => return Err(e),
        };
        let restored = read_only(&path, name, &cause)?;
        eprintln!("warning: session `{name}` cannot be saved: {cause}");
        if restored.messages.is_empty() {
            eprintln!(
                "warning: the run goes on without it, and the command will fail (exit 1) after the answer"
            );
        } else {
            eprintln!(
                "warning: the run continues the session's {} messages, read from the store                  read-only, but its new turns will not be saved; the command will fail (exit 1)                  after the answer",
                restored.messages.len()
            );
        }
        Ok(Self {
            journal: None,
            restored,
            unsaved: Some(cause),
        })
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

    /// Refuses a new prompt on a conversation that holds tool calls when
    /// the agent offers no tools: every request would carry `toolUse` and
    /// `toolResult` blocks without a tool list, which Bedrock refuses
    /// ("The toolConfig field must be defined…"). Names the tools the
    /// session used and the flags that give them.
    pub fn check_tools(&self, agent: &Agent, name: &str) -> Result<(), Failure> {
        let missing = agent.missing_tools(&self.restored.messages, &Pending::Nothing);
        if missing.is_empty() {
            return Ok(());
        }
        Err(Failure::Usage(format!(
            "session `{name}`'s conversation holds calls of the tools {}, so every request in \
             it must offer tools, and this command has none: pass the tool sources the \
             session used (the same --plugin, --plugins-dir or --mcp flags as its earlier runs)",
            missing.join(", ")
        )))
    }

    /// Before `agent resume` runs anything: refuses (exit 2) when the
    /// interrupted run needs tools the agent does not have (see
    /// `Agent::missing_tools`), so nothing is run or journaled and the
    /// resume can be retried with them.
    pub fn check_tools_to_resume(&self, agent: &Agent, name: &str) -> Result<(), Failure> {
        let missing = agent.missing_tools(&self.restored.messages, &self.restored.pending);
        if missing.is_empty() {
            return Ok(());
        }
        Err(Failure::Usage(format!(
            "session `{name}`'s interrupted run needs tools this command was not given: {}; \
             nothing was run or saved: pass the same tool sources as the interrupted run (the \
             same --plugin, --plugins-dir or --mcp flags, or the config that gave them), e.g. \
             `agent resume {name} --plugin PATH`",
            missing.join(", ")
        )))
    }

    /// [`OpenSession::check`] for a command whose `--json` document (when
    /// `json`) is already on stdout: its failure says so, so no second
    /// document is printed.
    pub fn check_after(&self, json: bool) -> Result<(), Failure> {
        self.check().map_err(|e| {
            if json {
                Failure::Documented(Box::new(e))
            } else {
                e
            }
        })
    }

    /// Why the store cannot be written, if it cannot (the session was
    /// read, read-only).
    pub fn unsaved(&self) -> Option<&str> {
        self.unsaved.as_deref()
    }

    /// After a run: a journal that failed, or a store that could not be
    /// written at all, is reported as the command's failure (exit 1); the
    /// answer was already printed.
    pub fn check(&self) -> Result<(), Failure> {
        if let Some(cause) = &self.unsaved {
            return Err(Failure::Other(format!(
                "the session was not saved (its store cannot be written): {cause}"
            )));
        }
        match self.journal.as_ref().and_then(|j| j.failure()) {
            Some(message) => Err(Failure::Other(format!(
                "the session was not fully saved: {message}"
            ))),
            None => Ok(()),
        }
    }
}

/// Refuses a session that does not exist in the store at `path`, without
/// creating anything (commands that only continue a session: `resume`).
/// A store that cannot be read here is left to [`OpenSession::open`] to
/// report.
pub fn require_session(path: &std::path::Path, name: &str) -> Result<(), Failure> {
    let missing = !path.exists()
        || matches!(
            SqliteStore::open_read_only(path).and_then(|s| s.entries(name)),
            Err(SessionError::NotFound { .. })
        );
    if missing {
        return Err(Failure::Usage(format!(
            "no session named `{name}` in {}: `agent sessions list` shows the sessions there \
             are (`agent run --session {name} ...` starts a new one)",
            path.display()
        )));
    }
    Ok(())
}

/// Refuses an empty session name (it would name a session no one can
/// tell apart).
pub fn check_name(name: &str) -> Result<(), Failure> {
    if name.trim().is_empty() {
        return Err(Failure::Usage(
            "the session name is empty: give one, e.g. --session trip (`agent sessions list` \
             shows the sessions there are)"
                .into(),
        ));
    }
    Ok(())
}

/// Session `name` of the store at `path`, read with SQLite's read-only
/// mode after `cause` stopped the store being opened for writing. A store
/// that does not exist has no history (a new session, started unsaved); one
/// that exists but cannot be read is refused, naming the path and both causes.
fn read_only(path: &std::path::Path, name: &str, cause: &str) -> Result<Restored, Failure> {
    if !path.exists() {
        return Ok(agent_core::session::restore(&[]));
    }
    let entries = SqliteStore::open_read_only(path).and_then(|store| match store.entries(name) {
        Err(SessionError::NotFound { .. }) => Ok(Vec::new()),
        other => other,
    });
    match entries {
        Ok(entries) => Ok(agent_core::session::restore(&entries)),
        Err(e) => Err(Failure::Usage(format!(
            "cannot open the session store {} to continue session `{name}`: it cannot be \
             written ({cause}) nor read ({e}); fix the store, or choose another with \
             --session-store PATH or {ENV}",
            path.display()
        ))),
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
