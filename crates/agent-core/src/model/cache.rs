//! Prompt caching: [`CachePoint`] blocks, the automatic [`CacheSettings`],
//! and where a request's cache points go ([`CachePlan`]).
//!
//! A cache point marks the end of a prefix (tools, then system prompt, then
//! messages, in that order) that the service may store and read back on the
//! next request that starts with the same bytes: those input tokens are then
//! billed at the cache-read price instead of in full. With automatic caching
//! on, every request carries a point after the tool specs, one after the
//! system prompt and one on the latest turn, never more than the service's
//! limit of [`MAX_CACHE_POINTS`] counting those already in the messages.

use serde::{Deserialize, Serialize};

use crate::{ContentBlock, ModelRequest};

/// The most cache points a request may carry (Bedrock's and the Messages
/// API's limit).
pub const MAX_CACHE_POINTS: usize = 4;

/// How long the service keeps a cached prefix after its last use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CacheTtl {
    /// Five minutes (the default where a TTL is not given).
    #[serde(rename = "5m")]
    FiveMinutes,
    /// One hour, on the models that offer it (writes cost more).
    #[serde(rename = "1h")]
    OneHour,
}

impl CacheTtl {
    /// The wire form: `5m` or `1h`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FiveMinutes => "5m",
            Self::OneHour => "1h",
        }
    }
}

impl std::fmt::Display for CacheTtl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CacheTtl {
    type Err = String;

    /// `5m` or `1h`, the only TTLs the services take.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "5m" => Ok(Self::FiveMinutes),
            "1h" => Ok(Self::OneHour),
            other => Err(format!("`{other}` is not a cache TTL (5m or 1h)")),
        }
    }
}

/// A cache point: the prefix up to here may be cached. As a message block
/// ([`ContentBlock::CachePoint`]) it follows the blocks it covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CachePoint {
    /// How long the entry lives; `None`: the service's default (5 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<CacheTtl>,
}

/// Automatic prompt caching, on a request: cache points after the tool
/// specs, after the system prompt and on the latest turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheSettings {
    /// The TTL of every automatic cache point; `None`: the service's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<CacheTtl>,
}

impl CacheSettings {
    /// Automatic caching with the service's default TTL.
    pub fn auto() -> Self {
        Self::default()
    }

    /// Automatic caching with `ttl`.
    pub fn with_ttl(ttl: CacheTtl) -> Self {
        Self { ttl: Some(ttl) }
    }

    fn point(self) -> CachePoint {
        CachePoint { ttl: self.ttl }
    }
}

/// Where a request's automatic cache points go; backends place them as
/// their protocol says (Bedrock: `cachePoint` blocks; the Messages API:
/// `cache_control` on the block before). Cache points already in the
/// messages are sent as they are, besides these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CachePlan {
    /// After the last tool spec.
    pub tools: Option<CachePoint>,
    /// After the system prompt.
    pub system: Option<CachePoint>,
    /// At the end of the last message.
    pub latest_turn: Option<CachePoint>,
}

impl CachePlan {
    /// How many points the plan adds.
    pub fn len(&self) -> usize {
        [self.tools, self.system, self.latest_turn]
            .iter()
            .filter(|p| p.is_some())
            .count()
    }

    /// Whether the plan adds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ModelRequest {
    /// The cache points in the messages (placed by the caller).
    pub fn explicit_cache_points(&self) -> usize {
        self.messages
            .iter()
            .flat_map(|m| &m.content)
            .filter(|b| matches!(b, ContentBlock::CachePoint(_)))
            .count()
    }

    /// Where automatic caching puts its points on this request: none
    /// without [`ModelRequest::cache`]; otherwise after the tools (if any),
    /// after the system prompt (if not blank) and on the latest turn
    /// (unless it already ends with one), in that order of priority, within
    /// [`MAX_CACHE_POINTS`] counting the explicit ones.
    pub fn cache_plan(&self) -> CachePlan {
        let mut plan = CachePlan::default();
        let Some(settings) = self.cache else {
            return plan;
        };
        let mut room = MAX_CACHE_POINTS.saturating_sub(self.explicit_cache_points());
        let mut take = |wanted: bool| {
            let yes = wanted && room > 0;
            if yes {
                room -= 1;
            }
            yes.then(|| settings.point())
        };
        plan.tools = take(!self.tools.is_empty());
        plan.system = take(self.system.as_deref().is_some_and(|s| !s.trim().is_empty()));
        let last_ends_with_point = self
            .messages
            .last()
            .and_then(|m| m.content.last())
            .is_some_and(|b| matches!(b, ContentBlock::CachePoint(_)));
        plan.latest_turn = take(!self.messages.is_empty() && !last_ends_with_point);
        plan
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tool_api::ToolSpec;

    use super::*;
    use crate::Message;

    fn request() -> ModelRequest {
        ModelRequest {
            system: Some("Be brief.".into()),
            messages: vec![Message::user("Hi")],
            tools: vec![ToolSpec::new("f", "F.", json!({"type": "object"}))],
            cache: Some(CacheSettings::with_ttl(CacheTtl::OneHour)),
            ..ModelRequest::default()
        }
    }

    #[test]
    fn auto_caching_marks_tools_system_and_the_latest_turn() {
        let plan = request().cache_plan();
        let point = Some(CachePoint {
            ttl: Some(CacheTtl::OneHour),
        });
        assert_eq!(plan.tools, point);
        assert_eq!(plan.system, point);
        assert_eq!(plan.latest_turn, point);
        assert_eq!(plan.len(), 3);
        let off = ModelRequest {
            cache: None,
            ..request()
        };
        assert!(off.cache_plan().is_empty());
    }

    #[test]
    fn never_more_than_the_limit_counting_explicit_points() {
        let mut r = request();
        r.messages[0]
            .content
            .push(ContentBlock::CachePoint(CachePoint::default()));
        r.messages.push(Message::assistant("Hello"));
        r.messages[1]
            .content
            .push(ContentBlock::CachePoint(CachePoint::default()));
        r.messages.push(Message::user("Again"));
        // Two explicit points: room for tools and system only.
        let plan = r.cache_plan();
        assert!(plan.tools.is_some() && plan.system.is_some());
        assert!(plan.latest_turn.is_none());
        assert_eq!(plan.len() + r.explicit_cache_points(), MAX_CACHE_POINTS);
        // No tools, no system: only the latest turn.
        let bare = ModelRequest {
            system: None,
            tools: vec![],
            ..request()
        };
        assert_eq!(bare.cache_plan().len(), 1);
    }

    #[test]
    fn ttls_read_and_write_as_the_services_do() {
        assert_eq!("1h".parse::<CacheTtl>().unwrap(), CacheTtl::OneHour);
        assert!("2h".parse::<CacheTtl>().is_err());
        let block = ContentBlock::CachePoint(CachePoint {
            ttl: Some(CacheTtl::FiveMinutes),
        });
        assert_eq!(
            serde_json::to_value(&block).unwrap(),
            json!({"type": "cache_point", "ttl": "5m"})
        );
    }
}
