//! A whole [`ModelRequest`] → the parts of a Converse call.

use agent_core::{ModelError, ModelRequest};
use aws_sdk_bedrockruntime::types as sdk;

use super::messages::SdkMessage;
use super::tools::SdkToolConfig;

/// The parts of a Converse (or ConverseStream) call made from a
/// [`ModelRequest`].
///
/// Blocks, tool result parts and tools keep their order and indexes: the
/// backend's exact-JSON interceptor (`exact_json.rs`) finds the JSON
/// documents in the body the SDK writes by those indexes.
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
}

impl TryFrom<&ModelRequest> for ConverseParts {
    type Error = ModelError;

    fn try_from(request: &ModelRequest) -> Result<Self, Self::Error> {
        let messages = request
            .messages
            .iter()
            .map(|m| SdkMessage::try_from(m).map(|m| m.0))
            .collect::<Result<Vec<_>, _>>()?;
        let tool_config = if request.tools.is_empty() {
            None
        } else {
            Some(SdkToolConfig::try_from(&request.tools[..])?.0)
        };
        let system = request
            .system
            .as_ref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| vec![sdk::SystemContentBlock::Text(s.clone())]);
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
        })
    }
}
