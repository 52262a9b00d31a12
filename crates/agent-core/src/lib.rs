//! # agent-core
//!
//! The backend-neutral agent loop: it sends the conversation to a
//! [`ModelBackend`], runs every tool call of a turn concurrently with the
//! [`ToolExecutor`] (timeouts, retries, a concurrency limit, isolation), sends
//! all the results back in one message, and loops until the model answers.

pub mod agent;
pub mod context;
pub mod duration_ms;
pub mod executor;
pub mod hooks;
pub mod message;
pub mod model;
pub mod retry;
pub mod session;
pub mod telemetry;

pub use agent::{
    Agent, AgentBuilder, AgentError, AgentErrorKind, AgentEvent, AgentRun, AgentState, AgentTool,
    BatchMetrics, BuildError, CallTiming, Conversation, EventKind, OutputSchema, RunMetrics,
    RunOptions, Session, StallHolder, ToolSource, ToolSourceError, TurnMetrics,
};
pub use executor::{
    CallFailure, CallObserver, CallOutcome, CallPolicy, CallWait, ExecutorConfig, ToolExecutor,
    WaitReason,
};
pub use message::{
    Blob, ContentBlock, Document, DocumentFormat, Image, ImageFormat, MediaSource, Message,
    Reasoning, Role, ToolResult, ToolResultContent, ToolResultStatus, ToolUse,
};
pub use model::*;
pub use retry::{ExponentialBackoff, Jitter, RetryPolicy};
pub use session::{JournalEntry, SessionError, SessionInfo, SessionJournal, SessionStore};
