//! Building the model backend from settings.

use std::sync::Arc;

use agent_core::ModelBackend;
use bedrock_client::BedrockBackend;

use crate::config::Settings;
use crate::exit::Failure;

/// The Bedrock backend the settings describe (credentials from the AWS chain).
pub async fn bedrock(settings: &Settings) -> Result<Arc<dyn ModelBackend>, Failure> {
    let mut builder = BedrockBackend::builder().model_id(settings.model.value.clone());
    if let Some(region) = &settings.region.value {
        builder = builder.region(region.clone());
    }
    if let Some(profile) = &settings.profile.value {
        builder = builder.profile(profile.clone());
    }
    if let Some(url) = &settings.endpoint_url.value {
        builder = builder.endpoint_url(url.clone());
    }
    let backend = builder
        .build()
        .await
        .map_err(|e| Failure::Usage(e.to_string()))?;
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
