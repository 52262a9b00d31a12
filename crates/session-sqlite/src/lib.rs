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
use storage_error::{directory_error, storage};

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
    /// Opened with [`SqliteStore::open_read_only`]: every connection is
    /// SQLite's read-only one, so nothing is ever written (not even the
    /// schema), and [`SessionStore::open`] refuses.
    read_only: bool,
}

impl SqliteStore {
    /// Opens (creating if needed, parent directories too) the store at
    /// `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SessionError> {
        let store = Self {
            path: path.as_ref().to_path_buf(),
            sync: SyncMode::default(),
            read_only: false,
        };
        if let Some(parent) = store.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| directory_error(&store.path, parent, e))?;
        }
        let mut conn = store.connect()?;
        schema::migrate(&mut conn, &store.path)?;
        Ok(store)
    }

    /// Opens the existing store at `path` for reading only, with SQLite's
    /// read-only mode: what a read-only mount, a full disk or a file the
    /// process may not write still allows. Nothing is created or migrated;
    /// [`SessionStore::list`] and [`SessionStore::entries`] work,
    /// [`SessionStore::open`] and [`SessionStore::remove`] fail with a
    /// [`SessionError::Storage`] saying the store is read-only.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, SessionError> {
        let store = Self {
            path: path.as_ref().to_path_buf(),
            sync: SyncMode::default(),
            read_only: true,
        };
        store.connect()?;
        Ok(store)
    }

    /// Whether the store was opened with [`SqliteStore::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
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
        if self.read_only {
            return self.connect_read_only();
        }
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

    /// A read-only connection: no pragma that writes (the journal mode is
    /// the file's own), the schema version still checked.
    fn connect_read_only(&self) -> Result<Connection, SessionError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |target: &Path, flags: OpenFlags| -> Result<Connection, SessionError> {
            let conn =
                Connection::open_with_flags(target, flags).map_err(|e| storage(&self.path, e))?;
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .map_err(|e| storage(&self.path, e))?;
            // SQLite opens lazily: this first read is where it fails.
            schema::check(&conn, &self.path)?;
            Ok(conn)
        };
        match open(&self.path, flags) {
            Ok(conn) => Ok(conn),
            // A WAL store in a directory that cannot be written (a
            // read-only mount) cannot get its `-shm` file. With no WAL
            // content pending, the main file holds every entry: read it
            // as immutable (no `-shm`, no locks).
            Err(SessionError::Storage { .. }) if !wal_pending(&self.path) => open(
                Path::new(&immutable_uri(&self.path)),
                flags | OpenFlags::SQLITE_OPEN_URI,
            ),
            Err(e) => Err(e),
        }
    }

    /// The error of a write on a store opened read-only.
    fn refuse_write(&self) -> SessionError {
        storage(
            &self.path,
            "the store was opened read-only, so nothing can be written to it",
        )
    }

    fn session_id(&self, conn: &Connection, name: &str) -> Result<Option<i64>, SessionError> {
        conn.query_row("SELECT id FROM sessions WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| storage(&self.path, e))
    }
}

/// Whether `<store>-wal` holds entries not yet in the main file.
fn wal_pending(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0)
}

/// `file:PATH?mode=ro&immutable=1`, the path percent-encoded as SQLite's
/// URI filenames want it.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for byte in path.as_os_str().as_encoded_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(char::from(*byte))
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

impl SessionStore for SqliteStore {
    fn open(&self, name: &str) -> Result<Box<dyn SessionJournal>, SessionError> {
        if self.read_only {
            return Err(self.refuse_write());
        }
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
        if self.read_only {
            return Err(self.refuse_write());
        }
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
