//! [`ServeError`]: why the endpoint could not serve.

/// The endpoint's failure, worded for the person starting it.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listen address could not be bound.
    #[error(
        "cannot listen on {addr}: {source}; pick a free port (--listen 127.0.0.1:9080) or stop what uses it"
    )]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
}
