//! [`LbError`]: why the proxy could not start.

use std::net::SocketAddr;

/// Why [`crate::Proxy::start`] failed.
#[derive(Debug, thiserror::Error)]
pub enum LbError {
    /// No backend was given.
    #[error("restate-lb needs at least one backend (an endpoint's http://HOST:PORT)")]
    NoBackends,
    /// A backend is not an `http://HOST:PORT` URI.
    #[error("backend `{uri}` is not an http://HOST:PORT URI: {reason}")]
    Backend {
        /// What was given.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source} (is the port in use?)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
