//! Routing and the life of one request: authenticate, inject a fault,
//! check the model id and the body as the service does, play the scenario,
//! record, answer.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::post;
use mock_support::recorder::header_map;

use super::answer::{self, Ending, ServiceError};
use super::faults::Fault;
use super::recorder::{Outcome, RecordedRequest, redact_authorization};
use super::validate::{
    check_auth, check_base_model, check_count_request, check_model, check_request,
};

/// What only the Converse server is configured with.
#[derive(Debug)]
pub(crate) struct Converse {
    /// Refuse requests estimated above this many input tokens.
    pub max_input_tokens: Option<u64>,
    /// The prompt cache, shared by every request.
    pub cache: super::cache::PromptCache,
    /// Count every request's input tokens from its body.
    pub wire_token_counts: bool,
    /// Spread a streamed answer's blocks over the latency.
    pub pace_stream: bool,
}

/// Shared by every request: the common settings, the fault plan and the
/// record (`mock_support::Shared`), and [`Converse`].
pub(crate) type AppState = mock_support::Shared<Fault, RecordedRequest, Converse>;

/// The largest body accepted: far above any scripted conversation, and
/// above axum's 2 MB default, which FANOUT-1024 conversations approach.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/model/{model_id}/converse", post(operation::<false>))
        .route("/model/{model_id}/converse-stream", post(operation::<true>))
        .route("/model/{model_id}/count-tokens", post(count_tokens))
        .fallback(unknown_operation)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Converse (`STREAM = false`) or ConverseStream (`STREAM = true`).
async fn operation<const STREAM: bool>(
    State(state): State<Arc<AppState>>,
    Path(model_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&state, model_id, uri, headers, body, STREAM).await
}

/// CountTokens: the same checks as Converse, plus the service's refusal of
/// an inference profile (it counts for foundation models only); the count
/// is the one the scenario's usage reports for the same messages.
async fn count_tokens(
    State(state): State<Arc<AppState>>,
    Path(model_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seq = state.recorder.arrive();
    let request_id = format!("00000000-0000-4000-8000-{seq:012x}");
    let counted = check_auth(&headers)
        .and_then(|()| check_model(&model_id, state.lists_model(&model_id)))
        .and_then(|()| check_base_model(&model_id))
        .and_then(|()| check_count_request(&body))
        .map(|request| agent_testkit::input_tokens(&request));
    state.recorder.record(seq, || RecordedRequest {
        seq,
        model_id: model_id.clone(),
        path: uri.path().to_owned(),
        stream: false,
        headers: header_map(&headers, |name, v| {
            Some(if name == "authorization" {
                redact_authorization(&v)
            } else {
                v
            })
        }),
        body: serde_json::from_slice(&body).unwrap_or_default(),
        raw_body: body.to_vec(),
        request_id: request_id.clone(),
        outcome: match &counted {
            Ok(tokens) => Outcome::Counted {
                input_tokens: *tokens,
            },
            Err(e) => Outcome::Rejected {
                status: e.status,
                error_type: e.error_type.clone(),
                message: e.message.clone(),
            },
        },
    });
    match counted {
        Ok(tokens) => answer::count_tokens(tokens, &request_id),
        Err(e) => e.into_response(&request_id, None),
    }
}

async fn unknown_operation(uri: Uri) -> Response {
    ServiceError::new(
        404,
        "UnknownOperationException",
        format!("No operation at {}; the server serves POST /model/{{modelId}}/converse, /converse-stream and /count-tokens", uri.path()),
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
    if let Err(e) = check_model(model_id, state.lists_model(model_id)) {
        return Decision::Reject(e, None);
    }
    let request = match check_request(body) {
        Ok(r) => r,
        Err(e) => return Decision::Reject(e, None),
    };
    let scenario = match state.scenario_for(&request) {
        Ok(s) => s,
        Err(e) => return Decision::Reject(ServiceError::validation(e), None),
    };
    let mut response = scenario.respond(&request);
    response.latency = state.latency;
    if request.inference.thinking.is_some() {
        super::thinking::add_reasoning(&mut response, &request);
    }
    // A guardrail intervenes only where one is configured.
    if response.stop_reason == agent_core::StopReason::GuardrailIntervened
        && request.guardrail.is_none()
    {
        response.stop_reason = agent_core::StopReason::EndTurn;
    }
    response.model_fields = super::wire::model_fields(&request, &response, model_id);
    // Only a body with cache points is parsed again (unless every count
    // is asked for): the common case pays one substring search.
    let has_points = body.windows(12).any(|w| w == b"\"cachePoint\"");
    if let Some(cached) = (has_points || state.protocol.wire_token_counts)
        .then(|| serde_json::from_slice(body).ok())
        .flatten()
        .map(|body| super::cache::account(&state.protocol.cache, &body))
    {
        response.usage.input_tokens = cached.input;
        response.usage.cache_read_input_tokens = cached.read;
        response.usage.cache_write_input_tokens = cached.write;
    }
    // The window holds the whole input, cached or not.
    let input = response.usage.input_tokens
        + response.usage.cache_read_input_tokens
        + response.usage.cache_write_input_tokens;
    if let Some(max) = state.protocol.max_input_tokens
        && input > max
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
    let seq = state.recorder.arrive();
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
    state.recorder.record(seq, || RecordedRequest {
        seq,
        model_id,
        path: uri.path().to_owned(),
        stream,
        headers: header_map(&headers, |name, v| {
            Some(if name == "authorization" {
                redact_authorization(&v)
            } else {
                v
            })
        }),
        body: serde_json::from_slice(&body).unwrap_or_default(),
        raw_body: body.to_vec(),
        request_id: request_id.clone(),
        outcome,
    });
    match decision {
        Decision::Reject(e, fault) => {
            let hint = (fault == Some(Fault::Throttle))
                .then_some(state.retry_after)
                .flatten();
            e.into_response(&request_id, hint)
        }
        Decision::Answer {
            response, ending, ..
        } => {
            if stream {
                answer::converse_stream(
                    &response,
                    &request_id,
                    state.latency,
                    ending,
                    state.protocol.pace_stream,
                )
            } else {
                mock_support::latency::wait(state.latency).await;
                answer::converse(&response, &request_id, Duration::ZERO, ending)
            }
        }
    }
}
