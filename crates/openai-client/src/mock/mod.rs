//! [`MockServer`]: a local Chat Completions server (feature `mock-server`),
//! for tests, demos and benchmarks. Nothing leaves the machine.
//!
//! - Serves `POST /v1/chat/completions` (base URL `http://ADDR/v1`) and
//!   `GET /v1/models`.
//! - Plays [`agent_testkit::Scenario`]s (default: the reference work,
//!   [`agent_testkit::reference::all`]); the scenario is chosen by the first
//!   user message and the turn by the number of assistant messages, so
//!   retries and concurrent conversations replay exactly.
//! - Checks requests as OpenAI does (see `check.rs`): `Authorization:
//!   Bearer` when a key is configured (401), `model`, tool names and
//!   schemas, `parallel_tool_calls` only with tools, `stream_options` only
//!   with `stream`, every `tool_calls` id answered by a `tool` message and
//!   no `tool` message without its call (400 `invalid_request_error`), then
//!   the shared conversation rules
//!   ([`agent_testkit::validate_conversation`], in its neutral words).
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
//! let q1 = agent_testkit::reference::queries()[0].prompt.clone().unwrap();
//! let request = ModelRequest {
//!     system: None,
//!     messages: vec![Message::user(q1)],
//!     tools: agent_testkit::reference::tools().specs().cloned().collect(),
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

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use mock_support::api::{ApiProtocol, ApiServer, ApiServerBuilder, ApiState};

/// One request the server received: what a test asserts on.
pub use mock_support::api::ApiRequest as RecordedRequest;
pub use mock_support::{MockError, load_scenarios};

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

/// Chat Completions, as the local server speaks it: its [`Fault`]s and its
/// routes (`app.rs`); the rest of the server is `mock_support::api`'s.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatCompletions;

impl ApiProtocol for ChatCompletions {
    type Fault = Fault;
    const NAME: &'static str = "Chat Completions";
    const BASE_PATH: &'static str = "/v1";

    fn throttle(retry_after: Option<Duration>) -> Fault {
        Fault::RateLimit { retry_after }
    }

    fn router(state: Arc<ApiState<Self>>) -> Router {
        app::router(state)
    }
}

/// Configures a [`MockServer`]: address, scenarios, key, latency, faults,
/// models (the methods of [`ApiServerBuilder`]).
pub type MockServerBuilder = ApiServerBuilder<ChatCompletions>;

/// A running local Chat Completions server; stops when shut down or
/// dropped. Its methods are [`ApiServer`]'s: `builder()`, `addr()`,
/// `base_url()` (`http://ADDR/v1`), `requests()`, `clear_requests()`,
/// `push_fault()`, `shutdown()`.
pub type MockServer = ApiServer<ChatCompletions>;
