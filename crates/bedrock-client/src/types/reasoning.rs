//! Reasoning (extended thinking): core reasoning blocks ↔ the SDK's
//! `reasoningContent`, unchanged both ways. The text and signature are sent
//! back exactly as received: the service checks the signature, and a
//! changed byte fails the next call of a tool-use round.

use agent_core::{Blob, ContentBlock, ModelError, Reasoning};
use aws_sdk_bedrockruntime::types as sdk;

fn build_error(e: impl std::fmt::Display) -> ModelError {
    ModelError::new(
        agent_core::ModelErrorKind::Other,
        format!("could not build the Bedrock reasoningContent block: {e}"),
    )
}

/// The SDK block for signed reasoning text.
pub(crate) fn reasoning_block(r: &Reasoning) -> Result<sdk::ContentBlock, ModelError> {
    Ok(sdk::ContentBlock::ReasoningContent(
        sdk::ReasoningContentBlock::ReasoningText(
            sdk::ReasoningTextBlock::builder()
                .text(&r.text)
                .set_signature(r.signature.clone())
                .build()
                .map_err(build_error)?,
        ),
    ))
}

/// The SDK block for redacted reasoning.
pub(crate) fn redacted_block(data: &Blob) -> sdk::ContentBlock {
    sdk::ContentBlock::ReasoningContent(sdk::ReasoningContentBlock::RedactedContent(
        aws_smithy_types::Blob::new(data.as_bytes()),
    ))
}

/// The core block of an SDK reasoning block; `None` for a kind this SDK
/// version does not know.
pub(crate) fn core_block(block: sdk::ReasoningContentBlock) -> Option<ContentBlock> {
    match block {
        sdk::ReasoningContentBlock::ReasoningText(t) => Some(ContentBlock::Reasoning(Reasoning {
            text: t.text,
            signature: t.signature,
        })),
        sdk::ReasoningContentBlock::RedactedContent(b) => Some(ContentBlock::RedactedReasoning {
            data: Blob::from(b.into_inner()),
        }),
        other => {
            tracing::debug!(?other, "skipping a reasoning block of an unknown kind");
            None
        }
    }
}
