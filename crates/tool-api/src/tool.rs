//! The [`Tool`] trait and its [`ToolSpec`]: the one contract every tool meets,
//! whether it is compiled into the host or loaded from a plugin library.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Scheduling, ToolContext, ToolError, ToolOutput};

/// What the model is told about a tool: its name, what it does, and the JSON
/// Schema its input must match.
///
/// The schema is an object schema (`"type": "object"`), normalised by
/// [`crate::schema::normalize`] to what Amazon Bedrock's `toolSpec` accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Unique name, matching `^[a-zA-Z0-9_-]{1,64}$`; the model calls the tool by it.
    pub name: String,
    /// What the tool does and when to use it, written for the model.
    pub description: String,
    /// JSON Schema of the input object.
    pub input_schema: Value,
    /// How its calls may be scheduled, as its source declares it: optional
    /// (absent in older plugins' manifests), never sent to the model.
    #[serde(default, skip_serializing_if = "Scheduling::is_empty")]
    pub scheduling: Scheduling,
}

impl ToolSpec {
    /// A spec from its parts; validate it with [`ToolSpec::normalized`] before use.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            input_schema,
            scheduling: Scheduling::default(),
        }
    }

    /// This spec, declared non-idempotent (`scheduling.idempotent =
    /// false`): a call cut off by a crash is not run again on resume, and it
    /// is never cached.
    pub fn non_idempotent(mut self) -> Self {
        self.scheduling.idempotent = Some(false);
        self
    }

    /// Whether a call cut off by a crash may run again on resume: unless
    /// the tool is declared non-idempotent (undeclared counts as yes; the
    /// cache asks for an explicit `true`).
    pub fn is_idempotent(&self) -> bool {
        self.scheduling.idempotent != Some(false)
    }

    /// This spec with its scheduling declared (see [`Scheduling`]).
    pub fn with_scheduling(mut self, scheduling: Scheduling) -> Self {
        self.scheduling = scheduling;
        self
    }

    /// This spec with its name checked and its schema normalised for Bedrock.
    ///
    /// Idempotent, so a registry may apply it to specs that are already normal.
    pub fn normalized(mut self) -> Result<Self, crate::SpecError> {
        crate::name::validate_tool_name(&self.name)?;
        self.input_schema = crate::schema::normalize(self.input_schema).map_err(|reason| {
            crate::SpecError::Schema {
                tool: self.name.clone(),
                reason,
            }
        })?;
        Ok(self)
    }
}

/// A tool the model can call.
///
/// # Contract
///
/// - [`Tool::spec`] is cheap and always returns the same spec: the host reads
///   it once, at registration.
/// - [`Tool::call`] receives the model's input as JSON. It may be called many
///   times at once, from several threads, so a tool is `Send + Sync` and keeps
///   any mutable state behind its own synchronisation.
/// - Input that does not fit the schema is [`ToolError::InvalidInput`], with a
///   message that tells the model what to change; the host never retries it.
/// - A failure that may pass (a busy service, a dropped connection) is
///   [`ToolError::Retryable`]; the host's executor retries it with backoff.
/// - Anything else is [`ToolError::Fatal`].
/// - The host owns timeouts and cancellation: a call past its deadline is
///   dropped, and [`ToolContext::cancellation`] fires. Long-running tools
///   should watch it and stop early; they need not enforce the deadline.
/// - A tool must not block its thread for long: do blocking work in
///   `tokio::task::spawn_blocking` (or a plugin's own runtime), or one slow
///   tool stalls every other call sharing the thread.
/// - A panic is caught by the host and becomes this call's error result; it is
///   a bug, not a way to report errors.
///
/// # Example
///
/// ```
/// use async_trait::async_trait;
/// use serde_json::{json, Value};
/// use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolSpec};
///
/// struct Echo(ToolSpec);
///
/// #[async_trait]
/// impl Tool for Echo {
///     fn spec(&self) -> &ToolSpec {
///         &self.0
///     }
///     async fn call(&self, input: Value, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
///         Ok(ToolOutput::Json(input))
///     }
/// }
///
/// let echo = Echo(ToolSpec::new("echo", "Returns its input.", json!({"type": "object"})));
/// assert_eq!(echo.spec().name, "echo");
/// ```
#[async_trait]
pub trait Tool: Send + Sync {
    /// The tool's name, description and input schema.
    fn spec(&self) -> &ToolSpec;

    /// Runs the tool on the model's input.
    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError>;
}
