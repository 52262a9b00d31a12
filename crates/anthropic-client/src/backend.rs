//! [`AnthropicBackend`]: `POST /v1/messages`, whole or streamed.

use std::fmt;

use agent_core::{ModelBackend, ModelError, ModelEvent, ModelRequest, ModelResponse};
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use http_backend::Endpoint;
use tokio::time::Instant;

use crate::convert::{from_wire_response, to_wire_request};
use crate::error::AnthropicApi;
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
    endpoint: Endpoint<AnthropicApi>,
    base_url: String,
    model: String,
}

impl fmt::Debug for AnthropicBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicBackend")
            .field("endpoint", &self.endpoint.url())
            .field("model", &self.model)
            .field("api_key", &"<redacted>")
            .field("timeout", &self.endpoint.timeout())
            .finish_non_exhaustive()
    }
}

impl AnthropicBackend {
    pub(crate) fn new(endpoint: Endpoint<AnthropicApi>, base_url: String, model: String) -> Self {
        Self {
            endpoint,
            base_url,
            model,
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
}

#[async_trait]
impl ModelBackend for AnthropicBackend {
    fn name(&self) -> &str {
        "anthropic"
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let start = Instant::now();
        request.refuse_bedrock_only_options(self.name())?;
        let body = crate::cache::body(request, &to_wire_request(request, &self.model, false))?;
        let reply = self
            .endpoint
            .post_json::<_, MessagesResponse>(&body, "a Messages API message")
            .await?;
        Ok(from_wire_response(reply.body, start.elapsed()))
    }

    /// The response's server-sent events as core events; a body that breaks
    /// or ends before `message_stop` yields a retryable
    /// [`ModelError::stream`].
    fn converse_stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxStream<'a, Result<ModelEvent, ModelError>> {
        if let Err(e) = request.refuse_bedrock_only_options(self.name()) {
            return futures::stream::iter([Err(e)]).boxed();
        }
        let body = match crate::cache::body(request, &to_wire_request(request, &self.model, true)) {
            Ok(body) => body,
            Err(e) => return futures::stream::iter([Err(e)]).boxed(),
        };
        self.endpoint.post_stream(body, StreamDecoder::default())
    }
}
