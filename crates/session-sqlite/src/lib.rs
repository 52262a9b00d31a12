//! # session-sqlite
//!
//! The embedded [`SessionStore`]: every session in one SQLite file (the
//! library is compiled in, nothing to install), written in WAL mode so a
//! reader never waits for the writer.
//!
//! ```no_run
//! use session_sqlite::SqliteStore;
//! use agent_core::SessionStore;
//! # fn main() -> Result<(), agent_core::SessionError> {
//! let store = SqliteStore::open("sessions.db")?;
//! let journal = store.open("trip-planning")?; // holds the session's lock
//! let restored = agent_core::session::restore(&journal.entries()?);
//! # let _ = restored; Ok(()) }
//! ```
//!
//! # Contract
//!
//! - Durability: each [`SessionJournal::append`] is one committed
//!   transaction before it returns. With [`SyncMode::Normal`] (the default) a
//!   committed entry survives the process being killed (SIGKILL, a crash);
//!   a power loss or OS crash may lose the last entries, never corrupt the
//!   file. [`SyncMode::Full`] also survives power loss, at one `fsync` per entry.
//! - Schema: versioned with `PRAGMA user_version` and migrated forward on
//!   open; a file written by a newer version is refused
//!   ([`SessionError::TooNew`]) and left untouched.
//! - One writer per session: opening a session takes an OS file lock
//!   (`<store>.locks/`), released when the journal is dropped or the
//!   process dies, so a killed run never leaves a stale lock. A second open
//!   fails with [`SessionError::Locked`].

mod journal;
mod lock;
mod schema;
mod storage_error;

use std::path::{Path, PathBuf};

use agent_core::session::{JournalEntry, SessionError, SessionInfo, SessionJournal, SessionStore};
use rusqlite::{Connection, OptionalExtension, params};

pub use journal::SqliteJournal;
use lock::SessionLock;
use storage_error::storage;

/// How hard each append is pushed to disk (SQLite's `synchronous`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SyncMode {
    /// Survives the process dying; not necessarily a power loss.
    #[default]
    Normal,
    /// Survives a power loss too: one `fsync` per entry.
    Full,
}

/// Sessions in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    path: PathBuf,
    sync: SyncMode,
}

impl SqliteStore {
    /// Opens (creating if needed, parent directories too) the store at
    /// `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SessionError> {
        let store = Self {
            path: path.as_ref().to_path_buf(),
            sync: SyncMode::default(),
        };
        if let Some(parent) = store.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| storage(&store.path, e))?;
        }
        let mut conn = store.connect()?;
        schema::migrate(&mut conn, &store.path)?;
        Ok(store)
    }

    /// The sync setting for journals opened from now on.
    pub fn with_sync(mut self, sync: SyncMode) -> Self {
        self.sync = sync;
        self
    }

    /// Where the store is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connect(&self) -> Result<Connection, SessionError> {
        let conn = Connection::open(&self.path).map_err(|e| storage(&self.path, e))?;
        // A second process's append waits its turn instead of failing.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| storage(&self.path, e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| storage(&self.path, e))?;
        let sync = match self.sync {
            SyncMode::Normal => "NORMAL",
            SyncMode::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", sync)
            .map_err(|e| storage(&self.path, e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| storage(&self.path, e))?;
        schema::check(&conn, &self.path)?;
        Ok(conn)
    }

    fn session_id(&self, conn: &Connection, name: &str) -> Result<Option<i64>, SessionError> {
        conn.query_row("SELECT id FROM sessions WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| storage(&self.path, e))
    }
}

impl SessionStore for SqliteStore {
    fn open(&self, name: &str) -> Result<Box<dyn SessionJournal>, SessionError> {
        let lock = SessionLock::acquire(&self.path, name)?;
        let conn = self.connect()?;
        let now = journal::now();
        conn.execute(
            "INSERT INTO sessions (name, created, updated) VALUES (?1, ?2, ?2)
             ON CONFLICT(name) DO NOTHING",
            params![name, now],
        )
        .map_err(|e| storage(&self.path, e))?;
        let id = self
            .session_id(&conn, name)?
            .ok_or_else(|| SessionError::NotFound { name: name.into() })?;
        Ok(Box::new(SqliteJournal::new(
            conn,
            self.path.clone(),
            id,
            name.into(),
            lock,
        )))
    }

    fn list(&self) -> Result<Vec<SessionInfo>, SessionError> {
        let conn = self.connect()?;
        let mut stmt = conn
            .prepare(
                "SELECT s.name, s.created, s.updated,
                        COUNT(e.seq), COALESCE(SUM(e.kind = 'message'), 0)
                 FROM sessions s LEFT JOIN entries e ON e.session = s.id
                 GROUP BY s.id ORDER BY s.name",
            )
            .map_err(|e| storage(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SessionInfo {
                    name: r.get(0)?,
                    created: r.get(1)?,
                    updated: r.get(2)?,
                    entries: r.get(3)?,
                    messages: r.get(4)?,
                })
            })
            .map_err(|e| storage(&self.path, e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| storage(&self.path, e))
    }

    fn entries(&self, name: &str) -> Result<Vec<JournalEntry>, SessionError> {
        let conn = self.connect()?;
        let id = self
            .session_id(&conn, name)?
            .ok_or_else(|| SessionError::NotFound { name: name.into() })?;
        journal::read(&conn, &self.path, id, name)
    }

    fn remove(&self, name: &str) -> Result<(), SessionError> {
        let _lock = SessionLock::acquire(&self.path, name)?;
        let conn = self.connect()?;
        let removed = conn
            .execute("DELETE FROM sessions WHERE name = ?1", [name])
            .map_err(|e| storage(&self.path, e))?;
        if removed == 0 {
            return Err(SessionError::NotFound { name: name.into() });
        }
        Ok(())
    }
}
