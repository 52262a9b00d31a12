//! Hooks: code that steps in around model calls and tool calls (policy,
//! redaction, rewriting, logging), and the human approval of tool calls.
//!
//! One trait, [`Hook`], with four optional methods; hooks are registered on
//! the builder ([`crate::AgentBuilder::hook`]) and run in that order. Tool
//! hooks run inside each call's own task, so they never serialise a batch.
//! Which calls need a person's approval is an [`ApprovalPolicy`]; who gives
//! it, an [`Approver`] (a terminal, a service, or nobody: the run pauses
//! with a serialisable [`PausedBatch`]).

mod approval;
mod chain;
mod gate;

use async_trait::async_trait;
use serde_json::Value;

pub use approval::{
    Approval, ApprovalPolicy, ApprovalRequest, ApproveAll, Approver, Decisions, DenyAll,
    PausedBatch,
};
pub use chain::Hooks;
pub(crate) use gate::{Gate, Refusal, Verdict};

use crate::{ModelRequest, ModelResponse, ToolResult, ToolUse};

/// Code around model calls and tool calls.
///
/// Every method has a default that does nothing, so a hook implements only
/// what it needs.
///
/// # Contract
///
/// - Hooks run in the order they were registered. Each `before_*` hook sees
///   what the previous one left (a rewritten request or input); each
///   `after_tool` hook sees the result the previous one left.
/// - [`Hook::before_model`] runs once per model turn (not per retry
///   attempt), [`Hook::after_model`] once per successful turn.
/// - [`Hook::before_tool`] and [`Hook::after_tool`] run in the call's own
///   task: a slow hook on one call delays that call only, never its
///   siblings. With eager start a call's hooks run as its block completes.
/// - A hook that returns an error or panics is isolated: around a tool
///   call, that call is answered with an error result naming the hook (a
///   failing `after_tool` hook withholds the result: a redaction that
///   failed must not leak), and the other calls go on; around a model call,
///   the run stops with [`crate::AgentErrorKind::Hook`] and the
///   conversation is left as it was before the call. Every `toolUse` is
///   always answered, and a hook cannot change which call a result answers.
/// - Hooks see calls of registered tools with object input: an unknown tool
///   or a non-object input is answered by the executor before any hook.
///
/// Redact a secret from every tool result:
///
/// ```
/// use agent_core::hooks::{Hook, HookError};
/// use agent_core::{ToolResult, ToolResultContent, ToolUse};
///
/// struct Redact(&'static str);
///
/// #[async_trait::async_trait]
/// impl Hook for Redact {
///     async fn after_tool(&self, _call: &ToolUse, result: &mut ToolResult) -> Result<(), HookError> {
///         for c in &mut result.content {
///             if let ToolResultContent::Text(t) = c {
///                 *t = t.replace(self.0, "[redacted]");
///             }
///         }
///         Ok(())
///     }
/// }
/// let builder = agent_core::Agent::builder().hook(Redact("hunter2"));
/// ```
///
/// Deny a tool by an input pattern (the model reads the reason):
///
/// ```
/// use agent_core::hooks::{Hook, HookError, ToolDecision};
/// use agent_core::ToolUse;
///
/// struct NoRmRf;
///
/// #[async_trait::async_trait]
/// impl Hook for NoRmRf {
///     async fn before_tool(&self, call: &ToolUse) -> Result<ToolDecision, HookError> {
///         let command = call.input["command"].as_str().unwrap_or_default();
///         if call.name == "shell" && command.contains("rm -rf") {
///             return Ok(ToolDecision::deny("`rm -rf` is not allowed here; delete files one by one"));
///         }
///         Ok(ToolDecision::Allow)
///     }
/// }
/// let builder = agent_core::Agent::builder().hook(NoRmRf);
/// ```
///
/// Log every model call and tool call:
///
/// ```
/// use agent_core::hooks::{Hook, HookError, ToolDecision};
/// use agent_core::{ModelRequest, ModelResponse, ToolResult, ToolUse};
///
/// struct Log;
///
/// #[async_trait::async_trait]
/// impl Hook for Log {
///     async fn before_model(&self, request: &mut ModelRequest) -> Result<(), HookError> {
///         tracing::info!(messages = request.messages.len(), "model call");
///         Ok(())
///     }
///     async fn after_model(&self, response: &ModelResponse) -> Result<(), HookError> {
///         tracing::info!(output_tokens = response.usage.output_tokens, "model answered");
///         Ok(())
///     }
///     async fn before_tool(&self, call: &ToolUse) -> Result<ToolDecision, HookError> {
///         tracing::info!(tool = %call.name, input = %call.input, "tool call");
///         Ok(ToolDecision::Allow)
///     }
///     async fn after_tool(&self, call: &ToolUse, result: &mut ToolResult) -> Result<(), HookError> {
///         tracing::info!(tool = %call.name, error = result.is_error(), "tool result");
///         Ok(())
///     }
/// }
/// let builder = agent_core::Agent::builder().hook(Log);
/// ```
#[async_trait]
pub trait Hook: Send + Sync {
    /// The name error results and errors use for this hook.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// Before a model turn: may change the request.
    async fn before_model(&self, _request: &mut ModelRequest) -> Result<(), HookError> {
        Ok(())
    }

    /// After a model turn: sees the response.
    async fn after_model(&self, _response: &ModelResponse) -> Result<(), HookError> {
        Ok(())
    }

    /// Before a tool call: allow it, deny it, rewrite its input, or ask for
    /// a person's approval.
    async fn before_tool(&self, _call: &ToolUse) -> Result<ToolDecision, HookError> {
        Ok(ToolDecision::Allow)
    }

    /// After a tool call (success or error): may change or replace the
    /// result. Its `tool_use_id` is kept whatever the hook does.
    async fn after_tool(&self, _call: &ToolUse, _result: &mut ToolResult) -> Result<(), HookError> {
        Ok(())
    }
}

/// What a [`Hook::before_tool`] decides about a call.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolDecision {
    /// Run it (as far as this hook is concerned: the next hook decides too).
    Allow,
    /// Do not run it; the model gets an error result with `reason`.
    Deny {
        /// What the model reads.
        reason: String,
    },
    /// Run it with this input instead (a JSON object); the next hooks and
    /// the tool see the new input.
    Rewrite(Value),
    /// Run it only if a person approves (see [`Approver`]); a later hook
    /// may still deny it.
    Ask {
        /// Why approval is needed, shown to the person.
        reason: Option<String>,
    },
}

impl ToolDecision {
    /// [`ToolDecision::Deny`] with `reason`.
    pub fn deny(reason: impl Into<String>) -> Self {
        Self::Deny {
            reason: reason.into(),
        }
    }
}

/// Why a hook failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// The hook could not do its work; the message says why.
    #[error("{0}")]
    Failed(String),
}

impl HookError {
    /// A failure with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }
}

/// A hook failed around a model call: which, where and why. The run stops
/// with it ([`crate::AgentErrorKind::Hook`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hook `{hook}` failed {phase}: {message}; the model call was not used")]
pub struct HookFailure {
    /// The hook's [`Hook::name`].
    pub hook: String,
    /// `before the model call` or `after the model call`.
    pub phase: &'static str,
    /// Its error or panic message.
    pub message: String,
}
