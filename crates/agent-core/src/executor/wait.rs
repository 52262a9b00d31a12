//! Why a call waited before it ran: each rule that held it back, and for
//! how long, reported per call in outcomes, events and metrics (the live
//! view and the timeline draw it).

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// What held a call back before it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// The executor's global limit (`max_concurrency`) was full.
    GlobalLimit,
    /// Its tool's own limit (`concurrency`) was full.
    ToolLimit,
    /// Its tool's adaptive limit (`adaptive`) was full.
    Adaptive,
    /// Another call held a resource it needs (`exclusive`, `shared`).
    Resource,
    /// Its tool's token bucket (`rate`) was empty.
    Rate,
}

impl WaitReason {
    /// How a person reads it: "global limit", "tool limit"…
    pub fn label(self) -> &'static str {
        match self {
            Self::GlobalLimit => "global limit",
            Self::ToolLimit => "tool limit",
            Self::Adaptive => "adaptive limit",
            Self::Resource => "resource",
            Self::Rate => "rate",
        }
    }
}

/// One wait of a call: what it waited for, and how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallWait {
    /// What it waited for.
    pub reason: WaitReason,
    /// How long.
    #[serde(with = "crate::duration_ms", rename = "ms")]
    pub elapsed: Duration,
}

/// Awaits `place`, recording a wait for `reason` in `waits` unless it was
/// `ready` (a place free when taken costs no clock read).
pub(super) async fn timed<F: Future>(
    waits: &mut Vec<CallWait>,
    reason: WaitReason,
    ready: bool,
    place: F,
) -> F::Output {
    if ready {
        return place.await;
    }
    let since = Instant::now();
    let out = place.await;
    waits.push(CallWait {
        reason,
        elapsed: since.elapsed(),
    });
    out
}
