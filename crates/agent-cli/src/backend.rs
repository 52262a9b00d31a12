//! Building the model backend from settings.

use std::sync::Arc;

use agent_core::ModelBackend;
use bedrock_client::BedrockBackend;

use crate::exit::Failure;
use crate::settings::{BackendKind, Settings};

/// The backend the settings choose. A missing API key is one line and a
/// model-service failure (exit 3), as a missing AWS credential is.
pub async fn from_settings(settings: &Settings) -> Result<Arc<dyn ModelBackend>, Failure> {
    let model = settings.model.value.clone();
    let key = settings
        .api_key
        .value
        .as_ref()
        .map(|k| k.expose().to_owned());
    let url = settings.base_url.value.clone();
    match settings.backend.value {
        BackendKind::Bedrock => bedrock(settings).await,
        BackendKind::Anthropic => {
            let mut b = anthropic_client::AnthropicBackend::builder()
                .from_env()
                .model(model);
            if let Some(url) = url {
                b = b.base_url(url);
            }
            if let Some(key) = key {
                b = b.api_key(key);
            }
            let backend = b.build().map_err(|e| match e {
                anthropic_client::ConfigError::MissingApiKey => Failure::Model(
                    "ANTHROPIC_API_KEY is not set: set it to an Anthropic API key (from \
                     console.anthropic.com), or set api_key in agent.toml; `agent demo` needs no key"
                        .into(),
                ),
                other => config_failure(other.kind(), other.to_string()),
            })?;
            Ok(Arc::new(backend))
        }
        BackendKind::Openai => {
            let mut b = openai_client::OpenAiBackend::builder()
                .from_env()
                .model(model);
            if let Some(url) = url {
                b = b.base_url(url);
            }
            if let Some(key) = key {
                b = b.api_key(key);
            }
            let backend = b.build().map_err(|e| match e {
                openai_client::ConfigError::MissingApiKey { url } => Failure::Model(format!(
                    "OPENAI_API_KEY is not set; {url} needs an API key: set OPENAI_API_KEY or \
                     api_key in agent.toml, or point --base-url at a server that needs none, such \
                     as Ollama at http://localhost:11434/v1; `agent demo` needs no key"
                )),
                other => config_failure(other.kind(), other.to_string()),
            })?;
            Ok(Arc::new(backend))
        }
    }
}

fn config_failure(kind: agent_core::ModelErrorKind, message: String) -> Failure {
    match kind {
        agent_core::ModelErrorKind::Credentials => Failure::Model(format!(
            "{message} (or set api_key in agent.toml; `agent demo` needs no key)"
        )),
        _ => Failure::Usage(message),
    }
}

/// The Bedrock backend the settings describe (credentials from the AWS chain).
async fn bedrock(settings: &Settings) -> Result<Arc<dyn ModelBackend>, Failure> {
    let mut builder = BedrockBackend::builder()
        .model_id(settings.model.value.clone())
        .stream_idle_timeout(std::time::Duration::from_secs_f64(
            settings.stream_idle_timeout.value,
        ));
    if let Some(region) = &settings.region.value {
        builder = builder.region(region.clone());
    }
    if let Some(profile) = &settings.profile.value {
        builder = builder.profile(profile.clone());
    }
    // --endpoint-url is Bedrock's own name for it; --base-url also works.
    if let Some(url) = settings
        .endpoint_url
        .value
        .as_ref()
        .or(settings.base_url.value.as_ref())
    {
        builder = builder.endpoint_url(url.clone());
    }
    let backend = builder.build().await.map_err(|e| match e {
        bedrock_client::BedrockError::NoRegion { profile } => Failure::Usage(format!(
            "no AWS region configured{}: pass --region (for example --region us-east-1), set \
             AGENT_REGION or AWS_REGION, put `region = \"us-east-1\"` in agent.toml, or add a \
             region to the profile in ~/.aws/config",
            profile
                .map(|p| format!(" for profile `{p}`"))
                .unwrap_or_default()
        )),
        bedrock_client::BedrockError::InvalidRegion { region } => Failure::Usage(format!(
            "the region {region:?} (from {}) is not an AWS region name: expected lowercase \
             letters, digits and hyphens, such as --region us-east-1",
            match settings.region.value {
                Some(_) => settings.region.source.to_string(),
                None => "AWS_REGION or the AWS profile".to_owned(),
            }
        )),
        e @ bedrock_client::BedrockError::ProfileNotFound { .. } => {
            Failure::Usage(format!("{e} (profile from {})", settings.profile.source))
        }
        other => Failure::Usage(other.to_string()),
    })?;
    Ok(Arc::new(backend))
}

/// A Bedrock backend for the in-process local server: fixed region and
/// throwaway keys (the server checks that requests are signed, not by whom).
pub async fn local_bedrock(endpoint_url: &str) -> Result<Arc<dyn ModelBackend>, Failure> {
    let backend = BedrockBackend::builder()
        .region("us-east-1")
        .endpoint_url(endpoint_url)
        .static_credentials("AKIDLOCALDEMO", "local-demo-secret")
        .build()
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    Ok(Arc::new(backend))
}
