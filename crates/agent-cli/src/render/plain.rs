//! The plain view of a run: one timestamped line per event on stderr, for
//! logs and pipes (no terminal), and the one-line wording of events that
//! the terminal view reuses on its bars.

use std::io::Write;
use std::time::Duration;

use agent_core::{AgentEvent, AgentState, EventKind};
use tokio::sync::mpsc::UnboundedReceiver;

use super::{secs, short_input};

/// How a cut-off call of a non-idempotent tool reads on resume: it was
/// never journaled, so it is not "replayed"; it was not run again either.
pub(super) const NOT_REPEATED: &str =
    "not repeated: interrupted, not idempotent (answered with an error)";

/// `; retrying in 60.00 s (the service asked for 1000000000.00 s; capped)`:
/// when the next attempt starts, and when the service's own hint was
/// longer than the policy allows, that it was capped, so a long wait (or
/// a short one) is never a mystery.
pub(super) fn retry_note(retry_in: Option<Duration>, retry_after: Option<Duration>) -> String {
    match (retry_in, retry_after) {
        (Some(wait), Some(asked)) if asked > wait => format!(
            "; retrying in {} (the service asked for {}; capped)",
            secs(wait),
            secs(asked)
        ),
        (Some(wait), _) => format!("; retrying in {}", secs(wait)),
        (None, _) => String::new(),
    }
}

pub(super) async fn plain(mut rx: UnboundedReceiver<AgentEvent>) {
    let mut stderr = std::io::stderr();
    while let Some(event) = rx.recv().await {
        let at = event.at.as_secs_f64();
        if let Some(line) = plain_line(event.kind) {
            let _ = writeln!(stderr, "[{at:8.3} s] {}", super::sanitize::line(&line));
        }
    }
}

/// The plain view's line for an event, if it has one; a sub-agent's under
/// its call: `researcher[1] ↳ start lookup(…)`.
pub(super) fn plain_line(kind: EventKind) -> Option<String> {
    match kind {
        EventKind::SubAgent {
            name, index, inner, ..
        } => plain_line(inner.kind).map(|l| format!("{name}[{index}] ↳ {l}")),
        EventKind::State { to, .. } => match to {
            AgentState::Thinking => Some("thinking".to_string()),
            AgentState::ExecutingTools => Some("executing tools".to_string()),
            AgentState::Completed => Some("completed".to_string()),
            AgentState::Error => Some("stopped".to_string()),
            _ => None,
        },
        EventKind::ModelCallFinished {
            iteration,
            attempt,
            stop_reason,
            usage,
            elapsed,
        } => Some(format!(
            "model turn {iteration} (attempt {attempt}): {stop_reason:?} in {}, {} in{} / {} out tokens",
            secs(elapsed),
            usage.input_tokens,
            super::summary::cache_figures(&usage),
            usage.output_tokens
        )),
        EventKind::ModelCallFailed {
            iteration,
            attempt,
            kind,
            error,
            retry_in,
            retry_after,
        } => Some(format!(
            "model turn {iteration} attempt {attempt} failed ({kind:?}): {error}{}",
            retry_note(retry_in, retry_after)
        )),
        EventKind::ToolCallStarted { name, input, .. } => {
            Some(format!("start {name}({})", short_input(&input, 60)))
        }
        EventKind::ToolCallRetrying {
            name,
            attempt,
            error,
            delay,
            ..
        } => Some(format!(
            "retry {name}: attempt {attempt} failed: {error}; next in {}",
            secs(delay)
        )),
        EventKind::ToolCallProgress {
            name,
            progress,
            total,
            message,
            ..
        } => Some(format!(
            "progress {name} {}",
            progress_text(progress, total, message.as_deref())
        )),
        EventKind::ToolCallStalled {
            name,
            held_by,
            waited,
            ..
        } => Some(super::stall::stalled_line(&name, &held_by, waited)),
        // Shown by its `ToolCallReplayed` line already.
        EventKind::ToolCallFinished { replayed: true, .. } => None,
        EventKind::ToolCallFinished {
            name,
            failure,
            error,
            elapsed,
            attempts,
            cached,
            ..
        } => Some(match failure {
            None if cached => format!("ok    {name} {} (cached)", secs(elapsed)),
            None => format!(
                "ok    {name} {} ({attempts} attempt{})",
                secs(elapsed),
                if attempts == 1 { "" } else { "s" }
            ),
            Some(f) => format!(
                "error {name} {} {f:?}: {}",
                secs(elapsed),
                error.unwrap_or_default()
            ),
        }),
        EventKind::ToolCallReplayed {
            name,
            interrupted: true,
            ..
        } => Some(format!("error {name} {NOT_REPEATED}")),
        EventKind::ToolCallReplayed { name, error, .. } => Some(format!(
            "replayed {name} from the session{}",
            if error { " (error result)" } else { "" }
        )),
        EventKind::ContextReduced {
            manager,
            dropped,
            summarized,
            tokens_before,
            tokens_after,
            overflow,
            ..
        } => Some(format!(
            "context {manager}: dropped {dropped} messages{}{} (~{tokens_before} -> ~{tokens_after} tokens)",
            if summarized { ", summarised" } else { "" },
            if overflow {
                " after the service's overflow error"
            } else {
                ""
            }
        )),
        EventKind::ToolLimitChanged { name, from, to, .. } => Some(limit_line(&name, from, to)),
        EventKind::ToolCallQueued { name, reason, .. } => Some(queued_line(&name, reason)),
        EventKind::ModelCallStarted { .. }
        | EventKind::TextDelta { .. }
        | EventKind::ReasoningDelta { .. } => None,
    }
}

/// A call waiting before it runs, as the live views say it.
pub(super) fn queued_line(name: &str, reason: agent_core::WaitReason) -> String {
    format!("… {name} waiting ({})", reason.label())
}

/// A call's progress report, as the live views say it: `3/10 message`
/// (`3 message` when the tool gave no total).
pub(super) fn progress_text(progress: f64, total: Option<f64>, message: Option<&str>) -> String {
    let mut text = match total {
        Some(total) => format!("{progress}/{total}"),
        None => progress.to_string(),
    };
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        text.push(' ');
        text.push_str(message);
    }
    text
}

/// A tool's adaptive limit moving, as the live views say it.
pub(super) fn limit_line(name: &str, from: usize, to: usize) -> String {
    let why = if to < from { "throttled" } else { "recovering" };
    format!("limit {name}: {from} -> {to} at once ({why})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_call_says_what_for() {
        assert_eq!(
            queued_line("write", agent_core::WaitReason::Resource),
            "… write waiting (resource)"
        );
    }

    #[test]
    fn an_adaptive_limit_says_which_way_it_moved() {
        assert_eq!(
            limit_line("api", 8, 4),
            "limit api: 8 -> 4 at once (throttled)"
        );
        assert_eq!(
            limit_line("api", 4, 5),
            "limit api: 4 -> 5 at once (recovering)"
        );
    }

    #[test]
    fn progress_reads_done_of_total_then_the_message() {
        let line = plain_line(EventKind::ToolCallProgress {
            iteration: 1,
            index: 0,
            id: "c1".into(),
            name: "crawl".into(),
            progress: 3.0,
            total: Some(10.0),
            message: Some("page 3".into()),
        });
        assert_eq!(line.as_deref(), Some("progress crawl 3/10 page 3"));
        assert_eq!(progress_text(0.5, None, None), "0.5");
    }

    #[test]
    fn a_capped_retry_after_says_so() {
        let s = Duration::from_secs;
        assert_eq!(
            retry_note(Some(s(60)), Some(s(1_000_000_000))),
            "; retrying in 60.00 s (the service asked for 1000000000.00 s; capped)"
        );
        assert_eq!(retry_note(Some(s(2)), Some(s(2))), "; retrying in 2.00 s");
        assert_eq!(retry_note(Some(s(3)), None), "; retrying in 3.00 s");
        assert_eq!(retry_note(None, Some(s(3))), "");
    }
}
