//! Signed reasoning, as the local servers play extended thinking: the
//! reasoning the scripted model "writes" before its answer, and the
//! signature that proves a client sent it back unchanged.
//!
//! The signature is a keyed hash of the reasoning text under the server's
//! own key (never sent), so a changed byte of the text, or a made-up
//! signature, is found exactly as the services find it. Each server has its
//! key, so reasoning signed by one is refused by the other, as a Bedrock
//! signature is by the Anthropic API.

use std::hash::{DefaultHasher, Hash, Hasher};

use agent_core::{Blob, ContentBlock, ModelRequest, ModelResponse, Reasoning, Role};

/// The signature of `text` under `key`: base64 of a 128-bit keyed hash.
pub fn sign(key: &str, text: &str) -> String {
    let mut bytes = Vec::with_capacity(16);
    for salt in [1u8, 2] {
        let mut h = DefaultHasher::new();
        (key, salt, text).hash(&mut h);
        bytes.extend_from_slice(&h.finish().to_be_bytes());
    }
    Blob::from(bytes).to_base64()
}

/// Puts the scripted model's reasoning, signed under `key`, before
/// `response`'s answer: deterministic, with the spacing and characters a
/// careless client would change (a double space, a newline, non-ASCII).
pub fn add_reasoning(key: &str, response: &mut ModelResponse, request: &ModelRequest) {
    let turn = request
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .count();
    let tools: Vec<&str> = response
        .message
        .tool_uses()
        .map(|u| u.name.as_str())
        .collect();
    let text = if tools.is_empty() {
        format!("Turn {turn}:  the results are in.\nI can answer now — briefly.")
    } else {
        format!(
            "Turn {turn}:  I need {}.\nCalling them — in one go.",
            tools.join(", ")
        )
    };
    let signature = sign(key, &text);
    response.message.content.insert(
        0,
        ContentBlock::Reasoning(Reasoning {
            text,
            signature: Some(signature),
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_depends_on_every_byte_and_on_the_key() {
        let s = sign("k", "why");
        assert_eq!(s, sign("k", "why"));
        assert_ne!(s, sign("k", "why "));
        assert_ne!(s, sign("other", "why"));
    }
}
