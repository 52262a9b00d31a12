//! The checks the service makes before a model sees a request, with its
//! status codes, error types and texts.

use agent_core::ModelRequest;
use agent_core::scripted::validate_conversation;
use axum::http::HeaderMap;

use super::answer::ServiceError;
use super::wire::WireRequest;
use crate::types::errors::INVALID_MODEL_MESSAGE;

/// Unsigned requests are refused with 403 and the type the service gives
/// them (`MissingAuthenticationTokenException`).
pub(crate) fn check_auth(headers: &HeaderMap) -> Result<(), ServiceError> {
    if headers.contains_key("authorization") {
        Ok(())
    } else {
        Err(ServiceError::new(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ))
    }
}

/// An unknown or malformed model id: 400 ValidationException, or 404
/// ResourceNotFoundException for an ARN nothing is deployed at. `listed`:
/// whether the id is among the models the server was given; `None` (no
/// list) serves any Anthropic id (`anthropic.` in it, as in
/// `us.anthropic.claude-sonnet-4-20250514-v1:0`) or one starting `mock`.
pub(crate) fn check_model(model_id: &str, listed: Option<bool>) -> Result<(), ServiceError> {
    let well_formed = !model_id.is_empty()
        && model_id.len() <= 2048
        && model_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c));
    let known = well_formed
        && listed
            .unwrap_or_else(|| model_id.contains("anthropic.") || model_id.starts_with("mock"));
    if known {
        Ok(())
    } else if well_formed && model_id.starts_with("arn:") {
        Err(ServiceError::new(
            404,
            "ResourceNotFoundException",
            "Could not resolve the foundation model from the provided model identifier.",
        ))
    } else {
        Err(ServiceError::validation(INVALID_MODEL_MESSAGE))
    }
}

/// The body read as the service reads it, then checked as the service
/// checks it: wire shape, tool specs, roles, toolUse/toolResult pairing.
pub(crate) fn check_request(body: &[u8]) -> Result<ModelRequest, ServiceError> {
    let wire: WireRequest = serde_json::from_slice(body).map_err(|e| {
        ServiceError::new(
            400,
            "SerializationException",
            format!("Malformed request body: {e}"),
        )
    })?;
    let request = wire.to_core().map_err(ServiceError::validation)?;
    validate_conversation(&request).map_err(ServiceError::validation)?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids() {
        let p = None;
        assert!(check_model("us.anthropic.claude-sonnet-4-20250514-v1:0", p).is_ok());
        assert!(check_model("mock-model", p).is_ok());
        let e = check_model("gpt-5", p).unwrap_err();
        assert_eq!((e.status, e.message.as_str()), (400, INVALID_MODEL_MESSAGE));
        let e = check_model("arn:aws:bedrock:us-east-1::foundation-model/x", p).unwrap_err();
        assert_eq!(e.status, 404);
        assert!(check_model("a", Some(true)).is_ok());
        assert!(check_model("anthropic.claude", Some(false)).is_err());
    }

    #[test]
    fn unsigned_requests_get_403() {
        let e = check_auth(&HeaderMap::new()).unwrap_err();
        assert_eq!(
            (e.status, e.error_type.as_str()),
            (403, "MissingAuthenticationTokenException")
        );
    }

    #[test]
    fn schema_type_is_checked() {
        let body = br#"{"messages":[{"role":"user","content":[{"text":"x"}]}],
            "toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"string"}}}}]}}"#;
        let e = check_request(body).unwrap_err();
        assert_eq!(
            e.message,
            "The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be object"
        );
    }
}
