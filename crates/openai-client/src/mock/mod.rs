//! [`MockServer`]: a local Chat Completions server (feature `mock-server`),
//! for tests, demos and benchmarks. Nothing leaves the machine.
//!
//! - Serves `POST /v1/chat/completions` (base URL `http://ADDR/v1`) and
//!   `GET /v1/models`.
//! - Plays [`agent_core::Scenario`]s (default: the reference work,
//!   [`agent_core::reference::all`]); the scenario is chosen by the first
//!   user message and the turn by the number of assistant messages, so
//!   retries and concurrent conversations replay exactly.
//! - Checks requests as OpenAI does (see `check.rs`): `Authorization:
//!   Bearer` when a key is configured (401), `model`, tool names and
//!   schemas, `parallel_tool_calls` only with tools, `stream_options` only
//!   with `stream`, every `tool_calls` id answered by a `tool` message and
//!   no `tool` message without its call (400 `invalid_request_error`), then
//!   the core's conversation rules
//!   ([`agent_core::scripted::validate_conversation`]).
//! - Injects faults: [`Fault`]s queued with [`MockServer::push_fault`] or
//!   [`MockServerBuilder::faults`], and a 429 every n-th request
//!   ([`MockServerBuilder::throttle_every`]).
//! - Records every request ([`MockServer::requests`]): headers of interest
//!   (never the key), the parsed body, and the body as core types.
//!
//! Files: `app.rs` (routes and a request's life), `check.rs` (OpenAI's
//! refusals), `respond.rs` (answers as OpenAI sends them). The
//! protocol-neutral half (lifecycle, scenarios, the fault plan, the
//! record, latency, bodies) is the `mock-support` crate's.
//!
//! ```
//! use openai_client::{OpenAiBackend, mock::MockServer};
//! use agent_core::{ModelBackend, ModelRequest, Message};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let server = MockServer::builder().start().await.unwrap();
//! let backend = OpenAiBackend::builder()
//!     .base_url(server.base_url())
//!     .model("mock-model")
//!     .build()
//!     .unwrap();
//! let q1 = agent_core::reference::queries()[0].prompt.clone().unwrap();
//! let request = ModelRequest {
//!     system: None,
//!     messages: vec![Message::user(q1)],
//!     tools: agent_core::reference::tools().specs().cloned().collect(),
//!     inference: Default::default(),
//! };
//! let response = backend.converse(&request).await.unwrap();
//! assert_eq!(response.message.tool_uses().count(), 2);
//! assert_eq!(server.requests()[0].body["parallel_tool_calls"], true);
//! # }
//! ```

mod app;
mod check;
mod respond;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agent_core::Scenario;
use mock_support::{ServerHandle, Settings};

/// One request the server received: what a test asserts on.
pub use mock_support::ApiRequest as RecordedRequest;
pub use mock_support::{MockError, load_scenarios};

use app::{Completions, State};

/// A fault the server plays instead of its next answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 `rate_limit_exceeded`, with `retry-after` (whole seconds, rounded
    /// up) and `retry-after-ms` if set.
    RateLimit {
        /// The hint sent.
        retry_after: Option<Duration>,
    },
    /// 503: the engine is overloaded.
    Overloaded,
    /// 500 `server_error`.
    ServerError,
    /// A 200 whose body breaks off midway (a stream cut after a few
    /// chunks; a JSON body cut in half).
    CutStream,
    /// Any error answer.
    Error {
        /// HTTP status.
        status: u16,
        /// The error's `code` (`context_length_exceeded`...), if any.
        code: Option<String>,
        /// The error's `message`.
        message: String,
    },
}

/// Configures a [`MockServer`].
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    settings: Settings<Fault>,
    api_key: Option<String>,
    throttle_every: Option<u64>,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            settings: Settings {
                retry_after: Some(Duration::from_secs(1)),
                ..Settings::default()
            },
            api_key: None,
            throttle_every: None,
        }
    }
}

impl MockServerBuilder {
    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.settings.addr = addr;
        self
    }

    /// The port on 127.0.0.1 (default 0: a free one; see [`MockServer::addr`]).
    pub fn port(mut self, port: u16) -> Self {
        self.settings.addr.set_port(port);
        self
    }

    /// The scenarios to play, replacing the default reference work.
    pub fn scenarios(mut self, scenarios: Vec<Scenario>) -> Self {
        self.settings.scenarios.replace(scenarios);
        self
    }

    /// Adds the scenarios of a file ahead of the others (so they win).
    pub fn scenario_file(mut self, path: impl AsRef<Path>) -> Result<Self, MockError> {
        self.settings.scenarios.add_first(load_scenarios(path)?);
        Ok(self)
    }

    /// The one key accepted as `Authorization: Bearer KEY`; without it no
    /// key is needed (as with Ollama) and any is accepted.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Time before each answer (the model's latency).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.settings.latency = latency;
        self
    }

    /// Answers every `n`-th request (n, 2n, ...) with a 429; `n` ≥ 2.
    pub fn throttle_every(mut self, n: u64) -> Self {
        self.throttle_every = Some(n.max(2));
        self
    }

    /// The `retry-after` of the periodic 429s (default 1 s; `None` omits it).
    pub fn retry_after(mut self, after: Option<Duration>) -> Self {
        self.settings.retry_after = after;
        self
    }

    /// Faults played, in order, instead of the first answers.
    pub fn faults(mut self, faults: impl IntoIterator<Item = Fault>) -> Self {
        self.settings.fault_next.extend(faults);
        self
    }

    /// The model ids accepted (and listed by `GET /v1/models`); others get
    /// 404 `model_not_found`. Default: any.
    pub fn models(mut self, models: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let ids: Vec<String> = models.into_iter().map(Into::into).collect();
        self.settings.models = (!ids.is_empty()).then_some(ids);
        self
    }

    /// Whether to record requests (default on); off for long runs, where
    /// the record would only grow.
    pub fn record(mut self, on: bool) -> Self {
        self.settings.record = on;
        self
    }

    /// Binds and serves in the background until the [`MockServer`] is
    /// dropped or shut down. Needs a tokio runtime.
    pub async fn start(self) -> Result<MockServer, MockError> {
        let mut settings = self.settings;
        if let Some(n) = self.throttle_every {
            let retry_after = settings.retry_after;
            settings
                .fault_every
                .push((n, Fault::RateLimit { retry_after }));
        }
        let completions = Completions {
            api_key: self.api_key,
        };
        let (handle, state) = settings
            .start(completions, "Chat Completions", app::router)
            .await?;
        Ok(MockServer { handle, state })
    }
}

/// A running local Chat Completions server; stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    handle: ServerHandle,
    state: Arc<State>,
}

impl MockServer {
    /// A builder with the defaults.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr()
    }

    /// The base URL to give [`crate::OpenAiBuilder::base_url`]
    /// (`http://ADDR/v1`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.handle.url())
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.recorder.all()
    }

    /// Forgets the requests received so far (the count for `throttle_every`
    /// goes on).
    pub fn clear_requests(&self) {
        self.state.recorder.clear();
    }

    /// Plays `fault` instead of a coming answer (after those already queued).
    pub fn push_fault(&self, fault: Fault) {
        self.state.faults.push([fault]);
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}
