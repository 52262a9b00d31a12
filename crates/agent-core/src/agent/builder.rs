//! [`AgentBuilder`]: how an [`Agent`] is configured, with the defaults a
//! run gets when a setting is left out.

use std::sync::Arc;

use tool_api::{IntoTool, Tool, ToolRegistry, ToolSpec};

use super::options::RequestOptions;
use crate::SessionStore;
use crate::context::{ConversationManager, IntoManager};
use crate::hooks::{ApprovalPolicy, Hook, Hooks};
use crate::session::IntoStore;
use crate::{
    CacheSettings, ExecutorConfig, ExponentialBackoff, Guardrail, InferenceConfig, IntoBackend,
    ModelBackend, RetryPolicy, ToolChoice, ToolExecutor,
};

use super::{Agent, BuildError, OutputSchema, ToolSource};

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
            .map(|manager| super::context::ContextSettings {
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
