//! `agent mcp-serve`: the loaded tools (plugins, and MCP servers: then it is
//! an aggregator) served over MCP on stdin/stdout, or over streamable HTTP
//! with `--listen ADDR`, every call through the executor with the settings'
//! concurrency, timeouts and retries.
//!
//! Standard output carries the protocol and nothing else: warnings and logs
//! go to standard error. Over HTTP, Ctrl-C or SIGTERM stops the server (exit
//! 130 or 143) after the calls in flight are cancelled.

use agent_cli::exit::Failure;
use agent_cli::settings::{Overrides, ProcessEnv, Settings};
use agent_cli::signals::Signals;
use agent_cli::{assemble, sources};
use agent_core::ToolExecutor;
use mcp_tools::ToolServer;

use crate::cli::McpServeArgs;

/// Serves until the client closes the session.
pub async fn mcp_serve(args: McpServeArgs) -> Result<(), Failure> {
    let overrides = Overrides {
        plugins: args.plugins,
        plugins_dir: args.plugins_dir,
        mcp: args.mcp.into_iter().collect(),
        max_concurrency: args.max_concurrency,
        tool_timeout: args.tool_timeout,
        tool_retries: args.tool_retries,
        config: args.config,
        ..Overrides::default()
    };
    let settings = Settings::resolve(&overrides, &ProcessEnv)?;
    settings.validate().map_err(Failure::Usage)?;
    let tools = sources::from_settings(&settings).await?.registry;
    if tools.is_empty() {
        return Err(Failure::Usage(
            "no tools to serve: pass --plugin PATH, --plugins-dir DIR or --mcp NAME=COMMAND".into(),
        ));
    }
    let executor = ToolExecutor::new(assemble::executor_config(&settings));
    let count = tools.len();
    let server = ToolServer::new(tools, executor);
    let Some(addr) = args.listen else {
        eprintln!("agent mcp-serve: serving {count} tools on stdio");
        return server
            .serve_stdio()
            .await
            .map_err(|e| Failure::Other(e.to_string()));
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Usage(format!("--listen {addr}: cannot listen there: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::Other(format!("--listen {addr}: {e}")))?;
    // Tests and scripts read the address from this line (port 0 picks one).
    eprintln!("agent mcp-serve: serving {count} tools on http://{bound}/mcp");
    let signals = Signals::listen(false);
    let (shutdown, _guard) = signals.token();
    server
        .serve_http(listener, shutdown)
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    match signals.received() {
        Some(signal) => Err(Failure::Interrupted(signal)),
        None => Ok(()),
    }
}
