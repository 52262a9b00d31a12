//! [`SqliteJournal`]: one open session, appending entries.

use std::path::PathBuf;
use std::sync::Mutex;

use agent_core::session::{JournalEntry, SessionError, SessionJournal};
use rusqlite::{Connection, params};

use crate::lock::SessionLock;
use crate::storage_error::storage;

/// An open session: appends go to the store at once, one transaction each.
/// Holds the session's lock until dropped.
#[derive(Debug)]
pub struct SqliteJournal {
    conn: Mutex<Connection>,
    path: PathBuf,
    id: i64,
    name: String,
    _lock: SessionLock,
}

impl SqliteJournal {
    pub(crate) fn new(
        conn: Connection,
        path: PathBuf,
        id: i64,
        name: String,
        lock: SessionLock,
    ) -> Self {
        Self {
            conn: Mutex::new(conn),
            path,
            id,
            name,
            _lock: lock,
        }
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Session `id`'s entries, in order.
pub(crate) fn read(
    conn: &Connection,
    path: &std::path::Path,
    id: i64,
    name: &str,
) -> Result<Vec<JournalEntry>, SessionError> {
    let mut stmt = conn
        .prepare("SELECT body FROM entries WHERE session = ?1 ORDER BY seq")
        .map_err(|e| storage(path, e))?;
    let bodies = stmt
        .query_map([id], |r| r.get::<_, String>(0))
        .map_err(|e| storage(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| storage(path, e))?;
    bodies
        .iter()
        .map(|body| {
            serde_json::from_str(body).map_err(|e| SessionError::Corrupt {
                name: name.into(),
                message: e.to_string(),
            })
        })
        .collect()
}

impl SessionJournal for SqliteJournal {
    fn name(&self) -> &str {
        &self.name
    }

    fn entries(&self) -> Result<Vec<JournalEntry>, SessionError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        read(&conn, &self.path, self.id, &self.name)
    }

    fn append(&self, entry: &JournalEntry) -> Result<(), SessionError> {
        let body = serde_json::to_string(entry).map_err(|e| SessionError::Corrupt {
            name: self.name.clone(),
            message: e.to_string(),
        })?;
        let kind = match entry {
            JournalEntry::Message { .. } => "message",
            JournalEntry::ToolResult { .. } => "tool_result",
        };
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction().map_err(|e| storage(&self.path, e))?;
        tx.execute(
            "INSERT INTO entries (session, seq, kind, body)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM entries WHERE session = ?1), ?2, ?3)",
            params![self.id, kind, body],
        )
        .map_err(|e| storage(&self.path, e))?;
        tx.execute(
            "UPDATE sessions SET updated = ?2 WHERE id = ?1",
            params![self.id, now()],
        )
        .map_err(|e| storage(&self.path, e))?;
        tx.commit().map_err(|e| storage(&self.path, e))
    }
}
