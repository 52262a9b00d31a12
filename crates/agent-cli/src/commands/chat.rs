//! `agent chat`: a conversation over several prompts, one per line of input.
//!
//! A prompt that fails (the model service gave up, too many iterations) is
//! reported, as that prompt's JSON document with `--json`, and the chat
//! reads the next prompt: the conversation stays valid (the agent answers
//! every `toolUse` even when it stops early), so it goes on. The exit code
//! says whether any prompt failed. Ctrl-C cancels the prompt running (and
//! ends the chat when input is piped); `SIGTERM` and `SIGHUP` end it.

use std::io::IsTerminal;

use agent_core::Conversation;
use tokio::io::AsyncBufReadExt;

use crate::cli::ChatArgs;
use agent_cli::exit::Failure;
use agent_cli::json::Layout;
use agent_cli::render::Mode;
use agent_cli::session::{self, Ending, Start};
use agent_cli::session_store::OpenSession;
use agent_cli::signals::{Signal, Signals};
use agent_cli::{assemble, render};

/// Reads prompts until end of input, then exits 0, or as the first failed
/// prompt says (exit 3 for a model error) when any failed.
pub async fn chat(args: ChatArgs) -> Result<(), Failure> {
    // Listening before the agent is assembled: a signal while plugins
    // load ends the chat as cleanly as one during a prompt.
    let mut attachments = Some(args.attach.load()?);
    let signals = Signals::listen(true);
    let mut signals = signals;
    let agent = assemble::from_overrides(&args.agent.overrides()).await?;
    let mode = Mode::detect(args.agent.json);
    let json = args.agent.json.then_some(Layout::Line);
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "chatting with {} tool(s); an empty line or Ctrl-D ends the chat",
            agent.tools().len()
        );
    }
    let saved = match &args.session.session {
        Some(name) => {
            let open = OpenSession::open(args.session.session_store.clone(), name)?;
            open.ready_for_prompt(name)?;
            open.check_tools(&agent, name)?;
            Some(open)
        }
        None => None,
    };
    let journal = saved.as_ref().and_then(OpenSession::journal);
    let mut conversation = saved
        .as_ref()
        .map(|s| Conversation::from_messages(s.restored.messages.clone()))
        .unwrap_or_else(Conversation::new);
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut failed: Vec<Failure> = Vec::new();
    let mut prompts = 0usize;
    loop {
        if interactive {
            eprint!("> ");
        }
        let line = tokio::select! {
            line = lines.next_line() => line?,
            // No prompt is running: nothing to cancel, the chat ends.
            signal = signals.next() => return Err(Failure::Interrupted(signal)),
        };
        let Some(line) = line else {
            break;
        };
        let prompt = line.trim();
        if prompt.is_empty() {
            if interactive {
                break;
            }
            continue;
        }
        prompts += 1;
        let (cancel, watching) = signals.token();
        let result = session::show_start(
            &agent,
            &mut conversation,
            // The files go with the first prompt only.
            match attachments.take() {
                Some(files) if !files.is_empty() => Start::Attached(prompt, files),
                _ => Start::Prompt(prompt),
            },
            mode,
            cancel,
            journal.clone(),
        )
        .await;
        drop(watching);
        let ending = Ending::of(result, &signals);
        if let Some(layout) = json {
            ending.print_json(layout)?;
        }
        let Some(stop) = ending.stop else {
            continue;
        };
        match stop.failure {
            // Ctrl-C at a terminal ends only the prompt running.
            Failure::Interrupted(Signal::Interrupt) if interactive => {
                // Handled: the next prompt runs.
                signals.acknowledge();
                eprintln!("(cancelled)");
            }
            Failure::Interrupted(_) => {
                if let Some(saved) = &saved {
                    saved.check()?;
                }
                return Err(documented(stop.failure, json.is_some()));
            }
            failure => {
                eprintln!("error: {}", render::sanitize::text(&failure.to_string()));
                if interactive {
                    eprintln!("(the conversation goes on: type the next prompt)");
                }
                failed.push(failure);
            }
        }
    }
    if let Some(saved) = &saved {
        saved.check()?;
    }
    let count = failed.len();
    match failed.into_iter().next() {
        None => Ok(()),
        Some(first) => {
            let summary = format!("{count} of {prompts} prompt(s) failed; the first: {first}");
            let failure = match first {
                Failure::Model(_) => Failure::Model(summary),
                other => other,
            };
            Err(documented(failure, json.is_some()))
        }
    }
}

/// `failure`, marked as documented when its prompt's JSON document is out.
fn documented(failure: Failure, json: bool) -> Failure {
    if json {
        Failure::Documented(Box::new(failure))
    } else {
        failure
    }
}
