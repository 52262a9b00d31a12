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
    /// The region is not a region name.
    #[error(
        "the AWS region {region:?} is not a region name: expected lowercase letters, digits \
         and hyphens, such as `us-east-1` or `eu-central-1`"
    )]
    InvalidRegion {
        /// The region as given.
        region: String,
    },
    /// The profile named explicitly is in neither shared file.
    #[error(
        "the AWS profile `{profile}` is not defined: looked in {looked_in}. Define it (for \
         example `aws configure --profile {profile}`), or name a profile that exists"
    )]
    ProfileNotFound {
        /// The profile as given.
        profile: String,
        /// The files that were read, for the reader to check.
        looked_in: String,
    },
    /// The shared config files could not be read or parsed.
    #[error("could not read the AWS config files ({looked_in}): {reason}")]
    ProfileFiles {
        /// The files that were read.
        looked_in: String,
        /// The loader's reason.
        reason: String,
    },
    /// The stream idle timeout, which would cut every stream.
    #[error("the stream idle timeout must be above zero (default 60 s)")]
    ZeroStreamIdleTimeout,
}

/// Whether `region` has the form of an AWS region name (`us-east-1`,
/// `us-gov-west-1`, `cn-north-1`): what the endpoint resolver can use.
pub(crate) fn is_region_name(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 64
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
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

    #[test]
    fn region_names_have_the_services_form() {
        for ok in ["us-east-1", "us-gov-west-1", "eu-central-2", "cn-north-1"] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "",
            "not a region!!",
            "US-EAST-1",
            "us-east-1-",
            "-us",
            "us_east_1",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}
