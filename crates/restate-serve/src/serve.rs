//! [`serve`]: the Restate endpoint (HTTP/2) on a TCP address.

use std::future::Future;
use std::net::SocketAddr;

use restate_sdk::endpoint::Endpoint;
use restate_sdk::http_server::HttpServer;

use crate::{DurableAgent, ServeError};

/// Serves `agent` as the Restate service `Agent` on `addr` until `shutdown`
/// completes (then in-flight requests finish). `ready` is told the bound
/// address (`addr` with port 0 picks a free one) once the endpoint accepts
/// connections.
pub async fn serve(
    agent: DurableAgent,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let endpoint = Endpoint::builder().bind(agent.into_service()).build();
    ready(bound);
    HttpServer::new(endpoint)
        .serve_with_cancel(listener, shutdown)
        .await;
    Ok(())
}
