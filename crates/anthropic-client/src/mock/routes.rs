//! Routing and the life of one request: record it, authenticate, inject a
//! fault, check it as the API does, play the scenario, answer.

use std::sync::Arc;
use std::time::Duration;

use agent_testkit::validate_conversation;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use mock_support::api::{ApiProtocol, ApiState};

use super::answer::{self, error};
use super::faults::{self, Fault};
use super::recorder;
use super::validate::{api_key, check_request};
use super::wire::{CountRequest, Request, to_core};

/// The Messages API, as the local server speaks it: its [`Fault`]s and its
/// routes (below); the rest of the server is `mock_support::api`'s.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessagesApi;

impl ApiProtocol for MessagesApi {
    type Fault = Fault;
    const NAME: &'static str = "Messages API";
    const BASE_PATH: &'static str = "";

    fn throttle(retry_after: Option<Duration>) -> Fault {
        Fault::RateLimit { retry_after }
    }

    fn router(state: Arc<ApiState<Self>>) -> Router {
        router(state)
    }
}

/// Shared by every request: the common settings, the fault plan, the
/// record and the key (`mock_support::api::ApiState`).
type State = ApiState<MessagesApi>;

/// `POST /v1/messages`, and the API's 404 for the rest.
fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/messages/count_tokens", post(count_tokens))
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

async fn messages(
    Extract(state): Extract<Arc<State>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = state.recorder.arrive();
    let id = format!("req_mock_{n:06}");
    let parsed = serde_json::from_slice::<Request>(&body);
    let key = api_key(&headers);
    let authorized = match (&state.protocol.api_key, key) {
        (_, None) => false,
        (Some(want), Some(got)) => want == got,
        (None, Some(_)) => true,
    };
    state.recorder.record(n, || {
        recorder::record(&id, &uri, &headers, &body, parsed.as_ref().ok(), authorized)
    });
    let response = play(&state, n, &id, &headers, authorized, parsed, &body).await;
    let status = response.status().as_u16();
    state.recorder.update(n, |r| r.status = status);
    response
}

/// `POST /v1/messages/count_tokens`: checked as a message is (its own
/// fields: no `max_tokens`, no `stream`), counted as the scenarios' usage
/// counts the same messages.
async fn count_tokens(
    Extract(state): Extract<Arc<State>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = state.recorder.arrive();
    let id = format!("req_mock_{n:06}");
    let parsed = serde_json::from_slice::<CountRequest>(&body).map(CountRequest::into_request);
    let key = api_key(&headers);
    let authorized = match (&state.protocol.api_key, key) {
        (_, None) => false,
        (Some(want), Some(got)) => want == got,
        (None, Some(_)) => true,
    };
    state.recorder.record(n, || {
        recorder::record(&id, &uri, &headers, &body, parsed.as_ref().ok(), authorized)
    });
    let response = count(&state, &id, &headers, key, authorized, parsed);
    let status = response.status().as_u16();
    state.recorder.update(n, |r| r.status = status);
    response
}

fn count(
    state: &State,
    id: &str,
    headers: &HeaderMap,
    key: Option<&str>,
    authorized: bool,
    parsed: Result<Request, serde_json::Error>,
) -> Response {
    let bad = |message: &str| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            message,
            id,
        )
    };
    if key.is_none() || !authorized {
        return error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            if key.is_none() {
                "x-api-key header is required"
            } else {
                "invalid x-api-key"
            },
            id,
        );
    }
    if !headers.contains_key("anthropic-version") {
        return bad("anthropic-version: header is required");
    }
    let request = match parsed {
        Ok(r) => r,
        Err(e) => return bad(&e.to_string()),
    };
    if let Err(message) = check_request(&request) {
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
    let core = to_core(&request);
    if let Err(broken) = validate_conversation(&core) {
        return bad(&broken.to_string());
    }
    answer::count(agent_testkit::input_tokens(&core), id)
}

async fn play(
    state: &State,
    n: u64,
    id: &str,
    headers: &HeaderMap,
    authorized: bool,
    parsed: Result<Request, serde_json::Error>,
    raw: &[u8],
) -> Response {
    let key = api_key(headers);
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
        Some(fault) => return faults::answer(&fault, id),
    };
    let request = match parsed {
        Ok(r) => r,
        Err(e) => return bad(&e.to_string()),
    };
    if let Err(message) = check_request(&request) {
        return bad(&message);
    }
    // Only a body with cache controls is read again for the cache.
    let cached = raw
        .windows(15)
        .any(|w| w == b"\"cache_control\"")
        .then(|| serde_json::from_slice::<serde_json::Value>(raw).ok())
        .flatten();
    if let Some(body) = &cached
        && let Err(message) = super::cache::check(body)
    {
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
    let thinking = match super::thinking::read(&request)
        .and_then(|t| super::thinking::check(&request, t).map(|()| t))
    {
        Ok(t) => t,
        Err(message) => return bad(&message),
    };
    let mut core = to_core(&request);
    core.inference.thinking = thinking;
    if let Err(broken) = validate_conversation(&core) {
        return bad(&broken.to_string());
    }
    let scenario = match state.scenario_for(&core) {
        Ok(s) => s,
        Err(message) => return bad(&message),
    };
    let mut response = scenario.respond(&core);
    if thinking.is_some() {
        super::thinking::add_thinking(&mut response, &core);
    }
    if let Some(body) = &cached {
        let usage = state
            .protocol
            .prompt_cache
            .account(&super::cache::marks(body));
        response.usage.input_tokens = usage.input;
        response.usage.cache_read_input_tokens = usage.read;
        response.usage.cache_write_input_tokens = usage.write;
    }
    let message_id = format!("msg_mock_{n:06}");
    answer::message(
        &response,
        &message_id,
        &request.model,
        request.stream,
        cut,
        id,
    )
}
