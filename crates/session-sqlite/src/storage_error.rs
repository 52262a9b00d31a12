//! Storage failures worded for the person who can fix them: what failed,
//! where, and what to do (every hint names `--session-store` and
//! `AGENT_SESSION_STORE`, the two ways to choose another store).

use std::path::Path;

use agent_core::SessionError;

/// How to choose another store, the end of every hint.
const ELSEWHERE: &str = "or choose another store with --session-store PATH or AGENT_SESSION_STORE";

/// `error` at the store `path`, with a hint for the usual causes.
pub(crate) fn storage(path: &Path, error: impl std::fmt::Display) -> SessionError {
    let message = error.to_string();
    let lower = message.to_lowercase();
    let hint = if lower.contains("opened read-only") {
        format!("; {ELSEWHERE}")
    } else if lower.contains("readonly")
        || lower.contains("read-only")
        || lower.contains("permission denied")
    {
        format!("; the location is not writable: make it writable, {ELSEWHERE}")
    } else if lower.contains("full") || lower.contains("no space") {
        format!("; the disk is full: free some space, {ELSEWHERE}")
    } else if lower.contains("disk i/o error") {
        format!(
            "; SQLite could not read or write the file (a full disk, a read-only mount or a \
             failing device): check the disk, {ELSEWHERE}"
        )
    } else if lower.contains("unable to open")
        || lower.contains("file exists")
        || lower.contains("not a directory")
    {
        format!("; check that its directory exists and is writable, {ELSEWHERE}")
    } else if lower.contains("not a database") {
        format!("; the file is not a session store: {ELSEWHERE}")
    } else {
        String::new()
    };
    SessionError::Storage {
        path: path.display().to_string(),
        message: format!("{message}{hint}"),
    }
}

/// The store's directory `dir` could not be created: most often a file of
/// that name (or of one of its parents' names) is in the way.
pub(crate) fn directory_error(path: &Path, dir: &Path, error: std::io::Error) -> SessionError {
    let in_the_way = matches!(
        error.kind(),
        std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotADirectory
    );
    let message = if in_the_way {
        format!(
            "cannot create the directory {}: a file is in the way ({error}); move the file, {ELSEWHERE}",
            dir.display()
        )
    } else {
        return storage(
            path,
            format!("cannot create the directory {}: {error}", dir.display()),
        );
    };
    SessionError::Storage {
        path: path.display().to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hint_says_how_to_choose_another_store() {
        for cause in [
            "attempt to write a readonly database",
            "database or disk is full",
            "disk I/O error",
            "unable to open database file",
            "file is not a database",
        ] {
            let e = storage(Path::new("/s/sessions.db"), cause).to_string();
            assert!(e.contains("/s/sessions.db") && e.contains(cause), "{e}");
            assert!(
                e.contains("--session-store") && e.contains("AGENT_SESSION_STORE"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_file_in_the_way_of_the_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, "").unwrap();
        let store = file.join("sessions.db");
        let e = std::fs::create_dir_all(&file).err().unwrap();
        let message = directory_error(&store, &file, e).to_string();
        assert!(message.contains("a file is in the way"), "{message}");
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(message.contains("AGENT_SESSION_STORE"), "{message}");
    }
}
