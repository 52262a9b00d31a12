//! [`CallOutcome`]: how one call ended, with its timing.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ToolResult;

/// Why a call ended in an error result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallFailure {
    /// The model named a tool that is not registered.
    UnknownTool,
    /// The input does not fit the schema or the tool's rules.
    InvalidInput,
    /// The tool failed, and retrying would not help.
    Failed,
    /// The tool failed retryably on every attempt the policy allowed.
    RetriesExhausted,
    /// An attempt did not finish within its timeout.
    TimedOut,
    /// The tool panicked (a bug in the tool).
    Panicked,
    /// The run was cancelled before the call finished.
    Cancelled,
    /// A hook or the person asked denied it ([`crate::hooks`]); not run.
    Denied,
    /// A hook failed or panicked around it ([`crate::hooks`]).
    HookFailed,
    /// It waits for a person's approval: not run, not answered yet; the
    /// run pauses after the batch ([`crate::hooks::PausedBatch`]).
    AwaitingApproval,
}

/// The end of one call: the result sent to the model, and how it got there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallOutcome {
    /// The call's position in the model's message.
    pub index: usize,
    /// The call's id (`toolUseId`).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The result block sent back to the model.
    pub result: ToolResult,
    /// Why it failed, if it did.
    pub failure: Option<CallFailure>,
    /// When it was queued (the executor was given it), from the batch's
    /// start.
    #[serde(with = "crate::duration_ms", rename = "queued_ms", default)]
    pub queued: Duration,
    /// When it started (got its concurrency slot and resources: its first
    /// attempt starts at once), from the batch's start.
    #[serde(with = "crate::duration_ms")]
    pub started: Duration,
    /// How long it ran, retries and backoff included.
    #[serde(with = "crate::duration_ms")]
    pub elapsed: Duration,
    /// Attempts made (0 if it never started, or was answered from the
    /// cache).
    pub attempts: u32,
    /// Answered with the result of an identical call (`cache_ttl`), not run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// What held it back between `queued` and `started`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waits: Vec<super::CallWait>,
}

impl CallOutcome {
    /// Whether the call succeeded.
    pub fn is_success(&self) -> bool {
        self.failure.is_none()
    }
}
