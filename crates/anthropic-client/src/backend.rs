//! [`AnthropicBackend`]: `POST /v1/messages`, whole or streamed.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use agent_core::{ModelBackend, ModelError, ModelEvent, ModelRequest, ModelResponse};
use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use tokio::time::Instant;

use crate::builder::AnthropicBuilder;
use crate::convert::{from_wire_response, to_wire_request};
use crate::error::{REQUEST_ID_HEADER, chain, from_http, from_transport};
use crate::stream::StreamDecoder;
use crate::wire::MessagesResponse;

/// Claude through the Anthropic Messages API.
///
/// Sends `x-api-key` and `anthropic-version` with every request, maps the
/// conversation one to one (see [`crate::convert`]), streams over
/// server-sent events ([`StreamDecoder`]), and maps errors onto
/// [`agent_core::ModelErrorKind`] keeping the API's message, its
/// `request-id` and its `retry-after` hint. It never retries: the agent does.
///
/// ```no_run
/// use std::sync::Arc;
/// use anthropic_client::AnthropicBackend;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // ANTHROPIC_API_KEY from the environment; ANTHROPIC_BASE_URL and
/// // ANTHROPIC_MODEL too, if set.
/// let backend = AnthropicBackend::from_env()?;
/// let agent = agent_core::Agent::builder().backend(Arc::new(backend)).build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AnthropicBackend {
    client: reqwest::Client,
    base_url: String,
    endpoint: String,
    headers: HeaderMap,
    model: String,
    timeout: Duration,
}

impl fmt::Debug for AnthropicBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicBackend")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("api_key", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl AnthropicBackend {
    /// A builder with the defaults.
    pub fn builder() -> AnthropicBuilder {
        AnthropicBuilder::default()
    }

    /// A backend configured from the environment: `ANTHROPIC_API_KEY`
    /// (required), `ANTHROPIC_BASE_URL` and `ANTHROPIC_MODEL` (optional).
    pub fn from_env() -> Result<Self, crate::ConfigError> {
        Self::builder().from_env().build()
    }

    pub(crate) fn new(
        client: reqwest::Client,
        base_url: String,
        headers: HeaderMap,
        model: String,
        timeout: Duration,
    ) -> Self {
        Self {
            client,
            endpoint: format!("{base_url}/v1/messages"),
            base_url,
            headers,
            model,
            timeout,
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The model asked.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Sends `request`; a non-2xx answer becomes its [`ModelError`].
    async fn send(
        &self,
        request: &ModelRequest,
        stream: bool,
    ) -> Result<reqwest::Response, ModelError> {
        let body = to_wire_request(request, &self.model, stream);
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
impl ModelBackend for AnthropicBackend {
    fn name(&self) -> &str {
        "anthropic"
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let start = Instant::now();
        let response = self.send(request, false).await?;
        let id = request_id(&response);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| tag(from_transport(&e, &self.endpoint, self.timeout), &id))?;
        let wire: MessagesResponse = serde_json::from_slice(&bytes).map_err(|e| {
            tag(
                ModelError::protocol(format!(
                    "the response from {} is not a Messages API message ({e})",
                    self.endpoint
                )),
                &id,
            )
        })?;
        Ok(from_wire_response(wire, start.elapsed()))
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

/// The response's server-sent events as core events; a body that breaks or
/// ends before `message_stop` yields a retryable [`ModelError::stream`].
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
            if st.done {
                return None;
            }
            if st.decoder.is_finished() {
                // message_stop seen: the rest is the server closing.
                st.done = true;
                continue;
            }
            let error = match st.events.next().await {
                Some(Ok(event)) => match st.decoder.decode(&event.data) {
                    Ok(events) => {
                        st.pending.extend(events);
                        continue;
                    }
                    Err(e) => e,
                },
                Some(Err(e)) => ModelError::stream(format!(
                    "the stream from {} broke: {}",
                    st.endpoint,
                    chain(&e)
                )),
                None => ModelError::stream(format!(
                    "the stream from {} ended before message_stop",
                    st.endpoint
                )),
            };
            st.done = true;
            let error = tag(error, &st.request_id);
            return Some((Err(error), st));
        }
    })
}
