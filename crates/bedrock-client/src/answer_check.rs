//! Checks on the model's answer that the service itself applies to the next
//! request: tool-use ids and tool names must match Bedrock's pattern
//! (`[a-zA-Z0-9_-]{1,64}`), and no id may appear twice in one message.
//!
//! An answer that breaks them would be refused by Bedrock one request later,
//! after its tools had already run (and, with a duplicated id, with inputs
//! matched to the wrong calls). Checking it as it arrives turns it into a
//! retryable malformed-answer error before anything has side effects.

use std::collections::HashSet;

use agent_core::{ContentBlock, Message, ModelError};

/// The longest id or name Bedrock accepts.
const MAX_LEN: usize = 64;

fn well_formed(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// What the answer's tool-use blocks have shown so far.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ToolUseCheck {
    seen: HashSet<String>,
}

impl ToolUseCheck {
    /// Checks one tool-use block's id and name against the service's rules
    /// and the ids already seen in this message.
    pub(crate) fn check(&mut self, id: &str, name: &str) -> Result<(), ModelError> {
        if !well_formed(id) {
            return Err(malformed(format!(
                "the model sent the tool-use id {id:?}, which Bedrock refuses \
                 (1 to 64 of a-z, A-Z, 0-9, _ and -)"
            )));
        }
        if !well_formed(name) {
            return Err(malformed(format!(
                "the model asked for the tool name {name:?} (tool-use id {id}), which \
                 Bedrock refuses (1 to 64 of a-z, A-Z, 0-9, _ and -)"
            )));
        }
        if !self.seen.insert(id.to_owned()) {
            return Err(malformed(format!(
                "the model sent the tool-use id {id} more than once in one message"
            )));
        }
        Ok(())
    }
}

/// Checks every tool-use block of a whole (non-streamed) message.
pub(crate) fn check_message(message: &Message) -> Result<(), ModelError> {
    let mut check = ToolUseCheck::default();
    for block in &message.content {
        if let ContentBlock::ToolUse(u) = block {
            check.check(&u.id, &u.name)?;
        }
    }
    Ok(())
}

/// A malformed answer: retryable, since the next attempt is a new answer.
pub(crate) fn malformed(detail: String) -> ModelError {
    ModelError::stream(format!("malformed answer from Bedrock: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_follow_the_services_pattern() {
        let mut c = ToolUseCheck::default();
        assert!(c.check("tooluse_0_0", "get_weather").is_ok());
        assert!(c.check("tooluse_0_1", "get-weather_2").is_ok());
        assert!(c.check(&"a".repeat(64), "x").is_ok());
        for (id, name) in [
            ("", "x"),
            ("a b", "x"),
            ("é", "x"),
            (&*"a".repeat(65), "x"),
            ("ok1", ""),
            ("ok2", "a.b"),
            ("ok3", &*"n".repeat(65)),
        ] {
            let e = ToolUseCheck::default().check(id, name).unwrap_err();
            assert!(e.is_retryable(), "{e}");
        }
    }

    #[test]
    fn an_id_seen_twice_is_refused() {
        let mut c = ToolUseCheck::default();
        assert!(c.check("t1", "a").is_ok());
        let e = c.check("t1", "b").unwrap_err();
        assert!(e.message.contains("t1 more than once"), "{e}");
    }
}
