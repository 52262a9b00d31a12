//! A call behind the run's [`Gate`] (hooks, approval): the gate first, in
//! the call's own task, then the same admission and run as any call.

use std::sync::Arc;

use tokio::time::Instant;

use super::cache::Lookup;
use super::call::CallTask;
use super::{CallFailure, ToolExecutor};
use crate::hooks::{Gate, Refusal, Verdict};

/// Runs `task` once `gate` lets it through, or answers it with the gate's
/// refusal.
pub(super) async fn run(
    executor: ToolExecutor,
    mut task: CallTask,
    gate: Arc<Gate>,
) -> CallOutcome {
    // A person may take their time: a cancelled run does not wait for them.
    let verdict = tokio::select! {
        biased;
        () = task.cancel.cancelled() => Verdict::Refuse {
            refusal: Refusal::Cancelled,
            message: super::call::cancelled_message(),
        },
        verdict = gate.before(task.index, &task.call) => verdict,
    };
    match verdict {
        Verdict::Run(call) => task.call = call,
        Verdict::Refuse { refusal, message } => {
            task.observer.call_started(task.index, &task.call);
            let failure = match refusal {
                Refusal::Denied => CallFailure::Denied,
                Refusal::HookFailed => CallFailure::HookFailed,
                Refusal::AwaitingApproval => CallFailure::AwaitingApproval,
                Refusal::Cancelled => CallFailure::Cancelled,
            };
            let outcome = task.outcome(Err((failure, message)), 0, Instant::now());
            task.finished(&outcome);
            return outcome;
        }
    }
    let rules = executor.rules.of(&task.call.name);
    if let Some(ttl) = rules.and_then(|r| r.cache) {
        match executor
            .rules
            .cache
            .lookup(&task.call.name, &task.call.input, ttl)
        {
            Lookup::Hit(output) => {
                task.observer.call_started(task.index, &task.call);
                let outcome = task.cached(output, Instant::now());
                return task.finish(outcome).await;
            }
            Lookup::Follow(follower) => {
                task.observer.call_started(task.index, &task.call);
                task.announced = true;
                let (rules, limit) = (executor.rules.clone(), executor.limit.clone());
                return task.follow(follower, rules, limit, ttl).await;
            }
            Lookup::Lead(leader) => task.leader = Some(leader),
        }
    }
    let slot = executor
        .rules
        .enqueue(&executor.limit, rules, &task.call.input);
    task.run(slot).await
}

use super::CallOutcome;
