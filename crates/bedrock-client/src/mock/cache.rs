//! The prompt cache, as the service keeps one: a request's prefix up to a
//! cache point (tools, then system, then messages) is written on first
//! sight and read back by a later request that starts with the same
//! blocks, whose usage then reports `cacheReadInputTokens`.
//!
//! Like the service, a hit is found at any earlier cache point's position,
//! not only at this request's own points (the service looks back from each
//! point), so an agent loop that moves its one message cache point to the
//! latest turn reads what the previous turn wrote. Entries do not expire
//! (a test lasts less than the shortest TTL), and there is no minimum
//! prefix length (the service caches nothing below 1,024 tokens or so on
//! most models; see docs/BEDROCK.md).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use serde_json::Value;

/// Where a request's input tokens went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CacheUsage {
    /// Tokens billed at full price.
    pub input: u64,
    /// Tokens read from the cache.
    pub read: u64,
    /// Tokens written to the cache.
    pub write: u64,
}

/// Prefix hash → its tokens, for every cache point seen.
#[derive(Debug, Default)]
pub(crate) struct PromptCache {
    entries: Mutex<HashMap<u64, u64>>,
}

/// A position between blocks: the prefix's hash and tokens so far.
struct Boundary {
    hash: u64,
    tokens: u64,
    cache_point: bool,
}

fn tokens(s: &str) -> u64 {
    (s.len() as u64).div_ceil(4)
}

/// The request's blocks in the order the service reads them, each with its
/// boundary after it.
fn boundaries(body: &Value) -> Vec<Boundary> {
    let empty = Vec::new();
    let list = |pointer: &str| body.pointer(pointer).and_then(Value::as_array).unwrap_or(&empty);
    let mut segments: Vec<(String, bool)> = Vec::new();
    for tool in list("/toolConfig/tools") {
        segments.push((tool.to_string(), tool.get("cachePoint").is_some()));
    }
    for block in list("/system") {
        segments.push((block.to_string(), block.get("cachePoint").is_some()));
    }
    for message in list("/messages") {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        for block in message.get("content").and_then(Value::as_array).unwrap_or(&empty) {
            segments.push((format!("{role}:{block}"), block.get("cachePoint").is_some()));
        }
    }
    let mut hash = 0u64;
    let mut total = 0u64;
    segments
        .into_iter()
        .map(|(text, cache_point)| {
            // A cache point marks a place; it is not content: the same
            // blocks with the point elsewhere are the same prefix.
            if !cache_point {
                let mut h = DefaultHasher::new();
                (hash, &text).hash(&mut h);
                hash = h.finish();
                total += tokens(&text);
            }
            Boundary {
                hash,
                tokens: total,
                cache_point,
            }
        })
        .collect()
}

impl PromptCache {
    /// The usage split of the request `body` (the Converse JSON), and the
    /// cache updated with its points; all of it full-price input when it
    /// has no cache point.
    pub(crate) fn account(&self, body: &Value) -> CacheUsage {
        let boundaries = boundaries(body);
        let total = boundaries.last().map_or(0, |b| b.tokens);
        let uncached = CacheUsage {
            input: total,
            ..CacheUsage::default()
        };
        let Some(last_point) = boundaries.iter().rposition(|b| b.cache_point) else {
            return uncached;
        };
        let Ok(mut entries) = self.entries.lock() else {
            return uncached;
        };
        let read = boundaries[..=last_point]
            .iter()
            .rev()
            .find(|b| entries.contains_key(&b.hash))
            .map_or(0, |b| b.tokens);
        let write = boundaries[last_point].tokens.saturating_sub(read);
        for b in boundaries.iter().filter(|b| b.cache_point) {
            entries.insert(b.hash, b.tokens);
        }
        CacheUsage {
            input: total.saturating_sub(read + write),
            read,
            write,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(turns: usize) -> Value {
        let mut messages = vec![json!({"role": "user", "content": [{"text": "Plan a trip"}]})];
        for t in 0..turns {
            messages.push(json!({"role": "assistant", "content": [{"text": format!("step {t}")}]}));
            messages.push(json!({"role": "user", "content": [{"text": format!("go on {t}")}]}));
        }
        if let Some(last) = messages.last_mut() {
            last["content"].as_array_mut().unwrap().push(json!({"cachePoint": {"type": "default"}}));
        }
        json!({
            "system": [{"text": "Be brief, and plan well."}, {"cachePoint": {"type": "default"}}],
            "messages": messages,
        })
    }

    #[test]
    fn the_first_request_writes_and_the_next_reads_the_shared_prefix() {
        let cache = PromptCache::default();
        let first = cache.account(&body(0));
        assert_eq!(first.read, 0);
        assert!(first.write > 0);
        assert_eq!(first.input, 0, "everything up to the last point is written");
        let second = cache.account(&body(1));
        // The whole first request is the second one's prefix.
        assert_eq!(second.read, first.write);
        assert!(second.write > 0);
        // The same request again reads all of it.
        let again = cache.account(&body(1));
        assert_eq!((again.read, again.write), (second.read + second.write, 0));
        let plain = json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]});
        assert_eq!(cache.account(&plain).read + cache.account(&plain).write, 0);
    }
}
