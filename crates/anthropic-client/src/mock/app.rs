//! The server's routes: `POST /v1/messages`, and the API's 404 for the rest.

use std::sync::Arc;

use agent_testkit::validate_conversation;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use mock_support::recorder::header_map;
use mock_support::response::{self, set_header};
use serde_json::{Value, json};

use mock_support::api::ApiState;

use super::{Fault, MessagesApi, RecordedRequest, check, respond};
use crate::convert::request_from_wire;
use crate::wire::MessagesRequest;

const HEADERS_OF_INTEREST: [&str; 5] = [
    "anthropic-version",
    "anthropic-beta",
    "content-type",
    "accept",
    "user-agent",
];

/// Shared by every request: the common settings, the fault plan, the
/// record and the key (`mock_support::api::ApiState`).
pub(crate) type State = ApiState<MessagesApi>;

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v1/messages", post(messages))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found_error",
        &format!("Not Found: {}", uri.path()),
        "req_mock_none",
    )
}

fn error(status: StatusCode, kind: &str, message: &str, id: &str) -> Response {
    let body = json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": id,
    });
    with_id((status, axum::Json(body)).into_response(), id)
}

async fn messages(
    Extract(state): Extract<Arc<State>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = state.recorder.arrive();
    let id = format!("req_mock_{n:06}");
    let parsed = serde_json::from_slice::<MessagesRequest>(&body);
    // The API takes the key in `x-api-key` or as a bearer token; Anthropic's
    // own SDKs have sent either, depending on their version.
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let key = header("x-api-key").or_else(|| {
        header("authorization").and_then(|v| {
            // The scheme's name is case-insensitive (RFC 9110).
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim())
                .filter(|t| !t.is_empty())
        })
    });
    let authorized = match (&state.protocol.api_key, key) {
        (_, None) => false,
        (Some(want), Some(got)) => want == got,
        (None, Some(_)) => true,
    };
    state.recorder.record(n, || RecordedRequest {
        id: id.clone(),
        method: "POST".into(),
        path: uri.path().to_owned(),
        headers: header_map(&headers, |name, v| {
            HEADERS_OF_INTEREST.contains(&name).then_some(v)
        }),
        authorized,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        stream: parsed.as_ref().is_ok_and(|r| r.stream),
        request: parsed.as_ref().ok().map(request_from_wire),
        status: 0,
    });
    let response = answer(&state, n, &id, &headers, key, authorized, parsed).await;
    let status = response.status().as_u16();
    state.recorder.update(n, |r| r.status = status);
    response
}

async fn answer(
    state: &State,
    n: u64,
    id: &str,
    headers: &HeaderMap,
    key: Option<&str>,
    authorized: bool,
    parsed: Result<MessagesRequest, serde_json::Error>,
) -> Response {
    let bad = |message: &str| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            message,
            id,
        )
    };
    if key.is_none() {
        return error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "x-api-key header is required",
            id,
        );
    }
    if !authorized {
        return error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid x-api-key",
            id,
        );
    }
    if !headers.contains_key("anthropic-version") {
        return bad("anthropic-version: header is required");
    }
    mock_support::latency::wait(state.latency).await;
    let cut = match state.faults.pick(n) {
        None => false,
        Some(Fault::CutStream) => true,
        Some(fault) => return fault_response(&fault, id),
    };
    let request = match parsed {
        Ok(r) => r,
        Err(e) => return bad(&e.to_string()),
    };
    if let Err(message) = check::check(&request) {
        return bad(&message);
    }
    if state.lists_model(&request.model) == Some(false) {
        return error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            &format!("model: {}", request.model),
            id,
        );
    }
    let core = request_from_wire(&request);
    if let Err(broken) = validate_conversation(&core) {
        return bad(&broken.to_string());
    }
    let scenario = match state.scenario_for(&core) {
        Ok(s) => s,
        Err(message) => return bad(&message),
    };
    let response = scenario.respond(&core);
    let message_id = format!("msg_mock_{n:06}");
    let out = if request.stream {
        let events = respond::events(&response, &message_id, &request.model)
            .into_iter()
            .map(|(name, data)| Event::default().event(name).data(data))
            .collect();
        response::sse(events, cut)
    } else {
        let body = respond::body(&response, &message_id, &request.model);
        response::json(serde_json::to_vec(&body).unwrap_or_default(), cut)
    };
    with_id(out, id)
}

fn with_id(mut response: Response, id: &str) -> Response {
    set_header(&mut response, "request-id", id);
    response
}

fn fault_response(fault: &Fault, id: &str) -> Response {
    match fault {
        Fault::RateLimit { retry_after } => {
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit (injected)",
                id,
            );
            if let Some(after) = retry_after {
                let secs = after.as_secs_f64().ceil() as u64;
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
            }
            r
        }
        Fault::Overloaded => error(status(529), "overloaded_error", "Overloaded (injected)", id),
        Fault::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "Internal server error (injected)",
            id,
        ),
        Fault::Error {
            status: code,
            error_type,
            message,
        } => error(status(*code), error_type, message, id),
        // Handled by the caller, which knows the answer to cut.
        Fault::CutStream => error(status(500), "api_error", "cut", id),
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
