//! Routing and the life of one request: authenticate, inject a fault,
//! check the model id and the body as the service does, play the scenario,
//! record, answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use agent_core::Scenario;
use agent_core::scripted::{first_prompt, select};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::post;

use super::answer::{self, Ending, ServiceError};
use super::faults::{Fault, FaultPlan};
use super::recorder::{Outcome, RecordedRequest, Recorder, redact_authorization};
use super::validate::{ModelPolicy, check_auth, check_model, check_request};

/// What the server plays and how.
#[derive(Debug)]
pub(crate) struct Settings {
    pub latency: Duration,
    pub scenarios: Vec<Scenario>,
    pub retry_after: Option<Duration>,
    pub models: ModelPolicy,
    pub max_input_tokens: Option<u64>,
    /// Whether requests are recorded (off for long benchmark runs).
    pub record: bool,
}

/// Shared by every request.
#[derive(Debug)]
pub(crate) struct AppState {
    pub settings: Settings,
    pub faults: FaultPlan,
    pub recorder: Recorder,
    pub seq: AtomicU64,
}

/// The largest body accepted: far above any scripted conversation, and
/// above axum's 2 MB default, which FANOUT-1024 conversations approach.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/model/{model_id}/converse", post(converse))
        .route("/model/{model_id}/converse-stream", post(converse_stream))
        .fallback(unknown_operation)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

async fn converse(
    State(state): State<Arc<AppState>>,
    Path(model_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&state, model_id, uri, headers, body, false).await
}

async fn converse_stream(
    State(state): State<Arc<AppState>>,
    Path(model_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&state, model_id, uri, headers, body, true).await
}

async fn unknown_operation(uri: Uri) -> Response {
    ServiceError::new(
        404,
        "UnknownOperationException",
        format!("No operation at {}; the server serves POST /model/{{modelId}}/converse and /converse-stream", uri.path()),
    )
    .into_response("00000000-0000-4000-8000-000000000000", None)
}

/// What to send back, decided before any waiting.
enum Decision {
    Reject(ServiceError, Option<Fault>),
    Answer {
        response: agent_core::ModelResponse,
        scenario: String,
        ending: Ending,
        fault: Option<Fault>,
    },
}

fn decide(
    state: &AppState,
    seq: u64,
    model_id: &str,
    headers: &HeaderMap,
    body: &[u8],
    stream: bool,
) -> Decision {
    if let Err(e) = check_auth(headers) {
        return Decision::Reject(e, None);
    }
    let fault = state.faults.pick(seq);
    if let Some((status, error_type, message)) = fault.and_then(|f| f.http(stream)) {
        return Decision::Reject(ServiceError::new(status, error_type, message), fault);
    }
    if let Err(e) = check_model(model_id, &state.settings.models) {
        return Decision::Reject(e, None);
    }
    let request = match check_request(body) {
        Ok(r) => r,
        Err(e) => return Decision::Reject(e, None),
    };
    let Some(scenario) = select(&state.settings.scenarios, &request) else {
        return Decision::Reject(
            ServiceError::validation(format!(
                "The mock server has no scenario for the prompt {:?}; add one with a scenario file.",
                first_prompt(&request)
            )),
            None,
        );
    };
    let mut response = scenario.respond(&request);
    response.latency = state.settings.latency;
    if let Some(max) = state.settings.max_input_tokens
        && response.usage.input_tokens > max
    {
        return Decision::Reject(
            ServiceError::validation("Input is too long for requested model."),
            None,
        );
    }
    let ending = match fault {
        Some(Fault::StreamCut) => Ending::Cut,
        Some(Fault::StreamError) => Ending::StreamError,
        _ => Ending::Whole,
    };
    Decision::Answer {
        response,
        scenario: scenario.name.clone(),
        ending,
        fault,
    }
}

async fn serve(
    state: &AppState,
    model_id: String,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    stream: bool,
) -> Response {
    let seq = state.seq.fetch_add(1, Ordering::SeqCst) + 1;
    let request_id = format!("00000000-0000-4000-8000-{seq:012x}");
    let decision = decide(state, seq, &model_id, &headers, &body, stream);
    let outcome = match &decision {
        Decision::Reject(_, Some(fault))
        | Decision::Answer {
            fault: Some(fault), ..
        } => Outcome::Fault(*fault),
        Decision::Reject(e, None) => Outcome::Rejected {
            status: e.status,
            error_type: e.error_type.clone(),
            message: e.message.clone(),
        },
        Decision::Answer { scenario, .. } => Outcome::Answered {
            scenario: scenario.clone(),
        },
    };
    if state.settings.record {
        state.recorder.push(RecordedRequest {
            seq,
            model_id,
            path: uri.path().to_owned(),
            stream,
            headers: headers
                .iter()
                .map(|(k, v)| {
                    let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    let v = if k == "authorization" {
                        redact_authorization(&v)
                    } else {
                        v
                    };
                    (k.as_str().to_owned(), v)
                })
                .collect(),
            body: serde_json::from_slice(&body).unwrap_or_default(),
            raw_body: body.to_vec(),
            request_id: request_id.clone(),
            outcome,
        });
    }
    match decision {
        Decision::Reject(e, fault) => {
            let hint = (fault == Some(Fault::Throttle))
                .then_some(state.settings.retry_after)
                .flatten();
            e.into_response(&request_id, hint)
        }
        Decision::Answer {
            response, ending, ..
        } => {
            let latency = state.settings.latency;
            if stream {
                answer::converse_stream(&response, &request_id, latency, ending)
            } else {
                if !latency.is_zero() {
                    tokio::time::sleep(latency).await;
                }
                answer::converse(&response, &request_id, Duration::ZERO, ending)
            }
        }
    }
}
