//! `agent run`: one prompt through an agent.

use std::io::Read;

use agent_core::Conversation;

use crate::cli::RunArgs;
use agent_cli::exit::Failure;
use agent_cli::render::Mode;
use agent_cli::session::Start;
use agent_cli::session_store::OpenSession;
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
    let attachments = args.attach.load()?;
    // Listening before the plugins load: a signal meanwhile stops the
    // command before the run starts, as cleanly as during it.
    let signals = Signals::listen(false);
    let agent = assemble::from_overrides(&args.agent.overrides()).await?;
    let mode = Mode::detect(args.agent.json);
    let saved = match &args.session.session {
        Some(name) => {
            let open = OpenSession::open(args.session.session_store.clone(), name)?;
            open.ready_for_prompt(name)?;
            open.check_tools(&agent, name)?;
            Some(open)
        }
        None => None,
    };
    let mut conversation = saved
        .as_ref()
        .map(|s| Conversation::from_messages(s.restored.messages.clone()))
        .unwrap_or_else(Conversation::new);
    let (cancel, _watching) = signals.token();
    let result = session::show_start(
        &agent,
        &mut conversation,
        Start::Attached(&prompt, attachments),
        mode,
        cancel,
        saved.as_ref().and_then(OpenSession::journal),
    )
    .await;
    let concluded = session::conclude(
        result,
        args.agent.json.then_some(agent_cli::json::Layout::Document),
        &signals,
    );
    if let Some(saved) = &saved {
        saved.check_after(args.agent.json)?;
    }
    concluded
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
