//! `agent resume NAME`: continues a session's interrupted run without
//! repeating what finished.

use agent_cli::exit::Failure;
use agent_cli::render::Mode;
use agent_cli::session::{self, Start};
use agent_cli::session_store::{self, OpenSession};
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

/// Continues the run, or says there is nothing to continue. Refused
/// before anything runs (exit 2): a session that does not exist (resume
/// never creates one), and a run that needs tools the command was not
/// given.
pub async fn resume(args: ResumeArgs) -> Result<(), Failure> {
    // Listening before the plugins load, as `agent run` does.
    let signals = agent_cli::signals::Signals::listen(false);
    let name = args.name.as_str();
    session_store::check_name(name)?;
    let path = session_store::location(args.session_store)?;
    session_store::require_session(&path, name)?;
    let agent = agent_cli::assemble::from_overrides(&args.agent.overrides()).await?;
    let open = OpenSession::open(Some(path), name)?;
    if let Some(cause) = open.unsaved() {
        return Err(Failure::Other(format!(
            "session `{name}` cannot be resumed: its store cannot be written ({cause}); \
             resuming would run tools again without saving their results"
        )));
    }
    let mut conversation = agent_core::Conversation::from_messages(open.restored.messages.clone());
    let pending = open.restored.pending.clone();
    if pending == Pending::Nothing {
        eprintln!("session `{name}` has nothing to resume: its last run finished");
        if args.agent.json {
            // One document on stdout, as on every exit: the last answer.
            let run = agent
                .resume(&mut conversation, pending, agent_core::RunOptions::new())
                .await;
            return session::conclude(run, Some(agent_cli::json::Layout::Document), &signals);
        }
        return Ok(());
    }
    open.check_tools_to_resume(&agent, name)?;
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
    open.check_after(args.agent.json)?;
    concluded
}
