//! OpenTelemetry GenAI spans and metrics, emitted through `tracing`.
//!
//! The library stays exporter-agnostic: it only creates `tracing` spans and
//! events named and attributed as the OpenTelemetry GenAI semantic
//! conventions say, and a host turns them into OTLP (the `agent` CLI does,
//! with `tracing-opentelemetry`; see docs/OBSERVABILITY.md).
//!
//! # Contract
//!
//! - One `invoke_agent` span per run ([`crate::Agent::send`],
//!   [`crate::Agent::resume`]); under it, one `chat {model}` span per model
//!   turn, covering all its attempts (a failed attempt is a `gen_ai.attempt.failed`
//!   event on it, with `error.type` and the delay before the next one), and
//!   one `execute_tool {name}` span per tool call. Tool spans are children
//!   of the agent span even when eager start began them while the model was
//!   still streaming, and they overlap as the calls do: each is the span of
//!   its call's task, current while the tool's future runs (a sub-agent run
//!   inside a tool nests under it).
//! - Every span and event has the target [`TARGET`] (metrics:
//!   [`METRICS_TARGET`]) at level `INFO`, so a host selects them with one
//!   filter directive.
//! - Message and tool content (`gen_ai.input.messages`,
//!   `gen_ai.output.messages`, `gen_ai.system_instructions`,
//!   `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`) is recorded
//!   only when content capture is on ([`crate::AgentBuilder::capture_content`]).
//! - With no subscriber (or one that filters these out) a span costs one
//!   cached callsite check: attribute values are computed only for enabled
//!   spans, and content is serialised only when captured and enabled.

use std::borrow::Cow;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};
use tracing::Span;
use tracing::field::{Empty, display};

use crate::retry::Stopped;
use crate::{
    AgentErrorKind, CallOutcome, ContentBlock, Message, ModelBackend, ModelError, ModelRequest,
    ModelResponse, RunMetrics, StopReason, ToolResultContent, ToolUse, Usage,
};

/// The target of every span and span event this module emits.
pub const TARGET: &str = "gen_ai";

/// The target of the metric events (`tracing-opentelemetry`'s
/// `MetricsLayer` convention: a `histogram.NAME` field is one measurement,
/// the other fields its attributes).
pub const METRICS_TARGET: &str = "gen_ai.metrics";

/// The span of one run: `invoke_agent`.
pub(crate) fn agent_span(backend: &dyn ModelBackend) -> Span {
    tracing::info_span!(
        target: TARGET,
        "invoke_agent",
        otel.name = "invoke_agent",
        otel.kind = "internal",
        otel.status_code = Empty,
        gen_ai.operation.name = "invoke_agent",
        gen_ai.provider.name = backend.provider_name(),
        gen_ai.request.model = backend.request_model(),
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
        gen_ai.response.finish_reasons = Empty,
        error.type = Empty,
    )
}

/// Records how a run ended on its span: the run's token totals, and the
/// last stop reason or the error's type.
pub(crate) fn run_finished(
    span: &Span,
    metrics: &RunMetrics,
    stop_reason: Option<&StopReason>,
    error: Option<&AgentErrorKind>,
) {
    if span.is_disabled() {
        return;
    }
    record_usage(span, metrics.usage);
    if let Some(reason) = stop_reason {
        span.record(
            "gen_ai.response.finish_reasons",
            display(stop_label(reason)),
        );
    }
    if let Some(error) = error {
        let kind: Cow<'_, str> = match error {
            AgentErrorKind::MaxIterations { .. } => "max_iterations".into(),
            AgentErrorKind::Model(e) => serde_label(&e.kind),
            AgentErrorKind::Cancelled => "cancelled".into(),
            AgentErrorKind::Hook(_) => "hook".into(),
            AgentErrorKind::ApprovalNeeded(_) => "approval_needed".into(),
            AgentErrorKind::GuardrailIntervened { .. } => "guardrail_intervened".into(),
            AgentErrorKind::InvalidOutput { .. } => "invalid_output".into(),
            AgentErrorKind::MissingTools { .. } => "missing_tools".into(),
        };
        span.record("error.type", display(kind));
        span.record("otel.status_code", "ERROR");
    }
}

/// The span of one model turn, all its attempts: `chat {model}`. With
/// `capture`, the request's messages and system prompt are on it.
pub(crate) fn chat_span(
    backend: &dyn ModelBackend,
    request: &ModelRequest,
    iteration: u32,
    capture: bool,
) -> Span {
    let model = backend.request_model();
    let span = tracing::info_span!(
        target: TARGET,
        "chat",
        otel.name = %format_args!("chat {}", model.unwrap_or("unknown")),
        otel.kind = "client",
        otel.status_code = Empty,
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = backend.provider_name(),
        gen_ai.request.model = model,
        gen_ai.request.max_tokens = request.inference.max_tokens,
        gen_ai.request.temperature = request.inference.temperature.map(f64::from),
        gen_ai.request.top_p = request.inference.top_p.map(f64::from),
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
        // The hook for prompt caching: recorded once `Usage` has cache
        // figures (see `record_usage`).
        gen_ai.usage.cache_read.input_tokens = Empty,
        gen_ai.usage.cache_creation.input_tokens = Empty,
        gen_ai.response.finish_reasons = Empty,
        gen_ai.conversation.turn = iteration,
        gen_ai.request.attempts = Empty,
        error.type = Empty,
        gen_ai.system_instructions = Empty,
        gen_ai.input.messages = Empty,
        gen_ai.output.messages = Empty,
    );
    if capture && !span.is_disabled() {
        if let Some(system) = &request.system {
            let parts = json!([{ "type": "text", "content": system }]);
            span.record("gen_ai.system_instructions", display(parts));
        }
        let messages: Vec<Value> = request.messages.iter().map(message_json).collect();
        span.record("gen_ai.input.messages", display(Value::Array(messages)));
    }
    span
}

/// A failed attempt of a model turn, as an event on its `chat` span.
pub(crate) fn chat_attempt_failed(attempt: u32, error: &ModelError, retry_in: Option<Duration>) {
    tracing::event!(
        target: TARGET,
        tracing::Level::INFO,
        gen_ai.request.attempt = attempt,
        error.type = %serde_label(&error.kind),
        error.message = %error,
        retry_in_ms = retry_in.map(|d| d.as_millis() as u64),
        "gen_ai.attempt.failed"
    );
}

/// Records a model turn's end on its span, and its metrics: token usage
/// and operation duration (`elapsed`, every attempt and backoff included).
pub(crate) fn chat_finished(
    span: &Span,
    backend: &dyn ModelBackend,
    result: Result<&ModelResponse, &Stopped<ModelError>>,
    attempts: u32,
    elapsed: Duration,
    capture: bool,
) {
    let error: Option<Cow<'_, str>> = match result {
        Ok(_) => None,
        Err(Stopped::Failed(e)) => Some(serde_label(&e.kind)),
        Err(Stopped::Cancelled) => Some("cancelled".into()),
    };
    tracing::event!(
        target: METRICS_TARGET,
        parent: None,
        tracing::Level::INFO,
        histogram.gen_ai.client.operation.duration = elapsed.as_secs_f64(),
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = backend.provider_name(),
        gen_ai.request.model = backend.request_model(),
        error.type = error.as_deref(),
    );
    if let Ok(response) = result {
        let usage = response.usage;
        for (kind, tokens) in [
            ("input", usage.total_input_tokens()),
            ("output", usage.output_tokens),
        ] {
            tracing::event!(
                target: METRICS_TARGET,
                parent: None,
                tracing::Level::INFO,
                histogram.gen_ai.client.token.usage = tokens,
                gen_ai.token.type = kind,
                gen_ai.operation.name = "chat",
                gen_ai.provider.name = backend.provider_name(),
                gen_ai.request.model = backend.request_model(),
            );
        }
    }
    if span.is_disabled() {
        return;
    }
    span.record("gen_ai.request.attempts", attempts);
    match result {
        Ok(response) => {
            record_usage(span, response.usage);
            span.record(
                "gen_ai.response.finish_reasons",
                display(stop_label(&response.stop_reason)),
            );
            if capture {
                let output = json!([message_json(&response.message)]);
                span.record("gen_ai.output.messages", display(output));
            }
        }
        Err(_) => {
            span.record("error.type", display(error.unwrap_or_default()));
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// The span of one tool call: `execute_tool {name}`, under `parent`. With
/// `capture`, the call's input is on it.
pub(crate) fn tool_span(parent: &Span, call: &ToolUse, capture: bool) -> Span {
    let span = tracing::info_span!(
        target: TARGET,
        parent: parent,
        "execute_tool",
        otel.name = %format_args!("execute_tool {}", call.name),
        otel.kind = "internal",
        otel.status_code = Empty,
        gen_ai.operation.name = "execute_tool",
        gen_ai.tool.name = %call.name,
        gen_ai.tool.call.id = %call.id,
        gen_ai.tool.type = "function",
        gen_ai.tool.attempts = Empty,
        gen_ai.tool.cached = Empty,
        error.type = Empty,
        gen_ai.tool.call.arguments = Empty,
        gen_ai.tool.call.result = Empty,
    );
    if capture && !span.is_disabled() {
        span.record("gen_ai.tool.call.arguments", display(&call.input));
    }
    span
}

/// Records how a tool call ended on its span.
pub(crate) fn tool_finished(span: &Span, outcome: &CallOutcome, capture: bool) {
    if span.is_disabled() {
        return;
    }
    span.record("gen_ai.tool.attempts", outcome.attempts);
    if outcome.cached {
        span.record("gen_ai.tool.cached", true);
    }
    if let Some(failure) = outcome.failure {
        span.record("error.type", display(serde_label(&failure)));
        span.record("otel.status_code", "ERROR");
    }
    if capture {
        let result: Vec<Value> = outcome.result.content.iter().map(result_json).collect();
        span.record("gen_ai.tool.call.result", display(Value::Array(result)));
    }
}

/// The conventions count every prompt token in `input_tokens`, cached or
/// not; the cache's share is in the two cache attributes.
fn record_usage(span: &Span, usage: Usage) {
    span.record("gen_ai.usage.input_tokens", usage.total_input_tokens());
    span.record("gen_ai.usage.output_tokens", usage.output_tokens);
    if usage.cache_read_input_tokens > 0 || usage.cache_write_input_tokens > 0 {
        span.record(
            "gen_ai.usage.cache_read.input_tokens",
            usage.cache_read_input_tokens,
        );
        span.record(
            "gen_ai.usage.cache_creation.input_tokens",
            usage.cache_write_input_tokens,
        );
    }
}

/// A message in the conventions' shape: `{role, parts: [{type, ...}]}`.
fn message_json(message: &Message) -> Value {
    let parts: Vec<Value> = message
        .content
        .iter()
        .map(|block| match block {
            ContentBlock::Text { text } => json!({ "type": "text", "content": text }),
            ContentBlock::ToolUse(u) => json!({
                "type": "tool_call", "id": u.id, "name": u.name, "arguments": u.input,
            }),
            ContentBlock::ToolResult(r) => json!({
                "type": "tool_call_response",
                "id": r.tool_use_id,
                "response": r.content.iter().map(result_json).collect::<Vec<_>>(),
            }),
            #[allow(unreachable_patterns)]
            other => serde_json::to_value(other).unwrap_or(Value::Null),
        })
        .collect();
    json!({ "role": serde_label(&message.role), "parts": parts })
}

fn result_json(content: &ToolResultContent) -> Value {
    match content {
        ToolResultContent::Text(t) => Value::String(t.clone()),
        ToolResultContent::Json(v) => v.clone(),
        #[allow(unreachable_patterns)]
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    }
}

/// A stop reason as the provider named it (Bedrock's spelling for ours).
fn stop_label(reason: &StopReason) -> Cow<'_, str> {
    match reason {
        StopReason::Unknown(raw) => Cow::Borrowed(raw),
        other => serde_label(other),
    }
}

/// A unit enum's serde name (`snake_case`), for `error.type` and the like.
fn serde_label<T: Serialize>(value: &T) -> Cow<'static, str> {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => Cow::Owned(s),
        _ => Cow::Borrowed("other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ModelErrorKind, Role, ToolResult};

    #[test]
    fn labels_are_the_serde_names() {
        assert_eq!(serde_label(&ModelErrorKind::Throttled), "throttled");
        assert_eq!(serde_label(&crate::CallFailure::TimedOut), "timed_out");
        assert_eq!(stop_label(&StopReason::ToolUse), "tool_use");
        assert_eq!(stop_label(&StopReason::Unknown("odd".into())), "odd");
    }

    #[test]
    fn messages_take_the_conventions_shape() {
        let call = ToolUse {
            id: "t1".into(),
            name: "now".into(),
            input: json!({"tz": "UTC"}),
        };
        let asked = Message {
            role: Role::Assistant,
            content: vec![
                ContentBlock::Text { text: "hm".into() },
                ContentBlock::ToolUse(call),
            ],
        };
        assert_eq!(
            message_json(&asked),
            json!({"role": "assistant", "parts": [
                {"type": "text", "content": "hm"},
                {"type": "tool_call", "id": "t1", "name": "now", "arguments": {"tz": "UTC"}},
            ]})
        );
        let answered = Message {
            role: Role::User,
            content: vec![ContentBlock::ToolResult(ToolResult::error("t1", "no"))],
        };
        assert_eq!(
            message_json(&answered),
            json!({"role": "user", "parts": [
                {"type": "tool_call_response", "id": "t1", "response": ["no"]},
            ]})
        );
    }
}
