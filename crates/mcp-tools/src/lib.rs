//! # mcp-tools
//!
//! Model Context Protocol servers as a tool source: every tool a server
//! offers becomes a [`tool_api::Tool`], so the executor runs it like a
//! plugin's (all calls of a turn at once, timeouts, cancellation, isolation).
//! Built on `rmcp`, the official Rust SDK, over stdio.
//!
//! - [`McpServerConfig`]: one server (command, args, env, cwd; prefix,
//!   timeout, allow-list, optional), from a table or a `--mcp` flag;
//! - [`start_all`]: all servers started concurrently, into [`McpSources`];
//! - [`McpServer`]: one initialised session and its child process;
//! - [`McpTool`]: one tool, its call a `tools/call` request;
//! - [`model_name`]: the documented rule for names the model service refuses;
//! - [`StartError`]: a server that did not start, with its stderr's last lines;
//! - [`ToolServer`]: the other direction: a tool registry served over MCP
//!   (stdio), each call run by the agent's executor (`agent mcp-serve`).
//!
//! The user's guide is `docs/MCP.md`.

mod config;
mod content;
mod error;
mod names;
mod serve;
mod server;
mod sources;
mod stdio;
mod tool;

pub use config::{DEFAULT_STARTUP_TIMEOUT, McpServerConfig, Transport};
pub use error::{ConfigError, StartError};
pub use names::model_name;
pub use serve::{ServeError, ToolServer};
pub use server::McpServer;
pub use sources::{McpSources, start_all};
pub use tool::{McpTool, ToolHints};
