//! The server's HTTP answers: errors in the API's shape, the whole-message
//! JSON body, and the server-sent-events body (with its injected cut).

use agent_core::ModelResponse;
use axum::http::StatusCode;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use mock_support::response::{self, set_header};
use serde_json::json;

use super::encode;
use super::wire;

/// The header carrying the request id, as the API names it.
const REQUEST_ID_HEADER: &str = "request-id";

/// An error answer: `{"type": "error", "error": {type, message},
/// "request_id"}`, with the id in its header too.
pub(crate) fn error(status: StatusCode, kind: &str, message: &str, id: &str) -> Response {
    let body = json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": id,
    });
    with_id((status, axum::Json(body)).into_response(), id)
}

/// `code` as a status; an impossible one reads as 500.
pub(crate) fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// `response` as the API sends it to request `id`: a message body, or its
/// stream when `stream`; broken off midway when `cut`.
pub(crate) fn message(
    response: &ModelResponse,
    message_id: &str,
    model: &str,
    stream: bool,
    cut: bool,
    id: &str,
) -> Response {
    let out = if stream {
        let events = encode::events(response, message_id, model)
            .into_iter()
            .map(|(name, data)| Event::default().event(name).data(data))
            .collect();
        response::sse(events, cut)
    } else {
        let body = wire::message(response, message_id, model);
        response::json(serde_json::to_vec(&body).unwrap_or_default(), cut)
    };
    with_id(out, id)
}

/// The count endpoint's answer: `{"input_tokens": n}`.
pub(crate) fn count(input_tokens: u64, id: &str) -> Response {
    with_id(
        axum::Json(json!({ "input_tokens": input_tokens })).into_response(),
        id,
    )
}

fn with_id(mut response: Response, id: &str) -> Response {
    set_header(&mut response, REQUEST_ID_HEADER, id);
    response
}
