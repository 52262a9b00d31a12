//! Each turn's tool calls as bars on a shared time axis: the overlap of
//! concurrent calls is visible at a glance.

use std::fmt::Write;

use agent_core::AgentRun;

use super::{secs, truncate};

const WIDTH: usize = 40;

/// The timeline of every turn that ran tools; empty if none did.
pub fn timeline(run: &AgentRun, color: bool) -> String {
    let mut out = String::new();
    for turn in &run.metrics.turns {
        let Some(batch) = &turn.tools else { continue };
        let axis = batch.wall.as_secs_f64().max(1e-9);
        let speedup = if batch.wall.is_zero() {
            1.0
        } else {
            batch.sequential.as_secs_f64() / axis
        };
        // Eager start: the part of the batch that ran while the model
        // still wrote its message.
        let hidden = if batch.hidden.is_zero() {
            String::new()
        } else {
            format!("; {} while the model wrote", secs(batch.hidden))
        };
        let _ = writeln!(
            out,
            "turn {}: {} tool call{} in {} (sequential {}, {:.1}x{hidden})",
            turn.iteration,
            batch.calls.len(),
            if batch.calls.len() == 1 { "" } else { "s" },
            secs(batch.wall),
            secs(batch.sequential),
            speedup
        );
        let name_width = batch
            .calls
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(24);
        // Large fan-outs: show the first calls and say how many more.
        let shown = batch.calls.len().min(24);
        for call in &batch.calls[..shown] {
            let at = |d: std::time::Duration| {
                (((d.as_secs_f64() / axis) * WIDTH as f64).round() as usize).min(WIDTH - 1)
            };
            let start = at(call.started);
            // Waiting (queued, held back by a limit, a resource or a rate)
            // is drawn apart from running: `░` before the `█` bar.
            let queued = at(call.queued.min(call.started));
            let waiting = start - queued;
            let len =
                (((call.elapsed.as_secs_f64() / axis) * WIDTH as f64).round() as usize).max(1);
            // A call replayed from the session did not run: no bar.
            let len = if call.replayed {
                0
            } else {
                len.min(WIDTH - start)
            };
            let bar = "█".repeat(len);
            let bar = if !color {
                bar
            } else if call.failure.is_some() {
                console::style(bar).red().to_string()
            } else {
                console::style(bar).green().to_string()
            };
            let wait = "░".repeat(waiting);
            let wait = if color {
                console::style(wait).dim().to_string()
            } else {
                wait
            };
            let mut status = match call.failure {
                None => String::new(),
                Some(f) => format!("  {f:?}").to_lowercase(),
            };
            if call.replayed {
                status.push_str("  replayed from the session");
            }
            if !call.waits.is_empty() {
                let why: Vec<String> = call
                    .waits
                    .iter()
                    .map(|w| format!("{} {}", w.reason.label(), secs(w.elapsed)))
                    .collect();
                let _ = write!(status, "  waited: {}", why.join(", "));
            }
            let _ = writeln!(
                out,
                "  {:<name_width$} |{}{}{}{}| {}{}",
                truncate(&super::sanitize::line(&call.name), name_width),
                " ".repeat(queued),
                wait,
                bar,
                " ".repeat(WIDTH - start - len),
                secs(call.elapsed),
                status,
            );
        }
        if batch.calls.len() > shown {
            let _ = writeln!(out, "  … and {} more calls", batch.calls.len() - shown);
        }
        let _ = writeln!(
            out,
            "  {:<name_width$} 0{:>w$}",
            "",
            secs(batch.wall),
            w = WIDTH + 1
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agent_core::{BatchMetrics, CallTiming, RunMetrics, TurnMetrics};

    use super::*;

    fn call(name: &str, started_ms: u64, elapsed_ms: u64) -> CallTiming {
        CallTiming {
            id: name.into(),
            name: name.into(),
            started: Duration::from_millis(started_ms),
            elapsed: Duration::from_millis(elapsed_ms),
            attempts: 1,
            failure: None,
            cached: false,
            queued: Duration::ZERO,
            waits: Vec::new(),
            replayed: false,
        }
    }

    #[test]
    fn bars_share_one_axis() {
        let run = AgentRun {
            answer: String::new(),
            stop_reason: None,
            messages: vec![],
            events: vec![],
            output: None,
            model_fields: None,
            metrics: RunMetrics {
                turns: vec![TurnMetrics {
                    iteration: 1,
                    tools: Some(BatchMetrics {
                        wall: Duration::from_millis(1600),
                        sequential: Duration::from_millis(2400),
                        hidden: Duration::ZERO,
                        calls: vec![
                            call("get_weather", 0, 800),
                            call("search_restaurants", 0, 1600),
                        ],
                    }),
                    ..TurnMetrics::default()
                }],
                ..RunMetrics::default()
            },
        };
        let text = timeline(&run, false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "turn 1: 2 tool calls in 1.60 s (sequential 2.40 s, 1.5x)"
        );
        assert_eq!(lines[1].matches('█').count(), 20, "{}", lines[1]);
        assert_eq!(lines[2].matches('█').count(), 40, "{}", lines[2]);
    }

    #[test]
    fn waiting_is_drawn_apart_from_running() {
        let mut waited = call("write", 800, 800);
        waited.waits = vec![agent_core::CallWait {
            reason: agent_core::WaitReason::Resource,
            elapsed: Duration::from_millis(800),
        }];
        let run = AgentRun {
            answer: String::new(),
            output: None,
            model_fields: None,
            stop_reason: None,
            messages: vec![],
            events: vec![],
            metrics: RunMetrics {
                turns: vec![TurnMetrics {
                    iteration: 1,
                    tools: Some(BatchMetrics {
                        wall: Duration::from_millis(1600),
                        sequential: Duration::from_millis(1600),
                        hidden: Duration::ZERO,
                        calls: vec![call("write", 0, 800), waited],
                    }),
                    ..TurnMetrics::default()
                }],
                ..RunMetrics::default()
            },
        };
        let text = timeline(&run, false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1].matches('░').count(), 0, "{}", lines[1]);
        assert_eq!(lines[2].matches('░').count(), 20, "{}", lines[2]);
        assert_eq!(lines[2].matches('█').count(), 20, "{}", lines[2]);
        assert!(
            lines[2].ends_with("waited: resource 0.80 s"),
            "{}",
            lines[2]
        );
    }
}
