//! Admission: what a call waits for before it runs. A call of a tool with
//! no rules waits for a global slot only; a call of a tool with rules waits
//! for its resources, then a slot of its tool's own limit, then a global
//! slot, in that order (so a call waiting for a resource or its tool never
//! holds a global slot others could use).
//!
//! The no-rule path is the executor's hot path: one map look-up skipped
//! when no tool has rules, no allocation, no lock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tool_api::Scheduling;

use super::adaptive::{AdaptiveLimit, AdaptivePermit};
use super::cache::ResultCache;
use super::limit::{ConcurrencyLimit, Permit, Queued};
use super::rate::RateLimit;
use super::resource::{Access, Guard, Place, Resource, ResourceTable};
use super::wait::{CallWait, WaitReason, timed};

/// The rules of one tool, ready to apply.
#[derive(Debug)]
pub(super) struct ToolRules {
    /// Its own limit, if any.
    limit: Option<ConcurrencyLimit>,
    /// The resources each call holds.
    resources: Vec<Resource>,
    /// Its place in the global line (higher first; 0 by default).
    priority: i32,
    /// How long its results are reused (idempotent tools only).
    pub cache: Option<Duration>,
    /// Its token bucket, if it has a rate.
    rate: Option<Arc<RateLimit>>,
    /// Its adaptive limit (instead of `limit`), if it has one.
    adaptive: Option<Arc<AdaptiveLimit>>,
}

impl ToolRules {
    fn new(scheduling: &Scheduling) -> Option<Self> {
        let resources: Vec<Resource> = scheduling
            .exclusive
            .iter()
            .map(|r| Resource::parse(r, Access::Exclusive))
            .chain(
                scheduling
                    .shared
                    .iter()
                    .map(|r| Resource::parse(r, Access::Shared)),
            )
            .collect();
        // An adaptive limit takes the place of a fixed one, whose value
        // becomes its maximum.
        let adaptive = scheduling
            .adaptive
            .and_then(|a| a.range(scheduling.concurrency))
            .map(|(min, max)| Arc::new(AdaptiveLimit::new(min, max)));
        let limit = scheduling
            .concurrency
            .filter(|_| adaptive.is_none())
            .map(|n| ConcurrencyLimit::new(Some(n)));
        let priority = scheduling.priority.unwrap_or(0);
        // Never for a tool not declared idempotent: reusing a result of a
        // call with effects would skip the effects.
        let cache = scheduling
            .cache_ttl
            .filter(|ttl| scheduling.idempotent == Some(true) && *ttl > 0.0)
            .and_then(|ttl| Duration::try_from_secs_f64(ttl).ok());
        // A malformed rate is refused where it is declared (the CLI's
        // checks); here it is logged and left out.
        let rate = match scheduling.rate_limit() {
            Ok(rate) => rate.map(|(n, period)| Arc::new(RateLimit::new(n, period))),
            Err(e) => {
                tracing::warn!("{e}; no rate limit applied");
                None
            }
        };
        let any = limit.is_some()
            || !resources.is_empty()
            || priority != 0
            || cache.is_some()
            || rate.is_some()
            || adaptive.is_some();
        any.then_some(Self {
            limit,
            resources,
            priority,
            cache,
            rate,
            adaptive,
        })
    }
}

/// Every tool's rules and the state they share (the resource table).
#[derive(Debug, Default)]
pub(super) struct Rules {
    tools: HashMap<String, ToolRules>,
    resources: ResourceTable,
    /// Results of idempotent tools with a `cache_ttl`.
    pub cache: ResultCache,
}

impl Rules {
    pub fn new<'a>(declared: impl IntoIterator<Item = (&'a String, &'a Scheduling)>) -> Self {
        Self {
            tools: declared
                .into_iter()
                .filter_map(|(name, s)| Some((name.clone(), ToolRules::new(s)?)))
                .collect(),
            resources: ResourceTable::default(),
            cache: ResultCache::default(),
        }
    }

    /// The rules of `tool`, if it has any.
    pub fn of(&self, tool: &str) -> Option<&ToolRules> {
        // The hot path: no rules anywhere, no look-up.
        if self.tools.is_empty() {
            None
        } else {
            self.tools.get(tool)
        }
    }

    /// Takes the places of a call with `input` of a tool with `rules` (see
    /// [`Rules::of`]), in call order.
    pub fn enqueue(
        &self,
        global: &ConcurrencyLimit,
        rules: Option<&ToolRules>,
        input: &Value,
    ) -> Admission {
        let Some(rules) = rules else {
            return Admission::Global(global.enqueue());
        };
        let resources = if rules.resources.is_empty() {
            Vec::new()
        } else {
            self.resources.enqueue(&rules.resources, input)
        };
        let tool_place = match (&rules.limit, &rules.adaptive) {
            (Some(limit), _) => Some(limit.enqueue()),
            (None, Some(adaptive)) => Some(adaptive.enqueue()),
            (None, None) => None,
        };
        let mut free = resources.iter().all(Place::is_ready)
            && tool_place.as_ref().is_none_or(Queued::is_ready);
        // Its token, taken now when nothing else holds it back, so starts
        // keep call order; a token for later means waiting.
        let rate_at = match &rules.rate {
            Some(rate) if free => {
                let at = rate.reserve();
                free = at <= tokio::time::Instant::now();
                Some(at)
            }
            _ => None,
        };
        // All else free: the global place is taken now, in call order, as a
        // call without rules takes it.
        let global_place = free.then(|| global.enqueue_at(rules.priority));
        Admission::Ruled(Box::new(Ruled {
            resources,
            tool: tool_place,
            global: global_place,
            limit: global.clone(),
            priority: rules.priority,
            rate: rules.rate.clone(),
            rate_at,
            // The window of a call admitted now is now's (see adaptive.rs).
            adaptive: rules.adaptive.as_ref().map(|a| (a.clone(), a.window())),
        }))
    }
}

/// A call's places, taken in call order, to be waited on in its task.
pub(super) enum Admission {
    /// A call without rules: its place in the global line.
    Global(Queued),
    /// A call with rules.
    Ruled(Box<Ruled>),
}

pub(super) struct Ruled {
    resources: Vec<Place>,
    tool: Option<Queued>,
    /// Taken at once when nothing else made the call wait.
    global: Option<Queued>,
    limit: ConcurrencyLimit,
    priority: i32,
    rate: Option<Arc<RateLimit>>,
    /// Its token's time, if taken already.
    rate_at: Option<tokio::time::Instant>,
    /// The adaptive limit `tool` is a place of, if it is one, and its
    /// window when the place was taken.
    adaptive: Option<(Arc<AdaptiveLimit>, u64)>,
}

/// What a running call holds; dropping it lets the next calls in.
pub(super) struct Admitted {
    _global: Permit,
    _rest: Option<(Option<Permit>, Vec<Guard>)>,
    /// The slot of its tool's adaptive limit, if the tool has one.
    adaptive: Option<AdaptivePermit>,
    /// What it waited for, in order (empty when it ran at once).
    pub waits: Vec<CallWait>,
}

impl Admitted {
    /// The adaptive limit of the call's tool, if it has one: told of the
    /// call's throttles and successes.
    /// With it, the window the call was admitted in.
    pub fn adaptive(&self) -> Option<(&Arc<AdaptiveLimit>, u64)> {
        self.adaptive.as_ref().map(|p| (p.limit(), p.window()))
    }
}

impl Admission {
    /// Whether the call may start at once.
    pub fn is_ready(&self) -> bool {
        match self {
            Self::Global(q) => q.is_ready(),
            Self::Ruled(r) => r.global.as_ref().is_some_and(Queued::is_ready),
        }
    }

    /// What the call waits for first, if it cannot start at once.
    pub fn first_wait(&self) -> Option<WaitReason> {
        match self {
            Self::Global(q) => (!q.is_ready()).then_some(WaitReason::GlobalLimit),
            Self::Ruled(r) => {
                if !r.resources.iter().all(Place::is_ready) {
                    Some(WaitReason::Resource)
                } else if r.tool.as_ref().is_some_and(|q| !q.is_ready()) {
                    Some(if r.adaptive.is_some() {
                        WaitReason::Adaptive
                    } else {
                        WaitReason::ToolLimit
                    })
                } else if r.rate_at.is_some_and(|at| at > tokio::time::Instant::now()) {
                    Some(WaitReason::Rate)
                } else if r.global.as_ref().is_some_and(Queued::is_ready) {
                    None
                } else {
                    Some(WaitReason::GlobalLimit)
                }
            }
        }
    }

    /// Waits for everything the call needs, in order: resources, its tool's
    /// slot, its rate's token, a global slot; each wait is recorded.
    pub async fn admitted(self) -> Admitted {
        match self {
            Self::Global(q) => {
                let mut waits = Vec::new();
                let ready = q.is_ready();
                Admitted {
                    _global: timed(&mut waits, WaitReason::GlobalLimit, ready, q.acquired()).await,
                    _rest: None,
                    adaptive: None,
                    waits,
                }
            }
            Self::Ruled(r) => {
                let Ruled {
                    resources,
                    tool,
                    global,
                    limit,
                    priority,
                    rate,
                    rate_at,
                    adaptive,
                } = *r;
                let mut waits = Vec::new();
                let mut guards = Vec::with_capacity(resources.len());
                for place in resources {
                    let ready = place.is_ready();
                    guards.push(
                        timed(&mut waits, WaitReason::Resource, ready, place.acquired()).await,
                    );
                }
                let waited = tool.as_ref().is_some_and(|q| !q.is_ready());
                let tool_reason = if adaptive.is_some() {
                    WaitReason::Adaptive
                } else {
                    WaitReason::ToolLimit
                };
                let tool = match tool {
                    Some(q) => Some(timed(&mut waits, tool_reason, !waited, q.acquired()).await),
                    None => None,
                };
                // A slot of an adaptive limit goes back through it; a call
                // that waited for it is admitted in the window of now.
                let (tool, adaptive) = match (tool, adaptive) {
                    (Some(permit), Some((limit, window))) => {
                        let window = if waited { limit.window() } else { window };
                        (None, Some(limit.hold(permit, window)))
                    }
                    (tool, _) => (tool, None),
                };
                if let Some(at) = rate_at.or_else(|| rate.map(|r| r.reserve())) {
                    let ready = at <= tokio::time::Instant::now();
                    timed(
                        &mut waits,
                        WaitReason::Rate,
                        ready,
                        tokio::time::sleep_until(at),
                    )
                    .await;
                }
                let global = global.unwrap_or_else(|| limit.enqueue_at(priority));
                let ready = global.is_ready();
                Admitted {
                    _global: timed(
                        &mut waits,
                        WaitReason::GlobalLimit,
                        ready,
                        global.acquired(),
                    )
                    .await,
                    _rest: Some((tool, guards)),
                    adaptive,
                    waits,
                }
            }
        }
    }
}
