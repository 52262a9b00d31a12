//! `agent resume NAME`: continues a session's interrupted run without
//! repeating what finished.

use agent_cli::exit::Failure;
use agent_cli::render::Mode;
use agent_cli::session::{self, Start};
use agent_cli::session_store::OpenSession;
use agent_core::session::Pending;
use clap::Args;

use crate::cli::AgentArgs;

/// `agent resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// Settings (the same tool sources and flags as the interrupted run's).
    #[command(flatten)]
    pub agent: AgentArgs,
    /// The session store (default: AGENT_SESSION_STORE, else the user's
    /// data directory).
    #[arg(long, value_name = "PATH")]
    pub session_store: Option<std::path::PathBuf>,
    /// The session whose run to continue.
    pub name: String,
}

/// Continues the run, or says there is nothing to continue.
pub async fn resume(args: ResumeArgs) -> Result<(), Failure> {
    // Listening before the plugins load, as `agent run` does.
    let signals = agent_cli::signals::Signals::listen(false);
    let agent = agent_cli::assemble::from_overrides(&args.agent.overrides()).await?;
    let open = OpenSession::open(args.session_store, &args.name)?;
    if open.journal.is_none() {
        return Err(Failure::Other(format!(
            "session `{}` cannot be resumed: its store cannot be opened",
            args.name
        )));
    }
    let mut conversation = agent_core::Conversation::from_messages(open.restored.messages.clone());
    let pending = open.restored.pending.clone();
    if pending == Pending::Nothing {
        eprintln!(
            "session `{}` has nothing to resume: its last run finished",
            args.name
        );
        return Ok(());
    }
    let mode = Mode::detect(args.agent.json);
    let (cancel, _watching) = signals.token();
    let result = session::show_start(
        &agent,
        &mut conversation,
        Start::Resume(pending),
        mode,
        cancel,
        open.journal(),
    )
    .await;
    let concluded = session::conclude(
        result,
        args.agent.json.then_some(agent_cli::json::Layout::Document),
        &signals,
    );
    open.check()?;
    concluded
}
