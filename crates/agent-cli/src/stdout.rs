//! Standard output, written so that a reader who closes the pipe early
//! (`agent tools | head -3`) ends the command quietly: `println!` would
//! panic on the broken pipe.

use std::io::Write;

use crate::exit::Failure;

/// Writes `text` as is, and flushes.
pub fn write(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                Failure::OutputClosed
            } else {
                Failure::Other(format!("cannot write to standard output: {e}"))
            }
        })
}

/// Writes `text` and a newline.
pub fn line(text: impl std::fmt::Display) -> Result<(), Failure> {
    write(&format!("{text}\n"))
}
