//! [`RunReport`]: what `send` answers for a finished run.

use agent_core::{AgentError, AgentRun};

/// Makes the document `send` returns from a run's result. The `agent` CLI
/// passes the one `agent run --json` prints, so a caller of the Restate
/// ingress gets the same document as a caller of the CLI.
pub trait RunReport: Send + Sync {
    /// The document of `result` (a run stopped early is still a document:
    /// its error is part of it, not a failure of the invocation).
    fn document(&self, result: &Result<AgentRun, AgentError>) -> serde_json::Value;
}

impl<F> RunReport for F
where
    F: Fn(&Result<AgentRun, AgentError>) -> serde_json::Value + Send + Sync,
{
    fn document(&self, result: &Result<AgentRun, AgentError>) -> serde_json::Value {
        self(result)
    }
}
