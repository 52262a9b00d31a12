//! Token counting with Bedrock's CountTokens API, and the rule that maps
//! the model id requests go to onto the base model id CountTokens takes.
//!
//! CountTokens counts for a **foundation model**, never an inference
//! profile: `us.anthropic.claude-sonnet-4-20250514-v1:0` (a cross-region
//! profile, the default model id) is refused, and
//! `anthropic.claude-sonnet-4-20250514-v1:0` (its base model) counted. A
//! profile counts as its base model does, so the backend strips the
//! profile's geography prefix ([`base_model_id`]) before it asks.

use agent_core::{ModelError, ModelRequest};
use aws_sdk_bedrockruntime::types::{ConverseTokensRequest, CountTokensInput};

use crate::BedrockBackend;
use crate::types::{ConverseParts, SdkFailure};

/// The geographies of Bedrock's system-defined inference profiles: the
/// first segment of a profile id (`us.`, `eu.`, `apac.`, `global.`...).
const PROFILE_PREFIXES: &[&str] = &["us", "us-gov", "eu", "apac", "global", "jp", "au", "ca"];

/// The foundation-model id CountTokens takes for `model_id`:
///
/// - a system-defined inference profile (`us.anthropic.claude-…`,
///   `global.anthropic.claude-…`, also as an `…:inference-profile/…` ARN)
///   loses its geography prefix: `anthropic.claude-…`;
/// - a foundation-model ARN (`…:foundation-model/anthropic.claude-…`)
///   becomes its id;
/// - anything else (a base model id, an application inference profile) is
///   passed as it is.
///
/// ```
/// use bedrock_client::count_tokens::base_model_id;
///
/// assert_eq!(
///     base_model_id("us.anthropic.claude-sonnet-4-20250514-v1:0"),
///     "anthropic.claude-sonnet-4-20250514-v1:0"
/// );
/// assert_eq!(base_model_id("anthropic.claude-3-haiku-20240307-v1:0"), "anthropic.claude-3-haiku-20240307-v1:0");
/// ```
pub fn base_model_id(model_id: &str) -> &str {
    let id = [":inference-profile/", ":foundation-model/"]
        .iter()
        .find_map(|marker| model_id.split_once(marker).map(|(_, id)| id))
        .unwrap_or(model_id);
    match id.split_once('.') {
        // A profile id is `geo.provider.model`: the rest has a provider.
        Some((geo, rest)) if PROFILE_PREFIXES.contains(&geo) && rest.contains('.') => rest,
        _ => id,
    }
}

impl BedrockBackend {
    /// The input tokens of `request` by CountTokens, for the base model of
    /// this backend's model id ([`base_model_id`]).
    pub(crate) async fn count(&self, request: &ModelRequest) -> Result<u64, ModelError> {
        let parts = ConverseParts::try_from(request)?;
        let converse = ConverseTokensRequest::builder()
            .set_messages(Some(parts.messages))
            .set_system(parts.system)
            .set_tool_config(parts.tool_config)
            .build();
        let output = self
            .client()
            .count_tokens()
            .model_id(base_model_id(self.model_id()))
            .input(CountTokensInput::Converse(converse))
            .send()
            .await
            .map_err(|e| ModelError::from(SdkFailure(e)))?;
        Ok(u64::try_from(output.input_tokens).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_map_to_their_base_model() {
        let base = "anthropic.claude-sonnet-4-20250514-v1:0";
        for id in [
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "global.anthropic.claude-sonnet-4-20250514-v1:0",
            "apac.anthropic.claude-sonnet-4-20250514-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0",
            base,
        ] {
            assert_eq!(base_model_id(id), base, "{id}");
        }
        assert_eq!(
            base_model_id("amazon.nova-pro-v1:0"),
            "amazon.nova-pro-v1:0"
        );
        assert_eq!(base_model_id("mock-model"), "mock-model");
        let app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123";
        assert_eq!(base_model_id(app), app);
    }
}
