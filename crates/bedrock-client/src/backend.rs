//! [`BedrockBackend`]: `agent_core::ModelBackend` over the Converse and
//! ConverseStream APIs of Amazon Bedrock.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_core::{
    ContentBlock, Message, ModelBackend, ModelError, ModelErrorKind, ModelEvent, ModelRequest,
    ModelResponse, StopReason, Usage,
};
use async_trait::async_trait;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{ConverseOutput as OutputUnion, ConverseStreamOutput};
use futures::stream::{self, BoxStream, StreamExt};
use serde_json::Value;

use crate::answer_check::{check_message, malformed};
use crate::exact_json::ExactJson;
use crate::stream::StreamDecoder;
use crate::types::messages::is_context_overflow;
use crate::types::thinking::additional_fields;
use crate::types::{ConverseParts, SdkFailure, SdkMessage, SdkStopReason, SdkUsage};
use crate::{BedrockBackendBuilder, BedrockError};

/// The model id used when none is set: Claude Sonnet 4 through the US
/// cross-region inference profile, as in the reference work.
pub const DEFAULT_MODEL_ID: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";

/// Claude (or any Converse model) on Amazon Bedrock.
///
/// Built with [`BedrockBackend::builder`]; cheap to clone and shared by
/// concurrent runs. It never retries: the SDK's retry layer is off, and the
/// agent retries retryable [`ModelError`]s with its own policy, so attempts
/// are counted once (see `docs/BEDROCK.md`).
///
/// ```no_run
/// use agent_core::{InferenceConfig, Message, ModelBackend, ModelRequest};
/// use bedrock_client::BedrockBackend;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let backend = BedrockBackend::builder().region("us-east-1").build().await?;
/// let response = backend
///     .converse(&ModelRequest {
///         system: None,
///         messages: vec![Message::user("Hello")],
///         tools: vec![],
///         inference: InferenceConfig::default(),
///         ..Default::default()
///     })
///     .await?;
/// println!("{}", response.message.text());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BedrockBackend {
    client: Client,
    model_id: String,
    /// The profile the builder was given, named in credentials errors.
    profile: Option<String>,
    /// How long a stream may go without an event.
    stream_idle_timeout: Duration,
    /// The endpoint override, named when nothing answers there.
    endpoint_url: Option<String>,
}

type Receiver = EventReceiver<ConverseStreamOutput, ConverseStreamOutputError>;

impl BedrockBackend {
    /// A builder reading the standard AWS configuration chain.
    pub fn builder() -> BedrockBackendBuilder {
        BedrockBackendBuilder::default()
    }

    /// The backend for the common case, in one call: region and credentials
    /// from the standard AWS chain (environment, `~/.aws/config` profile,
    /// SSO, instance role), the default model
    /// ([`crate::DEFAULT_MODEL_ID`]). The same as
    /// `BedrockBackend::builder().build().await`; use the builder to choose
    /// a model, region or profile.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), bedrock_client::BedrockError> {
    /// let backend = bedrock_client::BedrockBackend::from_env().await?;
    /// # Ok(()) }
    /// ```
    pub async fn from_env() -> Result<Self, BedrockError> {
        Self::builder().build().await
    }

    pub(crate) fn from_parts(
        client: Client,
        model_id: String,
        profile: Option<String>,
        stream_idle_timeout: Duration,
        endpoint_url: Option<String>,
    ) -> Self {
        Self {
            client,
            model_id,
            profile,
            stream_idle_timeout,
            endpoint_url,
        }
    }

    /// `error`, with the profile named when credentials could not be had:
    /// the chain's help says where a profile comes from by default, which is
    /// not where this one came from.
    ///
    /// A server that refuses connections is named by its URL (the endpoint
    /// override, or the region's endpoint).
    fn naming_profile(&self, mut error: ModelError) -> ModelError {
        if let (ModelErrorKind::Credentials, Some(profile)) = (&error.kind, &self.profile) {
            error.message = error.message.replacen(
                crate::types::errors::DEFAULT_PROFILE_TEXT,
                &format!("profile `{profile}` as configured"),
                1,
            );
        }
        if error.kind == ModelErrorKind::Unreachable {
            let endpoint = match (&self.endpoint_url, self.client.config().region()) {
                (Some(url), _) => url.clone(),
                (None, Some(region)) => format!("the Bedrock endpoint of {region}"),
                (None, None) => return error,
            };
            error.message =
                error
                    .message
                    .replacen(crate::types::errors::UNREACHED_ENDPOINT, &endpoint, 1);
        }
        error
    }

    /// The model or inference-profile id every request goes to.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The SDK client (retries off), for calls this backend does not make.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// What both operations send for `request`, after the service's rules
    /// on request options are checked (a request that breaks one is never
    /// sent): the converted parts, their additional model request fields
    /// (extended thinking's, then the caller's pass-through fields, which
    /// win a clash), and the interceptor that keeps the JSON exact.
    fn prepare(&self, request: &ModelRequest) -> Result<(ConverseParts, ExactJson), ModelError> {
        agent_core::check_request(request)?;
        let mut parts = ConverseParts::try_from(request)?;
        let runtime = match additional_fields(&request.inference, &self.model_id) {
            Some(Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        };
        let fields = request.merged_model_fields(runtime);
        parts.additional_fields = (!fields.is_empty()).then_some(Value::Object(fields));
        let mut exact = ExactJson::for_request(request);
        if let Some(fields) = &parts.additional_fields {
            exact = exact.with_document("/additionalModelRequestFields", fields.clone());
        }
        Ok((parts, exact))
    }

    async fn open_stream(
        &self,
        request: &ModelRequest,
    ) -> Result<(Receiver, Option<String>), ModelError> {
        let (parts, exact) = self.prepare(request)?;
        let guardrail = parts.stream_guardrail();
        let additional = parts.additional_document();
        let output = self
            .client
            .converse_stream()
            .model_id(&self.model_id)
            .set_system(parts.system)
            .set_messages(Some(parts.messages))
            .set_tool_config(parts.tool_config)
            .inference_config(parts.inference)
            .set_guardrail_config(guardrail)
            .set_additional_model_request_fields(additional)
            .set_additional_model_response_field_paths(parts.response_field_paths)
            .customize()
            .interceptor(exact)
            .send()
            .await
            .map_err(|e| self.naming_profile(ModelError::from(SdkFailure(e))))?;
        let request_id = output.request_id().map(str::to_owned);
        Ok((output.stream, request_id))
    }
}

/// A raw Converse response body, parsed once: for the fields the SDK
/// defaults when they are missing, and the tool inputs exactly as the model
/// wrote them (the SDK's documents lose the key order).
struct RawAnswer(Value);

impl RawAnswer {
    fn parse(raw: &[u8]) -> Option<Self> {
        serde_json::from_slice(raw).ok().map(Self)
    }

    /// A response without content or stop reason is incomplete: the SDK
    /// would read it as an empty answer that ends the turn.
    fn check_complete(&self) -> Result<(), ModelError> {
        if !self
            .0
            .pointer("/output/message/content")
            .is_some_and(Value::is_array)
        {
            return Err(malformed(
                "the response's output message has no `content` list".into(),
            ));
        }
        if !self.0.get("stopReason").is_some_and(Value::is_string) {
            return Err(malformed("the response has no `stopReason`".into()));
        }
        Ok(())
    }

    /// Tool inputs in block order.
    fn tool_inputs(&self) -> Vec<Value> {
        self.0
            .pointer("/output/message/content")
            .and_then(Value::as_array)
            .map(|blocks| {
                blocks
                    .iter()
                    .filter_map(|b| b.get("toolUse")?.get("input").cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn take_raw(slot: &Arc<Mutex<Option<Vec<u8>>>>) -> Option<Vec<u8>> {
    slot.lock().ok().and_then(|mut s| s.take())
}

#[async_trait]
impl ModelBackend for BedrockBackend {
    fn name(&self) -> &str {
        "bedrock"
    }

    fn provider_name(&self) -> &str {
        "aws.bedrock"
    }

    fn request_model(&self) -> Option<&str> {
        Some(&self.model_id)
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let started = Instant::now();
        let (parts, exact) = self.prepare(request)?;
        let raw = exact.response_slot();
        let additional = parts.additional_document();
        let output = self
            .client
            .converse()
            .model_id(&self.model_id)
            .set_system(parts.system)
            .set_messages(Some(parts.messages))
            .set_tool_config(parts.tool_config)
            .inference_config(parts.inference)
            .set_guardrail_config(parts.guardrail)
            .set_additional_model_request_fields(additional)
            .set_additional_model_response_field_paths(parts.response_field_paths)
            .customize()
            .interceptor(exact)
            .send()
            .await
            .map_err(|e| self.naming_profile(ModelError::from(SdkFailure(e))))?;
        let measured = started.elapsed();
        let request_id = output.request_id().map(str::to_owned);
        let with_id = |e: ModelError| match &request_id {
            Some(id) => e.with_request_id(id.clone()),
            None => e,
        };
        if is_context_overflow(&output.stop_reason) {
            return Err(with_id(ModelError::new(
                ModelErrorKind::ContextOverflow,
                "the model stopped: the conversation exceeds its context window \
                 (stop reason model_context_window_exceeded)",
            )));
        }
        let message = match output.output {
            Some(OutputUnion::Message(m)) => Message::try_from(SdkMessage(m)).map_err(with_id)?,
            _ => {
                return Err(with_id(ModelError::protocol(
                    "the Converse response holds no message",
                )));
            }
        };
        let raw = take_raw(&raw).as_deref().and_then(RawAnswer::parse);
        if let Some(raw) = &raw {
            raw.check_complete().map_err(with_id)?;
        }
        check_message(&message).map_err(with_id)?;
        let message = exact_inputs(message, raw.as_ref());
        Ok(ModelResponse {
            message,
            stop_reason: StopReason::from(SdkStopReason(output.stop_reason)),
            usage: output
                .usage
                .map(|u| Usage::from(SdkUsage(u)))
                .unwrap_or_default(),
            latency: output
                .metrics
                .and_then(|m| u64::try_from(m.latency_ms).ok())
                .map(std::time::Duration::from_millis)
                .unwrap_or(measured),
            model_fields: output
                .additional_model_response_fields
                .map(|d| Value::try_from(crate::types::SdkDocument(d)))
                .transpose()
                .map_err(|e| {
                    with_id(ModelError::protocol(format!(
                        "additionalModelResponseFields: {e}"
                    )))
                })?,
        })
    }

    /// CountTokens, for the base model of the model id (see
    /// [`crate::count_tokens`]: an inference profile is mapped to its base
    /// model, which the API requires).
    async fn count_tokens(&self, request: &ModelRequest) -> Result<u64, ModelError> {
        self.count(request)
            .await
            .map_err(|e| self.naming_profile(e))
    }

    fn context_window(&self) -> Option<u64> {
        agent_core::context::known_context_window(&self.model_id)
    }

    fn converse_stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxStream<'a, Result<ModelEvent, ModelError>> {
        enum Phase {
            Start,
            Receiving {
                rx: Box<Receiver>,
                state: StreamDecoder,
                request_id: Option<String>,
            },
            Done,
        }
        stream::unfold(Phase::Start, move |phase| async move {
            let (mut rx, mut state, request_id) = match phase {
                Phase::Done => return None,
                Phase::Start => match self.open_stream(request).await {
                    Ok((rx, request_id)) => (Box::new(rx), StreamDecoder::default(), request_id),
                    Err(e) => return Some((Err(e), Phase::Done)),
                },
                Phase::Receiving {
                    rx,
                    state,
                    request_id,
                } => (rx, state, request_id),
            };
            if let Some(event) = state.take_pending() {
                return Some((
                    Ok(event),
                    Phase::Receiving {
                        rx,
                        state,
                        request_id,
                    },
                ));
            }
            let with_id = |e: ModelError| match (&e.request_id, &request_id) {
                (None, Some(id)) => e.with_request_id(id.clone()),
                _ => e,
            };
            let idle = self.stream_idle_timeout;
            loop {
                let Ok(next) = tokio::time::timeout(idle, rx.recv()).await else {
                    return Some((
                        Err(with_id(ModelError::stream(format!(
                            "the response stream sent no event for {} (the stream idle \
                             timeout; raise it if the model pauses longer)",
                            idle_text(idle)
                        )))),
                        Phase::Done,
                    ));
                };
                match next {
                    Ok(Some(event)) => match state.on_event(event) {
                        Ok(Some(event)) => {
                            return Some((
                                Ok(event),
                                Phase::Receiving {
                                    rx,
                                    state,
                                    request_id,
                                },
                            ));
                        }
                        Ok(None) => continue,
                        Err(e) => return Some((Err(with_id(e)), Phase::Done)),
                    },
                    Ok(None) if state.is_complete() => return None,
                    Ok(None) => {
                        return Some((
                            Err(with_id(ModelError::stream(
                                "the response stream ended before messageStop",
                            ))),
                            Phase::Done,
                        ));
                    }
                    Err(e) => {
                        return Some((Err(with_id(ModelError::from(SdkFailure(e)))), Phase::Done));
                    }
                }
            }
        })
        .boxed()
    }
}

/// A duration as the idle-timeout message says it: `200 ms`, `60 s`.
fn idle_text(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// `message` with its tool inputs replaced by the raw response's, where the
/// raw body is at hand. Matched by position, never by id: ids come from the
/// model and are only checked, not trusted, to be unique.
fn exact_inputs(mut message: Message, raw: Option<&RawAnswer>) -> Message {
    let Some(raw) = raw else { return message };
    let inputs = raw.tool_inputs();
    // Only when the counts agree: then the SDK read the same blocks.
    if message.tool_uses().count() != inputs.len() {
        return message;
    }
    let uses = message.content.iter_mut().filter_map(|b| match b {
        ContentBlock::ToolUse(u) => Some(u),
        _ => None,
    });
    for (u, input) in uses.zip(inputs) {
        u.input = input;
    }
    message
}

#[cfg(test)]
mod tests {
    use agent_core::{Role, ToolUse};
    use serde_json::json;

    use super::*;

    #[test]
    fn raw_inputs_keep_the_models_key_order() {
        let raw = br#"{"output":{"message":{"role":"assistant","content":[{"text":"x"},{"toolUse":{"toolUseId":"t1","name":"f","input":{"z":1,"a":2}}}]}},"stopReason":"tool_use"}"#;
        let message = Message {
            role: Role::Assistant,
            content: vec![
                ContentBlock::Text { text: "x".into() },
                ContentBlock::ToolUse(ToolUse {
                    id: "t1".into(),
                    name: "f".into(),
                    input: json!({"a": 2, "z": 1}),
                }),
            ],
        };
        let raw = RawAnswer::parse(raw);
        let fixed = exact_inputs(message, raw.as_ref());
        let input = &fixed.tool_uses().next().unwrap().input;
        assert_eq!(input.to_string(), r#"{"z":1,"a":2}"#);
    }
}
