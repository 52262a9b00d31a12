//! The server-sent-events pump: a response body's bytes → SSE events →
//! an [`SseDecoder`] → [`ModelEvent`]s, with a cut or broken stream turned
//! into a retryable error rather than a partial answer.

use std::collections::VecDeque;

use agent_core::{ModelError, ModelEvent};
use eventsource_stream::Eventsource;
use futures::stream::{self, Stream, StreamExt};

use crate::error::{TransportError, chain, tag};

/// One API's streaming protocol: the data of each server-sent event, one
/// at a time, into core events. Each backend's `StreamDecoder` (the same
/// name in all three backends) implements it; a plain state struct, so
/// streaming is unit-tested without a network.
///
/// # Contract
///
/// - [`SseDecoder::decode`] gets each event's `data` in order (the `event:`
///   name is not passed: both APIs repeat it in the data) and returns the
///   events it completes, possibly none. An `Err` (an error the API sent
///   mid-stream, or data that is not the API's) ends the stream: the pump
///   yields it and reads no further.
/// - Once [`SseDecoder::is_finished`] is true the stream is complete: the
///   pump yields what is pending and stops reading, whatever the server
///   sends after.
/// - [`SseDecoder::close`] is called once if the body ends before that:
///   it returns the events that complete the stream (a body may close
///   without its end marker yet be whole), or the error that it was cut,
///   which the pump reports as a retryable [`agent_core::ModelErrorKind::Stream`]
///   error naming the URL.
/// - The pump tags every error with the response's request id unless the
///   decoder's error carries its own.
pub trait SseDecoder: Send {
    /// Decodes one event's `data`.
    fn decode(&mut self, data: &str) -> Result<Vec<ModelEvent>, ModelError>;

    /// Whether the stream is complete (or ended by an error it carried).
    fn is_finished(&self) -> bool;

    /// The body ended before [`SseDecoder::is_finished`]: the closing
    /// events, or the error for a stream cut short.
    fn close(&mut self) -> Result<Vec<ModelEvent>, ModelError>;
}

struct Pump<S, D> {
    events: S,
    decoder: D,
    pending: VecDeque<ModelEvent>,
    request_id: Option<String>,
    url: String,
    done: bool,
}

/// The core events of a streamed body, `bytes` (a response's
/// `bytes_stream()`), decoded by `decoder` as its [contract](SseDecoder)
/// says; `url` and `request_id` go into the errors.
pub fn decode_sse<B, E, D>(
    bytes: impl Stream<Item = Result<B, E>> + Send + Unpin,
    decoder: D,
    url: String,
    request_id: Option<String>,
) -> impl Stream<Item = Result<ModelEvent, ModelError>> + Send
where
    B: AsRef<[u8]> + Send,
    E: std::error::Error + Send + Sync,
    D: SseDecoder,
{
    let pump = Pump {
        events: bytes.eventsource(),
        decoder,
        pending: VecDeque::new(),
        request_id,
        url,
        done: false,
    };
    stream::unfold(pump, |mut st| async move {
        loop {
            if let Some(event) = st.pending.pop_front() {
                return Some((Ok(event), st));
            }
            if st.done || st.decoder.is_finished() {
                return None;
            }
            let result = match st.events.next().await {
                Some(Ok(event)) => st.decoder.decode(&event.data),
                Some(Err(e)) => Err(TransportError::StreamBroke {
                    url: st.url.clone(),
                    detail: chain(&e),
                }
                .into()),
                None => st
                    .decoder
                    .close()
                    .map_err(|e| ModelError::stream(format!("{} ({})", e.message, st.url))),
            };
            match result {
                Ok(events) => st.pending.extend(events),
                Err(e) => {
                    st.done = true;
                    let e = tag(e, st.request_id.as_deref());
                    return Some((Err(e), st));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use agent_core::{ModelErrorKind, StopReason};

    use super::*;

    /// Text from each event's data; `stop` finishes.
    #[derive(Default)]
    struct Lines {
        finished: bool,
    }

    impl SseDecoder for Lines {
        fn decode(&mut self, data: &str) -> Result<Vec<ModelEvent>, ModelError> {
            match data {
                "stop" => {
                    self.finished = true;
                    Ok(vec![ModelEvent::MessageStop {
                        stop_reason: StopReason::EndTurn,
                    }])
                }
                "bad" => Err(ModelError::protocol("bad data")),
                text => Ok(vec![ModelEvent::TextDelta {
                    index: 0,
                    text: text.into(),
                }]),
            }
        }
        fn is_finished(&self) -> bool {
            self.finished
        }
        fn close(&mut self) -> Result<Vec<ModelEvent>, ModelError> {
            Err(ModelError::stream("the stream ended before stop"))
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("connection reset")]
    struct Reset;

    async fn pump(chunks: Vec<Result<&'static str, Reset>>) -> Vec<Result<ModelEvent, ModelError>> {
        decode_sse(
            stream::iter(chunks),
            Lines::default(),
            "http://x/v1".into(),
            Some("req_7".into()),
        )
        .collect()
        .await
    }

    fn text(t: &str) -> ModelEvent {
        ModelEvent::TextDelta {
            index: 0,
            text: t.into(),
        }
    }

    #[tokio::test]
    async fn events_split_anywhere_decode_in_order_and_stop_at_the_end() {
        let out = pump(vec![
            Ok("data: a\n"),
            Ok("\ndata: b\n\nda"),
            Ok("ta: stop\n\ndata: after the end\n\n"),
        ])
        .await;
        let out: Vec<ModelEvent> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            out,
            [
                text("a"),
                text("b"),
                ModelEvent::MessageStop {
                    stop_reason: StopReason::EndTurn
                }
            ]
        );
    }

    #[tokio::test]
    async fn a_cut_stream_is_a_retryable_error_with_the_url_and_request_id() {
        let out = pump(vec![Ok("data: a\n\n")]).await;
        assert_eq!(out[0].as_ref().unwrap(), &text("a"));
        let e = out[1].as_ref().unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::Stream);
        assert!(e.is_retryable());
        assert_eq!(e.message, "the stream ended before stop (http://x/v1)");
        assert_eq!(e.request_id.as_deref(), Some("req_7"));
        assert_eq!(out.len(), 2);
    }

    #[tokio::test]
    async fn a_broken_body_or_bad_data_ends_the_stream() {
        let out = pump(vec![Ok("data: a\n\n"), Err(Reset), Ok("data: b\n\n")]).await;
        assert_eq!(out.len(), 2);
        let e = out[1].as_ref().unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::Stream);
        assert!(
            e.message.starts_with("the stream from http://x/v1 broke: "),
            "{e}"
        );
        assert!(e.message.contains("connection reset"), "{e}");

        let out = pump(vec![Ok("data: bad\n\ndata: b\n\n")]).await;
        assert_eq!(out.len(), 1);
        let e = out[0].as_ref().unwrap_err();
        assert_eq!(e.kind, ModelErrorKind::Protocol);
        assert_eq!(e.request_id.as_deref(), Some("req_7"));
    }
}
