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
use crate::wire::{CountTokensRequest, CountTokensResponse, MessagesResponse};

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
    /// `POST /v1/messages/count_tokens`.
    count_endpoint: Endpoint<AnthropicApi>,
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
    pub(crate) fn new(
        endpoint: Endpoint<AnthropicApi>,
        count_endpoint: Endpoint<AnthropicApi>,
        base_url: String,
        model: String,
    ) -> Self {
        Self {
            endpoint,
            count_endpoint,
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

/// What this protocol carries beyond text and tools (see
/// `docs/BACKENDS.md`); a request holding more is refused by name.
const SUPPORTS: agent_core::Supports = agent_core::Supports {
    reasoning: true,
    images: true,
    images_in_tool_results: true,
    documents: true,
    s3_sources: false,
};

/// [`SUPPORTS`], the service's rules on request options
/// (`agent_core::check_request`), and the document kinds the API reads (PDF
/// and text: no Word or Excel files).
fn check(request: &ModelRequest) -> Result<(), ModelError> {
    agent_core::check_supported(request, "anthropic", SUPPORTS)?;
    agent_core::check_request(request)?;
    let office = request
        .messages
        .iter()
        .flat_map(|m| &m.content)
        .flat_map(|b| match b {
            agent_core::ContentBlock::Document(d) => vec![d],
            agent_core::ContentBlock::ToolResult(r) => r
                .content
                .iter()
                .filter_map(|c| match c {
                    agent_core::ToolResultContent::Document(d) => Some(d),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        })
        .find(|d| {
            use agent_core::DocumentFormat as F;
            matches!(d.format, F::Doc | F::Docx | F::Xls | F::Xlsx)
        });
    match office {
        Some(d) => Err(ModelError::new(
            agent_core::ModelErrorKind::InvalidRequest,
            format!(
                "the anthropic backend cannot send {} documents ({:?}): the Messages API reads \
                 PDF and text documents only; use the bedrock backend for it",
                d.format.as_str(),
                d.name
            ),
        )),
        None => Ok(()),
    }
}

#[async_trait]
impl ModelBackend for AnthropicBackend {
    fn name(&self) -> &str {
        "anthropic"
    }

    fn provider_name(&self) -> &str {
        "anthropic"
    }

    fn request_model(&self) -> Option<&str> {
        Some(&self.model)
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        check(request)?;
        let start = Instant::now();
        request.refuse_bedrock_only_options(self.name())?;
        let body = crate::cache::body(request, &to_wire_request(request, &self.model, false))?;
        let reply = self
            .endpoint
            .post_json::<_, MessagesResponse>(&body, "a Messages API message")
            .await?;
        Ok(from_wire_response(reply.body, start.elapsed()))
    }

    /// `POST /v1/messages/count_tokens`: the request's model, system prompt,
    /// messages and tools (no sampling settings: the endpoint refuses them).
    async fn count_tokens(&self, request: &ModelRequest) -> Result<u64, ModelError> {
        let body = CountTokensRequest::from(to_wire_request(request, &self.model, false));
        let reply = self
            .count_endpoint
            .post_json::<_, CountTokensResponse>(&body, "a token count")
            .await?;
        Ok(reply.body.input_tokens)
    }

    fn context_window(&self) -> Option<u64> {
        agent_core::context::known_context_window(&self.model)
    }

    /// The response's server-sent events as core events; a body that breaks
    /// or ends before `message_stop` yields a retryable
    /// [`ModelError::stream`].
    fn converse_stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxStream<'a, Result<ModelEvent, ModelError>> {
        if let Err(e) = check(request) {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
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
