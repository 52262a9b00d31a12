//! Human approval: which calls need it ([`ApprovalPolicy`]), who gives it
//! ([`Approver`]), and a run paused for it ([`PausedBatch`]).

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ToolResult, ToolUse};

/// Which tools need a person's approval before each of their calls.
///
/// A hook can ask for approval of any single call too
/// ([`super::ToolDecision::Ask`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPolicy {
    all: bool,
    tools: BTreeSet<String>,
}

impl ApprovalPolicy {
    /// No tool needs approval.
    pub fn none() -> Self {
        Self::default()
    }

    /// Every tool needs approval.
    pub fn all() -> Self {
        Self {
            all: true,
            tools: BTreeSet::new(),
        }
    }

    /// Adds tool `name` to those that need approval.
    pub fn tool(mut self, name: impl Into<String>) -> Self {
        self.tools.insert(name.into());
        self
    }

    /// Whether a call of tool `name` needs approval.
    pub fn requires(&self, name: &str) -> bool {
        self.all || self.tools.contains(name)
    }

    /// Whether no tool needs approval.
    pub fn is_empty(&self) -> bool {
        !self.all && self.tools.is_empty()
    }

    /// The tools named (not those covered by "all").
    pub fn tools(&self) -> impl Iterator<Item = &str> {
        self.tools.iter().map(String::as_str)
    }
}

/// One call waiting for a person's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// Its position in the model's message.
    pub index: usize,
    /// The call, with its input as the hooks left it (what would run).
    pub call: ToolUse,
    /// Why approval is asked, when a hook said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A decision on one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Run it.
    Approve,
    /// Do not run it; the model reads that it was denied, and `reason`.
    Deny {
        /// Told to the model, if given.
        reason: Option<String>,
    },
    /// Not now: the call waits, and the run pauses after the batch with
    /// every call waiting ([`crate::AgentErrorKind::ApprovalNeeded`]).
    Defer,
}

/// Decides on calls that need approval.
///
/// # Contract
///
/// - Called from the call's own task, concurrently for the calls of one
///   batch: an approver that asks a person one call at a time queues them
///   itself (the other calls of the batch run meanwhile).
/// - A panicking approver denies the call, with a message saying so.
/// - A cancelled run does not wait for a decision: the call is answered as
///   cancelled and the approver's future dropped.
/// - Without an approver ([`crate::RunOptions::with_approver`]) every call
///   needing approval is deferred: the run pauses.
#[async_trait]
pub trait Approver: Send + Sync {
    /// The decision on `request`.
    async fn decide(&self, request: &ApprovalRequest) -> Approval;
}

/// Approves everything (`--yes`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApproveAll;

#[async_trait]
impl Approver for ApproveAll {
    async fn decide(&self, _request: &ApprovalRequest) -> Approval {
        Approval::Approve
    }
}

/// Denies every call needing approval with one message: for hosts where no
/// person can answer (no terminal, CI), the message saying how to allow it.
#[derive(Debug, Clone)]
pub struct DenyAll {
    /// What the model reads, after "tool `NAME` needs approval".
    pub how_to_allow: String,
}

#[async_trait]
impl Approver for DenyAll {
    async fn decide(&self, _request: &ApprovalRequest) -> Approval {
        Approval::Deny {
            reason: Some(self.how_to_allow.clone()),
        }
    }
}

/// The decisions a caller made on a [`PausedBatch`], by call id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decisions(HashMap<String, Approval>);

impl Decisions {
    /// No decisions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decides `approval` for the call with id `call_id`.
    pub fn decide(mut self, call_id: impl Into<String>, approval: Approval) -> Self {
        self.0.insert(call_id.into(), approval);
        self
    }

    /// Approves the call with id `call_id`.
    pub fn approve(self, call_id: impl Into<String>) -> Self {
        self.decide(call_id, Approval::Approve)
    }

    /// Denies the call with id `call_id`, telling the model `reason`.
    pub fn deny(self, call_id: impl Into<String>, reason: impl Into<String>) -> Self {
        self.decide(
            call_id,
            Approval::Deny {
                reason: Some(reason.into()),
            },
        )
    }

    /// The decision on the call with id `call_id`, if made.
    pub fn get(&self, call_id: &str) -> Option<&Approval> {
        self.0.get(call_id)
    }
}

/// A run paused for approval: the batch whose calls wait, the results of
/// those that ran meanwhile, and every call waiting, all at once.
/// Serialisable, so the decision can come later, from another process:
/// keep it with the conversation and pass both to
/// [`crate::Agent::resume_approved`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PausedBatch {
    /// The model turn that asked for the calls.
    pub iteration: u32,
    /// Every call of the batch, in call order.
    pub calls: Vec<ToolUse>,
    /// The results of the calls that did not wait (they ran, failed or were
    /// denied), not run again on resume.
    pub finished: Vec<ToolResult>,
    /// Every call waiting for a decision, in call order.
    pub pending: Vec<ApprovalRequest>,
}

// A `PausedBatch` is plain data compared field by field (JSON values are
// `Eq`), so an error kind holding it stays `Eq`.
impl Eq for PausedBatch {}
