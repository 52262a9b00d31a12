//! The server's routes: `POST /v1/messages`, and the API's 404 for the rest.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use agent_core::scripted::{first_prompt, select, validate_conversation};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as Extract;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::{StreamExt, stream};
use serde_json::{Value, json};

use super::{Fault, RecordedRequest, State, check, respond};
use crate::convert::request_from_wire;
use crate::wire::MessagesRequest;

const HEADERS_OF_INTEREST: [&str; 5] = [
    "anthropic-version",
    "anthropic-beta",
    "content-type",
    "accept",
    "user-agent",
];

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
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(id) {
        response.headers_mut().insert("request-id", v);
    }
    response
}

async fn messages(
    Extract(state): Extract<Arc<State>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = state.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let id = format!("req_mock_{n:06}");
    let parsed = serde_json::from_slice::<MessagesRequest>(&body);
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty());
    let authorized = match (&state.api_key, key) {
        (_, None) => false,
        (Some(want), Some(got)) => want == got,
        (None, Some(_)) => true,
    };
    let record = RecordedRequest {
        id: id.clone(),
        method: "POST".into(),
        path: uri.path().to_owned(),
        headers: HEADERS_OF_INTEREST
            .iter()
            .filter_map(|h| {
                let v = headers.get(*h)?.to_str().ok()?;
                Some(((*h).to_owned(), v.to_owned()))
            })
            .collect::<BTreeMap<_, _>>(),
        authorized,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        stream: parsed.as_ref().is_ok_and(|r| r.stream),
        request: parsed.as_ref().ok().map(request_from_wire),
        status: 0,
    };
    let index = match state.records.lock() {
        Ok(mut records) => {
            records.push(record);
            Some(records.len() - 1)
        }
        Err(_) => None,
    };
    let response = answer(&state, n, &id, &headers, key, authorized, parsed).await;
    if let (Some(i), Ok(mut records)) = (index, state.records.lock())
        && let Some(r) = records.get_mut(i)
    {
        r.status = response.status().as_u16();
    }
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
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
    let queued = state.faults.lock().ok().and_then(|mut q| q.pop_front());
    let fault = queued.or_else(|| {
        state
            .throttle_every
            .filter(|every| n.is_multiple_of(*every))
            .map(|_| Fault::RateLimit {
                retry_after: state.retry_after,
            })
    });
    let cut = match fault {
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
    if !state.models.is_empty() && !state.models.contains(&request.model) {
        return error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            &format!("model: {}", request.model),
            id,
        );
    }
    let core = request_from_wire(&request);
    if let Err(message) = validate_conversation(&core) {
        return bad(&message);
    }
    let Some(scenario) = select(&state.scenarios, &core) else {
        let known: Vec<&str> = state.scenarios.iter().map(|s| s.name.as_str()).collect();
        return bad(&format!(
            "the mock server has no scenario for the prompt {:?} (known: {}); add one with a \
             scenario file",
            first_prompt(&core),
            known.join(", ")
        ));
    };
    let response = scenario.respond(&core);
    let message_id = format!("msg_mock_{n:06}");
    let out = if request.stream {
        let mut events: Vec<Result<Event, std::io::Error>> =
            respond::events(&response, &message_id, &request.model)
                .into_iter()
                .map(|(name, data)| Ok(Event::default().event(name).data(data)))
                .collect();
        if cut {
            events.truncate(events.len() / 2);
            return with_id(Sse::new(cut_after(events)).into_response(), id);
        }
        Sse::new(stream::iter(events)).into_response()
    } else {
        let body = respond::body(&response, &message_id, &request.model);
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        if cut {
            let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
            let mut r = Response::new(Body::from_stream(cut_after(vec![Ok(half)])));
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            r
        } else {
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            r
        }
    };
    with_id(out, id)
}

fn with_id(mut response: Response, id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(id) {
        response.headers_mut().insert("request-id", v);
    }
    response
}

/// `items`, then (once they are surely on the wire) a broken connection.
fn cut_after<T: Send + 'static>(
    items: Vec<Result<T, std::io::Error>>,
) -> impl futures::Stream<Item = Result<T, std::io::Error>> + Send {
    stream::iter(items).chain(stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Err(std::io::Error::other("response cut by fault injection"))
    }))
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
