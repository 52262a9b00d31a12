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
    let parsed = serde_json::from_slice::<Request>(&body);
    let arrival = Arrival::record(&state, &uri, &headers, &body, parsed.as_ref().ok());
    let (n, id, authorized) = (arrival.n, &arrival.id, arrival.authorized);
    let response = play(&state, n, id, &headers, authorized, parsed, &body).await;
    arrival.answered(&state, response)
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
    let parsed = serde_json::from_slice::<CountRequest>(&body).map(CountRequest::into_request);
    let arrival = Arrival::record(&state, &uri, &headers, &body, parsed.as_ref().ok());
    let response = count(&state, &arrival.id, &headers, arrival.authorized, parsed);
    arrival.answered(&state, response)
}

/// A request as it arrives: its number, its id, whether its key is
/// accepted; recorded at once, its status once answered.
struct Arrival {
    n: u64,
    id: String,
    authorized: bool,
}

impl Arrival {
    /// Numbers the request and records it (`parsed`: its body, if it was
    /// a request of the API).
    fn record(
        state: &State,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        parsed: Option<&Request>,
    ) -> Self {
        let n = state.recorder.arrive();
        let id = format!("req_mock_{n:06}");
        let authorized = match (&state.protocol.api_key, api_key(headers)) {
            (_, None) => false,
            (Some(want), Some(got)) => want == got,
            (None, Some(_)) => true,
        };
        state.recorder.record(n, || {
            recorder::record(&id, uri, headers, body, parsed, authorized)
        });
        Self { n, id, authorized }
    }

    /// Records the status of `response`, and returns it.
    fn answered(&self, state: &State, response: Response) -> Response {
        let status = response.status().as_u16();
        state.recorder.update(self.n, |r| r.status = status);
        response
    }
}

/// A 400 `invalid_request_error` saying `message`.
fn bad(message: &str, id: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        message,
        id,
    )
}

/// The refusal of a request without a key, with a key not accepted, or
/// without `anthropic-version`, if it is one.
fn refuse_headers(headers: &HeaderMap, authorized: bool, id: &str) -> Option<Response> {
    let unauthorized = |message: &str| {
        error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            message,
            id,
        )
    };
    if api_key(headers).is_none() {
        return Some(unauthorized("x-api-key header is required"));
    }
    if !authorized {
        return Some(unauthorized("invalid x-api-key"));
    }
    if !headers.contains_key("anthropic-version") {
        return Some(bad("anthropic-version: header is required", id));
    }
    None
}

/// The body as a request the API accepts, or the API's words refusing it.
fn accept(parsed: Result<Request, serde_json::Error>) -> Result<Request, String> {
    let request = parsed.map_err(|e| e.to_string())?;
    check_request(&request)?;
    Ok(request)
}

/// The 404 for a model the server does not list.
fn unknown_model(model: &str, id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found_error",
        &format!("model: {model}"),
        id,
    )
}

fn count(
    state: &State,
    id: &str,
    headers: &HeaderMap,
    authorized: bool,
    parsed: Result<Request, serde_json::Error>,
) -> Response {
    if let Some(refusal) = refuse_headers(headers, authorized, id) {
        return refusal;
    }
    let request = match accept(parsed) {
        Ok(r) => r,
        Err(message) => return bad(&message, id),
    };
    if state.lists_model(&request.model) == Some(false) {
        return unknown_model(&request.model, id);
    }
    let core = to_core(&request);
    if let Err(broken) = validate_conversation(&core) {
        return bad(&broken.to_string(), id);
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
    if let Some(refusal) = refuse_headers(headers, authorized, id) {
        return refusal;
    }
    mock_support::latency::wait(state.latency).await;
    let cut = match state.faults.pick(n) {
        None => false,
        Some(Fault::CutStream) => true,
        Some(fault) => return faults::answer(&fault, id),
    };
    let request = match accept(parsed) {
        Ok(r) => r,
        Err(message) => return bad(&message, id),
    };
    // Only a body with cache controls is read again for the cache.
    let cached = raw
        .windows(15)
        .any(|w| w == b"\"cache_control\"")
        .then(|| serde_json::from_slice::<serde_json::Value>(raw).ok())
        .flatten();
    if let Some(body) = &cached
        && let Err(message) = super::cache::check(body)
    {
        return bad(&message, id);
    }
    if state.lists_model(&request.model) == Some(false) {
        return unknown_model(&request.model, id);
    }
    let thinking = match super::thinking::read(&request)
        .and_then(|t| super::thinking::check(&request, t).map(|()| t))
    {
        Ok(t) => t,
        Err(message) => return bad(&message, id),
    };
    let mut core = to_core(&request);
    core.inference.thinking = thinking;
    if let Err(broken) = validate_conversation(&core) {
        return bad(&broken.to_string(), id);
    }
    let scenario = match state.scenario_for(&core) {
        Ok(s) => s,
        Err(message) => return bad(&message, id),
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
