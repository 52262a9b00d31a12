//! [`OpenAiBackend`]: `POST {base}/chat/completions`, whole or streamed.

use std::fmt;

use agent_core::{
    ModelBackend, ModelError, ModelErrorKind, ModelEvent, ModelRequest, ModelResponse,
};
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use http_backend::{Endpoint, tag};
use tokio::time::Instant;

use crate::convert::{MaxTokensField, from_wire_response, to_wire_request};
use crate::error::OpenAiApi;
use crate::stream::StreamDecoder;
use crate::wire::{ChatRequest, ChatResponse, ResponseFormat};

/// A model behind an OpenAI-compatible Chat Completions server: OpenAI,
/// Ollama, vLLM, llama.cpp's server, LM Studio.
///
/// Tools are offered as functions with `parallel_tool_calls: true`; the
/// core's one message of N tool results goes out as N `tool` messages in
/// call order (see [`crate::convert`]); streams are decoded by
/// [`StreamDecoder`] with `stream_options.include_usage` so usage is
/// reported; structured output goes as `response_format` with a JSON
/// schema when [`crate::OpenAiBuilder::native_structured_output`] is on;
/// errors map onto [`agent_core::ModelErrorKind`] keeping the
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
    endpoint: Endpoint<OpenAiApi>,
    base_url: String,
    model: String,
    max_tokens_field: MaxTokensField,
    native_structured_output: bool,
}

impl fmt::Debug for OpenAiBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiBackend")
            .field("endpoint", &self.endpoint.url())
            .field("model", &self.model)
            .field(
                "api_key",
                &if self.endpoint.headers().is_empty() {
                    "<none>"
                } else {
                    "<redacted>"
                },
            )
            .field("max_tokens_field", &self.max_tokens_field)
            .field("native_structured_output", &self.native_structured_output)
            .field("timeout", &self.endpoint.timeout())
            .finish_non_exhaustive()
    }
}

impl OpenAiBackend {
    pub(crate) fn new(
        endpoint: Endpoint<OpenAiApi>,
        base_url: String,
        model: String,
        max_tokens_field: MaxTokensField,
        native_structured_output: bool,
    ) -> Self {
        Self {
            endpoint,
            base_url,
            model,
            max_tokens_field,
            native_structured_output,
        }
    }

    /// The wire request for `request`, with its output format as
    /// `response_format`; refused, naming the setting, when native
    /// structured output is off (never dropped silently).
    fn wire_request(
        &self,
        request: &ModelRequest,
        stream: bool,
    ) -> Result<ChatRequest, ModelError> {
        let mut body = to_wire_request(request, &self.model, stream, self.max_tokens_field);
        if let Some(format) = &request.output_format {
            if !self.native_structured_output {
                return Err(ModelError::new(
                    ModelErrorKind::Validation,
                    "the openai backend has native structured output (response_format) turned \
                     off: turn it on with OpenAiBuilder::native_structured_output(true) or \
                     OPENAI_NATIVE_STRUCTURED_OUTPUT=1, or leave output_format unset so the \
                     agent uses its output tool",
                ));
            }
            body.response_format = Some(ResponseFormat::from(format));
        }
        Ok(body)
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL requests go to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.url()
    }

    /// The model asked.
    pub fn model(&self) -> &str {
        &self.model
    }
}

/// What this protocol carries beyond text and tools (see
/// `docs/BACKENDS.md`); a request holding more is refused by name.
const SUPPORTS: agent_core::Supports = agent_core::Supports {
    reasoning: false,
    images: true,
    images_in_tool_results: false,
    documents: false,
    s3_sources: false,
};

#[async_trait]
impl ModelBackend for OpenAiBackend {
    fn name(&self) -> &str {
        "openai"
    }

    fn provider_name(&self) -> &str {
        "openai"
    }

    fn request_model(&self) -> Option<&str> {
        Some(&self.model)
    }

    fn context_window(&self) -> Option<u64> {
        agent_core::context::known_context_window(&self.model)
    }

    /// As [`crate::OpenAiBuilder::native_structured_output`] set it.
    fn native_structured_output(&self) -> bool {
        self.native_structured_output
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        agent_core::check_supported(request, self.name(), SUPPORTS)?;
        let start = Instant::now();
        request.refuse_bedrock_only_options(self.name())?;
        let body = self.wire_request(request, false)?;
        let reply = self
            .endpoint
            .post_json::<_, ChatResponse>(&body, "a chat completion")
            .await?;
        from_wire_response(reply.body, start.elapsed())
            .map_err(|e| tag(e, reply.request_id.as_deref()))
    }

    /// The response's chunks as core events; a body that breaks, or ends
    /// before a `finish_reason`, yields a retryable [`ModelError::stream`].
    fn converse_stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxStream<'a, Result<ModelEvent, ModelError>> {
        if let Err(e) = agent_core::check_supported(request, self.name(), SUPPORTS) {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
        if let Err(e) = request.refuse_bedrock_only_options(self.name()) {
            return futures::stream::iter([Err(e)]).boxed();
        }
        let body = match self.wire_request(request, true) {
            Ok(body) => body,
            Err(e) => return futures::stream::iter([Err(e)]).boxed(),
        };
        self.endpoint.post_stream(body, StreamDecoder::default())
    }
}
