//! The server's HTTP answers: errors in OpenAI's shape, the whole chat
//! completion, and the server-sent-events body (with its injected cut).

use agent_core::ModelResponse;
use axum::http::StatusCode;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use mock_support::response::{self, set_header};
use serde_json::json;

use super::encode;
use super::wire;

/// The header carrying the request id, as OpenAI names it.
const REQUEST_ID_HEADER: &str = "x-request-id";

/// An error answer: `{"error": {message, type, param, code}}`, with the
/// request id in its header.
pub(crate) fn error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
    id: &str,
) -> Response {
    let body = json!({
        "error": {"message": message, "type": kind, "param": param, "code": code},
    });
    with_id((status, axum::Json(body)).into_response(), id)
}

/// `response` as OpenAI sends it to request `id`: a chat completion
/// `completion_id` made at `created` (Unix seconds), or, when `stream` is
/// `Some(include_usage)`, its chunks; broken off midway when `cut`.
pub(crate) fn completion(
    response: &ModelResponse,
    completion_id: &str,
    model: &str,
    created: u64,
    stream: Option<bool>,
    cut: bool,
    id: &str,
) -> Response {
    let out = match stream {
        Some(include_usage) => {
            let events = encode::chunks(response, completion_id, model, created, include_usage)
                .into_iter()
                .map(|data| Event::default().data(data))
                .collect();
            response::sse(events, cut)
        }
        None => {
            let body = wire::completion(response, completion_id, model, created);
            response::json(serde_json::to_vec(&body).unwrap_or_default(), cut)
        }
    };
    with_id(out, id)
}

fn with_id(mut response: Response, id: &str) -> Response {
    set_header(&mut response, REQUEST_ID_HEADER, id);
    response
}
