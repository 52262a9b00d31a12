//! The process's own standard input and output, as `agent mcp-serve`
//! reads requests from and writes answers to them.
//!
//! tokio's `stdin()` and `stdout()` run every read and every write on a
//! blocking-pool thread and wait for it: each message crossed threads twice
//! and, under a fan-out of calls, the answers queued behind one another on
//! that hand-off (measured: docs/BENCHMARKS.md, "MCP against the plugin").
//! When they are pipes, as an MCP client starts a server, they are read and
//! written through the runtime's own event loop instead, like the client's
//! end of the same pipes. Anything else (a terminal, a file) keeps tokio's.

use tokio::io::{AsyncRead, AsyncWrite};

/// Standard input, for reading requests.
pub(crate) fn stdin() -> Box<dyn AsyncRead + Send + Unpin> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        // A duplicate of fd 0 (the same pipe); the pipe is put in
        // non-blocking mode, which nothing else in the process reads.
        let pipe = std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .and_then(tokio::net::unix::pipe::Receiver::from_owned_fd);
        if let Ok(pipe) = pipe {
            return Box::new(pipe);
        }
    }
    Box::new(tokio::io::stdin())
}

/// Standard output, for writing answers.
pub(crate) fn stdout() -> Box<dyn AsyncWrite + Send + Unpin> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        // Standard output carries the protocol and nothing else, so no
        // other writer meets the non-blocking pipe.
        let pipe = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .and_then(tokio::net::unix::pipe::Sender::from_owned_fd);
        if let Ok(pipe) = pipe {
            return Box::new(pipe);
        }
    }
    Box::new(tokio::io::stdout())
}
