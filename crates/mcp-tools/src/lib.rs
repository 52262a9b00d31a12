//! # mcp-tools
//!
//! Model Context Protocol servers as a tool source: every tool a server
//! offers becomes a [`tool_api::Tool`], so the executor runs it like a
//! plugin's (all calls of a turn at once, timeouts, cancellation, isolation).
//! Built on `rmcp`, the official Rust SDK, over stdio and streamable HTTP.
//!
//! - [`McpServerConfig`]: one server (command, args, env, cwd, or a URL and
//!   headers; prefix, timeout, concurrency, allow-list, optional), from a
//!   table or a `--mcp` flag;
//! - [`start_all`]: all servers started concurrently, into [`McpSources`];
//! - [`McpServer`]: one server's session (restarted once if lost);
//! - [`McpTool`]: one tool, its call a `tools/call` request;
//! - [`model_name`]: the documented rule for names the model service refuses;
//! - [`StartError`]: a server that did not start, with its stderr's last lines;
//! - [`ToolServer`]: the other direction: a tool registry served over MCP
//!   (stdio or streamable HTTP), each call run by the agent's executor
//!   (`agent mcp-serve`).
//!
//! The user's guide is `docs/MCP.md`.

mod call;
mod client;
mod config;
mod connection;
mod content;
mod error;
mod names;
mod process_stdio;
mod progress_routes;
mod refresh;
mod serve;
mod server;
mod sources;
mod stdio;
mod tool;
mod wire;

pub use config::{DEFAULT_STARTUP_TIMEOUT, INHERITED_ENV_VARS, McpServerConfig, Transport};
pub use error::{ConfigError, StartError};
pub use names::model_name;
pub use serve::{ServeError, ToolServer};
pub use server::McpServer;
pub use sources::{McpSources, start_all};
pub use tool::{McpTool, ToolHints};
