//! `agent chat`: a conversation over several prompts, one per line of input.

use std::io::IsTerminal;

use agent_core::{AgentErrorKind, Conversation};
use tokio::io::AsyncBufReadExt;

use crate::cli::ChatArgs;
use agent_cli::exit::Failure;
use agent_cli::render::Mode;
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
    let mut conversation = Conversation::new();
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
        let result = session::show(
            &agent,
            &mut conversation,
            prompt,
            mode,
            session::interrupt_token(),
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
                return session::conclude(
                    Err(e),
                    args.agent.json.then_some(agent_cli::json::Layout::Line),
                );
            }
        }
    }
    Ok(())
}
