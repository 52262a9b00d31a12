//! The live view of a run, fed by its event stream: spinners and streamed
//! text on a terminal, plain timestamped lines otherwise, nothing for JSON.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use agent_core::{AgentEvent, AgentState, EventKind};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use super::plain::{
    NOT_REPEATED, limit_line, plain, plain_line, progress_text, queued_line, retry_note,
};
use super::{secs, short_input};

/// Whether the user lets us colour output: `NO_COLOR` set to anything
/// non-empty says no (<https://no-color.org>).
pub fn color_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// How to show a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A terminal: spinners, colour, streamed text on stdout.
    Tty,
    /// Piped or CI: plain lines on stderr, no spinners or colour.
    Plain,
    /// JSON output: nothing while running.
    Quiet,
}

impl Mode {
    /// The mode for this process: `Tty` when stderr is a terminal, with or
    /// without colour (`NO_COLOR` takes the colour away, not the view).
    pub fn detect(json: bool) -> Self {
        use std::io::IsTerminal;
        Self::choose(json, std::io::stderr().is_terminal())
    }

    /// [`Mode::detect`]'s rule.
    fn choose(json: bool, stderr_is_terminal: bool) -> Self {
        if json {
            Self::Quiet
        } else if stderr_is_terminal {
            Self::Tty
        } else {
            Self::Plain
        }
    }

    /// Whether what this mode draws is coloured: on a terminal, unless
    /// `NO_COLOR` says otherwise.
    pub fn color(self) -> bool {
        self == Self::Tty && color_wanted()
    }

    /// Whether answer text is streamed to stdout as it arrives.
    pub fn streams_text(self) -> bool {
        self == Self::Tty
    }
}

/// A running live view; ends when the run drops its event sender.
pub struct LiveView {
    task: JoinHandle<()>,
    /// The terminal view's bars, hidden while a question is asked.
    bars: Option<MultiProgress>,
}

impl LiveView {
    /// Starts showing the events that arrive on `rx`.
    pub fn start(mode: Mode, rx: UnboundedReceiver<AgentEvent>) -> Self {
        let bars = (mode == Mode::Tty)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let mp = bars.clone();
        let task = tokio::spawn(async move {
            match (mode, mp) {
                (Mode::Tty, Some(mp)) => tty(mp, rx).await,
                (Mode::Tty, None) => plain(rx).await,
                (Mode::Plain, _) => plain(rx).await,
                (Mode::Quiet, _) => {
                    let mut rx = rx;
                    while rx.recv().await.is_some() {}
                }
            }
        });
        Self { task, bars }
    }

    /// Asks the person at the terminal `question` on stderr and reads one
    /// line of standard input, the live view's bars hidden meanwhile so
    /// their redraw does not overwrite the question. Blocking: call it from
    /// a blocking thread.
    pub fn asker(&self) -> Asker {
        Asker {
            bars: self.bars.clone(),
        }
    }

    /// Waits until every event is shown.
    pub async fn finish(self) {
        let _ = self.task.await;
    }
}

fn state_text(state: AgentState, iteration: u32, tools: usize) -> Option<String> {
    match state {
        AgentState::Thinking => Some(format!("thinking (model turn {})…", iteration + 1)),
        AgentState::ExecutingTools => Some(format!(
            "executing {tools} tool call{}…",
            if tools == 1 { "" } else { "s" }
        )),
        AgentState::Responding => Some("responding…".into()),
        _ => None,
    }
}

/// Asks questions on the terminal the live view draws on (see
/// [`LiveView::asker`]).
#[derive(Clone)]
pub struct Asker {
    bars: Option<MultiProgress>,
}

impl Asker {
    /// Shows `question` and returns the line typed (without its newline);
    /// `None` at the end of input or on a read error.
    pub fn ask(&self, question: &str) -> Option<String> {
        use std::io::{BufRead, Write};
        if let Some(mp) = &self.bars {
            let _ = mp.clear();
            mp.set_draw_target(ProgressDrawTarget::hidden());
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{question}");
        let _ = err.flush();
        drop(err);
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line);
        if let Some(mp) = &self.bars {
            mp.set_draw_target(ProgressDrawTarget::stderr());
        }
        match read {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_owned()),
        }
    }
}

async fn tty(mp: MultiProgress, mut rx: UnboundedReceiver<AgentEvent>) {
    let spinner = ProgressStyle::with_template("{spinner:.cyan} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let tool_style = ProgressStyle::with_template("  {spinner:.yellow} {msg} {elapsed:.dim}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let done_style = ProgressStyle::with_template("  {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let state = mp.add(ProgressBar::new_spinner());
    state.set_style(spinner);
    state.enable_steady_tick(Duration::from_millis(80));
    let mut bars: HashMap<String, (ProgressBar, String)> = HashMap::new();
    let mut iteration = 0;
    let mut pending_tools = 0;
    // Eager start: calls may start while the model still writes.
    let mut thinking = false;
    let mut streamed_text = false;
    // Streamed text is shown a line at a time above the bars (a partial line
    // would collide with their redraw); the line being written shows in the
    // status spinner meanwhile.
    let mut partial = String::new();
    // Reasoning (extended thinking) the same way, dimmed: it is the
    // model's working, not its answer.
    let mut reasoning = String::new();
    let print_line = |line: &str| {
        mp.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", super::sanitize::text(line));
            let _ = out.flush();
        })
    };
    let print_dim = |line: &str| {
        mp.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", console::style(super::sanitize::text(line)).dim());
            let _ = out.flush();
        })
    };
    while let Some(event) = rx.recv().await {
        match event.kind {
            EventKind::State { to, .. } => {
                thinking = to == AgentState::Thinking;
                if let Some(text) = state_text(to, iteration, pending_tools) {
                    state.set_message(text);
                }
                if to.is_final() {
                    if !reasoning.is_empty() {
                        print_dim(&std::mem::take(&mut reasoning));
                    }
                    if !partial.is_empty() {
                        print_line(&std::mem::take(&mut partial));
                    }
                    state.finish_and_clear();
                }
            }
            EventKind::ModelCallFinished { iteration: i, .. } => {
                iteration = i;
            }
            EventKind::ModelCallFailed {
                attempt,
                kind,
                ref error,
                retry_in,
                retry_after,
                ..
            } => {
                let retry = retry_note(retry_in, retry_after);
                let void = if streamed_text {
                    " (the text above is void)"
                } else {
                    ""
                };
                let _ = mp.println(format!(
                    "{} model call attempt {attempt} failed ({kind:?}): {}{retry}{void}",
                    console::style("!").yellow(),
                    super::sanitize::line(error)
                ));
            }
            EventKind::ReasoningDelta { text, .. } => {
                reasoning.push_str(&text);
                while let Some(end) = reasoning.find('\n') {
                    let line: String = reasoning.drain(..=end).collect();
                    print_dim(line.trim_end_matches('\n'));
                }
                state.set_message(format!(
                    "reasoning: {}",
                    super::truncate(&super::sanitize::line(&reasoning), 100)
                ));
            }
            EventKind::TextDelta { text, .. } => {
                if !reasoning.is_empty() {
                    print_dim(&std::mem::take(&mut reasoning));
                }
                streamed_text = true;
                partial.push_str(&text);
                while let Some(end) = partial.find('\n') {
                    let line: String = partial.drain(..=end).collect();
                    print_line(line.trim_end_matches('\n'));
                }
                state.set_message(format!(
                    "writing: {}",
                    super::truncate(&super::sanitize::line(&partial), 100)
                ));
            }
            EventKind::ToolCallStarted {
                id, name, input, ..
            } => {
                pending_tools += 1;
                state.set_message(if thinking {
                    format!("thinking; {pending_tools} tool call(s) started early…")
                } else {
                    format!("executing tool calls ({pending_tools} started)…")
                });
                let label = format!(
                    "{}({})",
                    super::sanitize::line(&name),
                    short_input(&input, 48)
                );
                // A call that waited has its bar already: it now runs.
                let bar = match bars.remove(&id) {
                    Some((bar, _)) => bar,
                    None => mp.add(ProgressBar::new_spinner()),
                };
                bar.set_style(tool_style.clone());
                bar.set_message(label.clone());
                bar.enable_steady_tick(Duration::from_millis(80));
                bars.insert(id, (bar, label));
            }
            EventKind::ToolCallQueued {
                id, name, reason, ..
            } => {
                let label = super::sanitize::line(&name).into_owned();
                let bar = mp.add(ProgressBar::new_spinner());
                bar.set_style(done_style.clone());
                bar.set_message(queued_line(&label, reason));
                bars.insert(id, (bar, label));
            }
            EventKind::ToolCallRetrying {
                id,
                attempt,
                error,
                delay,
                ..
            } => {
                if let Some((bar, label)) = bars.get(&id) {
                    bar.set_message(format!(
                        "{label} — attempt {attempt} failed: {}; retry in {}",
                        super::sanitize::line(&error),
                        secs(delay)
                    ));
                }
            }
            EventKind::ToolCallProgress {
                id,
                progress,
                total,
                message,
                ..
            } => {
                if let Some((bar, label)) = bars.get(&id) {
                    bar.set_message(format!(
                        "{label} — {}",
                        super::truncate(
                            &super::sanitize::line(&progress_text(
                                progress,
                                total,
                                message.as_deref()
                            )),
                            80
                        )
                    ));
                }
            }
            EventKind::ToolCallStalled { id, held_by, .. } => {
                if let Some((bar, label)) = bars.get(&id) {
                    bar.set_message(format!(
                        "{label} — not started: {}",
                        super::sanitize::line(&super::stall::holder_text(&held_by))
                    ));
                }
            }
            // Shown by its `ToolCallReplayed` line already.
            EventKind::ToolCallFinished { replayed: true, .. } => {}
            EventKind::ToolCallFinished {
                id,
                name,
                failure,
                error,
                elapsed,
                attempts,
                cached,
                ..
            } => {
                let (bar, label) = bars.remove(&id).unwrap_or_else(|| {
                    let label = super::sanitize::line(&name).into_owned();
                    (mp.add(ProgressBar::new_spinner()), label)
                });
                bar.set_style(done_style.clone());
                let tries = if cached {
                    " (cached)".to_string()
                } else if attempts > 1 {
                    format!(" ({attempts} attempts)")
                } else {
                    String::new()
                };
                let line = match failure {
                    None => format!(
                        "{} {label} {}{tries}",
                        console::style("✓").green(),
                        secs(elapsed)
                    ),
                    Some(f) => format!(
                        "{} {label} {} {f:?}: {}{tries}",
                        console::style("✗").red(),
                        secs(elapsed),
                        super::truncate(
                            &super::sanitize::line(error.as_deref().unwrap_or("")),
                            100
                        )
                    ),
                };
                bar.finish_with_message(line);
            }
            EventKind::ToolCallReplayed {
                name,
                error,
                interrupted,
                ..
            } => {
                let label = super::sanitize::line(&name).into_owned();
                let bar = mp.add(ProgressBar::new_spinner());
                bar.set_style(done_style.clone());
                let line = if interrupted {
                    format!("{} {label} {NOT_REPEATED}", console::style("✗").red())
                } else {
                    let mark = if error {
                        console::style("↺").red()
                    } else {
                        console::style("↺").cyan()
                    };
                    format!("{mark} {label} replayed from the session")
                };
                bar.finish_with_message(line);
            }
            EventKind::ContextReduced {
                manager,
                dropped,
                tokens_before,
                tokens_after,
                ..
            } => {
                let bar = mp.add(ProgressBar::new_spinner());
                bar.set_style(done_style.clone());
                bar.finish_with_message(format!(
                    "{} context: {} dropped {dropped} old messages (~{tokens_before} → ~{tokens_after} tokens)",
                    console::style("⇣").yellow(),
                    super::sanitize::line(&manager)
                ));
            }
            EventKind::ToolLimitChanged { name, from, to, .. } => {
                let label = super::sanitize::line(&name).into_owned();
                let bar = mp.add(ProgressBar::new_spinner());
                bar.set_style(done_style.clone());
                bar.finish_with_message(limit_line(&label, from, to));
            }
            // Each attempt starts its own calls (those of a failed one
            // were cancelled).
            EventKind::ModelCallStarted { .. } => pending_tools = 0,
            // A sub-agent's progress shows on its call's bar.
            EventKind::SubAgent { id, inner, .. } => {
                if let (Some((bar, label)), Some(doing)) = (bars.get(&id), plain_line(inner.kind)) {
                    bar.set_message(format!(
                        "{label} ↳ {}",
                        super::truncate(&super::sanitize::line(&doing), 80)
                    ));
                }
            }
        }
    }
    if !partial.is_empty() {
        print_line(&partial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_gets_the_live_view_json_gets_nothing() {
        assert_eq!(Mode::choose(false, true), Mode::Tty);
        assert_eq!(Mode::choose(false, false), Mode::Plain);
        assert_eq!(Mode::choose(true, true), Mode::Quiet);
        // Only a terminal is ever coloured.
        assert!(!Mode::Plain.color());
        assert!(!Mode::Quiet.color());
    }
}
