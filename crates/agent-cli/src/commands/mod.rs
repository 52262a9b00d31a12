//! One module per subcommand.

pub mod call;
pub mod chat;
pub mod completions;
pub mod config;
pub mod demo;
pub mod mcp_serve;
pub mod mock_server;
pub mod resume;
pub mod run;
pub mod serve;
pub mod sessions;
pub mod tools;
