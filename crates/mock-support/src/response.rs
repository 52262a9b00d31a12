//! The protocol-neutral parts of an answer: JSON, server-sent-event and
//! chunked bodies, whole or cut by an injected fault, and headers. What
//! goes in them is each protocol's own.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::HeaderValue;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt};

use crate::latency;

/// Sets header `name` to `value`; a value HTTP cannot carry is left out.
pub fn set_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}

/// `items`, then (after a short pause, so they are surely on the wire) an
/// error that makes the server drop the connection: a response cut
/// midway, as a network failure shows it.
pub fn cut_after<T: Send + 'static>(
    items: Vec<Result<T, std::io::Error>>,
) -> impl Stream<Item = Result<T, std::io::Error>> + Send {
    stream::iter(items).chain(stream::once(async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "response cut by an injected fault",
        ))
    }))
}

/// A JSON answer (`content-type: application/json`): `bytes` whole, or,
/// when `cut`, their first half and a dropped connection.
pub fn json(bytes: Vec<u8>, cut: bool) -> Response {
    let body = if cut {
        let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
        Body::from_stream(cut_after(vec![Ok(half)]))
    } else {
        Body::from(bytes)
    };
    let mut response = Response::new(body);
    set_header(&mut response, "content-type", "application/json");
    response
}

/// A server-sent-event answer: `events` whole, or, when `cut`, the first
/// half of them and a dropped connection.
pub fn sse(events: Vec<Event>, cut: bool) -> Response {
    let mut items: Vec<Result<Event, std::io::Error>> = events.into_iter().map(Ok).collect();
    if cut {
        items.truncate(items.len() / 2);
        Sse::new(cut_after(items)).into_response()
    } else {
        Sse::new(stream::iter(items)).into_response()
    }
}

/// A body sent as `chunks`, the first after `latency`; when `cut`, a
/// dropped connection after the last. The caller picks the chunks a cut
/// keeps (half a JSON body, the first frames of a stream...).
pub fn chunked(chunks: Vec<Vec<u8>>, latency: Duration, cut: bool) -> Body {
    let head = stream::once(latency::wait(latency))
        .filter_map(|()| async { None::<Result<Bytes, std::io::Error>> });
    let items: Vec<Result<Bytes, std::io::Error>> =
        chunks.into_iter().map(|c| Ok(Bytes::from(c))).collect();
    if cut {
        Body::from_stream(head.chain(cut_after(items)))
    } else {
        Body::from_stream(head.chain(stream::iter(items)))
    }
}

/// A body whose `groups` of chunks are spread over `latency`: group `i` of
/// `n` is sent `latency · (i + 1) / n` after the start, so the last one
/// ends at `latency` as [`chunked`]'s body does, but the first ones arrive
/// early, as a model's message does while it is written.
pub fn paced(groups: Vec<Vec<Vec<u8>>>, latency: Duration) -> Body {
    let n = u32::try_from(groups.len().max(1)).unwrap_or(u32::MAX);
    let step = latency / n;
    let items = stream::iter(groups).then(move |group| async move {
        latency::wait(step).await;
        let bytes: Vec<u8> = group.concat();
        Ok::<Bytes, std::io::Error>(Bytes::from(bytes))
    });
    Body::from_stream(items)
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;

    use super::*;

    #[tokio::test]
    async fn whole_bodies_arrive_whole() {
        let r = json(b"{\"a\":1}".to_vec(), false);
        assert_eq!(r.headers()["content-type"], "application/json");
        let bytes = to_bytes(r.into_body(), usize::MAX).await.unwrap();
        assert_eq!(&bytes[..], b"{\"a\":1}");
        let body = chunked(vec![b"ab".to_vec(), b"cd".to_vec()], Duration::ZERO, false);
        assert_eq!(&to_bytes(body, usize::MAX).await.unwrap()[..], b"abcd");
    }

    #[tokio::test(start_paused = true)]
    async fn paced_groups_arrive_spread_over_the_latency() {
        let start = tokio::time::Instant::now();
        let body = paced(
            vec![vec![b"a".to_vec(), b"b".to_vec()], vec![b"c".to_vec()]],
            Duration::from_millis(1000),
        );
        let mut body = body.into_data_stream();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"ab");
        assert_eq!(start.elapsed(), Duration::from_millis(500));
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"c");
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        assert!(body.next().await.is_none());
    }

    #[tokio::test]
    async fn cut_bodies_break_after_their_part() {
        let r = json(b"0123456789".to_vec(), true);
        let mut body = r.into_body().into_data_stream();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"01234");
        assert!(body.next().await.unwrap().is_err());
        let mut body = chunked(vec![b"ab".to_vec()], Duration::ZERO, true).into_data_stream();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"ab");
        assert!(body.next().await.unwrap().is_err());
    }

    #[tokio::test]
    async fn a_cut_event_stream_sends_half_its_events() {
        let events = (0..4)
            .map(|n| Event::default().data(n.to_string()))
            .collect();
        let body = sse(events, true).into_body().into_data_stream();
        let parts: Vec<_> = body.collect().await;
        let text: String = parts
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert_eq!(text, "data: 0\n\ndata: 1\n\n");
        assert!(parts.last().unwrap().is_err());
    }

    #[test]
    fn a_header_http_cannot_carry_is_left_out() {
        let mut r = Response::new(Body::empty());
        set_header(&mut r, "x-id", "ok");
        set_header(&mut r, "x-bad", "a\nb");
        assert_eq!(r.headers()["x-id"], "ok");
        assert!(!r.headers().contains_key("x-bad"));
    }
}
