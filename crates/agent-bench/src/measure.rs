//! Running one case: a warm-up, the timed runs, and the sequential run; each
//! run checked, so a fast but wrong run can never count.

use std::time::{Duration, Instant};

use agent_core::{Agent, StopReason};
use serde::Serialize;

use crate::cases::{Case, Kind};
use agent_cli::exit::Failure;

/// Median, min and max of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    /// The median (the mean of the two middle values for an even count).
    pub median_ms: f64,
    /// The fastest.
    pub min_ms: f64,
    /// The slowest.
    pub max_ms: f64,
}

impl Stats {
    /// The figures of `samples`; `None` if there are none.
    pub fn of(samples: &[Duration]) -> Option<Self> {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        let median = match n {
            0 => return None,
            n if n % 2 == 1 => ms[n / 2],
            n => (ms[n / 2 - 1] + ms[n / 2]) / 2.0,
        };
        Some(Self {
            median_ms: median,
            min_ms: ms[0],
            max_ms: ms[n - 1],
        })
    }
}

/// What one run gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// From `agent.run(prompt)` to its return.
    pub wall: Duration,
    /// Time waiting for the model (request sent to response read).
    pub model_time: Duration,
    /// The tool batches' wall time.
    pub tool_time: Duration,
    /// The sum of every tool call's time.
    pub sequential_tool_time: Duration,
    /// Tool time hidden behind generation (eager start).
    pub hidden_tool_time: Duration,
}

impl Sample {
    /// What the run would have taken with one call at a time: its wall time
    /// with each batch's wall replaced by the sum of its calls.
    pub fn estimated_sequential(&self) -> Duration {
        (self.wall + self.sequential_tool_time).saturating_sub(self.tool_time)
    }
}

/// Runs `case` once with `agent` and checks the run did the whole work:
/// every model turn, every tool call successful, a final answer.
pub async fn run_once(agent: &Agent, case: &Case) -> Result<Sample, Failure> {
    let started = Instant::now();
    let run = agent
        .run(case.prompt())
        .await
        .map_err(|e| Failure::Model(format!("{}: the run failed: {e}", case.id())))?;
    let wall = started.elapsed();
    let m = &run.metrics;
    let failed = m
        .turns
        .iter()
        .filter_map(|t| t.tools.as_ref())
        .flat_map(|b| &b.calls)
        .find(|c| c.failure.is_some());
    if let Some(call) = failed {
        return Err(Failure::Model(format!(
            "{}: tool call {} ({}) failed ({:?}); the figures would not be the reference work",
            case.id(),
            call.id,
            call.name,
            call.failure
        )));
    }
    let done = run.stop_reason == Some(StopReason::EndTurn)
        && m.tool_calls as usize == case.tool_calls()
        && m.model_calls as usize == case.model_calls();
    if !done {
        return Err(Failure::Model(format!(
            "{}: the run did not do the scripted work: {} model calls and {} tool calls \
             (expected {} and {}), stop reason {:?}",
            case.id(),
            m.model_calls,
            m.tool_calls,
            case.model_calls(),
            case.tool_calls(),
            run.stop_reason
        )));
    }
    Ok(Sample {
        wall,
        model_time: m.model_time,
        tool_time: m.tool_time,
        sequential_tool_time: m.sequential_tool_time,
        hidden_tool_time: m.hidden_tool_time,
    })
}

/// How the sequential figure was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeqMethod {
    /// One real run with `max_concurrency` 1.
    Measured,
    /// From the median parallel run: its wall time with each tool batch's
    /// wall replaced by the sum of its calls' times.
    Estimated,
}

/// Which sequential figure to give (`--sequential`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeqPolicy {
    /// Measured for Q1–Q4 and CHAIN, estimated for FANOUT (a sequential
    /// FANOUT-1024 takes 102 s per mode).
    Auto,
    /// Measured for every case.
    Measure,
    /// No sequential figure.
    Off,
}

impl SeqPolicy {
    /// The method for a case of `kind`, if any.
    pub fn method(self, kind: Kind) -> Option<SeqMethod> {
        match (self, kind) {
            (Self::Off, _) => None,
            (Self::Auto, Kind::Fanout) => Some(SeqMethod::Estimated),
            _ => Some(SeqMethod::Measured),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn stats_take_the_middle() {
        let s = Stats::of(&[ms(5), ms(1), ms(3)]).unwrap();
        assert_eq!((s.median_ms, s.min_ms, s.max_ms), (3.0, 1.0, 5.0));
        let s = Stats::of(&[ms(4), ms(1), ms(2), ms(3)]).unwrap();
        assert_eq!(s.median_ms, 2.5);
        assert_eq!(Stats::of(&[]), None);
    }

    #[test]
    fn the_sequential_estimate_swaps_batch_wall_for_call_sum() {
        let s = Sample {
            wall: ms(110),
            model_time: ms(8),
            tool_time: ms(101),
            sequential_tool_time: ms(25_600),
            hidden_tool_time: Duration::ZERO,
        };
        assert_eq!(s.estimated_sequential(), ms(25_609));
    }
}
