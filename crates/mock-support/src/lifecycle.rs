//! A local server's life: bind, serve an axum [`Router`] in the background,
//! report the address, shut down gracefully (or on drop).

use std::net::SocketAddr;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::MockError;

/// Binds `addr` (port 0: a free one) and serves `app` on the current tokio
/// runtime until the returned handle is shut down or dropped. `name` names
/// the server in logs ("Converse", "Messages API"...).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), mock_support::MockError> {
/// let app = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
/// let server = mock_support::serve("127.0.0.1:0".parse().unwrap(), app, "example").await?;
/// assert_ne!(server.addr().port(), 0);
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub async fn serve(
    addr: SocketAddr,
    app: Router,
    name: &'static str,
) -> Result<ServerHandle, MockError> {
    let bind_error = |source| MockError::Bind { addr, source };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    // Without TCP_NODELAY a streamed response's small event frames wait on
    // Nagle's algorithm and the client's delayed ACK: about 40 ms per turn.
    // Real services answer with it set; so do we.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the mock {name} server stopped");
        }
    });
    tracing::info!(addr = %bound, "mock {name} server listening");
    Ok(ServerHandle {
        addr: bound,
        stop: Some(tx),
        task: Some(task),
    })
}

/// A server running in the background; stops when shut down or dropped.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The address the server is bound to (the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish, and
    /// waits for the server to stop.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn get(addr: SocketAddr) -> std::io::Result<String> {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await?;
        let mut out = String::new();
        s.read_to_string(&mut out).await?;
        Ok(out)
    }

    fn app() -> Router {
        Router::new().route("/", axum::routing::get(|| async { "hello" }))
    }

    async fn start() -> ServerHandle {
        serve("127.0.0.1:0".parse().unwrap(), app(), "test")
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn serves_until_shut_down() {
        let server = start().await;
        let addr = server.addr();
        assert!(get(addr).await.unwrap().ends_with("hello"));
        server.shutdown().await;
        assert!(get(addr).await.is_err(), "closed after shutdown");
    }

    #[tokio::test]
    async fn a_taken_port_names_the_address() {
        let server = start().await;
        let e = serve(server.addr(), app(), "test").await.unwrap_err();
        assert!(matches!(e, MockError::Bind { .. }));
        assert!(e.to_string().contains(&server.addr().to_string()), "{e}");
    }

    #[tokio::test]
    async fn dropping_stops_it() {
        let server = start().await;
        let addr = server.addr();
        drop(server);
        // The task sees the signal at its next poll; give it a few turns.
        let mut closed = false;
        for _ in 0..100 {
            if get(addr).await.is_err() {
                closed = true;
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(closed);
    }
}
