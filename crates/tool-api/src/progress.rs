//! [`Progress`] and [`ProgressSink`]: how a running tool tells its host how
//! far along it is, through [`crate::ToolContext::progress`].

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
}
