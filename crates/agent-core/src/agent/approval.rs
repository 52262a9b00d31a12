//! A run paused for approval, and its resumption with the caller's
//! decisions (see [`crate::hooks`]).

use super::run::{Next, Run};
use super::{Agent, AgentError, AgentRun, Conversation, RunOptions};
use crate::hooks::{Decisions, Gate, PausedBatch};
use crate::{CallFailure, CallOutcome, ToolUse};

impl Agent {
    /// Continues a run paused for approval
    /// ([`super::AgentErrorKind::ApprovalNeeded`]): the calls `decisions`
    /// approve run, those it denies are answered with the denial, those it
    /// does not mention are asked about again (with no approver in
    /// `options`, the run pauses again). Calls that finished before the
    /// pause are not run again. `conversation` is the paused run's
    /// (`AgentError::run.messages`); `paused` may come from another process
    /// (it is serialisable).
    pub async fn resume_approved(
        &self,
        conversation: &mut Conversation,
        paused: PausedBatch,
        decisions: Decisions,
        options: RunOptions,
    ) -> Result<AgentRun, AgentError> {
        let mut run = Run::new(self, conversation, options);
        run.gate = Gate::new(
            &self.hooks,
            &self.approvals,
            run.gate.as_ref().and_then(|g| g.approver()),
            decisions,
        );
        run.drive(Next::ResumeTools {
            calls: paused.calls,
            finished: paused.finished,
            interrupted: false,
        })
        .await
    }
}

impl Run<'_> {
    /// The batch paused, if any of `outcomes` (of `calls`, at `at[i]` in
    /// the whole batch `all`) waits for approval: every waiting call at
    /// once, with the results of the others.
    pub(super) fn paused(
        &self,
        all: &[ToolUse],
        at: &[usize],
        outcomes: &[CallOutcome],
        earlier: &[crate::ToolResult],
    ) -> Option<PausedBatch> {
        let waiting = |o: &CallOutcome| o.failure == Some(CallFailure::AwaitingApproval);
        if !outcomes.iter().any(waiting) {
            return None;
        }
        let mut pending = self
            .gate
            .as_ref()
            .map(|g| g.take_deferred())
            .unwrap_or_default();
        for request in &mut pending {
            request.index = at.get(request.index).copied().unwrap_or(request.index);
        }
        let mut finished = earlier.to_vec();
        finished.extend(
            outcomes
                .iter()
                .filter(|o| !waiting(o))
                .map(|o| o.result.clone()),
        );
        Some(PausedBatch {
            iteration: self.iteration,
            calls: all.to_vec(),
            finished,
            pending,
        })
    }
}
