//! `agent mcp-serve`: the loaded tools (plugins, and MCP servers: then it is
//! an aggregator) served over MCP on stdin/stdout, every call through the
//! executor with the settings' concurrency, timeouts and retries.
//!
//! Standard output carries the protocol and nothing else: warnings and logs
//! go to standard error.

use agent_cli::exit::Failure;
use agent_cli::settings::{Overrides, ProcessEnv, Settings};
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
    eprintln!("agent mcp-serve: serving {} tools on stdio", tools.len());
    let executor = ToolExecutor::new(assemble::executor_config(&settings));
    ToolServer::new(tools, executor)
        .serve_stdio()
        .await
        .map_err(|e| Failure::Other(e.to_string()))
}
