//! One writer per session, across processes: an OS file lock, which the
//! OS releases when the process dies, so a killed run leaves no stale lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use agent_core::SessionError;

use crate::storage_error::storage;

/// Session `name`'s lock, held until dropped.
#[derive(Debug)]
pub(crate) struct SessionLock {
    _file: File,
}

impl SessionLock {
    /// Takes the lock, or says who holds it.
    pub fn acquire(store: &Path, name: &str) -> Result<Self, SessionError> {
        let path = lock_path(store, name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| storage(store, e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| storage(store, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "another process".to_owned(),
                    pid => format!("pid {pid}"),
                };
                return Err(SessionError::Locked {
                    name: name.into(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(storage(store, e)),
        }
        // Who holds it, for the message a second process gets.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        Ok(Self { _file: file })
    }
}

/// `<store>.locks/<name, hex>.lock`: any session name makes a valid file name.
fn lock_path(store: &Path, name: &str) -> PathBuf {
    let mut dir = store.as_os_str().to_owned();
    dir.push(".locks");
    let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
    PathBuf::from(dir).join(format!("{hex}.lock"))
}
