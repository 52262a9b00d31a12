//! The building blocks of the `agent` command line, shared by its binary
//! and by the benchmark harness (`agent-bench`), so that both assemble an
//! agent the same way: settings, plugin loading and MCP servers (`sources`), backend building, agent
//! assembly, what a person sees, and exit codes.
//!
//! The binary (`main.rs`) adds the command line itself (`cli.rs`, clap)
//! and one module per subcommand (`commands/`); nothing here knows clap's
//! argument types: flags reach the settings as [`settings::Overrides`].

pub mod approval;
pub mod assemble;
pub mod attach;
pub mod backend;
pub mod exit;
pub mod json;
pub mod name_check;
pub mod plugins;
pub mod render;
pub mod session;
pub mod session_store;
pub mod settings;
pub mod signals;
pub mod sources;
pub mod stdout;
pub mod telemetry;
