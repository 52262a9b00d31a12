//! A raw HTTP server on 127.0.0.1 that answers every request with canned
//! bytes, written here by hand: for answers the local Converse server never
//! gives (malformed, incomplete, stalled), so the backend is tested against
//! what a broken service could really send.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One canned answer.
#[derive(Clone)]
pub enum Answer {
    /// A whole HTTP response: status, content type, body.
    Body(u16, &'static str, Vec<u8>),
    /// An event stream of these frames, whole.
    Stream(Vec<u8>),
    /// Response headers of an event stream, then these frames, then the
    /// connection stays open and silent for `hold`.
    StreamThenStall(Vec<u8>, Duration),
}

/// The server: each request takes the next answer; the last one repeats.
pub struct RawServer {
    pub url: String,
    hits: Arc<AtomicUsize>,
}

impl RawServer {
    pub async fn start(answers: Vec<Answer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let answer = answers[n.min(answers.len() - 1)].clone();
                tokio::spawn(async move {
                    read_request(&mut socket).await;
                    match answer {
                        Answer::Body(status, content_type, body) => {
                            let head = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = socket.write_all(head.as_bytes()).await;
                            let _ = socket.write_all(&body).await;
                        }
                        Answer::Stream(frames) => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                                frames.len()
                            );
                            let _ = socket.write_all(head.as_bytes()).await;
                            let _ = socket.write_all(&frames).await;
                        }
                        Answer::StreamThenStall(frames, hold) => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\ncontent-length: {}\r\n\r\n",
                                frames.len() + 1_000_000
                            );
                            let _ = socket.write_all(head.as_bytes()).await;
                            let _ = socket.write_all(&frames).await;
                            let _ = socket.flush().await;
                            tokio::time::sleep(hold).await;
                        }
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { url, hits }
    }

    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let Ok(n) = socket.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let Ok(n) = socket.read(&mut chunk).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return;
        }
    }
}

fn header(name: &'static str, value: &str) -> Header {
    Header::new(name, HeaderValue::String(value.to_owned().into()))
}

/// An event-stream event frame.
pub fn event(event_type: &str, payload: Value) -> Vec<u8> {
    let message = Message::new_from_parts(
        vec![
            header(":event-type", event_type),
            header(":content-type", "application/json"),
            header(":message-type", "event"),
        ],
        serde_json::to_vec(&payload).unwrap(),
    );
    let mut out = Vec::new();
    write_message_to(&message, &mut out).unwrap();
    out
}

/// An event-stream exception frame.
pub fn exception(exception_type: &str, message: &str) -> Vec<u8> {
    let message = Message::new_from_parts(
        vec![
            header(":exception-type", exception_type),
            header(":content-type", "application/json"),
            header(":message-type", "exception"),
        ],
        serde_json::to_vec(&serde_json::json!({ "message": message })).unwrap(),
    );
    let mut out = Vec::new();
    write_message_to(&message, &mut out).unwrap();
    out
}

/// A JSON 200 answer.
pub fn json_ok(body: Value) -> Answer {
    Answer::Body(200, "application/json", serde_json::to_vec(&body).unwrap())
}
