//! Storage failures worded for the person who can fix them.

use std::path::Path;

use agent_core::SessionError;

/// `error` at the store `path`, with a hint for the usual causes.
pub(crate) fn storage(path: &Path, error: impl std::fmt::Display) -> SessionError {
    let message = error.to_string();
    let lower = message.to_lowercase();
    let hint = if lower.contains("readonly")
        || lower.contains("read-only")
        || lower.contains("permission denied")
    {
        "; the location is not writable: choose another with --session-store or AGENT_SESSION_STORE"
    } else if lower.contains("full") || lower.contains("no space") {
        "; the disk is full: free some space or choose another --session-store"
    } else if lower.contains("unable to open")
        || lower.contains("file exists")
        || lower.contains("not a directory")
    {
        "; check that the directory exists and is writable, or choose another --session-store"
    } else {
        ""
    };
    SessionError::Storage {
        path: path.display().to_string(),
        message: format!("{message}{hint}"),
    }
}
