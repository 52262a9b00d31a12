//! `agent sessions list | show NAME | rm NAME | export NAME`, and the
//! `--session` flags `run` and `chat` share.

use std::path::PathBuf;

use agent_core::SessionStore;
use clap::{Args, Subcommand};

use agent_cli::exit::Failure;
use agent_cli::session_store::{self, failure};

/// `--session NAME` and `--session-store PATH`, on `run` and `chat`.
#[derive(Debug, Args, Clone, Default)]
pub struct SessionArgs {
    /// Keep the conversation in session NAME: created if new, continued if
    /// not; every message and tool result is saved as it happens.
    #[arg(long, value_name = "NAME")]
    pub session: Option<String>,
    /// The session store, a SQLite file (default: AGENT_SESSION_STORE, else
    /// agent/sessions.db in the user's data directory).
    #[arg(long, value_name = "PATH")]
    pub session_store: Option<PathBuf>,
}

/// `agent sessions`.
#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SessionsCommand,
    /// The session store (default: AGENT_SESSION_STORE, else the user's
    /// data directory).
    #[arg(long, value_name = "PATH", global = true)]
    pub session_store: Option<PathBuf>,
    /// Print JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The `agent sessions` subcommands.
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List the sessions.
    List,
    /// Show a session's conversation.
    Show {
        /// The session.
        name: String,
    },
    /// Delete a session.
    Rm {
        /// The session.
        name: String,
    },
    /// Print a session's whole journal as JSON (every entry, in order).
    Export {
        /// The session.
        name: String,
    },
}

/// Runs the subcommand.
pub fn sessions(args: SessionsArgs) -> Result<(), Failure> {
    if let SessionsCommand::Rm { name } = &args.command {
        let store = session_store::open_store(args.session_store)?;
        store.remove(name).map_err(failure)?;
        if !args.json {
            eprintln!("removed session `{name}`");
        }
        return Ok(());
    }
    // Reading never writes: a read-only store is read (nothing created).
    let location = session_store::location(args.session_store.clone())?;
    let store = session_store::open_to_read(args.session_store)?;
    let entries = |name: &str| match &store {
        Some(store) => store.entries(name).map_err(failure),
        None => Err(failure(agent_core::SessionError::NotFound {
            name: name.into(),
        })),
    };
    match args.command {
        SessionsCommand::List => {
            let list = match &store {
                Some(store) => store.list().map_err(failure)?,
                None => Vec::new(),
            };
            if args.json {
                return agent_cli::json::print(&list);
            }
            if list.is_empty() {
                eprintln!("no sessions in {}", location.display());
            }
            for s in list {
                agent_cli::stdout::line(format!(
                    "{}\t{} messages\t{} entries",
                    s.name, s.messages, s.entries
                ))?;
            }
            Ok(())
        }
        SessionsCommand::Show { name } => {
            let entries = entries(&name)?;
            let restored = agent_core::session::restore(&entries);
            if args.json {
                return agent_cli::json::print(&restored.messages);
            }
            for message in &restored.messages {
                let role = match message.role {
                    agent_core::Role::User => "user",
                    agent_core::Role::Assistant => "assistant",
                };
                let calls: Vec<&str> = message.tool_uses().map(|c| c.name.as_str()).collect();
                let results = message
                    .content
                    .iter()
                    .filter(|b| matches!(b, agent_core::ContentBlock::ToolResult(_)))
                    .count();
                let mut line = format!("{role}: {}", message.text());
                if !calls.is_empty() {
                    line.push_str(&format!(" [calls: {}]", calls.join(", ")));
                }
                if results > 0 {
                    line.push_str(&format!(" [{results} tool result(s)]"));
                }
                agent_cli::stdout::line(agent_cli::render::sanitize::text(&line))?;
            }
            if !matches!(restored.pending, agent_core::session::Pending::Nothing) {
                eprintln!("(its last run was interrupted: `agent resume {name}` continues it)");
            }
            Ok(())
        }
        // Handled above: it writes.
        SessionsCommand::Rm { .. } => Ok(()),
        SessionsCommand::Export { name } => {
            let entries = entries(&name)?;
            agent_cli::json::print(&serde_json::json!({ "name": name, "entries": entries }))
        }
    }
}
