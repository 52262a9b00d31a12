//! [`Scheduling`]: what a tool's source declares about how its calls may be
//! scheduled (how many at once, which resources they hold), so the host's
//! executor can run them safely side by side.

use serde::{Deserialize, Serialize};

/// How a tool's calls may be scheduled, as the tool's source declares it:
/// a plugin in its manifest (the `scheduling` field of a tool spec, optional
/// JSON, so plugins without it keep loading), a tool source such as an MCP
/// client from what its server says, or a host tool in code. The host's own
/// configuration (`agent.toml`'s `[tools.NAME]`, the executor's builder)
/// overrides it field by field.
///
/// Resources are named `"NAME"`, or `"NAME:/json/pointer"` to key the
/// resource by the part of the call's input the pointer names (so
/// `"file:/path"` makes writes to different files overlap and writes to one
/// file wait for each other). See `docs/SCHEDULING.md`.
///
/// ```
/// use tool_api::Scheduling;
///
/// let writes = Scheduling::default().with_concurrency(2).with_exclusive("file:/path");
/// assert_eq!(writes.concurrency, Some(2));
/// assert!(!writes.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scheduling {
    /// At most this many calls of the tool at once, inside the executor's
    /// own limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Resources each call holds alone: calls holding the same one never
    /// overlap, and get it in call order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclusive: Vec<String>,
    /// Resources each call reads: any number of readers share one, but
    /// never with a call that holds it alone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shared: Vec<String>,
    /// When calls queue behind the executor's limit, higher priority goes
    /// first, then call order (default 0; negative values go last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// Calling it twice with the same input gives the same answer and does
    /// nothing more than once (a lookup, a read). Required for `cache_ttl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
    /// Seconds a successful result is reused for identical calls (same
    /// input after canonicalising the JSON); identical calls in flight
    /// together run once. Only for tools declared idempotent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_ttl: Option<f64>,
    /// At most this many call starts per second or minute, as a token
    /// bucket that holds that many: `"N/s"` or `"N/min"` (see
    /// [`Scheduling::rate_limit`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    /// Adaptive concurrency (opt-in): the tool's limit halves when a call
    /// reports throttling (a retryable error with a retry-after) and grows
    /// back by one per limit's worth of successes (AIMD). `true` moves it
    /// between 1 and `concurrency` (or [`Adaptive::DEFAULT_MAX`]); `[MIN,
    /// MAX]` names the range. See [`Adaptive`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<Adaptive>,
}

/// How a tool's adaptive limit is declared: `adaptive = true` (or `false`),
/// or the range it moves in, `adaptive = [MIN, MAX]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Adaptive {
    /// On (between 1 and the tool's `concurrency`) or off.
    Enabled(bool),
    /// On, between these two limits (both at least 1, MIN at most MAX).
    Range([usize; 2]),
}

impl Adaptive {
    /// The highest limit of `adaptive = true` on a tool without a
    /// `concurrency`: the executor's default global limit, so a tool that
    /// is never throttled runs as it would without the rule.
    pub const DEFAULT_MAX: usize = 64;

    /// The range (min, max) the limit moves in, `None` when off;
    /// `concurrency` is the tool's fixed limit, if it has one.
    pub fn range(&self, concurrency: Option<usize>) -> Option<(usize, usize)> {
        match *self {
            Self::Enabled(false) => None,
            Self::Enabled(true) => Some((1, concurrency.unwrap_or(Self::DEFAULT_MAX).max(1))),
            Self::Range([min, max]) => {
                let min = min.max(1);
                Some((min, max.max(min)))
            }
        }
    }

    /// Why a declared range cannot be used, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        match *self {
            Self::Range([min, max]) if min == 0 || min > max => Err(format!(
                "adaptive = [{min}, {max}] must be [MIN, MAX] with 1 <= MIN <= MAX"
            )),
            _ => Ok(()),
        }
    }
}

impl Scheduling {
    /// Whether nothing is declared (every call runs as the executor pleases).
    pub fn is_empty(&self) -> bool {
        self.concurrency.is_none()
            && self.exclusive.is_empty()
            && self.shared.is_empty()
            && self.priority.is_none()
            && self.idempotent.is_none()
            && self.cache_ttl.is_none()
            && self.rate.is_none()
            && self.adaptive.is_none()
    }

    /// At most `n` calls at once.
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n);
        self
    }

    /// Declares it idempotent, its results reused for `ttl` seconds.
    pub fn with_cache_ttl(mut self, ttl: f64) -> Self {
        self.idempotent = Some(true);
        self.cache_ttl = Some(ttl);
        self
    }

    /// At most `rate` call starts per period: `"N/s"` or `"N/min"`.
    pub fn with_rate(mut self, rate: impl Into<String>) -> Self {
        self.rate = Some(rate.into());
        self
    }

    /// The rate as (calls, period), if one is set; an error says what a
    /// malformed one should look like.
    pub fn rate_limit(&self) -> Result<Option<(u32, std::time::Duration)>, String> {
        let Some(rate) = &self.rate else {
            return Ok(None);
        };
        let bad = || format!("rate {rate:?} must be \"N/s\" or \"N/min\" with N at least 1");
        let (n, per) = rate.split_once('/').ok_or_else(bad)?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        let period = match per.trim() {
            "s" | "sec" | "second" => std::time::Duration::from_secs(1),
            "m" | "min" | "minute" => std::time::Duration::from_secs(60),
            _ => return Err(bad()),
        };
        if n == 0 {
            return Err(bad());
        }
        Ok(Some((n, period)))
    }

    /// An adaptive limit (AIMD) between `min` and `max` calls at once.
    pub fn with_adaptive(mut self, min: usize, max: usize) -> Self {
        self.adaptive = Some(Adaptive::Range([min, max]));
        self
    }

    /// Its calls' priority behind the executor's limit.
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Each call holds `resource` alone.
    pub fn with_exclusive(mut self, resource: impl Into<String>) -> Self {
        self.exclusive.push(resource.into());
        self
    }

    /// Each call shares `resource` with other readers.
    pub fn with_shared(mut self, resource: impl Into<String>) -> Self {
        self.shared.push(resource.into());
        self
    }

    /// `self`, with each field `over` sets taken from `over`.
    pub fn overridden_by(mut self, over: &Scheduling) -> Self {
        if over.concurrency.is_some() {
            self.concurrency = over.concurrency;
        }
        if !over.exclusive.is_empty() {
            self.exclusive = over.exclusive.clone();
        }
        if !over.shared.is_empty() {
            self.shared = over.shared.clone();
        }
        if over.priority.is_some() {
            self.priority = over.priority;
        }
        if over.idempotent.is_some() {
            self.idempotent = over.idempotent;
        }
        if over.cache_ttl.is_some() {
            self.cache_ttl = over.cache_ttl;
        }
        if over.rate.is_some() {
            self.rate = over.rate.clone();
        }
        if over.adaptive.is_some() {
            self.adaptive = over.adaptive;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_in_json_is_empty_and_empty_is_not_written() {
        let s: Scheduling = serde_json::from_str("{}").unwrap_or_default();
        assert!(s.is_empty());
        assert_eq!(serde_json::to_string(&s).ok().as_deref(), Some("{}"));
        let s: Scheduling =
            serde_json::from_str(r#"{"concurrency": 2, "exclusive": ["file:/path"], "future": 1}"#)
                .unwrap_or_default();
        assert_eq!(
            s,
            Scheduling::default()
                .with_concurrency(2)
                .with_exclusive("file:/path")
        );
    }

    #[test]
    fn a_spec_carries_it_in_a_manifest_and_older_specs_load_without_it() {
        let old = r#"{"name": "t", "description": "d", "input_schema": {"type": "object"}}"#;
        let spec: crate::ToolSpec = serde_json::from_str(old)
            .unwrap_or_else(|_| crate::ToolSpec::new("broken", "", serde_json::Value::Null));
        assert_eq!(spec.name, "t");
        assert!(spec.scheduling.is_empty());
        let written = serde_json::to_value(&spec).unwrap_or_default();
        assert!(
            written.get("scheduling").is_none(),
            "not written when empty"
        );
        let new = crate::ToolSpec::new("t", "d", serde_json::json!({"type": "object"}))
            .with_scheduling(Scheduling::default().with_shared("repo"));
        let text = serde_json::to_string(&new).unwrap_or_default();
        let back: crate::ToolSpec = serde_json::from_str(&text)
            .unwrap_or_else(|_| crate::ToolSpec::new("broken", "", serde_json::Value::Null));
        assert_eq!(back.scheduling.shared, ["repo"]);
    }

    #[test]
    fn rates_parse_per_second_and_minute() {
        let s = |r: &str| Scheduling::default().with_rate(r).rate_limit();
        assert_eq!(s("5/s"), Ok(Some((5, std::time::Duration::from_secs(1)))));
        assert_eq!(
            s("120/min"),
            Ok(Some((120, std::time::Duration::from_secs(60))))
        );
        assert!(s("0/s").is_err());
        assert!(s("5/h").unwrap_err().contains("\"N/s\" or \"N/min\""));
        assert_eq!(Scheduling::default().rate_limit(), Ok(None));
    }

    #[test]
    fn adaptive_is_a_switch_or_a_range() {
        let s: Scheduling =
            serde_json::from_str(r#"{"adaptive": true, "concurrency": 8}"#).unwrap_or_default();
        assert_eq!(
            s.adaptive.and_then(|a| a.range(s.concurrency)),
            Some((1, 8))
        );
        let s: Scheduling = serde_json::from_str(r#"{"adaptive": [2, 6]}"#).unwrap_or_default();
        assert_eq!(s.adaptive, Some(Adaptive::Range([2, 6])));
        assert_eq!(s.adaptive.and_then(|a| a.range(None)), Some((2, 6)));
        assert_eq!(
            Adaptive::Enabled(true).range(None),
            Some((1, Adaptive::DEFAULT_MAX))
        );
        assert_eq!(Adaptive::Enabled(false).range(Some(4)), None);
        assert!(Adaptive::Range([0, 4]).check().is_err());
        assert!(Adaptive::Range([5, 4]).check().is_err());
        assert!(Adaptive::Range([1, 4]).check().is_ok());
    }

    #[test]
    fn overrides_go_field_by_field() {
        let declared = Scheduling::default()
            .with_concurrency(4)
            .with_shared("repo");
        let config = Scheduling::default().with_concurrency(1);
        let s = declared.overridden_by(&config);
        assert_eq!(s.concurrency, Some(1));
        assert_eq!(s.shared, ["repo"]);
    }
}
