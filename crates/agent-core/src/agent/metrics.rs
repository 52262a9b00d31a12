//! [`RunMetrics`]: where a run's time and tokens went.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Usage;
use crate::executor::{CallFailure, CallOutcome};

/// A run's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    /// From the prompt to the answer.
    #[serde(with = "crate::duration_ms", rename = "wall_ms")]
    pub wall: Duration,
    /// Time spent waiting for the model, retries and backoff included.
    #[serde(with = "crate::duration_ms", rename = "model_ms")]
    pub model_time: Duration,
    /// Time spent running tool batches (each batch's wall time).
    #[serde(with = "crate::duration_ms", rename = "tool_ms")]
    pub tool_time: Duration,
    /// What the tool batches would have taken one call at a time: the sum of
    /// every call's time.
    #[serde(with = "crate::duration_ms", rename = "sequential_tool_ms")]
    pub sequential_tool_time: Duration,
    /// Tool time hidden behind generation: how long tool batches ran
    /// while the model was still writing the message that asked for them
    /// (eager start). Also counted in `tool_time`.
    #[serde(with = "crate::duration_ms", rename = "hidden_tool_ms", default)]
    pub hidden_tool_time: Duration,
    /// Model turns.
    pub iterations: u32,
    /// Model calls, retries included.
    pub model_calls: u32,
    /// Tool calls.
    pub tool_calls: u32,
    /// Tokens used, all calls together.
    pub usage: Usage,
    /// Per turn.
    pub turns: Vec<TurnMetrics>,
    /// Tokens used by the sub-agents this run called as tools
    /// ([`crate::Agent::as_tool`]), theirs nested at any depth; not in
    /// `usage`, which is this agent's own.
    #[serde(default, skip_serializing_if = "crate::agent::metrics::is_zero")]
    pub sub_agent_usage: Usage,
}

pub(crate) fn is_zero(u: &Usage) -> bool {
    *u == Usage::default()
}

impl RunMetrics {
    /// Tokens used by this run and its sub-agents together.
    pub fn total_usage(&self) -> Usage {
        let mut total = self.usage;
        total += self.sub_agent_usage;
        total
    }

    /// How much faster the tools ran than one at a time would have
    /// (sequential tool time / tool time); 1.0 without tools.
    pub fn tool_speedup(&self) -> f64 {
        if self.tool_time.is_zero() {
            1.0
        } else {
            self.sequential_tool_time.as_secs_f64() / self.tool_time.as_secs_f64()
        }
    }

    /// [`RunMetrics::tool_speedup`] where it means something: `None` unless
    /// at least two tool calls ran and, one after another, they would have
    /// taken at least [`RunMetrics::MEANINGFUL_TOOL_TIME`]. Tools that return
    /// at once take less time than the scheduling around them, so their
    /// ratio says nothing about running in parallel (it reads "0.3x").
    pub fn parallel_speedup(&self) -> Option<f64> {
        (self.tool_calls >= 2 && self.sequential_tool_time >= Self::MEANINGFUL_TOOL_TIME)
            .then(|| self.tool_speedup())
    }

    /// The least sequential tool time for which [`RunMetrics::parallel_speedup`]
    /// reports a ratio: 10 ms, far above the executor's per-call overhead.
    pub const MEANINGFUL_TOOL_TIME: Duration = Duration::from_millis(10);
}

/// One model turn and the tool batch it asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TurnMetrics {
    /// Which turn (1-based).
    pub iteration: u32,
    /// Time waiting for the model this turn, retries included.
    #[serde(with = "crate::duration_ms", rename = "model_ms")]
    pub model_time: Duration,
    /// Model attempts this turn.
    pub model_attempts: u32,
    /// Tokens this turn.
    pub usage: Usage,
    /// The tool batch, if the model asked for tools.
    pub tools: Option<BatchMetrics>,
}

/// One batch of concurrent tool calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchMetrics {
    /// From the first call's start to the last call's end.
    #[serde(with = "crate::duration_ms", rename = "wall_ms")]
    pub wall: Duration,
    /// The sum of the calls' times.
    #[serde(with = "crate::duration_ms", rename = "sequential_ms")]
    pub sequential: Duration,
    /// How long the batch ran before the model's message was complete
    /// (eager start): from the first call's start to the message's end.
    #[serde(with = "crate::duration_ms", rename = "hidden_ms", default)]
    pub hidden: Duration,
    /// Each call, in call order.
    pub calls: Vec<CallTiming>,
}

/// One call's timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallTiming {
    /// The call's id.
    pub id: String,
    /// The tool.
    pub name: String,
    /// When it started, from the batch's start.
    #[serde(with = "crate::duration_ms", rename = "started_ms")]
    pub started: Duration,
    /// How long it ran.
    #[serde(with = "crate::duration_ms", rename = "elapsed_ms")]
    pub elapsed: Duration,
    /// Attempts made.
    pub attempts: u32,
    /// Why it failed, if it did.
    pub failure: Option<CallFailure>,
    /// Answered from the cache (`cache_ttl`), not run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// When it was queued, from the batch's start (before `started` when
    /// it waited).
    #[serde(with = "crate::duration_ms", rename = "queued_ms", default)]
    pub queued: Duration,
    /// What held it back between `queued` and `started`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waits: Vec<crate::CallWait>,
    /// On resume: not run, its result replayed from the session's journal
    /// (no time of its own in this run).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

impl CallTiming {
    /// A call of a resumed batch that did not run in this run: replayed
    /// from the journal (`replayed`), or a non-idempotent call cut off
    /// mid-call and not repeated (`failure` `Cancelled`).
    pub(crate) fn not_run(call: &crate::ToolUse, replayed: bool, error: bool) -> Self {
        Self {
            id: call.id.clone(),
            name: call.name.clone(),
            started: Duration::ZERO,
            elapsed: Duration::ZERO,
            attempts: 0,
            failure: match (replayed, error) {
                (false, _) => Some(CallFailure::Cancelled),
                (true, true) => Some(CallFailure::Failed),
                (true, false) => None,
            },
            cached: false,
            queued: Duration::ZERO,
            waits: Vec::new(),
            replayed,
        }
    }
}

impl BatchMetrics {
    /// A resumed batch: the calls that ran (`ran`, at positions `ran_at`)
    /// and those that did not (`not_run`, each at its position), in call
    /// order.
    pub(crate) fn resumed(
        wall: Duration,
        ran: &[CallOutcome],
        ran_at: &[usize],
        not_run: Vec<(usize, CallTiming)>,
    ) -> Self {
        let mut batch = Self::from_outcomes(wall, Duration::ZERO, ran);
        let mut at: Vec<(usize, CallTiming)> = ran_at
            .iter()
            .copied()
            .zip(std::mem::take(&mut batch.calls))
            .chain(not_run)
            .collect();
        at.sort_by_key(|(index, _)| *index);
        batch.calls = at.into_iter().map(|(_, call)| call).collect();
        batch
    }

    pub(crate) fn from_outcomes(
        wall: Duration,
        hidden: Duration,
        outcomes: &[CallOutcome],
    ) -> Self {
        Self {
            wall,
            hidden,
            sequential: outcomes.iter().map(|o| o.elapsed).sum(),
            calls: outcomes
                .iter()
                .map(|o| CallTiming {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    started: o.started,
                    elapsed: o.elapsed,
                    attempts: o.attempts,
                    failure: o.failure,
                    cached: o.cached,
                    queued: o.queued,
                    waits: o.waits.clone(),
                    replayed: false,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(calls: u32, sequential_ms: u64, batch_ms: u64) -> RunMetrics {
        RunMetrics {
            tool_calls: calls,
            sequential_tool_time: Duration::from_millis(sequential_ms),
            tool_time: Duration::from_millis(batch_ms),
            ..RunMetrics::default()
        }
    }

    #[test]
    fn a_speedup_is_reported_only_where_it_means_something() {
        assert_eq!(metrics(2, 2000, 1000).parallel_speedup(), Some(2.0));
        // Tools that return at once: the ratio is scheduling noise.
        assert_eq!(metrics(2, 1, 3).parallel_speedup(), None);
        // One call cannot run in parallel with anything.
        assert_eq!(metrics(1, 1000, 1000).parallel_speedup(), None);
        assert_eq!(metrics(0, 0, 0).parallel_speedup(), None);
    }
}
