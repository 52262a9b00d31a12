//! [`Agent`]: the loop that talks to the model and runs its tool calls.

mod conversation;
mod eager;
mod error;
mod event;
mod guardrail;
mod metrics;
mod model_call;
mod options;
mod resume;
mod run;
mod state;
mod structured;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use tool_api::{IntoTool, Tool, ToolRegistry, ToolSpec};

pub use conversation::Conversation;
pub use error::{AgentError, AgentErrorKind, BuildError};
pub use event::{AgentEvent, EventKind};
pub use metrics::{BatchMetrics, CallTiming, RunMetrics, TurnMetrics};
pub use state::AgentState;
pub use structured::OutputSchema;

use crate::session::SessionJournal;
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
    options: Arc<RequestOptions>,
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
        run::Run::new(self, conversation, options).go(prompt).await
    }

    /// Continues a run that was interrupted (see [`crate::session::restore`]):
    /// a pending model call is made; of a pending batch, the finished calls
    /// are not run again (their journaled results are used and reported as
    /// [`EventKind::ToolCallReplayed`]), and the others run again, except
    /// those of tools declared non-idempotent, which are answered with an
    /// error saying so. With nothing pending, the last answer is returned.
    pub async fn resume(
        &self,
        conversation: &mut Conversation,
        pending: crate::session::Pending,
        options: RunOptions,
    ) -> Result<AgentRun, AgentError> {
        run::Run::new(self, conversation, options)
            .resume(pending)
            .await
    }

    /// The tools on offer.
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
    options: RequestOptions,
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
            executor: ToolExecutor::new(executor),
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
            options: Arc::new(self.options),
        })
    }
}
