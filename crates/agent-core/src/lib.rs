//! # agent-core
//!
//! The backend-neutral agent loop: it sends the conversation to a
//! [`ModelBackend`], runs every tool call of a turn concurrently with the
//! [`ToolExecutor`] (timeouts, retries, a concurrency limit, isolation), sends
//! all the results back in one message, and loops until the model answers.

pub mod message;
pub mod model;
pub mod scripted;

pub use message::{
    ContentBlock, Message, Role, ToolResult, ToolResultContent, ToolResultStatus, ToolUse,
};
pub use model::*;
pub use scripted::{Scenario, ScriptedBackend, ScriptedCall, ScriptedTurn, reference};
