//! The schema and its migrations, versioned with `PRAGMA user_version`.

use std::path::Path;

use agent_core::SessionError;
use rusqlite::Connection;

use crate::storage_error::storage;

/// Migration `i` brings the schema from version `i` to `i + 1`. Append
/// only: a released migration never changes.
const MIGRATIONS: &[&str] = &[
    // 1: sessions and their append-only journals.
    "CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE TABLE entries (
        session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (session, seq)
    ) WITHOUT ROWID;",
];

/// The version this build writes and reads.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

fn version(conn: &Connection, path: &Path) -> Result<i64, SessionError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| storage(path, e))
}

/// Refuses a store written by a newer version.
pub(crate) fn check(conn: &Connection, path: &Path) -> Result<(), SessionError> {
    let found = version(conn, path)?;
    if found > VERSION {
        return Err(SessionError::TooNew {
            path: path.display().to_string(),
            found,
            supported: VERSION,
        });
    }
    Ok(())
}

/// Applies the migrations the store lacks, all in one transaction.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), SessionError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| storage(path, e))?;
    let found = version(&tx, path)?;
    check(&tx, path)?;
    for migration in &MIGRATIONS[found.max(0) as usize..] {
        tx.execute_batch(migration).map_err(|e| storage(path, e))?;
    }
    if found < VERSION {
        tx.pragma_update(None, "user_version", VERSION)
            .map_err(|e| storage(path, e))?;
    }
    tx.commit().map_err(|e| storage(path, e))
}
