//! The SQLite store end to end: a real file, real locks, real migrations.

use agent_core::session::{JournalEntry, Pending, SessionError, SessionStore, restore};
use agent_core::{Message, ToolResult};
use session_sqlite::SqliteStore;

fn prompt(text: &str) -> JournalEntry {
    JournalEntry::Message {
        message: Message::user(text),
    }
}

#[test]
fn entries_survive_the_store_being_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/sessions.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        let journal = store.open("a").unwrap();
        journal.append(&prompt("hi")).unwrap();
        journal
            .append(&JournalEntry::Message {
                message: Message::assistant("hello"),
            })
            .unwrap();
        journal
            .append(&JournalEntry::ToolResult {
                index: 0,
                name: "t".into(),
                result: ToolResult::error("x", "e"),
            })
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let entries = store.entries("a").unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(restore(&entries).messages.len(), 2);
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].entries, list[0].messages), (3, 2));
    // Reopening continues the same journal.
    store.open("a").unwrap().append(&prompt("again")).unwrap();
    let entries = store.entries("a").unwrap();
    assert_eq!(restore(&entries).pending, Pending::ModelCall);
}

#[test]
fn a_second_open_of_one_session_is_refused_until_the_first_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    let first = store.open("busy").unwrap();
    let err = store.open("busy").err().unwrap();
    assert!(matches!(err, SessionError::Locked { .. }), "{err}");
    assert!(
        err.to_string().contains("in use by another process"),
        "{err}"
    );
    assert!(matches!(
        store.remove("busy"),
        Err(SessionError::Locked { .. })
    ));
    // Another session is not affected.
    store.open("other").unwrap();
    drop(first);
    store.open("busy").unwrap();
}

#[test]
fn remove_deletes_and_unknown_names_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    drop(store.open("gone").unwrap());
    store.remove("gone").unwrap();
    assert!(matches!(
        store.entries("gone"),
        Err(SessionError::NotFound { .. })
    ));
    assert!(matches!(
        store.remove("gone"),
        Err(SessionError::NotFound { .. })
    ));
}

#[test]
fn a_store_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    let err = SqliteStore::open(&path).err().unwrap();
    assert!(
        matches!(err, SessionError::TooNew { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade agent"), "{err}");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99);
}

#[test]
fn an_unwritable_location_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the store's directory should be: no one can write there,
    // root included.
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "").unwrap();
    let err = SqliteStore::open(file.join("s.db")).err().unwrap();
    assert!(matches!(err, SessionError::Storage { .. }), "{err}");
    assert!(err.to_string().contains("--session-store"), "{err}");
}

#[test]
fn a_read_only_open_reads_and_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    SqliteStore::open(&path)
        .unwrap()
        .open("a")
        .unwrap()
        .append(&prompt("hi"))
        .unwrap();
    // SQLite's own read-only mode: it refuses writes whoever runs it (root
    // included), as a read-only mount does.
    let store = SqliteStore::open_read_only(&path).unwrap();
    assert!(store.is_read_only());
    assert_eq!(store.entries("a").unwrap().len(), 1);
    assert_eq!(store.list().unwrap().len(), 1);
    assert!(matches!(
        store.entries("b"),
        Err(SessionError::NotFound { .. })
    ));
    for err in [
        store.open("a").err().unwrap(),
        store.remove("a").unwrap_err(),
    ] {
        let text = err.to_string();
        assert!(matches!(err, SessionError::Storage { .. }), "{text}");
        assert!(text.contains("read-only"), "{text}");
        assert!(text.contains("--session-store"), "{text}");
    }
    // A store that does not exist is refused, not created.
    let missing = dir.path().join("none.db");
    assert!(SqliteStore::open_read_only(&missing).is_err());
    assert!(!missing.exists());
}
