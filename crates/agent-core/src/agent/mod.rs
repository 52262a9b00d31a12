//! [`Agent`]: the loop that talks to the model and runs its tool calls.

mod approval;
mod builder;
mod context;
mod conversation;
mod eager;
mod error;
mod event;
mod guardrail;
mod metrics;
mod model_call;
mod options;
mod resume;
mod resume_tools;
mod run;
mod session;
mod state;
mod structured;
mod subagent;
mod tool_source;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use tool_api::{ToolRegistry, ToolSpec};
use tracing::Instrument;

pub use builder::AgentBuilder;
pub use conversation::Conversation;
pub use error::{AgentError, AgentErrorKind, BuildError};
pub use event::{AgentEvent, EventKind, StallHolder};
pub use metrics::{BatchMetrics, CallTiming, RunMetrics, TurnMetrics};
pub use session::Session;
pub use state::AgentState;
pub use structured::OutputSchema;
pub use subagent::AgentTool;
pub use tool_source::{ToolSource, ToolSourceError};

use crate::SessionStore;
use crate::hooks::{ApprovalPolicy, Approver, Hooks};
use crate::session::{SessionError, SessionJournal};
use crate::{InferenceConfig, Message, ModelBackend, RetryPolicy, StopReason, ToolExecutor};
use options::RequestOptions;

/// An agent: a model backend, tools, and how to run them.
///
/// Cheap to clone and safe to share: runs on one agent share its executor
/// (and so its concurrency limit) and nothing else.
///
/// With a model that asks for `now` once, then answers (tests script one
/// with `agent_testkit::ScriptedBackend`):
///
/// ```
/// use agent_core::Agent;
/// use tool_api::{tool_fn, ToolOutput};
/// # use agent_core::*;
/// # struct Noon;
/// # #[async_trait::async_trait]
/// # impl ModelBackend for Noon {
/// #     fn name(&self) -> &str { "noon" }
/// #     async fn converse(&self, r: &ModelRequest) -> Result<ModelResponse, ModelError> {
/// #         let (content, stop_reason) = if r.messages.len() == 1 {
/// #             let id = "t1".into();
/// #             let call = ToolUse { id, name: "now".into(), input: serde_json::json!({}) };
/// #             (vec![ContentBlock::ToolUse(call)], StopReason::ToolUse)
/// #         } else {
/// #             (vec![ContentBlock::Text { text: "It is noon.".into() }], StopReason::EndTurn)
/// #         };
/// #         let message = Message { role: Role::Assistant, content };
/// #         let (usage, latency) = (Usage::default(), std::time::Duration::ZERO);
/// #         Ok(ModelResponse { message, stop_reason, usage, latency, model_fields: None })
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let backend = Noon; // asks for `now`, then says it is noon
/// let now = tool_fn("now", "Current time.", |(): (), _| async { Ok(ToolOutput::text("12:00")) }).unwrap();
/// let agent = Agent::builder().backend(backend).tool(now).build().unwrap();
/// let run = agent.run("What time is it?").await.unwrap();
/// assert_eq!(run.answer, "It is noon.");
/// assert_eq!(run.metrics.iterations, 2);
/// # }
/// ```
#[derive(Clone)]
pub struct Agent {
    backend: Arc<dyn ModelBackend>,
    tools: Arc<ToolRegistry>,
    specs: Arc<Vec<ToolSpec>>,
    executor: ToolExecutor,
    system: Option<String>,
    inference: InferenceConfig,
    max_iterations: u32,
    streaming: bool,
    eager: bool,
    model_retry: Arc<dyn RetryPolicy>,
    unknown_tools: Arc<Vec<String>>,
    non_idempotent: Arc<std::collections::HashSet<String>>,
    /// Message and tool content on the trace spans (see [`crate::telemetry`]).
    capture_content: bool,
    context: Option<context::ContextSettings>,
    session_store: Option<Arc<dyn SessionStore>>,
    hooks: Hooks,
    approvals: Arc<ApprovalPolicy>,
    options: Arc<RequestOptions>,
    /// The tool list refreshed from changing sources (`None`: none).
    live: Option<tool_source::LiveTools>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("backend", &self.backend.name())
            .field("tools", &self.tools.names().collect::<Vec<_>>())
            .field("max_iterations", &self.max_iterations)
            .field("streaming", &self.streaming)
            .field("eager", &self.eager)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Model turns allowed per run by default.
    pub const DEFAULT_MAX_ITERATIONS: u32 = 20;

    /// A builder with the defaults.
    pub fn builder() -> AgentBuilder {
        AgentBuilder::default()
    }

    /// Answers `prompt` in a new conversation.
    pub async fn run(&self, prompt: &str) -> Result<AgentRun, AgentError> {
        self.send(&mut Conversation::new(), prompt, RunOptions::default())
            .await
    }

    /// Answers `prompt` in a new conversation, with events and cancellation.
    pub async fn run_with(
        &self,
        prompt: &str,
        options: RunOptions,
    ) -> Result<AgentRun, AgentError> {
        self.send(&mut Conversation::new(), prompt, options).await
    }

    /// Answers `prompt` in a new conversation with a value of type `T`:
    /// structured output through an output tool whose schema is `T`'s (see
    /// [`OutputSchema`]). The value is validated against the schema, and an
    /// invalid one repaired by the model a bounded number of times; then
    /// [`AgentErrorKind::InvalidOutput`]. The run is returned beside it.
    pub async fn run_structured<T>(&self, prompt: &str) -> Result<(T, AgentRun), AgentError>
    where
        T: schemars::JsonSchema + serde::de::DeserializeOwned,
    {
        let mut conversation = Conversation::new();
        let schema = OutputSchema::for_type::<T>();
        let run = match schema {
            Ok(schema) => {
                let options = RunOptions::default().with_output_schema(schema);
                self.send(&mut conversation, prompt, options).await?
            }
            Err(error) => {
                return Err(AgentError::invalid_output(
                    0,
                    format!("unusable schema: {error}"),
                ));
            }
        };
        let value = run.output.clone().unwrap_or_default();
        match serde_json::from_value(value) {
            Ok(typed) => Ok((typed, run)),
            // Valid against the schema but not a `T`: a schema feature the
            // validator does not check (see tool_api::schema::validate).
            Err(e) => Err(AgentError {
                kind: AgentErrorKind::InvalidOutput {
                    attempts: 1,
                    error: format!("the value does not read as the type asked for: {e}"),
                },
                run: Box::new(run),
            }),
        }
    }

    /// Continues `conversation` with `prompt`. The conversation is updated
    /// as the run goes, and stays valid if it stops early.
    pub async fn send(
        &self,
        conversation: &mut Conversation,
        prompt: &str,
        options: RunOptions,
    ) -> Result<AgentRun, AgentError> {
        let run = run::Run::new(self, conversation, options);
        let span = run.span.clone();
        run.go(prompt).instrument(span).await
    }

    /// Continues a run that was interrupted (see [`crate::session::restore`]):
    /// a pending model call is made; of a pending batch, the finished calls
    /// are not run again (their journaled results are used and reported as
    /// [`EventKind::ToolCallReplayed`], then [`EventKind::ToolCallFinished`]
    /// with `replayed`), and the others run again, except
    /// those of tools declared non-idempotent, which are answered with an
    /// error saying so. With nothing pending, the last answer is returned.
    pub async fn resume(
        &self,
        conversation: &mut Conversation,
        pending: crate::session::Pending,
        options: RunOptions,
    ) -> Result<AgentRun, AgentError> {
        let run = run::Run::new(self, conversation, options);
        let span = run.span.clone();
        run.resume(pending).instrument(span).await
    }

    /// Opens session `name` of the builder's
    /// [`session_store`](AgentBuilder::session_store), creating it if it is
    /// new: its conversation so far, ready to continue
    /// ([`Session::send`]) or to resume an interrupted run
    /// ([`Session::resume`]). The session stays locked, across processes,
    /// until the handle is dropped.
    ///
    /// ```
    /// # use agent_core::*;
    /// # use agent_core::session::{SessionStore, SessionJournal, JournalEntry, SessionError, SessionInfo};
    /// # use std::sync::{Arc, Mutex};
    /// # #[derive(Default)] struct Memory(Arc<Mutex<Vec<JournalEntry>>>);
    /// # struct Open(Arc<Mutex<Vec<JournalEntry>>>);
    /// # impl SessionJournal for Open {
    /// #     fn name(&self) -> &str { "trip" }
    /// #     fn entries(&self) -> Result<Vec<JournalEntry>, SessionError> { Ok(self.0.lock().unwrap().clone()) }
    /// #     fn append(&self, e: &JournalEntry) -> Result<(), SessionError> { self.0.lock().unwrap().push(e.clone()); Ok(()) }
    /// # }
    /// # impl SessionStore for Memory {
    /// #     fn open(&self, _: &str) -> Result<Box<dyn SessionJournal>, SessionError> { Ok(Box::new(Open(self.0.clone()))) }
    /// #     fn list(&self) -> Result<Vec<SessionInfo>, SessionError> { Ok(vec![]) }
    /// #     fn entries(&self, _: &str) -> Result<Vec<JournalEntry>, SessionError> { Ok(self.0.lock().unwrap().clone()) }
    /// #     fn remove(&self, _: &str) -> Result<(), SessionError> { Ok(()) }
    /// # }
    /// # struct Echo;
    /// # #[async_trait::async_trait]
    /// # impl ModelBackend for Echo {
    /// #     fn name(&self) -> &str { "echo" }
    /// #     async fn converse(&self, r: &ModelRequest) -> Result<ModelResponse, ModelError> {
    /// #         let text = format!("{} messages so far", r.messages.len());
    /// #         let message = Message { role: Role::Assistant, content: vec![ContentBlock::Text { text }] };
    /// #         Ok(ModelResponse { message, stop_reason: StopReason::EndTurn, usage: Usage::default(), latency: Default::default(), model_fields: None })
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let store = Memory::default();
    /// // `store`: e.g. session_sqlite::SqliteStore::open("sessions.db")?
    /// let agent = Agent::builder().backend(Echo).session_store(store).build()?;
    /// let mut trip = agent.session("trip")?;
    /// trip.send("Plan a trip to Paris.").await?;
    /// drop(trip); // another process could now open it
    ///
    /// let mut trip = agent.session("trip")?;
    /// assert_eq!(trip.messages().len(), 2); // the first run's turns
    /// let run = trip.send("And Rome?").await?;
    /// assert_eq!(run.answer, "3 messages so far");
    /// # Ok(()) }
    /// ```
    pub fn session(&self, name: &str) -> Result<Session, SessionError> {
        Session::open(self, name)
    }

    /// The store [`Agent::session`] uses, if the builder was given one.
    pub fn session_store(&self) -> Option<&Arc<dyn SessionStore>> {
        self.session_store.as_ref()
    }

    /// Which tools need a person's approval before each call.
    pub fn approvals(&self) -> &ApprovalPolicy {
        &self.approvals
    }

    /// This agent with `policy` deciding which tools need approval, for a
    /// host that learns what its tools declare only once they are loaded.
    pub fn with_approvals(mut self, policy: ApprovalPolicy) -> Self {
        self.approvals = Arc::new(policy);
        self
    }

    /// This agent with `sources` whose tools may change during a run (see
    /// [`ToolSource`]; [`AgentBuilder::tool_source`] for a built agent), for
    /// a host that assembles the agent before it knows its sources.
    pub fn with_tool_sources(mut self, sources: Vec<Arc<dyn ToolSource>>) -> Self {
        if !sources.is_empty() {
            let start = tool_source::Snapshot {
                tools: Arc::clone(&self.tools),
                specs: Arc::clone(&self.specs),
            };
            self.live = Some(tool_source::LiveTools::new(sources, start));
        }
        self
    }

    /// The tools on offer when it was built (a run refreshes its own list
    /// from changing [`ToolSource`]s).
    pub fn tools(&self) -> &ToolRegistry {
        &self.tools
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn ModelBackend> {
        &self.backend
    }

    /// The executor.
    pub fn executor(&self) -> &ToolExecutor {
        &self.executor
    }

    /// Tool names the executor's configuration has settings for (timeout,
    /// retries, scheduling) but no registered tool has: a typo or a plugin
    /// not loaded. Those settings apply to nothing; a host reports them at
    /// start-up (the `agent` CLI warns).
    pub fn unknown_tool_settings(&self) -> &[String] {
        &self.unknown_tools
    }

    /// Whether a call of tool `name` cut off by a crash may run again on
    /// resume: not if its spec says so ([`ToolSpec::idempotent`]) or the
    /// builder was told ([`AgentBuilder::non_idempotent`]).
    pub fn is_idempotent(&self, name: &str) -> bool {
        !self.non_idempotent.contains(name)
    }
}

/// How one run is watched, stopped and journaled.
#[derive(Clone, Default)]
pub struct RunOptions {
    cancel: Option<CancellationToken>,
    events: Option<UnboundedSender<AgentEvent>>,
    journal: Option<Arc<dyn SessionJournal>>,
    approver: Option<Arc<dyn Approver>>,
    attachments: Vec<crate::ContentBlock>,
    output: Option<OutputSchema>,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("cancel", &self.cancel)
            .field("events", &self.events.is_some())
            .field(
                "journal",
                &self.journal.as_ref().map(|j| j.name().to_owned()),
            )
            .field("approver", &self.approver.is_some())
            .field("attachments", &self.attachments.len())
            .field(
                "output",
                &self.output.as_ref().map(|o| o.spec().name.clone()),
            )
            .finish()
    }
}

impl RunOptions {
    /// No subscriber, no cancellation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancelling `token` stops the run: tool calls in flight are cancelled
    /// (each still answered), and the run returns [`AgentErrorKind::Cancelled`].
    pub fn with_cancellation(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Sends every event to `tx` as it happens.
    pub fn with_events(mut self, tx: UnboundedSender<AgentEvent>) -> Self {
        self.events = Some(tx);
        self
    }

    /// Journals the run to `journal` as it goes (what, and when: see
    /// [`crate::session`]'s contract).
    pub fn with_journal(mut self, journal: Arc<dyn SessionJournal>) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Who decides on calls that need approval (see
    /// [`crate::hooks::Approver`]). Without one, such calls wait and the run
    /// pauses with [`AgentErrorKind::ApprovalNeeded`].
    pub fn with_approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = Some(approver);
        self
    }

    /// Sends `blocks` (images, documents: see [`crate::Image::from_bytes`],
    /// [`crate::Document::from_bytes`]) with the prompt, after its text, in
    /// the same user message.
    pub fn with_attachments(
        mut self,
        blocks: impl IntoIterator<Item = crate::ContentBlock>,
    ) -> Self {
        self.attachments.extend(blocks);
        self
    }

    /// Structured output: the run's final answer is a value valid against
    /// `schema`, in [`AgentRun::output`] (see [`OutputSchema`]).
    pub fn with_output_schema(mut self, schema: OutputSchema) -> Self {
        self.output = Some(schema);
        self
    }
}

/// A finished run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRun {
    /// The model's final text.
    pub answer: String,
    /// Why the model stopped (`end_turn`, or `max_tokens` for a cut answer).
    pub stop_reason: Option<StopReason>,
    /// The whole conversation, this run's messages included.
    pub messages: Vec<Message>,
    /// Every event, in order.
    pub events: Vec<AgentEvent>,
    /// Time and token figures.
    pub metrics: RunMetrics,
    /// Structured output: the final answer's value, valid against the
    /// output schema (see [`RunOptions::with_output_schema`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<serde_json::Value>,
    /// The last response's model-specific fields, when the agent asked for
    /// some ([`AgentBuilder::response_field_path`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_fields: Option<serde_json::Value>,
}
