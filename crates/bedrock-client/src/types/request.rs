//! A whole [`ModelRequest`] → the parts of a Converse call, with the place of
//! every JSON document in the request body.

use agent_core::{ContentBlock, ModelError, ModelRequest, ToolResultContent};
use aws_sdk_bedrockruntime::types as sdk;
use serde_json::Value;

use super::messages::SdkMessage;
use super::tools::SdkToolConfig;
use crate::exact_json::needs_restoring;

/// The parts of a Converse (or ConverseStream) call made from a
/// [`ModelRequest`].
///
/// `documents` lists, for each JSON document in the request whose bytes the
/// SDK could change (an object of two or more keys, or a float, anywhere in
/// it), its JSON pointer in the body the SDK writes and the caller's
/// original value. The SDK holds documents as hash maps, whose key order
/// changes from run to run; `exact_json.rs` writes the originals back so
/// the bytes sent are the same every time (the prompt cache depends on it).
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
    /// Each JSON document's pointer in the request body, and its original value.
    pub documents: Vec<(String, Value)>,
}

impl TryFrom<&ModelRequest> for ConverseParts {
    type Error = ModelError;

    fn try_from(request: &ModelRequest) -> Result<Self, Self::Error> {
        let mut documents = Vec::new();
        let mut messages = Vec::with_capacity(request.messages.len());
        for (i, message) in request.messages.iter().enumerate() {
            for (j, block) in message.content.iter().enumerate() {
                match block {
                    ContentBlock::ToolUse(u) if needs_restoring(&u.input) => documents.push((
                        format!("/messages/{i}/content/{j}/toolUse/input"),
                        u.input.clone(),
                    )),
                    ContentBlock::ToolResult(r) => {
                        for (k, part) in r.content.iter().enumerate() {
                            // Only objects go as `json` (see messages.rs).
                            if let ToolResultContent::Json(v @ Value::Object(_)) = part
                                && needs_restoring(v)
                            {
                                documents.push((
                                    format!(
                                        "/messages/{i}/content/{j}/toolResult/content/{k}/json"
                                    ),
                                    v.clone(),
                                ));
                            }
                        }
                    }
                    ContentBlock::ToolUse(_) | ContentBlock::Text { .. } => {}
                }
            }
            messages.push(SdkMessage::try_from(message)?.0);
        }
        let tool_config = if request.tools.is_empty() {
            None
        } else {
            for (t, spec) in request.tools.iter().enumerate() {
                if !needs_restoring(&spec.input_schema) {
                    continue;
                }
                documents.push((
                    format!("/toolConfig/tools/{t}/toolSpec/inputSchema/json"),
                    spec.input_schema.clone(),
                ));
            }
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
            documents,
        })
    }
}
