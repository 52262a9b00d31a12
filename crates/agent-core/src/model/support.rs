//! What a backend's protocol can carry, and the check that refuses a
//! request holding anything else: a clear error naming the backend, never
//! a silent drop (a dropped image or reasoning block changes what the model
//! sees without anyone knowing).

use crate::{
    ContentBlock, MediaSource, ModelError, ModelErrorKind, ModelRequest, ToolResultContent,
};

/// The features beyond text and tools a backend's protocol carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Supports {
    /// Extended thinking and reasoning blocks.
    pub reasoning: bool,
    /// Images in user messages.
    pub images: bool,
    /// Images in tool results.
    pub images_in_tool_results: bool,
    /// Documents (in user messages and tool results).
    pub documents: bool,
    /// Images and documents by S3 location rather than bytes.
    pub s3_sources: bool,
}

impl Supports {
    /// Everything (the Converse API).
    pub const ALL: Self = Self {
        reasoning: true,
        images: true,
        images_in_tool_results: true,
        documents: true,
        s3_sources: true,
    };
}

fn refuse(backend: &str, what: &str) -> ModelError {
    ModelError::new(
        ModelErrorKind::InvalidRequest,
        format!("the {backend} backend cannot send {what}; use the bedrock backend for it"),
    )
}

fn check_source(source: &MediaSource, backend: &str, supports: Supports) -> Result<(), ModelError> {
    match source {
        MediaSource::S3 { .. } if !supports.s3_sources => {
            Err(refuse(backend, "images or documents by S3 location"))
        }
        _ => Ok(()),
    }
}

/// `Ok` when `backend`'s protocol, which carries `supports`, can carry
/// everything in `request`; else which feature it cannot, by name.
pub fn check_supported(
    request: &ModelRequest,
    backend: &str,
    supports: Supports,
) -> Result<(), ModelError> {
    if request.inference.thinking.is_some() && !supports.reasoning {
        return Err(refuse(backend, "extended thinking (--thinking)"));
    }
    for block in request.messages.iter().flat_map(|m| &m.content) {
        match block {
            ContentBlock::Reasoning(_) | ContentBlock::RedactedReasoning { .. }
                if !supports.reasoning =>
            {
                return Err(refuse(backend, "reasoning blocks"));
            }
            ContentBlock::Image(_) if !supports.images => return Err(refuse(backend, "images")),
            ContentBlock::Image(i) => check_source(&i.source, backend, supports)?,
            ContentBlock::Document(_) if !supports.documents => {
                return Err(refuse(backend, "documents"));
            }
            ContentBlock::Document(d) => check_source(&d.source, backend, supports)?,
            ContentBlock::ToolResult(r) => {
                for part in &r.content {
                    match part {
                        ToolResultContent::Image(_) if !supports.images_in_tool_results => {
                            return Err(refuse(backend, "images in tool results"));
                        }
                        ToolResultContent::Image(i) => check_source(&i.source, backend, supports)?,
                        ToolResultContent::Document(_) if !supports.documents => {
                            return Err(refuse(backend, "documents in tool results"));
                        }
                        ToolResultContent::Document(d) => {
                            check_source(&d.source, backend, supports)?
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Image, InferenceConfig, Message, Role, Thinking};

    #[test]
    fn names_the_backend_and_the_feature() {
        let mut request = ModelRequest {
            system: None,
            messages: vec![Message {
                role: Role::User,
                content: vec![ContentBlock::Image(
                    Image::from_bytes(b"GIF89a".to_vec()).unwrap(),
                )],
            }],
            tools: vec![],
            inference: InferenceConfig::default(),
            ..Default::default()
        };
        let e = check_supported(&request, "openai", Supports::default()).unwrap_err();
        assert!(
            e.to_string().contains("openai backend cannot send images"),
            "{e}"
        );
        let images = Supports {
            images: true,
            ..Supports::default()
        };
        assert!(check_supported(&request, "openai", images).is_ok());
        request.inference.thinking = Some(Thinking::budget(2000));
        let e = check_supported(&request, "openai", images).unwrap_err();
        assert!(e.to_string().contains("extended thinking"), "{e}");
        assert!(check_supported(&request, "bedrock", Supports::ALL).is_ok());
    }
}
