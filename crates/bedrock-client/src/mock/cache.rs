//! The Converse request as the prompt cache reads it
//! (`mock_support::prompt_cache`): tools, system blocks, then each
//! message's blocks, `cachePoint` blocks as cache points.

use mock_support::prompt_cache::Mark;
pub(crate) use mock_support::prompt_cache::{CacheUsage, PromptCache};
use serde_json::Value;

/// The marks of a Converse request `body`.
pub(crate) fn marks(body: &Value) -> Vec<Mark> {
    let empty = Vec::new();
    let list = |pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_array)
            .unwrap_or(&empty)
    };
    let mark = |text: String, block: &Value| {
        if block.get("cachePoint").is_some() {
            Mark::CachePoint
        } else {
            Mark::Block(text)
        }
    };
    let mut marks = Vec::new();
    for tool in list("/toolConfig/tools") {
        marks.push(mark(tool.to_string(), tool));
    }
    for block in list("/system") {
        marks.push(mark(block.to_string(), block));
    }
    for message in list("/messages") {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        for block in message
            .get("content")
            .and_then(Value::as_array)
            .unwrap_or(&empty)
        {
            marks.push(mark(format!("{role}:{block}"), block));
        }
    }
    marks
}

/// The usage split of `body` in `cache`.
pub(crate) fn account(cache: &PromptCache, body: &Value) -> CacheUsage {
    cache.account(&marks(body))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cache_points_are_places_and_roles_tell_blocks_apart() {
        let body = json!({
            "toolConfig": {"tools": [{"toolSpec": {"name": "f"}}, {"cachePoint": {"type": "default"}}]},
            "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
            "messages": [{"role": "user", "content": [{"text": "Hi"}, {"cachePoint": {"type": "default"}}]}]
        });
        let marks = marks(&body);
        assert_eq!(marks.iter().filter(|m| **m == Mark::CachePoint).count(), 3);
        assert_eq!(marks[4], Mark::Block(r#"user:{"text":"Hi"}"#.into()));
        let cache = PromptCache::default();
        assert!(account(&cache, &body).write > 0);
        assert_eq!(account(&cache, &body).write, 0);
    }
}
