//! The server's routes: `POST /v1/chat/completions`, `GET /v1/models`, and
//! OpenAI's 404 for the rest.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use agent_testkit::validate_conversation;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mock_support::recorder::header_map;
use mock_support::response::{self, set_header};
use serde_json::{Value, json};

use mock_support::api::ApiState;

use super::{ChatCompletions, Fault, RecordedRequest, check, respond};
use crate::convert::request_from_wire;
use crate::wire::ChatRequest;

const HEADERS_OF_INTEREST: [&str; 5] = [
    "content-type",
    "accept",
    "user-agent",
    "openai-organization",
    "openai-project",
];

/// Shared by every request: the common settings, the fault plan, the
/// record and the key (`mock_support::api::ApiState`).
pub(crate) type State = ApiState<ChatCompletions>;

pub(crate) fn router(state: Arc<State>) -> Router {
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

fn error(
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

fn with_id(mut response: Response, id: &str) -> Response {
    set_header(&mut response, "x-request-id", id);
    response
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
    let parsed = serde_json::from_slice::<ChatRequest>(&body);
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let auth = match (&state.protocol.api_key, bearer) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        ),
        (Some(want), Some(got)) if want == got => Ok(()),
        (Some(_), Some(_)) => Err("Incorrect API key provided."),
    };
    state.recorder.record(n, || RecordedRequest {
        id: id.clone(),
        method: "POST".into(),
        path: uri.path().to_owned(),
        headers: header_map(&headers, |name, v| {
            HEADERS_OF_INTEREST.contains(&name).then_some(v)
        }),
        authorized: auth.is_ok(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        stream: parsed.as_ref().is_ok_and(|r| r.stream),
        request: parsed.as_ref().ok().map(request_from_wire),
        status: 0,
    });
    let response = match auth {
        Err(message) => {
            let code = bearer.map(|_| "invalid_api_key");
            error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                code,
                message,
                None,
                &id,
            )
        }
        Ok(()) => answer(&state, n, &id, parsed).await,
    };
    let status = response.status().as_u16();
    state.recorder.update(n, |r| r.status = status);
    response
}

async fn answer(
    state: &State,
    n: u64,
    id: &str,
    parsed: Result<ChatRequest, serde_json::Error>,
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
        Some(fault) => return fault_response(&fault, id),
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
    if let Err(refusal) = check::check(&request) {
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
    let core = request_from_wire(&request);
    if let Err(broken) = validate_conversation(&core) {
        return bad(&broken.to_string(), Some("messages"));
    }
    let scenario = match state.scenario_for(&core) {
        Ok(s) => s,
        Err(message) => return bad(&message, Some("messages")),
    };
    let response = scenario.respond(&core);
    let completion_id = format!("chatcmpl-mock-{n:06}");
    let created = now();
    let out = if request.stream {
        let include_usage = request.stream_options.is_some_and(|o| o.include_usage);
        let events = respond::chunks(
            &response,
            &completion_id,
            &request.model,
            created,
            include_usage,
        )
        .into_iter()
        .map(|data| Event::default().data(data))
        .collect();
        response::sse(events, cut)
    } else {
        let body = respond::body(&response, &completion_id, &request.model, created);
        response::json(serde_json::to_vec(&body).unwrap_or_default(), cut)
    };
    with_id(out, id)
}

fn fault_response(fault: &Fault, id: &str) -> Response {
    match fault {
        Fault::RateLimit { retry_after } => {
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "requests",
                Some("rate_limit_exceeded"),
                "Rate limit reached for requests (injected). Please try again later.",
                None,
                id,
            );
            if let Some(after) = retry_after {
                let secs = after.as_secs_f64().ceil() as u64;
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
                r.headers_mut().insert(
                    "retry-after-ms",
                    HeaderValue::from(after.as_millis() as u64),
                );
            }
            r
        }
        Fault::Overloaded => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            None,
            "The engine is currently overloaded, please try again later (injected).",
            None,
            id,
        ),
        Fault::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
            "The server had an error while processing your request (injected).",
            None,
            id,
        ),
        Fault::Error {
            status,
            code,
            message,
        } => error(
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "invalid_request_error",
            code.as_deref(),
            message,
            None,
            id,
        ),
        // Handled by the caller, which knows the answer to cut.
        Fault::CutStream => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
            "cut",
            None,
            id,
        ),
    }
}
