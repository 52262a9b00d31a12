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

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_core::{ModelRequest, Scenario};
use serde_json::Value;
use tokio::sync::oneshot;

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

/// One request the server received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The `request-id` the server answered with.
    pub id: String,
    /// The HTTP method.
    pub method: String,
    /// The path.
    pub path: String,
    /// Headers of interest (`content-type`, `accept`, `user-agent`,
    /// `openai-organization`, `openai-project`); never the key.
    pub headers: BTreeMap<String, String>,
    /// Whether the `Authorization` header was accepted (always, when the
    /// server has no key configured).
    pub authorized: bool,
    /// The body, parsed (`Value::Null` if it was not JSON).
    pub body: Value,
    /// Whether the body asked for a stream.
    pub stream: bool,
    /// The body as core types, if it was a Chat Completions request.
    pub request: Option<ModelRequest>,
    /// The HTTP status answered (0 until the answer is decided).
    pub status: u16,
}

/// A server that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The address could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A scenario file could not be read.
    #[error("could not read the scenario file {path}: {source}")]
    ReadScenarios {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A scenario file is not a JSON list of scenarios.
    #[error(
        "the scenario file {path} is not a JSON list of scenarios ({source}); see the format in \
         agent_core::scripted's Scenario docs"
    )]
    ParseScenarios {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
}

/// Reads a scenario file: a JSON list of [`Scenario`]s.
pub fn load_scenarios(path: &Path) -> Result<Vec<Scenario>, MockError> {
    let text = std::fs::read_to_string(path).map_err(|source| MockError::ReadScenarios {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| MockError::ParseScenarios {
        path: path.to_owned(),
        source,
    })
}

/// Configures a [`MockServer`].
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    addr: SocketAddr,
    scenarios: Vec<Scenario>,
    api_key: Option<String>,
    latency: Duration,
    throttle_every: Option<u64>,
    retry_after: Option<Duration>,
    faults: Vec<Fault>,
    models: Vec<String>,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenarios: agent_core::reference::all(),
            api_key: None,
            latency: Duration::ZERO,
            throttle_every: None,
            retry_after: Some(Duration::from_secs(1)),
            faults: Vec::new(),
            models: Vec::new(),
        }
    }
}

impl MockServerBuilder {
    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The scenarios to play, replacing the default reference work.
    pub fn scenarios(mut self, scenarios: Vec<Scenario>) -> Self {
        self.scenarios = scenarios;
        self
    }

    /// Adds the scenarios of a file ahead of the others (so they win).
    pub fn scenario_file(mut self, path: impl AsRef<Path>) -> Result<Self, MockError> {
        let mut loaded = load_scenarios(path.as_ref())?;
        loaded.append(&mut self.scenarios);
        self.scenarios = loaded;
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
        self.latency = latency;
        self
    }

    /// Answers every `n`-th request (n, 2n, ...) with a 429; `n` ≥ 2.
    pub fn throttle_every(mut self, n: u64) -> Self {
        self.throttle_every = Some(n.max(2));
        self
    }

    /// The `retry-after` of the periodic 429s (default 1 s; `None` omits it).
    pub fn retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }

    /// Faults played, in order, instead of the first answers.
    pub fn faults(mut self, faults: impl IntoIterator<Item = Fault>) -> Self {
        self.faults.extend(faults);
        self
    }

    /// The model ids accepted (and listed by `GET /v1/models`); others get
    /// 404 `model_not_found`. Default: any.
    pub fn models(mut self, models: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.models = models.into_iter().map(Into::into).collect();
        self
    }

    /// Binds and serves in the background until the [`MockServer`] is
    /// dropped or shut down. Needs a tokio runtime.
    pub async fn start(self) -> Result<MockServer, MockError> {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|source| MockError::Bind {
                addr: self.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| MockError::Bind {
            addr: self.addr,
            source,
        })?;
        let state = Arc::new(State {
            scenarios: self.scenarios,
            api_key: self.api_key,
            latency: self.latency,
            throttle_every: self.throttle_every,
            retry_after: self.retry_after,
            models: self.models,
            faults: Mutex::new(self.faults.into()),
            records: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
        });
        let (tx, rx) = oneshot::channel::<()>();
        let router = app::router(state.clone());
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "the mock Chat Completions server stopped");
            }
        });
        Ok(MockServer {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

pub(crate) struct State {
    pub scenarios: Vec<Scenario>,
    pub api_key: Option<String>,
    pub latency: Duration,
    pub throttle_every: Option<u64>,
    pub retry_after: Option<Duration>,
    pub models: Vec<String>,
    pub faults: Mutex<VecDeque<Fault>>,
    pub records: Mutex<Vec<RecordedRequest>>,
    pub counter: AtomicU64,
}

/// A running local Chat Completions server; stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("scenarios", &self.scenarios.len())
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// A builder with the defaults.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give [`crate::OpenAiBuilder::base_url`]
    /// (`http://ADDR/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .records
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Plays `fault` instead of a coming answer (after those already queued).
    pub fn push_fault(&self, fault: Fault) {
        if let Ok(mut q) = self.state.faults.lock() {
            q.push_back(fault);
        }
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
