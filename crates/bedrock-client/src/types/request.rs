//! A whole [`ModelRequest`] → the parts of a Converse call.

use agent_core::{ModelError, ModelErrorKind, ModelRequest, ToolChoice};
use aws_sdk_bedrockruntime::types as sdk;
use serde_json::Value;

use super::documents::SdkDocument;
use super::messages::{SdkMessage, cache_point};
use super::tools::SdkToolConfig;

/// The parts of a Converse (or ConverseStream) call made from a
/// [`ModelRequest`].
///
/// Blocks, tool result parts and tools keep their order and indexes: the
/// backend's exact-JSON interceptor (`exact_json.rs`) finds the JSON
/// documents in the body the SDK writes by those indexes. Automatic cache
/// points ([`ModelRequest::cache_plan`]) are appended: after the last tool,
/// after the system prompt, at the end of the last message, so they move
/// no index.
///
/// ```
/// use agent_core::{InferenceConfig, Message, ModelRequest};
/// use bedrock_client::types::ConverseParts;
///
/// let request = ModelRequest {
///     system: Some("Be brief.".into()),
///     messages: vec![Message::user("Hi")],
///     tools: vec![],
///     inference: InferenceConfig::default(),
///     ..Default::default()
/// };
/// let parts = ConverseParts::try_from(&request).unwrap();
/// assert_eq!(parts.inference.max_tokens, Some(4000));
/// assert!(parts.tool_config.is_none());
/// ```
#[derive(Debug, Clone)]
pub struct ConverseParts {
    /// The system prompt, if any.
    pub system: Option<Vec<sdk::SystemContentBlock>>,
    /// The conversation.
    pub messages: Vec<sdk::Message>,
    /// The tools on offer, if any.
    pub tool_config: Option<sdk::ToolConfiguration>,
    /// Sampling settings.
    pub inference: sdk::InferenceConfiguration,
    /// The guardrail, if any.
    pub guardrail: Option<sdk::GuardrailConfiguration>,
    /// `additionalModelRequestFields`, if any (exactly as the caller built
    /// them: `exact_json.rs` puts the value back in the body).
    pub additional_fields: Option<Value>,
    /// `additionalModelResponseFieldPaths`, if any.
    pub response_field_paths: Option<Vec<String>>,
}

impl ConverseParts {
    /// The guardrail for ConverseStream, which takes its own type.
    pub fn stream_guardrail(&self) -> Option<sdk::GuardrailStreamConfiguration> {
        let g = self.guardrail.as_ref()?;
        sdk::GuardrailStreamConfiguration::builder()
            .guardrail_identifier(g.guardrail_identifier())
            .guardrail_version(g.guardrail_version())
            .trace(g.trace().clone())
            .build()
            .into()
    }

    /// The additional request fields as the SDK's document.
    pub fn additional_document(&self) -> Option<aws_smithy_types::Document> {
        self.additional_fields
            .as_ref()
            .map(|v| SdkDocument::from(v).0)
    }
}

fn invalid(message: String) -> ModelError {
    ModelError::new(ModelErrorKind::Validation, message)
}

/// The SDK tool choice.
fn tool_choice(choice: &ToolChoice) -> Result<sdk::ToolChoice, ModelError> {
    Ok(match choice {
        ToolChoice::Auto => sdk::ToolChoice::Auto(sdk::AutoToolChoice::builder().build()),
        ToolChoice::Any => sdk::ToolChoice::Any(sdk::AnyToolChoice::builder().build()),
        ToolChoice::Tool(name) => sdk::ToolChoice::Tool(
            sdk::SpecificToolChoice::builder()
                .name(name)
                .build()
                .map_err(|e| invalid(format!("could not build the Bedrock toolChoice: {e}")))?,
        ),
    })
}

impl TryFrom<&ModelRequest> for ConverseParts {
    type Error = ModelError;

    fn try_from(request: &ModelRequest) -> Result<Self, Self::Error> {
        let plan = request.cache_plan();
        let mut messages = request
            .messages
            .iter()
            .map(|m| SdkMessage::try_from(m).map(|m| m.0))
            .collect::<Result<Vec<_>, _>>()?;
        if let (Some(point), Some(last)) = (plan.latest_turn, messages.last_mut()) {
            last.content
                .push(sdk::ContentBlock::CachePoint(cache_point(point)?));
        }
        let tool_config = if request.tools.is_empty() {
            if request
                .tool_choice
                .as_ref()
                .is_some_and(ToolChoice::is_forced)
            {
                return Err(invalid(format!(
                    "the tool choice `{}` forces a tool call, but the request offers no tools",
                    request
                        .tool_choice
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                )));
            }
            None
        } else {
            let mut config = SdkToolConfig::try_from(&request.tools[..])?.0;
            if let Some(point) = plan.tools {
                config
                    .tools
                    .push(sdk::Tool::CachePoint(cache_point(point)?));
            }
            config.tool_choice = request.tool_choice.as_ref().map(tool_choice).transpose()?;
            Some(config)
        };
        let system = request
            .system
            .as_ref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                let mut blocks = vec![sdk::SystemContentBlock::Text(s.clone())];
                if let Some(point) = plan.system {
                    blocks.push(sdk::SystemContentBlock::CachePoint(cache_point(point)?));
                }
                Ok::<_, ModelError>(blocks)
            })
            .transpose()?;
        let guardrail = request.guardrail.as_ref().map(|g| {
            sdk::GuardrailConfiguration::builder()
                .guardrail_identifier(&g.id)
                .guardrail_version(&g.version)
                .trace(if g.trace {
                    sdk::GuardrailTrace::Enabled
                } else {
                    sdk::GuardrailTrace::Disabled
                })
                .build()
        });
        let inf = &request.inference;
        let inference = sdk::InferenceConfiguration::builder()
            .max_tokens(i32::try_from(inf.max_tokens).unwrap_or(i32::MAX))
            .set_temperature(inf.temperature)
            .set_top_p(inf.top_p)
            .set_stop_sequences(
                (!inf.stop_sequences.is_empty()).then(|| inf.stop_sequences.clone()),
            )
            .build();
        Ok(Self {
            system,
            messages,
            tool_config,
            inference,
            guardrail,
            additional_fields: Some(request.merged_model_fields(serde_json::Map::new()))
                .filter(|fields| !fields.is_empty())
                .map(Value::Object),
            response_field_paths: (!request.response_field_paths.is_empty())
                .then(|| request.response_field_paths.clone()),
        })
    }
}
