//! [`Proxy`]: the h2c round-robin reverse proxy (see the crate's
//! `# Contract`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::http::uri::{PathAndQuery, Scheme};
use hyper::{Request, Response, StatusCode, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::LbError;

/// The concurrent streams one backend takes (hyper's server default, which
/// restate-sdk's endpoint keeps): the proxy admits this many per backend.
const STREAMS_PER_BACKEND: u32 = 200;

/// What a response's body is: the backend's, streamed, or the proxy's own
/// 502.
type ProxyBody = Either<Incoming, Full<Bytes>>;

/// A running proxy on a local address, forwarding to its backends in turn.
/// Dropping it stops it: the listener closes and the connections through it
/// are dropped.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

/// What every request handler reads.
struct Shared {
    /// Each backend as `http://HOST:PORT` (scheme and authority only).
    backends: Vec<Uri>,
    /// The next request's backend, modulo their number.
    next: AtomicUsize,
    /// Requests sent to each backend so far.
    served: Vec<AtomicU64>,
    /// HTTP/2 only (prior knowledge); one multiplexed connection per backend,
    /// made again when it breaks.
    client: Client<HttpConnector, Incoming>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Proxy {
    /// Listens on `listen` (port 0: any free port, see
    /// [`Proxy::local_addr`]) and forwards each request to the next of
    /// `backends` (`http://HOST:PORT` each), on the current tokio runtime,
    /// until dropped.
    pub async fn start<I, S>(listen: SocketAddr, backends: I) -> Result<Self, LbError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let backends = backends
            .into_iter()
            .map(|b| parse_backend(b.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if backends.is_empty() {
            return Err(LbError::NoBackends);
        }
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| LbError::Bind {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| LbError::Bind {
            addr: listen,
            source,
        })?;
        let mut connector = HttpConnector::new();
        // Restate's protocol is many small messages each way: no Nagle delay.
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .http2_only(true)
            .build(connector);
        let shared = Arc::new(Shared {
            served: backends.iter().map(|_| AtomicU64::new(0)).collect(),
            backends,
            next: AtomicUsize::new(0),
            client,
        });
        let accept = tokio::spawn(accept(listener, Arc::clone(&shared)));
        Ok(Self {
            addr,
            shared,
            accept,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URI, `http://ADDR`: what to register with Restate as the
    /// deployment.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests each backend has been sent so far, in the order
    /// the backends were given (failed ones included).
    pub fn served(&self) -> Vec<u64> {
        self.shared
            .served
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect()
    }
}

/// `http://HOST:PORT` (a trailing `/` allowed), as scheme and authority.
fn parse_backend(text: &str) -> Result<Uri, LbError> {
    let invalid = |reason: String| LbError::Backend {
        uri: text.to_owned(),
        reason,
    };
    let uri: Uri = text.parse().map_err(|e| invalid(format!("{e}")))?;
    if uri.scheme() != Some(&Scheme::HTTP) {
        return Err(invalid(
            "only http:// (HTTP/2 cleartext) is supported".into(),
        ));
    }
    if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
        return Err(invalid(
            "a backend is a host and port, without a path".into(),
        ));
    }
    let mut parts = uri.into_parts();
    parts.path_and_query = Some(PathAndQuery::from_static("/"));
    Uri::from_parts(parts).map_err(|e| invalid(format!("{e}")))
}

/// Accepts connections until aborted; each connection is a task of this
/// one's, so aborting it drops them all.
async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let streams = STREAMS_PER_BACKEND
        .saturating_mul(u32::try_from(shared.backends.len()).unwrap_or(u32::MAX));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            forward(Arc::clone(&shared), request)
                        });
                        // A connection that breaks ends its requests; the
                        // peer (Restate) retries them.
                        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                            .max_concurrent_streams(streams)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Out of file descriptors and the like: wait, then go on.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Sends `request` to the next backend, its body streamed as it comes, and
/// answers with the backend's response, streamed likewise.
async fn forward(
    shared: Arc<Shared>,
    mut request: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let i = shared.next.fetch_add(1, Ordering::Relaxed) % shared.backends.len();
    let Some(backend) = shared.backends.get(i) else {
        return Ok(bad_gateway("no backend".into()));
    };
    if let Some(served) = shared.served.get(i) {
        served.fetch_add(1, Ordering::Relaxed);
    }
    let mut parts = backend.clone().into_parts();
    parts.path_and_query = request
        .uri()
        .path_and_query()
        .cloned()
        .or_else(|| Some(PathAndQuery::from_static("/")));
    match Uri::from_parts(parts) {
        Ok(uri) => *request.uri_mut() = uri,
        Err(e) => return Ok(bad_gateway(format!("cannot address {backend}: {e}"))),
    }
    // HTTP/2 names the target in `:authority`, set from the URI above.
    request.headers_mut().remove(header::HOST);
    match shared.client.request(request).await {
        Ok(response) => Ok(response.map(Either::Left)),
        Err(e) => Ok(bad_gateway(format!("backend {backend} failed: {e}"))),
    }
}

/// The proxy's own answer when a backend cannot be reached.
fn bad_gateway(reason: String) -> Response<ProxyBody> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from(format!(
        "restate-lb: {reason}"
    )))));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_http_host_and_port() {
        assert_eq!(
            parse_backend("http://127.0.0.1:9081").unwrap().to_string(),
            "http://127.0.0.1:9081/"
        );
        assert_eq!(
            parse_backend("http://localhost:9081/").unwrap().to_string(),
            "http://localhost:9081/"
        );
        for bad in [
            "https://127.0.0.1:9081",
            "127.0.0.1:9081",
            "http://h:1/x",
            "not a uri",
        ] {
            let err = parse_backend(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }
}
