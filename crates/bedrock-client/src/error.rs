//! [`BedrockError`]: why a [`crate::BedrockBackend`] could not be built.
//!
//! Failures of a model call are [`agent_core::ModelError`]s instead (see
//! [`crate::types::errors`]).

/// A backend that could not be built, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BedrockError {
    /// No region in the builder, the environment or the profile.
    #[error(
        "no AWS region configured{}: set AWS_REGION, add `region = us-east-1` (say) to the \
         profile in ~/.aws/config, or give the backend a region",
        profile.as_ref().map(|p| format!(" for profile `{p}`")).unwrap_or_default()
    )]
    NoRegion {
        /// The profile that was read, if one was named.
        profile: Option<String>,
    },
    /// The endpoint URL override is not an http(s) URL.
    #[error(
        "the endpoint URL `{url}` is not an http:// or https:// URL (for the local server: \
         http://127.0.0.1:PORT)"
    )]
    InvalidEndpoint {
        /// The URL as given.
        url: String,
    },
    /// The model id is empty.
    #[error(
        "the model id is empty: give a model or inference-profile id such as \
         `us.anthropic.claude-sonnet-4-20250514-v1:0`"
    )]
    EmptyModelId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let e = BedrockError::NoRegion {
            profile: Some("dev".into()),
        };
        assert!(e.to_string().contains("for profile `dev`"));
        assert!(e.to_string().contains("AWS_REGION"));
    }
}
