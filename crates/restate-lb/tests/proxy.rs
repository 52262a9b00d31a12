//! The proxy between a real hyper HTTP/2 client and real hyper HTTP/2
//! servers on 127.0.0.1: requests go round robin, and one request's body
//! and its response's body stream both ways at once (what Restate's
//! bidirectional protocol needs), nothing held back until a body ends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::channel::{Channel, Sender};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use restate_lb::Proxy;
use tokio::net::{TcpListener, TcpStream};

/// A guard against a hang, never a timing assertion.
const PATIENCE: Duration = Duration::from_secs(30);

/// An HTTP/2 (prior knowledge) server that answers at once with header
/// `x-backend: NAME` and echoes the request's body frame by frame as the
/// response's body.
async fn echo_backend(name: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request: Request<Incoming>| async move {
                        let mut response = Response::new(request.into_body());
                        response
                            .headers_mut()
                            .insert("x-backend", name.parse().unwrap());
                        Ok::<_, Infallible>(response)
                    });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// An HTTP/2 (prior knowledge) client connection to `addr`.
async fn connect(addr: SocketAddr) -> hyper::client::conn::http2::SendRequest<Channel<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    send
}

/// Starts a request whose body is fed from the returned sender.
async fn open(
    client: &mut hyper::client::conn::http2::SendRequest<Channel<Bytes>>,
    addr: SocketAddr,
) -> (Sender<Bytes>, Response<Incoming>) {
    let (tx, body) = Channel::new(4);
    let request = Request::post(format!("http://{addr}/invoke/Agent/send"))
        .body(body)
        .unwrap();
    client.ready().await.unwrap();
    let response = tokio::time::timeout(PATIENCE, client.send_request(request))
        .await
        .expect("the response's head came before the request's body ended")
        .unwrap();
    (tx, response)
}

/// The next non-empty data frame of `response`'s body (HTTP/2 may end a
/// body with an empty one).
async fn next_data(response: &mut Response<Incoming>) -> Option<Bytes> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, response.body_mut().frame())
            .await
            .expect("a frame came through while the request was still open")?
            .unwrap();
        if let Ok(data) = frame.into_data()
            && !data.is_empty()
        {
            return Some(data);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_go_round_robin_and_stream_both_ways() {
    let a = echo_backend("a").await;
    let b = echo_backend("b").await;
    let proxy = Proxy::start(
        "127.0.0.1:0".parse().unwrap(),
        [format!("http://{a}"), format!("http://{b}")],
    )
    .await
    .unwrap();
    let mut client = connect(proxy.local_addr()).await;

    let mut seen = Vec::new();
    for round in 0..3 {
        let (mut tx, mut response) = open(&mut client, proxy.local_addr()).await;
        seen.push(response.headers()["x-backend"].to_str().unwrap().to_owned());
        // Each message is answered before the next is sent: neither body
        // waits for the other to end.
        for i in 0..3 {
            let message = Bytes::from(format!("round {round} message {i}"));
            tx.send_data(message.clone()).await.unwrap();
            assert_eq!(next_data(&mut response).await, Some(message));
        }
        drop(tx);
        assert_eq!(
            next_data(&mut response).await,
            None,
            "the echo ends with the request"
        );
    }
    assert_eq!(seen, ["a", "b", "a"]);
    assert_eq!(proxy.served(), [2, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_cannot_be_reached_is_a_502() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap(), [format!("http://{closed}")])
        .await
        .unwrap();
    let mut client = connect(proxy.local_addr()).await;
    let (tx, response) = open(&mut client, proxy.local_addr()).await;
    drop(tx);
    assert_eq!(response.status(), 502);
    let text = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains(&closed.to_string()), "{text}");
}

#[tokio::test]
async fn no_backend_is_refused() {
    let err = Proxy::start("127.0.0.1:0".parse().unwrap(), Vec::<String>::new())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("at least one backend"), "{err}");
}
