//! Tools on offer: core [`ToolSpec`]s → the SDK's `toolConfig`.

use agent_core::ModelError;
use aws_sdk_bedrockruntime::types as sdk;
use tool_api::ToolSpec;

use super::documents::SdkDocument;

/// The SDK `toolConfig` offering a list of tools, in their order (the order
/// is part of the prompt, and of its cache).
///
/// ```
/// use bedrock_client::types::SdkToolConfig;
/// use tool_api::ToolSpec;
///
/// let specs = [ToolSpec::new("now", "The time.", serde_json::json!({"type": "object"}))];
/// let config = SdkToolConfig::try_from(&specs[..]).unwrap();
/// assert_eq!(config.0.tools.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SdkToolConfig(pub sdk::ToolConfiguration);

/// One SDK tool made from a core [`ToolSpec`].
#[derive(Debug, Clone, PartialEq)]
pub struct SdkTool(pub sdk::Tool);

impl TryFrom<&ToolSpec> for SdkTool {
    type Error = ModelError;

    fn try_from(spec: &ToolSpec) -> Result<Self, Self::Error> {
        let description = (!spec.description.is_empty()).then(|| spec.description.clone());
        sdk::ToolSpecification::builder()
            .name(&spec.name)
            .set_description(description)
            .input_schema(sdk::ToolInputSchema::Json(
                SdkDocument::from(&spec.input_schema).0,
            ))
            .build()
            .map(|s| Self(sdk::Tool::ToolSpec(s)))
            .map_err(|e| {
                ModelError::new(
                    agent_core::ModelErrorKind::Other,
                    format!(
                        "could not build the Bedrock spec of tool `{}`: {e}",
                        spec.name
                    ),
                )
            })
    }
}

impl TryFrom<&[ToolSpec]> for SdkToolConfig {
    type Error = ModelError;

    fn try_from(specs: &[ToolSpec]) -> Result<Self, Self::Error> {
        let tools = specs
            .iter()
            .map(|s| SdkTool::try_from(s).map(|t| t.0))
            .collect::<Result<Vec<_>, _>>()?;
        sdk::ToolConfiguration::builder()
            .set_tools(Some(tools))
            .build()
            .map(Self)
            .map_err(|e| {
                ModelError::new(
                    agent_core::ModelErrorKind::Other,
                    format!("could not build the Bedrock toolConfig: {e}"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn specs_keep_order_name_description_and_schema() {
        let specs = [
            ToolSpec::new(
                "get_weather",
                "Weather.",
                json!({"type": "object", "properties": {"location": {"type": "string"}}}),
            ),
            ToolSpec::new("now", "", json!({"type": "object"})),
        ];
        let config = SdkToolConfig::try_from(&specs[..]).unwrap().0;
        let names: Vec<_> = config
            .tools
            .iter()
            .map(|t| match t {
                sdk::Tool::ToolSpec(s) => s.name.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(names, ["get_weather", "now"]);
        let sdk::Tool::ToolSpec(second) = &config.tools[1] else {
            panic!("not a tool spec")
        };
        assert_eq!(second.description, None);
    }
}
