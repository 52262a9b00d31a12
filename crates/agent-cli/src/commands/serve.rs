//! `agent serve --restate`: the agent as a Restate service endpoint, so
//! runs are durable and spread over any number of endpoints
//! (docs/SCALING.md).

use std::net::SocketAddr;
use std::sync::Arc;

use agent_cli::exit::Failure;
use agent_cli::signals::Signals;
use clap::Args;
use restate_serve::DurableAgent;

use crate::cli::AgentArgs;

/// `agent serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Settings (the same tool sources and flags as `run`; `--json` has no
    /// effect: answers go to the callers).
    #[command(flatten)]
    pub agent: AgentArgs,
    /// Serve a Restate service endpoint (the one kind of endpoint there is):
    /// the virtual object `Agent`, keyed by session id, with the handlers
    /// `send` (a prompt, as a JSON string, in; the run's `--json` document
    /// out) and `conversation`.
    #[arg(long)]
    pub restate: bool,
    /// The address to listen on (HTTP/2; port 0: any free port, printed on
    /// stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9080")]
    pub listen: SocketAddr,
}

/// Serves until SIGINT or SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<(), Failure> {
    if !args.restate {
        return Err(Failure::Usage(
            "agent serve needs --restate: the Restate service endpoint is the one kind it serves (docs/SCALING.md)".into(),
        ));
    }
    let signals = Signals::listen(false);
    let agent = agent_cli::assemble::from_overrides(&args.agent.overrides()).await?;
    let durable = DurableAgent::new(Arc::new(agent), Arc::new(agent_cli::session::document));
    let ready = |addr: SocketAddr| {
        eprintln!(
            "agent serve: Restate endpoint listening on http://{addr} (object `Agent`: send, conversation); \
             register it with `restate deployments register http://{addr}` \
             or POST {{\"uri\": \"http://{addr}\"}} to the admin API's /deployments"
        );
    };
    restate_serve::serve(durable, args.listen, ready, signals.next())
        .await
        .map_err(|e| Failure::Usage(e.to_string()))
}
