//! [`CallObserver`]: hooks into the life of each call, for live views, logs
//! and metrics. The agent's event stream is built on it.

use std::time::Duration;

use tool_api::{Progress, Stall, ToolError};

use super::{CallOutcome, WaitReason};
use crate::ToolUse;

/// Told when each call starts, retries and finishes. Called from the
/// executor (a start whose slot was free at once, in call order) and from
/// the call's own task, concurrently, so implementations must be quick and
/// non-blocking.
pub trait CallObserver: Send + Sync {
    /// The call cannot start at once: it waits for `reason` (then perhaps
    /// for more; its outcome lists every wait). Calls that start at once
    /// are not reported queued.
    fn call_queued(&self, _index: usize, _call: &ToolUse, _reason: WaitReason) {}

    /// The call got its concurrency slot and starts its first attempt.
    fn call_started(&self, _index: usize, _call: &ToolUse) {}

    /// Attempt `attempt` failed retryably; the next starts after `delay`.
    fn call_retrying(
        &self,
        _index: usize,
        _call: &ToolUse,
        _attempt: u32,
        _error: &ToolError,
        _delay: Duration,
    ) {
    }

    /// The running call reported `progress` ([`tool_api::ToolContext::progress`]),
    /// in the order the tool reported.
    fn call_progress(&self, _index: usize, _call: &ToolUse, _progress: &Progress) {}

    /// The call was handed to a plugin that has not started it: another
    /// call's blocking code holds the plugin's worker ([`Stall`], reported
    /// at most once per attempt through [`tool_api::ToolContext::stalled`]).
    fn call_stalled(&self, _index: usize, _call: &ToolUse, _stall: &Stall) {}

    /// The call ended.
    fn call_finished(&self, _outcome: &CallOutcome) {}

    /// The adaptive limit of `tool` moved from `from` to `to` calls at once:
    /// down when a call of it was throttled, up as its calls succeed.
    fn tool_limit_changed(&self, _tool: &str, _from: usize, _to: usize) {}
}

/// Observes nothing.
impl CallObserver for () {}
