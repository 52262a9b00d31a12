//! The prompt cache, as the services keep one, for every local server: a
//! request's prefix up to a cache point (tools, then system, then
//! messages) is written on first sight and read back by a later request
//! that starts with the same blocks.
//!
//! Like the services, a hit is found at any earlier cache point's
//! position, not only at this request's own points (the services look back
//! from each point), so an agent loop that moves its one message cache
//! point to the latest turn reads what the previous turn wrote. Entries do
//! not expire (a test lasts less than the shortest TTL), and there is no
//! minimum prefix length (the services cache nothing below about 1,024
//! tokens on most models; see docs/BEDROCK.md). Tokens are 4 bytes of the
//! blocks' JSON each, as the scenarios estimate them.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

/// One piece of a request, in the order the service reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// A block: its JSON (with anything that tells blocks of different
    /// roles apart).
    Block(String),
    /// A cache point after the blocks before it (a place, not content: the
    /// same blocks with the point elsewhere are the same prefix).
    CachePoint,
}

/// Where a request's input tokens went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUsage {
    /// Tokens billed at full price.
    pub input: u64,
    /// Tokens read from the cache.
    pub read: u64,
    /// Tokens written to the cache.
    pub write: u64,
}

/// Prefix hash → its tokens, for every cache point seen.
#[derive(Debug, Default)]
pub struct PromptCache {
    entries: Mutex<HashMap<u64, u64>>,
}

fn tokens(s: &str) -> u64 {
    (s.len() as u64).div_ceil(4)
}

impl PromptCache {
    /// The usage split of the request made of `marks`, and the cache
    /// updated with its points; all of it full-price input when it has no
    /// cache point.
    pub fn account(&self, marks: &[Mark]) -> CacheUsage {
        // (prefix hash, tokens so far, a cache point here) per position.
        let mut hash = 0u64;
        let mut total = 0u64;
        let positions: Vec<(u64, u64, bool)> = marks
            .iter()
            .map(|mark| match mark {
                Mark::Block(text) => {
                    let mut h = DefaultHasher::new();
                    (hash, text).hash(&mut h);
                    hash = h.finish();
                    total += tokens(text);
                    (hash, total, false)
                }
                Mark::CachePoint => (hash, total, true),
            })
            .collect();
        let uncached = CacheUsage {
            input: total,
            ..CacheUsage::default()
        };
        let Some(last_point) = positions.iter().rposition(|p| p.2) else {
            return uncached;
        };
        let Ok(mut entries) = self.entries.lock() else {
            return uncached;
        };
        let read = positions[..=last_point]
            .iter()
            .rev()
            .find(|p| entries.contains_key(&p.0))
            .map_or(0, |p| p.1);
        let write = positions[last_point].1.saturating_sub(read);
        for p in positions.iter().filter(|p| p.2) {
            entries.insert(p.0, p.1);
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
    use super::*;

    fn request(turns: usize) -> Vec<Mark> {
        let mut marks = vec![Mark::Block("system: Be brief.".into()), Mark::CachePoint];
        marks.push(Mark::Block("user: Plan a trip".into()));
        for t in 0..turns {
            marks.push(Mark::Block(format!("assistant: step {t}")));
            marks.push(Mark::Block(format!("user: go on {t}")));
        }
        marks.push(Mark::CachePoint);
        marks
    }

    #[test]
    fn the_first_request_writes_and_the_next_reads_the_shared_prefix() {
        let cache = PromptCache::default();
        let first = cache.account(&request(0));
        assert_eq!((first.read, first.input), (0, 0));
        assert!(first.write > 0);
        let second = cache.account(&request(1));
        assert_eq!(
            second.read, first.write,
            "the whole first request is a prefix"
        );
        assert!(second.write > 0);
        let again = cache.account(&request(1));
        assert_eq!((again.read, again.write), (second.read + second.write, 0));
        let plain = [Mark::Block("user: hi".into())];
        assert_eq!(cache.account(&plain).input, 2);
    }
}
