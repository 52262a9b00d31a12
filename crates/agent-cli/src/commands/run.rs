//! `agent run`: one prompt through an agent.

use std::io::Read;

use agent_core::Conversation;

use crate::cli::RunArgs;
use agent_cli::exit::Failure;
use agent_cli::render::Mode;
use agent_cli::signals::Signals;
use agent_cli::{assemble, session};

/// Answers the prompt (argument or stdin) and exits with the documented code.
pub async fn run(args: RunArgs) -> Result<(), Failure> {
    let prompt = match args.prompt {
        Some(p) => p,
        None => read_stdin()?,
    };
    if prompt.trim().is_empty() {
        return Err(Failure::Usage(
            "no prompt: pass it as an argument (agent run \"...\") or on standard input".into(),
        ));
    }
    // Listening before the plugins load: a signal meanwhile stops the
    // command before the run starts, as cleanly as during it.
    let signals = Signals::listen(false);
    let agent = assemble::from_overrides(&args.agent.overrides()).await?;
    let mode = Mode::detect(args.agent.json);
    let (cancel, _watching) = signals.token();
    let result = session::show(&agent, &mut Conversation::new(), &prompt, mode, cancel).await;
    session::conclude(
        result,
        args.agent.json.then_some(agent_cli::json::Layout::Document),
        &signals,
    )
}

fn read_stdin() -> Result<String, Failure> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprintln!("reading the prompt from standard input; end it with Ctrl-D");
    }
    let mut prompt = String::new();
    std::io::stdin()
        .read_to_string(&mut prompt)
        .map_err(|e| Failure::Usage(format!("cannot read the prompt from standard input: {e}")))?;
    Ok(prompt)
}
