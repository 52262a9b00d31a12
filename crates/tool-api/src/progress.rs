//! [`Progress`] and [`ProgressSink`]: how a running tool tells its host how
//! far along it is, through [`crate::ToolContext::progress`]; and [`Stall`],
//! how a tool that runs elsewhere (a plugin's runtime) says its call was
//! handed over but cannot start, through [`crate::ToolContext::stalled`].

use std::time::Duration;

/// One progress report of a running call: `progress` out of `total` (when
/// the tool knows the total), with an optional line saying what it does.
///
/// The numbers mean what the tool says they mean (items, bytes, percent);
/// the host shows them, it does not interpret them.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// How far the call has got; should grow from one report to the next.
    pub progress: f64,
    /// The value `progress` reaches when the call is done, if known.
    pub total: Option<f64>,
    /// What the call is doing now, for a person watching.
    pub message: Option<String>,
}

/// Where a call's progress reports go: set by the host on the call's
/// [`crate::ToolContext`] (the agent's executor turns them into events).
///
/// # Contract
///
/// `report` is called on the tool's task, in the order the tool reports:
/// it must return quickly and never block (queue the report, don't do I/O).
pub trait ProgressSink: Send + Sync {
    /// The call reports `progress`.
    fn report(&self, progress: Progress);

    /// The call was handed to the runtime that runs it but has not started
    /// there: another call holds the thread it needs (see [`Stall`]).
    /// Reported at most once per attempt. Ignored unless implemented.
    fn stalled(&self, _stall: Stall) {}
}

/// A call handed to a plugin that its runtime has not started, because
/// another call's blocking code holds the plugin's worker thread: which call
/// holds it, and for how long so far.
///
/// The host of plugin tools reports it (after a threshold, once per
/// attempt); the agent turns it into a `tool_call_stalled` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stall {
    /// The tool whose call holds the worker, by the plugin's name for it.
    pub held_by_tool: String,
    /// That call's id (the model's `toolUseId`), as the plugin reports it.
    pub held_by_call: Option<String>,
    /// How long that call has held the worker without yielding.
    pub held_for: Duration,
    /// How long the stalled call has waited since it was handed over.
    pub waited: Duration,
}
