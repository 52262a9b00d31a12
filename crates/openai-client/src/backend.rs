//! [`OpenAiBackend`]: `POST {base}/chat/completions`, whole or streamed.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use agent_core::{ModelBackend, ModelError, ModelEvent, ModelRequest, ModelResponse};
use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use tokio::time::Instant;

use crate::builder::OpenAiBuilder;
use crate::convert::{MaxTokensField, from_wire_response, to_wire_request};
use crate::error::{REQUEST_ID_HEADER, chain, from_http, from_transport};
use crate::stream::StreamDecoder;
use crate::wire::ChatResponse;

/// A model behind an OpenAI-compatible Chat Completions server: OpenAI,
/// Ollama, vLLM, llama.cpp's server, LM Studio.
///
/// Tools are offered as functions with `parallel_tool_calls: true`; the
/// core's one message of N tool results goes out as N `tool` messages in
/// call order (see [`crate::convert`]); streams are decoded by
/// [`StreamDecoder`] with `stream_options.include_usage` so usage is
/// reported; errors map onto [`agent_core::ModelErrorKind`] keeping the
/// server's message, `x-request-id` and `retry-after`. It never retries: the
/// agent does.
///
/// ```no_run
/// use std::sync::Arc;
/// use openai_client::OpenAiBackend;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let backend = OpenAiBackend::builder()
///     .base_url("http://localhost:11434/v1") // Ollama
///     .model("qwen2.5:7b")
///     .build()?;
/// let agent = agent_core::Agent::builder().backend(Arc::new(backend)).build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OpenAiBackend {
    client: reqwest::Client,
    base_url: String,
    endpoint: String,
    headers: HeaderMap,
    model: String,
    max_tokens_field: MaxTokensField,
    timeout: Duration,
}

impl fmt::Debug for OpenAiBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiBackend")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field(
                "api_key",
                &if self.headers.is_empty() {
                    "<none>"
                } else {
                    "<redacted>"
                },
            )
            .field("max_tokens_field", &self.max_tokens_field)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl OpenAiBackend {
    /// A builder with the defaults.
    pub fn builder() -> OpenAiBuilder {
        OpenAiBuilder::default()
    }

    /// A backend configured from the environment: `OPENAI_BASE_URL`,
    /// `OPENAI_MODEL` and `OPENAI_API_KEY` (required for api.openai.com).
    pub fn from_env() -> Result<Self, crate::ConfigError> {
        Self::builder().from_env().build()
    }

    pub(crate) fn new(
        client: reqwest::Client,
        base_url: String,
        headers: HeaderMap,
        model: String,
        max_tokens_field: MaxTokensField,
        timeout: Duration,
    ) -> Self {
        Self {
            client,
            endpoint: format!("{base_url}/chat/completions"),
            base_url,
            headers,
            model,
            max_tokens_field,
            timeout,
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL requests go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The model asked.
    pub fn model(&self) -> &str {
        &self.model
    }

    async fn send(
        &self,
        request: &ModelRequest,
        stream: bool,
    ) -> Result<reqwest::Response, ModelError> {
        let body = to_wire_request(request, &self.model, stream, self.max_tokens_field);
        let mut builder = self
            .client
            .post(&self.endpoint)
            .headers(self.headers.clone())
            .json(&body);
        if stream {
            builder = builder.header(ACCEPT, HeaderValue::from_static("text/event-stream"));
        } else {
            builder = builder.timeout(self.timeout);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| from_transport(&e, &self.endpoint, self.timeout))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap_or_default();
        Err(from_http(status, &headers, &bytes, &self.endpoint))
    }
}

fn request_id(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn tag(error: ModelError, request_id: &Option<String>) -> ModelError {
    match request_id {
        Some(id) if error.request_id.is_none() => error.with_request_id(id.clone()),
        _ => error,
    }
}

#[async_trait]
impl ModelBackend for OpenAiBackend {
    fn name(&self) -> &str {
        "openai"
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let start = Instant::now();
        let response = self.send(request, false).await?;
        let id = request_id(&response);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| tag(from_transport(&e, &self.endpoint, self.timeout), &id))?;
        let wire: ChatResponse = serde_json::from_slice(&bytes).map_err(|e| {
            tag(
                ModelError::protocol(format!(
                    "the response from {} is not a chat completion ({e})",
                    self.endpoint
                )),
                &id,
            )
        })?;
        from_wire_response(wire, start.elapsed()).map_err(|e| tag(e, &id))
    }

    fn converse_stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxStream<'a, Result<ModelEvent, ModelError>> {
        stream::once(async move {
            match self.send(request, true).await {
                Ok(response) => decode_sse(response, self.endpoint.clone()).boxed(),
                Err(e) => stream::iter([Err(e)]).boxed(),
            }
        })
        .flatten()
        .boxed()
    }
}

struct SseState<S> {
    events: S,
    decoder: StreamDecoder,
    pending: VecDeque<ModelEvent>,
    request_id: Option<String>,
    endpoint: String,
    done: bool,
}

/// The response's chunks as core events; a body that breaks, or ends before
/// a `finish_reason`, yields a retryable [`ModelError::stream`].
fn decode_sse(
    response: reqwest::Response,
    endpoint: String,
) -> impl futures::Stream<Item = Result<ModelEvent, ModelError>> + Send {
    let state = SseState {
        request_id: request_id(&response),
        events: response.bytes_stream().eventsource(),
        decoder: StreamDecoder::default(),
        pending: VecDeque::new(),
        endpoint,
        done: false,
    };
    stream::unfold(state, |mut st| async move {
        loop {
            if let Some(event) = st.pending.pop_front() {
                return Some((Ok(event), st));
            }
            if st.done || st.decoder.is_finished() {
                return None;
            }
            let result = match st.events.next().await {
                Some(Ok(event)) => st.decoder.decode(&event.data),
                Some(Err(e)) => Err(ModelError::stream(format!(
                    "the stream from {} broke: {}",
                    st.endpoint,
                    chain(&e)
                ))),
                // Closed without [DONE]: complete if it finished, else cut.
                None => st
                    .decoder
                    .end()
                    .map_err(|e| ModelError::stream(format!("{} ({})", e.message, st.endpoint))),
            };
            match result {
                Ok(events) => st.pending.extend(events),
                Err(e) => {
                    st.done = true;
                    return Some((Err(tag(e, &st.request_id)), st));
                }
            }
        }
    })
}
