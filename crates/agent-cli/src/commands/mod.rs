//! One module per subcommand.

pub mod chat;
pub mod completions;
pub mod config;
pub mod demo;
pub mod mock_server;
pub mod run;
pub mod tools;
