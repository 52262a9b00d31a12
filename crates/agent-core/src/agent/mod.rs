//! [`Agent`]: the loop that talks to the model and runs its tool calls.

mod approval;
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
use tool_api::{IntoTool, Tool, ToolRegistry, ToolSpec};
use tracing::Instrument;

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
use crate::context::{ConversationManager, IntoManager};
use crate::hooks::{ApprovalPolicy, Approver, Hook, Hooks};
use crate::session::{IntoStore, SessionError, SessionJournal};
use crate::{
    CacheSettings, ExecutorConfig, ExponentialBackoff, Guardrail, InferenceConfig, IntoBackend,
    Message, ModelBackend, RetryPolicy, StopReason, ToolChoice, ToolExecutor,
};
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

/// Builds an [`Agent`]; only the backend is required.
#[derive(Default)]
pub struct AgentBuilder {
    backend: Option<Arc<dyn ModelBackend>>,
    tools: ToolRegistry,
    tool_error: Option<tool_api::RegistryError>,
    system: Option<String>,
    inference: InferenceConfig,
    executor: ExecutorConfig,
    max_iterations: Option<u32>,
    streaming: Option<bool>,
    eager: Option<bool>,
    model_retry: Option<Arc<dyn RetryPolicy>>,
    non_idempotent: std::collections::HashSet<String>,
    capture_content: bool,
    context_manager: Option<Arc<dyn ConversationManager>>,
    context_window: Option<u64>,
    session_store: Option<Arc<dyn SessionStore>>,
    hooks: Hooks,
    approvals: ApprovalPolicy,
    options: RequestOptions,
    sources: Vec<Arc<dyn ToolSource>>,
}

impl AgentBuilder {
    /// The model backend (required): by value, or an `Arc` shared with
    /// other agents.
    pub fn backend(mut self, backend: impl IntoBackend) -> Self {
        self.backend = Some(backend.into_backend());
        self
    }

    /// The tools, replacing any added so far.
    pub fn tools(mut self, tools: ToolRegistry) -> Self {
        self.tools = tools;
        self
    }

    /// Adds one tool, by value or as an `Arc`; a bad or duplicate one fails
    /// [`AgentBuilder::build`]. Its source, which a clash names, is
    /// [`AgentBuilder::TOOL_SOURCE`].
    pub fn tool(self, tool: impl IntoTool) -> Self {
        self.tool_with_source(tool.into_tool(), Self::TOOL_SOURCE)
    }

    /// A source whose tools may change during a run (an MCP server): its
    /// tools are registered as usual (with [`AgentBuilder::tools`] or
    /// [`AgentBuilder::tool_with_source`], under [`ToolSource::source`]), and
    /// read again before a model request once it says they changed.
    pub fn tool_source(mut self, source: Arc<dyn ToolSource>) -> Self {
        self.sources.push(source);
        self
    }

    /// The source of tools added with [`AgentBuilder::tool`].
    pub const TOOL_SOURCE: &'static str = "AgentBuilder::tool";

    /// Adds one tool with the `source` a clash names (a plugin's file,
    /// say: "get_weather from plugin A clashes with get_weather from B").
    pub fn tool_with_source(mut self, tool: Arc<dyn Tool>, source: &str) -> Self {
        if let Err(e) = self.tools.register(tool, source) {
            self.tool_error.get_or_insert(e);
        }
        self
    }

    /// The system prompt.
    pub fn system(mut self, system: impl Into<String>) -> Self {
        self.system = Some(system.into());
        self
    }

    /// Sampling settings (default: 4000 max tokens).
    pub fn inference(mut self, inference: InferenceConfig) -> Self {
        self.inference = inference;
        self
    }

    /// Extended thinking with a budget of `budget_tokens` (at least 1024,
    /// below max tokens, with no temperature set; checked before each
    /// request is sent, see [`crate::model::constraints`]): the model
    /// reasons before it answers, its reasoning streams as
    /// [`EventKind::ReasoningDelta`](crate::EventKind::ReasoningDelta)
    /// events and stays in the conversation, signed, as the services want.
    /// Set it after [`AgentBuilder::inference`], which replaces it.
    pub fn thinking(mut self, budget_tokens: u32) -> Self {
        self.inference.thinking = Some(crate::Thinking::budget(budget_tokens));
        self
    }

    /// How tool calls run (default: [`ExecutorConfig::default`]). What the
    /// tools' specs declare about their scheduling is added at build, under
    /// this configuration's per-tool settings.
    pub fn executor(mut self, config: ExecutorConfig) -> Self {
        self.executor = config;
        self
    }

    /// Model turns allowed per run (default [`Agent::DEFAULT_MAX_ITERATIONS`]).
    pub fn max_iterations(mut self, n: u32) -> Self {
        self.max_iterations = Some(n.max(1));
        self
    }

    /// Stream responses (default `true`): text arrives as events as the
    /// model writes it.
    pub fn streaming(mut self, on: bool) -> Self {
        self.streaming = Some(on);
        self
    }

    /// Eager start (default `true`): with streaming on, each tool call
    /// starts as soon as the stream has moved past its block, while the
    /// model still writes the rest of its message, so tool time hides
    /// behind generation. Results still go back in call order, in one
    /// message; calls of a failed, retried attempt are cancelled, and a
    /// block cut off by `max_tokens` never runs. Without streaming, calls
    /// start when the whole message is in, as with this off.
    pub fn eager(mut self, on: bool) -> Self {
        self.eager = Some(on);
        self
    }

    /// Retries of failed model calls (default [`ExponentialBackoff::for_model`]).
    /// This is the only retry layer for model calls: backends do not retry.
    pub fn model_retry(mut self, policy: impl RetryPolicy + 'static) -> Self {
        self.model_retry = Some(Arc::new(policy));
        self
    }

    /// Declares tool `name` non-idempotent: running it twice is not the same
    /// as once (it sends, pays, deletes...). On resume, a call of it that a
    /// crash cut off is answered with an error instead of being run again.
    pub fn non_idempotent(mut self, name: impl Into<String>) -> Self {
        self.non_idempotent.insert(name.into());
        self
    }

    /// Records message and tool content on the trace spans (default
    /// `false`): the request's messages and system prompt and the model's
    /// answer on each `chat` span, each call's input and result on its
    /// `execute_tool` span (see [`crate::telemetry`]). Off by default
    /// because prompts and tool results may hold private data; the `agent`
    /// CLI turns it on with `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`.
    pub fn capture_content(mut self, on: bool) -> Self {
        self.capture_content = on;
        self
    }

    /// Context management (default none): `manager` shortens the
    /// conversation before a request whose estimated input exceeds the
    /// context window, and once more after the service reports an overflow
    /// (see [`crate::context`]). By value, or an `Arc`.
    ///
    /// ```
    /// # use agent_core::{Agent, context::SlidingWindow};
    /// # fn f(backend: std::sync::Arc<dyn agent_core::ModelBackend>) {
    /// let agent = Agent::builder()
    ///     .backend(backend)
    ///     .context_manager(SlidingWindow)
    ///     .context_window(100_000)
    ///     .build();
    /// # }
    /// ```
    pub fn context_manager(mut self, manager: impl IntoManager) -> Self {
        self.context_manager = Some(manager.into_manager());
        self
    }

    /// The window, in tokens, the context manager keeps the input under
    /// (default: the backend's [`ModelBackend::context_window`], which
    /// knows the common models; without either, only an overflow the
    /// service reports starts a reduction).
    pub fn context_window(mut self, tokens: u64) -> Self {
        self.context_window = Some(tokens.max(1));
        self
    }

    /// Where [`Agent::session`] keeps named sessions (the embedded SQLite
    /// store is `session_sqlite::SqliteStore`). By value, or an `Arc`.
    pub fn session_store(mut self, store: impl IntoStore) -> Self {
        self.session_store = Some(store.into_store());
        self
    }

    /// Adds `hook` after those added so far (see [`crate::hooks::Hook`]'s
    /// contract).
    pub fn hook(mut self, hook: impl Hook + 'static) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// Calls of tool `name` need a person's approval (see
    /// [`crate::hooks`]).
    pub fn approve(mut self, name: impl Into<String>) -> Self {
        self.approvals = self.approvals.tool(name);
        self
    }

    /// Which tools need approval, replacing any named so far.
    pub fn approvals(mut self, policy: ApprovalPolicy) -> Self {
        self.approvals = policy;
        self
    }

    /// Whether the model must call a tool (default: it decides). A forced
    /// choice ([`ToolChoice::Any`], [`ToolChoice::Tool`]) applies to the
    /// first model call of each run only, so the loop cannot force a tool
    /// forever: later calls leave the choice to the model. A named tool
    /// must be one of the agent's ([`AgentBuilder::build`] checks).
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.options.tool_choice = Some(choice);
        self
    }

    /// Automatic prompt caching (default off): cache points after the tool
    /// specs, after the system prompt and on the latest turn, within the
    /// service's limit of 4 (see [`crate::CachePlan`]). `None` turns it off.
    pub fn cache(mut self, cache: Option<CacheSettings>) -> Self {
        self.options.cache = cache;
        self
    }

    /// A guardrail applied to every request (Bedrock's `guardrailConfig`;
    /// other backends refuse it). When it intervenes the run ends with
    /// [`AgentErrorKind::GuardrailIntervened`].
    pub fn guardrail(mut self, guardrail: Guardrail) -> Self {
        self.options.guardrail = Some(guardrail);
        self
    }

    /// A model-specific request field sent as it is (Bedrock's
    /// `additionalModelRequestFields.KEY`), for features not modelled yet;
    /// a later call with the same key replaces the value.
    pub fn model_field(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        self.options.model_fields.insert(key.into(), value);
        self
    }

    /// A JSON pointer of a model-specific response field to return (Bedrock's
    /// `additionalModelResponseFieldPaths`, e.g. `/stop_sequence`); the
    /// fields come back in [`crate::ModelResponse::model_fields`] and the
    /// run's [`AgentRun::model_fields`].
    pub fn response_field_path(mut self, path: impl Into<String>) -> Self {
        self.options.response_field_paths.push(path.into());
        self
    }

    /// Structured output for every run (unless its [`RunOptions`] set
    /// another): the final answer is a value valid against `schema`, in
    /// [`AgentRun::output`] (see [`OutputSchema`]).
    pub fn output_schema(mut self, schema: OutputSchema) -> Self {
        self.options.output = Some(schema);
        self
    }

    /// The agent.
    pub fn build(self) -> Result<Agent, BuildError> {
        if let Some(e) = self.tool_error {
            return Err(e.into());
        }
        let backend = self.backend.ok_or(BuildError::NoBackend)?;
        let context = self
            .context_manager
            .map(|manager| context::ContextSettings {
                manager,
                window: self.context_window.or_else(|| backend.context_window()),
            });
        if let Some(name) = self
            .options
            .tool_choice
            .as_ref()
            .and_then(ToolChoice::tool_name)
            && self.tools.get(name).is_none()
        {
            return Err(BuildError::UnknownToolChoice {
                name: name.to_owned(),
                tools: self.tools.names().collect::<Vec<_>>().join(", "),
            });
        }
        let specs: Vec<ToolSpec> = self.tools.specs().cloned().collect();
        // What each tool declares about its scheduling, under the host's
        // own per-tool settings.
        let executor = self.executor.with_declared(&specs);
        let unknown_tools = executor
            .tool_names()
            .into_iter()
            .filter(|name| self.tools.get(name).is_none())
            .map(str::to_owned)
            .collect();
        let mut non_idempotent = self.non_idempotent;
        non_idempotent.extend(
            specs
                .iter()
                .filter(|s| !s.is_idempotent())
                .map(|s| s.name.clone()),
        );
        Ok(Agent {
            backend,
            specs: Arc::new(specs),
            tools: Arc::new(self.tools),
            live: None,
            executor: ToolExecutor::new(executor).with_content_capture(self.capture_content),
            unknown_tools: Arc::new(unknown_tools),
            system: self.system,
            inference: self.inference,
            max_iterations: self.max_iterations.unwrap_or(Agent::DEFAULT_MAX_ITERATIONS),
            streaming: self.streaming.unwrap_or(true),
            eager: self.eager.unwrap_or(true),
            model_retry: self
                .model_retry
                .unwrap_or_else(|| Arc::new(ExponentialBackoff::for_model())),
            non_idempotent: Arc::new(non_idempotent),
            capture_content: self.capture_content,
            context,
            session_store: self.session_store,
            hooks: self.hooks,
            approvals: Arc::new(self.approvals),
            options: Arc::new(self.options),
        }
        .with_tool_sources(self.sources))
    }
}
