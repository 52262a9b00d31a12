//! The context windows of the models this crate's users run most, so a
//! window need not be configured for them.

/// The context window, in tokens, of `model_id` where it is known: Claude
/// models (by any provider's id: `us.anthropic.claude-…`,
/// `claude-sonnet-4-5`) take 200 000, OpenAI's GPT-4o and GPT-4.1 families
/// 128 000 and 1 047 576, others `None` (then set one).
pub fn known_context_window(model_id: &str) -> Option<u64> {
    let id = model_id.to_ascii_lowercase();
    if id.contains("claude") {
        Some(200_000)
    } else if id.contains("gpt-4.1") {
        Some(1_047_576)
    } else if id.contains("gpt-4o") || id.contains("o3") || id.contains("o4-mini") {
        Some(128_000)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_by_any_id_gpt_by_family_others_unknown() {
        assert_eq!(
            known_context_window("us.anthropic.claude-sonnet-4-20250514-v1:0"),
            Some(200_000)
        );
        assert_eq!(known_context_window("claude-sonnet-4-5"), Some(200_000));
        assert_eq!(known_context_window("gpt-4o-mini"), Some(128_000));
        assert_eq!(known_context_window("gpt-4.1"), Some(1_047_576));
        assert_eq!(known_context_window("mock-model"), None);
    }
}
