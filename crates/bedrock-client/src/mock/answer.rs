//! The server's HTTP answers: error responses in the service's shape, the
//! Converse JSON body, and the ConverseStream event-stream body (with its
//! injected breaks).

use std::time::Duration;

use agent_core::ModelResponse;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mock_support::response::{chunked, paced, set_header};
use serde_json::json;

use super::encode::{event_frame, exception_frame, response_events};
use super::wire::converse_output;

/// The namespace the service appends to `x-amzn-errortype`.
const ERROR_NAMESPACE: &str = "http://internal.amazon.com/coral/com.amazon.bedrock/";

/// An error answer: status, error type, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceError {
    pub status: u16,
    pub error_type: String,
    pub message: String,
}

impl ServiceError {
    pub(crate) fn new(
        status: u16,
        error_type: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error_type: error_type.into(),
            message: message.into(),
        }
    }

    /// 400 ValidationException with `message`.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }

    /// The response: `{"message": ...}`, `x-amzn-errortype: Type:namespace`,
    /// and `Retry-After` when given.
    pub(crate) fn into_response(self, request_id: &str, retry_after: Option<Duration>) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(json!({ "message": self.message }))).into_response();
        set_header(
            &mut response,
            "x-amzn-errortype",
            &format!("{}:{ERROR_NAMESPACE}", self.error_type),
        );
        set_header(&mut response, "x-amzn-requestid", request_id);
        if let Some(after) = retry_after {
            set_header(&mut response, "retry-after", &format_seconds(after));
        }
        response
    }
}

fn format_seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{}", d.as_secs_f64())
    }
}

/// How the body of a successful answer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Complete.
    Whole,
    /// The connection drops halfway.
    Cut,
    /// ConverseStream: a `modelStreamErrorException` event halfway.
    StreamError,
}

/// The message of the injected `modelStreamErrorException`.
pub const STREAM_ERROR_MESSAGE: &str =
    "The model's response stream failed. Try your request again.";

/// The Converse answer.
pub(crate) fn converse(
    response: &ModelResponse,
    request_id: &str,
    latency: Duration,
    ending: Ending,
) -> Response {
    let bytes = serde_json::to_vec(&converse_output(response)).unwrap_or_default();
    let (chunks, cut) = match ending {
        Ending::Cut => (vec![bytes[..bytes.len() / 2].to_vec()], true),
        _ => (vec![bytes], false),
    };
    let mut r = Response::new(chunked(chunks, latency, cut));
    set_header(&mut r, "content-type", "application/json");
    set_header(&mut r, "x-amzn-requestid", request_id);
    r
}

/// The CountTokens answer: `{"inputTokens": n}`.
pub(crate) fn count_tokens(input_tokens: u64, request_id: &str) -> Response {
    let mut r = axum::Json(json!({ "inputTokens": input_tokens })).into_response();
    set_header(&mut r, "x-amzn-requestid", request_id);
    r
}

/// The ConverseStream answer.
pub(crate) fn converse_stream(
    response: &ModelResponse,
    request_id: &str,
    latency: Duration,
    ending: Ending,
    pace: bool,
) -> Response {
    let events = response_events(response);
    if pace && ending == Ending::Whole {
        // One group per content block, each ending at its block's stop;
        // the message's start joins the first, its stop and metadata the
        // last.
        let mut groups: Vec<Vec<Vec<u8>>> = vec![Vec::new()];
        for (kind, payload) in &events {
            if let Some(group) = groups.last_mut() {
                group.push(event_frame(kind, payload));
            }
            if *kind == "contentBlockStop" {
                groups.push(Vec::new());
            }
        }
        if groups.len() > 1
            && let Some(tail) = groups.pop()
            && let Some(last) = groups.last_mut()
        {
            last.extend(tail);
        }
        let mut r = Response::new(paced(groups, latency));
        set_header(&mut r, "content-type", "application/vnd.amazon.eventstream");
        set_header(&mut r, "x-amzn-requestid", request_id);
        return r;
    }
    let mut frames: Vec<Vec<u8>> = events.iter().map(|(t, p)| event_frame(t, p)).collect();
    // Halfway, but always after messageStart and before messageStop.
    let half = (frames.len() / 2).clamp(1, frames.len().saturating_sub(2).max(1));
    let cut = match ending {
        Ending::Whole => false,
        Ending::Cut => {
            frames.truncate(half);
            true
        }
        Ending::StreamError => {
            frames.truncate(half);
            frames.push(exception_frame(
                "modelStreamErrorException",
                STREAM_ERROR_MESSAGE,
            ));
            false
        }
    };
    let mut r = Response::new(chunked(frames, latency, cut));
    set_header(&mut r, "content-type", "application/vnd.amazon.eventstream");
    set_header(&mut r, "x-amzn-requestid", request_id);
    r
}
