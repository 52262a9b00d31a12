//! One module per subcommand.

pub mod chat;
pub mod config;
pub mod demo;
pub mod mock_server;
pub mod resume;
pub mod run;
pub mod sessions;
pub mod tools;
