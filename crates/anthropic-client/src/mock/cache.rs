//! Prompt caching as the Messages API does it: `cache_control` blocks
//! checked (at most 4, type `ephemeral`, TTL `5m` or `1h`, no 1-hour entry
//! after a 5-minute one) and the request read by the shared prompt cache
//! (`mock_support::prompt_cache`): tools, system blocks, then each
//! message's blocks, each block with `cache_control` ending a cached
//! prefix.

use mock_support::prompt_cache::Mark;
use serde_json::Value;

/// The most `cache_control` blocks a request may carry.
const MAX_CACHE_CONTROLS: usize = 4;

/// The blocks of a Messages API request `body`, in the order the API reads
/// them (string contents as the one text block they stand for).
fn blocks(body: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let list = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    for tool in list(body.get("tools")) {
        out.push(("tool".to_owned(), tool));
    }
    match body.get("system") {
        Some(Value::String(text)) => {
            out.push((
                "system".to_owned(),
                serde_json::json!({"type": "text", "text": text}),
            ));
        }
        system => {
            for block in list(system) {
                out.push(("system".to_owned(), block));
            }
        }
    }
    for message in list(body.get("messages")) {
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        match message.get("content") {
            Some(Value::String(text)) => {
                out.push((role, serde_json::json!({"type": "text", "text": text})));
            }
            content => {
                for block in list(content) {
                    out.push((role.clone(), block));
                }
            }
        }
    }
    out
}

/// The cache controls' problems, in the API's words.
pub(crate) fn check(body: &Value) -> Result<(), String> {
    let mut count = 0;
    let mut short_seen = false;
    for (_, block) in blocks(body) {
        let Some(control) = block.get("cache_control") else {
            continue;
        };
        count += 1;
        let kind = control.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != "ephemeral" {
            return Err(format!(
                "cache_control.type: Input should be 'ephemeral' (got '{kind}')"
            ));
        }
        match control.get("ttl").and_then(Value::as_str) {
            None | Some("5m") => short_seen = true,
            Some("1h") if short_seen => {
                return Err(
                    "a ttl='1h' cache_control block must not come after a ttl='5m' \
                            cache_control block. Note that blocks are processed in the \
                            following order: `tools`, `system`, `messages`."
                        .into(),
                );
            }
            Some("1h") => {}
            Some(other) => {
                return Err(format!(
                    "cache_control.ttl: Input should be '5m' or '1h' (got '{other}')"
                ));
            }
        }
    }
    if count > MAX_CACHE_CONTROLS {
        return Err(format!(
            "A maximum of {MAX_CACHE_CONTROLS} blocks with cache_control may be provided. \
             Found {count}."
        ));
    }
    Ok(())
}

/// The request as the prompt cache reads it: each block without its
/// `cache_control` (a place, not content), then a cache point if it had one.
pub(crate) fn marks(body: &Value) -> Vec<Mark> {
    let mut marks = Vec::new();
    for (part, mut block) in blocks(body) {
        let control = block
            .as_object_mut()
            .and_then(|b| b.remove("cache_control"))
            .is_some();
        marks.push(Mark::Block(format!("{part}:{block}")));
        if control {
            marks.push(Mark::CachePoint);
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn at_most_four_controls_of_known_types_and_ttls() {
        let with = |n: usize, control: Value| {
            let content: Vec<Value> = (0..n)
                .map(|i| json!({"type": "text", "text": format!("t{i}"), "cache_control": control}))
                .collect();
            json!({"messages": [{"role": "user", "content": content}]})
        };
        assert_eq!(check(&with(4, json!({"type": "ephemeral"}))), Ok(()));
        let e = check(&with(5, json!({"type": "ephemeral"}))).unwrap_err();
        assert!(e.contains("A maximum of 4 blocks with cache_control may be provided. Found 5."));
        assert!(check(&with(1, json!({"type": "persistent"}))).is_err());
        assert!(check(&with(1, json!({"type": "ephemeral", "ttl": "2h"}))).is_err());
        let mixed = json!({"system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "u", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}]});
        assert!(check(&mixed).unwrap_err().contains("ttl='1h'"));
        assert_eq!(marks(&mixed).len(), 4);
    }
}
