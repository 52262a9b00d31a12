//! Routing and the life of one request: record it, authenticate, inject a
//! fault, check it as OpenAI does, play the scenario, answer.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_testkit::validate_conversation;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mock_support::api::{ApiProtocol, ApiState};
use serde_json::{Value, json};

use super::answer::{self, error};
use super::faults::{self, Fault};
use super::recorder;
use super::validate::{bearer, check_auth, check_request};
use super::wire::{Request, to_core};

/// Chat Completions, as the local server speaks it: its [`Fault`]s and its
/// routes (below); the rest of the server is `mock_support::api`'s.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatCompletions;

impl ApiProtocol for ChatCompletions {
    type Fault = Fault;
    const NAME: &'static str = "Chat Completions";
    const BASE_PATH: &'static str = "/v1";

    fn throttle(retry_after: Option<Duration>) -> Fault {
        Fault::RateLimit { retry_after }
    }

    fn router(state: Arc<ApiState<Self>>) -> Router {
        router(state)
    }
}

/// Shared by every request: the common settings, the fault plan, the
/// record and the key (`mock_support::api::ApiState`).
type State = ApiState<ChatCompletions>;

/// `POST /v1/chat/completions`, `GET /v1/models`, and OpenAI's 404 for the
/// rest.
fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/v1/models", get(models))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        None,
        &format!("Invalid URL ({method} {})", uri.path()),
        None,
        "req_mock_none",
    )
}

async fn models(Extract(state): Extract<Arc<State>>) -> Response {
    let ids: Vec<String> = state
        .models
        .clone()
        .unwrap_or_else(|| vec!["mock-model".into()]);
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "mock"}))
        .collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn completions(
    Extract(state): Extract<Arc<State>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = state.recorder.arrive();
    let id = format!("req_mock_{n:06}");
    let parsed = serde_json::from_slice::<Request>(&body);
    let key = bearer(&headers);
    let auth = check_auth(state.protocol.api_key.as_deref(), key);
    state.recorder.record(n, || {
        recorder::record(
            &id,
            &uri,
            &headers,
            &body,
            parsed.as_ref().ok(),
            auth.is_ok(),
        )
    });
    let response = match auth {
        Err(message) => {
            let code = key.map(|_| "invalid_api_key");
            error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                code,
                message,
                None,
                &id,
            )
        }
        Ok(()) => play(&state, n, &id, parsed).await,
    };
    let status = response.status().as_u16();
    state.recorder.update(n, |r| r.status = status);
    response
}

async fn play(
    state: &State,
    n: u64,
    id: &str,
    parsed: Result<Request, serde_json::Error>,
) -> Response {
    let bad = |message: &str, param: Option<&str>| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            message,
            param,
            id,
        )
    };
    mock_support::latency::wait(state.latency).await;
    let cut = match state.faults.pick(n) {
        None => false,
        Some(Fault::CutStream) => true,
        Some(fault) => return faults::answer(&fault, id),
    };
    let request = match parsed {
        Ok(r) => r,
        Err(e) => {
            return bad(
                &format!("We could not parse the JSON body of your request. ({e})"),
                None,
            );
        }
    };
    if let Err(refusal) = check_request(&request) {
        return bad(&refusal.message, refusal.param.as_deref());
    }
    if state.lists_model(&request.model) == Some(false) {
        return error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("model_not_found"),
            &format!(
                "The model `{}` does not exist or you do not have access to it.",
                request.model
            ),
            None,
            id,
        );
    }
    let core = to_core(&request);
    if let Err(broken) = validate_conversation(&core) {
        return bad(&broken.to_string(), Some("messages"));
    }
    let scenario = match state.scenario_for(&core) {
        Ok(s) => s,
        Err(message) => return bad(&message, Some("messages")),
    };
    let response = scenario.respond(&core);
    let stream = request.stream.then(|| {
        request
            .stream_options
            .is_some_and(|o| o.include_usage == Some(true))
    });
    answer::completion(
        &response,
        &format!("chatcmpl-mock-{n:06}"),
        &request.model,
        now(),
        stream,
        cut,
        id,
    )
}
