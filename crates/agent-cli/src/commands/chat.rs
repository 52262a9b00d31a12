//! `agent chat`: a conversation over several prompts, one per line of input.

use std::io::IsTerminal;

use agent_core::{AgentErrorKind, Conversation};
use tokio::io::AsyncBufReadExt;

use crate::cli::ChatArgs;
use agent_cli::exit::Failure;
use agent_cli::render::Mode;
use agent_cli::session::Start;
use agent_cli::session_store::OpenSession;
use agent_cli::{assemble, session};

/// Reads prompts until end of input; Ctrl-C cancels the prompt running.
pub async fn chat(args: ChatArgs) -> Result<(), Failure> {
    let agent = assemble::from_overrides(&args.agent.overrides()).await?;
    let mode = Mode::detect(args.agent.json);
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
    loop {
        if interactive {
            eprint!("> ");
        }
        let Some(line) = lines.next_line().await? else {
            break;
        };
        let prompt = line.trim();
        if prompt.is_empty() {
            if interactive {
                break;
            }
            continue;
        }
        let result = session::show_start(
            &agent,
            &mut conversation,
            Start::Prompt(prompt),
            mode,
            session::interrupt_token(),
            journal.clone(),
        )
        .await;
        match result {
            Ok(run) => {
                if args.agent.json {
                    agent_cli::json::print_as(
                        &agent_cli::json::RunDocument::new(&run, None),
                        agent_cli::json::Layout::Line,
                    )?;
                }
            }
            // A cancelled prompt ends only that prompt; the conversation goes on.
            Err(e) if e.kind == AgentErrorKind::Cancelled && interactive => {
                eprintln!("(cancelled)")
            }
            Err(e) => {
                let concluded = session::conclude(
                    Err(e),
                    args.agent.json.then_some(agent_cli::json::Layout::Line),
                );
                if let Some(saved) = &saved {
                    saved.check()?;
                }
                return concluded;
            }
        }
    }
    match &saved {
        Some(saved) => saved.check(),
        None => Ok(()),
    }
}
