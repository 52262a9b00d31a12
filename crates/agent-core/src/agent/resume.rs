//! Resuming an interrupted run: the loop picks up where the journal says
//! the run stopped, without repeating what finished.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::metrics::{BatchMetrics, CallTiming, TurnMetrics};
use super::run::{Next, Run};
use super::{AgentError, AgentRun, EventKind};
use crate::session::Pending;
use crate::{
    CallFailure, CallObserver, ContentBlock, Message, Role, StopReason, ToolResult, ToolUse,
};

impl<'a> Run<'a> {
    /// Continues from `pending` (see [`super::Agent::resume`]).
    pub(super) async fn resume(self, pending: Pending) -> Result<AgentRun, AgentError> {
        // Before anything runs or is journaled: the tools it needs.
        let missing = self
            .agent
            .missing_tools(self.conversation.messages(), &pending);
        if !missing.is_empty() && pending != Pending::Nothing {
            return Err(self.stop(super::run::Stop::MissingTools(missing)));
        }
        match pending {
            Pending::Nothing => {
                let answer = self
                    .conversation
                    .messages()
                    .last()
                    .map(Message::text)
                    .unwrap_or_default();
                Ok(self.finish(answer, Some(StopReason::EndTurn)))
            }
            Pending::ModelCall => self.drive(Next::Think).await,
            Pending::Batch { calls, finished } => {
                self.drive(Next::ResumeTools {
                    calls,
                    finished,
                    interrupted: true,
                })
                .await
            }
        }
    }

    /// The interrupted batch: `finished` calls are replayed (not run), the
    /// rest run again unless their tool is non-idempotent; all results go
    /// back in call order, in one message, as in an uninterrupted batch.
    pub(super) async fn resume_tools(
        &mut self,
        calls: Vec<ToolUse>,
        finished: Vec<ToolResult>,
        interrupted: bool,
    ) -> Next<'a> {
        // The batch belongs to the model turn already journaled.
        self.iteration += 1;
        self.log.set_iteration(self.iteration);
        let mut results: Vec<Option<ToolResult>> = vec![None; calls.len()];
        let mut done: HashMap<String, ToolResult> = finished
            .into_iter()
            .map(|r| (r.tool_use_id.clone(), r))
            .collect();
        let mut rerun = Vec::new();
        let mut rerun_at = Vec::new();
        // The batch's figures: the calls not run here keep their place.
        let mut not_run = Vec::new();
        for (index, call) in calls.iter().enumerate() {
            if let Some(result) = done.remove(&call.id) {
                let failure = result.is_error().then_some(CallFailure::Failed);
                self.replayed(index, call, &result, failure, false);
                not_run.push((index, CallTiming::not_run(call, true, result.is_error())));
                results[index] = Some(result);
            } else if interrupted && !self.agent.is_idempotent(&call.name) {
                let result = ToolResult::error(
                    call.id.clone(),
                    format!(
                        "tool `{}` was interrupted before it finished and is not idempotent, so it was not run again; it may or may not have taken effect",
                        call.name
                    ),
                );
                self.journaling.tool_result(index, &call.name, &result);
                self.replayed(index, call, &result, Some(CallFailure::Cancelled), true);
                not_run.push((index, CallTiming::not_run(call, false, true)));
                results[index] = Some(result);
            } else {
                rerun.push(call.clone());
                rerun_at.push(index);
            }
        }
        let batch_start = Instant::now();
        let observer: Arc<dyn CallObserver> = self.journaling.clone();
        let mut batch = self
            .agent
            .executor
            .batch_shared(Arc::clone(&self.tools), &self.cancel, observer)
            .with_gate(self.gate.clone())
            .with_host(Some(self.log.clone()));
        for call in &rerun {
            batch.start(call);
        }
        let outcomes = batch.finish(&rerun).await;
        self.metrics.tool_calls += outcomes.len() as u32;
        // The resumed batch is a turn of this run's figures, with every
        // call in call order (see `metrics.rs`); no model call of its own.
        let wall = if rerun.is_empty() {
            std::time::Duration::ZERO
        } else {
            batch_start.elapsed()
        };
        let figures = BatchMetrics::resumed(wall, &outcomes, &rerun_at, not_run);
        self.metrics.tool_time += figures.wall;
        self.metrics.sequential_tool_time += figures.sequential;
        self.metrics.turns.push(TurnMetrics {
            iteration: self.iteration,
            tools: Some(figures),
            ..TurnMetrics::default()
        });
        let replayed: Vec<ToolResult> = results.iter().flatten().cloned().collect();
        if let Some(paused) = self.paused(&calls, &rerun_at, &outcomes, &replayed) {
            return Next::Stop(super::run::Stop::Paused(Box::new(paused)));
        }
        for (outcome, index) in outcomes.into_iter().zip(rerun_at) {
            results[index] = Some(outcome.result);
        }
        let content = results
            .into_iter()
            .zip(&calls)
            .map(|(r, call)| {
                // Every call got a result above; this keeps the pairing
                // valid even if that ever stopped being so.
                ContentBlock::ToolResult(
                    r.unwrap_or_else(|| ToolResult::error(call.id.clone(), "no result")),
                )
            })
            .collect();
        self.push(Message {
            role: Role::User,
            content,
        });
        if self.cancel.is_cancelled() {
            return Next::Stop(super::run::Stop::Cancelled);
        }
        Next::Think
    }

    /// Reports a call of the interrupted batch answered without running:
    /// `tool_call_replayed` (as before), then its `tool_call_finished`
    /// marked `replayed`, so a reader of the finished calls sees the whole
    /// batch.
    fn replayed(
        &self,
        index: usize,
        call: &ToolUse,
        result: &ToolResult,
        failure: Option<CallFailure>,
        interrupted: bool,
    ) {
        self.log.emit(EventKind::ToolCallReplayed {
            iteration: self.iteration,
            index,
            id: call.id.clone(),
            name: call.name.clone(),
            error: result.is_error(),
            interrupted,
        });
        self.log.emit(EventKind::ToolCallFinished {
            iteration: self.iteration,
            index,
            id: call.id.clone(),
            name: call.name.clone(),
            failure,
            error: failure.map(|_| {
                result
                    .content
                    .iter()
                    .map(crate::ToolResultContent::to_text)
                    .collect()
            }),
            queued: Duration::ZERO,
            started: Duration::ZERO,
            elapsed: Duration::ZERO,
            attempts: 0,
            cached: false,
            replayed: true,
            waits: Vec::new(),
        });
    }
}
