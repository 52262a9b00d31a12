//! Errors of the tool API: [`ToolError`] for a call, [`SpecError`] for a spec,
//! [`RegistryError`] for registration.

use std::time::Duration;

/// Why a tool call failed, and whether trying again may help.
///
/// Every message is sent to the model as the call's error result, so write it
/// for the model: say what was wrong and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The input does not fit the tool's schema or its rules. Never retried.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A failure that may pass; the executor retries it with backoff.
    #[error("{message}")]
    Retryable {
        /// What went wrong.
        message: String,
        /// How long the failing service asked callers to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// A failure that retrying will not fix.
    #[error("{0}")]
    Fatal(String),
}

impl ToolError {
    /// Input that does not fit the schema or the tool's rules.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }

    /// A failure that may pass on a later attempt.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::Retryable {
            message: message.into(),
            retry_after: None,
        }
    }

    /// A failure that may pass, no sooner than `after`.
    pub fn retry_after(message: impl Into<String>, after: Duration) -> Self {
        Self::Retryable {
            message: message.into(),
            retry_after: Some(after),
        }
    }

    /// A failure that retrying will not fix.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::Fatal(message.into())
    }

    /// Whether the executor may try the call again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    /// A short stable name of the kind: `invalid_input`, `retryable` or `fatal`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::Retryable { .. } => "retryable",
            Self::Fatal(_) => "fatal",
        }
    }
}

/// A tool spec the host cannot offer to the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The name breaks Bedrock's rule for tool names.
    #[error("invalid tool name {name:?}: {reason}; a tool name must match ^[a-zA-Z0-9_-]{{1,64}}$")]
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The input schema cannot be made into an object schema Bedrock accepts.
    #[error("tool `{tool}`: unusable input schema: {reason}")]
    Schema {
        /// The tool's name.
        tool: String,
        /// What is wrong with the schema and how to fix it.
        reason: String,
    },
}

/// A tool that cannot join a [`crate::ToolRegistry`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Two tools share a name; the model could not tell them apart.
    #[error(
        "duplicate tool name `{name}`: provided by {first} and by {second}; \
         rename one of the tools or load only one of the two"
    )]
    Duplicate {
        /// The shared name.
        name: String,
        /// Where the tool already registered came from.
        first: String,
        /// Where the refused tool came from.
        second: String,
    },
    /// The tool's spec is unusable.
    #[error("{source} (from {origin})")]
    Spec {
        /// What is wrong with the spec.
        #[source]
        source: SpecError,
        /// Where the tool came from.
        origin: String,
    },
}
