//! Agents as tools ([`Agent::as_tool`]): a parent model calls a sub-agent
//! like any tool, with a prompt; the sub-agent's run happens inside that
//! call.

use std::sync::Arc;

use serde_json::{Value, json};
use tool_api::{Tool, ToolContext, ToolError, ToolOutput, ToolSpec};

use super::event::EventLog;
use super::{Agent, AgentErrorKind, RunOptions};
use crate::executor::scope;

/// An [`Agent`] as a tool of another: its input is `{"prompt": "..."}`,
/// its result the sub-agent's answer.
///
/// # Contract
///
/// - The call runs the sub-agent's whole run inside the tool call's own
///   future (no task of its own), so whatever wraps the call wraps the run
///   too: the parent's executor gives it its concurrency limit, timeout and
///   cancellation (a cancelled or timed-out call cancels the sub-run, whose
///   own tool calls are answered), and a `tracing` span entered around the
///   call is the parent of the sub-run's spans.
/// - Several calls in one turn run in parallel, like any calls of a batch.
/// - Every event of the sub-run reaches the parent's run as
///   [`super::EventKind::SubAgent`], under the call's index and id, as it
///   happens (nested again for a sub-agent's own sub-agents).
/// - The sub-run's model tokens roll up into the parent's
///   [`super::RunMetrics::sub_agent_usage`], whether it answered or failed.
/// - The sub-agent keeps its own executor (its tools' calls do not take the
///   parent's slots, so a sub-agent waiting for its tools never holds back
///   the parent's batch behind itself), its own hooks and approvals.
/// - A sub-run that fails is the call's error result ([`ToolError::Fatal`]),
///   with the sub-agent's error for the model to read.
///
/// ```
/// use agent_core::Agent;
/// # fn backend() -> impl agent_core::ModelBackend { agent_testkit_free::Backend }
/// # mod agent_testkit_free {
/// #     pub struct Backend;
/// #     #[async_trait::async_trait]
/// #     impl agent_core::ModelBackend for Backend {
/// #         fn name(&self) -> &str { "doc" }
/// #         async fn converse(&self, _: &agent_core::ModelRequest) -> Result<agent_core::ModelResponse, agent_core::ModelError> {
/// #             Err(agent_core::ModelError::new(agent_core::ModelErrorKind::Validation, "doc"))
/// #         }
/// #     }
/// # }
/// let researcher = Agent::builder()
///     .backend(backend())
///     .system("You research one question thoroughly and answer briefly.")
///     .build()
///     .unwrap();
/// let lead = Agent::builder()
///     .backend(backend())
///     .tool(researcher.as_tool("researcher", "Researches one question; input: a prompt."))
///     .build()
///     .unwrap();
/// assert!(lead.tools().get("researcher").is_some());
/// ```
#[derive(Debug, Clone)]
pub struct AgentTool {
    agent: Agent,
    spec: ToolSpec,
}

impl Agent {
    /// This agent as a tool named `name`, for another agent's model to call
    /// with a prompt (see [`AgentTool`]).
    pub fn as_tool(&self, name: impl Into<String>, description: impl Into<String>) -> AgentTool {
        let schema = json!({
            "type": "object",
            "properties": {
                "prompt": {
                    "type": "string",
                    "description": "The task or question for this agent, with everything it needs to know."
                }
            },
            "required": ["prompt"]
        });
        AgentTool {
            agent: self.clone(),
            spec: ToolSpec::new(name, description, schema),
        }
    }
}

impl AgentTool {
    /// The agent behind the tool.
    pub fn agent(&self) -> &Agent {
        &self.agent
    }
}

#[async_trait::async_trait]
impl Tool for AgentTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, input: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let prompt = input
            .get("prompt")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| ToolError::invalid_input("`prompt` must be a non-empty string"))?;
        // The parent run's event log, when the call comes from an agent.
        let parent = scope::current().and_then(|s| {
            Arc::downcast::<EventLog>(s.host)
                .ok()
                .map(|log| (log, s.index))
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let options = RunOptions::new()
            .with_cancellation(ctx.cancellation().clone())
            .with_events(tx);
        let run = self.agent.run_with(prompt, options);
        let name = &self.spec.name;
        let forward = async {
            while let Some(event) = rx.recv().await {
                if let Some((log, index)) = &parent {
                    log.nested(*index, ctx.call_id(), name, event);
                }
            }
        };
        // Both in this future: the run ends, its log and sender drop, and
        // the forwarding ends with the last event.
        let (result, ()) = tokio::join!(run, forward);
        match result {
            Ok(run) => Ok(ToolOutput::text(run.answer)),
            Err(e) if e.kind == AgentErrorKind::Cancelled => Err(ToolError::fatal(format!(
                "sub-agent `{name}` was cancelled before it answered"
            ))),
            Err(e) => Err(ToolError::fatal(format!(
                "sub-agent `{name}` did not answer: {e}"
            ))),
        }
    }
}
