//! [`ModelBackend`]: the one trait a model provider implements.

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};

use crate::{ContentBlock, ModelError, ModelEvent, ModelRequest, ModelResponse};

/// A model provider: Bedrock, the Anthropic API, an OpenAI-compatible server,
/// or a script.
///
/// # Contract
///
/// - `converse` sends one request and returns the whole response.
/// - `converse_stream` sends the same request and yields [`ModelEvent`]s as
///   they arrive; [`crate::StreamAccumulator`] assembles them. The default
///   calls `converse` and replays the response as events, for backends that
///   cannot stream.
/// - Errors carry a [`crate::ModelErrorKind`] that says whether a retry may
///   help, the provider's own message and its request id. An error inside a
///   stream is classified the same way as one before it.
/// - A backend does **not** retry: the agent does, once, with its
///   [`crate::RetryPolicy`]. A backend built on an SDK with its own retry
///   layer turns that layer off, so attempts are never multiplied.
/// - A backend is shared by concurrent runs (`Send + Sync`) and holds no
///   per-conversation state.
/// - `count_tokens` says how many input tokens `request` would cost, as the
///   service counts them, without running the model; the default answers
///   [`crate::ModelErrorKind::Unsupported`], and callers fall back to an
///   estimate. `context_window` is the model's window where the backend
///   knows it.
/// - `native_structured_output` is true only for a backend that sends
///   [`ModelRequest::output_format`] as the service's own setting, so the
///   final text is JSON valid against it; the agent loop then asks for the
///   structured answer that way instead of through an output tool.
#[async_trait]
pub trait ModelBackend: Send + Sync {
    /// A short name for logs and errors: `bedrock`, `anthropic`, `scripted`...
    fn name(&self) -> &str;

    /// The provider as the OpenTelemetry GenAI conventions name it
    /// (`gen_ai.provider.name`: `aws.bedrock`, `anthropic`, `openai`...),
    /// for traces and metrics. Defaults to [`ModelBackend::name`].
    fn provider_name(&self) -> &str {
        self.name()
    }

    /// The model every request goes to (`gen_ai.request.model`), when the
    /// backend is bound to one; traces name their `chat` spans after it.
    fn request_model(&self) -> Option<&str> {
        None
    }

    /// Sends `request` and waits for the whole response.
    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError>;

    /// The input tokens `request` would cost (system prompt, messages and
    /// tools), counted by the service. Backends without a counting API keep
    /// this default, which fails with [`crate::ModelErrorKind::Unsupported`].
    async fn count_tokens(&self, request: &ModelRequest) -> Result<u64, ModelError> {
        let _ = request;
        Err(ModelError::unsupported(format!(
            "the {} backend cannot count tokens",
            self.name()
        )))
    }

    /// The model's context window in tokens, where the backend knows it (see
    /// [`crate::context::known_context_window`]); `None` otherwise.
    fn context_window(&self) -> Option<u64> {
        None
    }

    /// Whether this backend carries [`ModelRequest::output_format`] natively
    /// (OpenAI's `response_format`); the default, `false`, has the agent
    /// loop offer an output tool instead.
    fn native_structured_output(&self) -> bool {
        false
    }

    /// Sends `request` and streams the response.
    fn converse_stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxStream<'a, Result<ModelEvent, ModelError>> {
        stream::once(async move { self.converse(request).await })
            .flat_map(|result| match result {
                Ok(response) => stream::iter(response_events(response).into_iter().map(Ok)).boxed(),
                Err(e) => stream::iter([Err(e)]).boxed(),
            })
            .boxed()
    }
}

/// The events a stream of `response` would have carried; lets a backend
/// without streaming serve `converse_stream`, and tests replay responses.
pub fn response_events(response: ModelResponse) -> Vec<ModelEvent> {
    let mut events = vec![ModelEvent::MessageStart];
    for (index, block) in response.message.content.into_iter().enumerate() {
        match block {
            ContentBlock::Text { text } => events.push(ModelEvent::TextDelta { index, text }),
            ContentBlock::ToolUse(u) => {
                events.push(ModelEvent::ToolUseStart {
                    index,
                    id: u.id,
                    name: u.name,
                });
                events.push(ModelEvent::ToolInputDelta {
                    index,
                    json: u.input.to_string(),
                });
            }
            ContentBlock::Reasoning(r) => {
                events.push(ModelEvent::ReasoningDelta {
                    index,
                    text: r.text,
                });
                if let Some(signature) = r.signature {
                    events.push(ModelEvent::ReasoningSignature { index, signature });
                }
            }
            ContentBlock::RedactedReasoning { data } => {
                events.push(ModelEvent::RedactedReasoning { index, data });
            }
            // An assistant message carries no tool results, images or
            // documents (nor anything a later version adds).
            _ => continue,
        }
        events.push(ModelEvent::BlockStop { index });
    }
    events.push(ModelEvent::MessageStop {
        stop_reason: response.stop_reason,
    });
    if let Some(fields) = response.model_fields {
        events.push(ModelEvent::ModelFields { fields });
    }
    events.push(ModelEvent::Metadata {
        usage: response.usage,
        latency: Some(response.latency),
    });
    events
}
