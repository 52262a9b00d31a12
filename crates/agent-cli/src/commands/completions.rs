//! `agent completions SHELL`: the shell completion script, from the same
//! command definition (and so the same defaults in its help) the binary
//! parses with.

use crate::cli::CompletionsArgs;
use agent_cli::exit::Failure;

/// Prints the script for the shell on stdout.
pub fn completions(args: CompletionsArgs) -> Result<(), Failure> {
    let mut command = crate::help::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "agent", &mut script);
    agent_cli::stdout::write(&String::from_utf8_lossy(&script))
}
