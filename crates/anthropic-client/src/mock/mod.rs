//! [`MockServer`]: a local Messages API server (feature `mock-server`), for
//! tests, demos and benchmarks. Nothing leaves the machine.
//!
//! - Plays [`agent_testkit::Scenario`]s (default: the reference work,
//!   [`agent_testkit::reference::all`]); the scenario is chosen by the first
//!   user message and the turn by the number of assistant messages, so
//!   retries and concurrent conversations replay exactly.
//! - Checks requests as the API does (see `check.rs`): the key, in
//!   `x-api-key` or `Authorization: Bearer` (401),
//!   `anthropic-version` (400), `model`, `max_tokens`, tool names and
//!   schemas, every `tool_use` answered by a `tool_result` in the next
//!   message and no `tool_result` without its `tool_use` (400
//!   `invalid_request_error`), then the shared conversation rules
//!   ([`agent_testkit::validate_conversation`], in its neutral words).
//! - Injects faults: [`Fault`]s queued with [`MockServer::push_fault`] or
//!   [`MockServerBuilder::faults`], and a 429 every n-th request
//!   ([`MockServerBuilder::throttle_every`]).
//! - Records every request ([`MockServer::requests`]): headers of interest
//!   (never the key), the parsed body, and the body as core types.
//!
//! Files: `app.rs` (routes and a request's life), `check.rs` (the API's
//! refusals), `respond.rs` (answers as the API sends them). The
//! protocol-neutral half (lifecycle, scenarios, the fault plan, the
//! record, latency, bodies) is the `mock-support` crate's.
//!
//! ```
//! use anthropic_client::{AnthropicBackend, mock::MockServer};
//! use agent_core::{ModelBackend, ModelRequest, Message};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let server = MockServer::builder().api_key("test-key").start().await.unwrap();
//! let backend = AnthropicBackend::builder()
//!     .base_url(server.base_url())
//!     .api_key("test-key")
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
//! assert_eq!(server.requests()[0].headers["anthropic-version"], "2023-06-01");
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
    /// 429 `rate_limit_error`, with `retry-after` (whole seconds, rounded
    /// up) if set.
    RateLimit {
        /// The hint sent.
        retry_after: Option<Duration>,
    },
    /// 529 `overloaded_error`.
    Overloaded,
    /// 500 `api_error`.
    ServerError,
    /// A 200 whose body breaks off midway (a stream cut after a few
    /// events; a JSON body cut in half).
    CutStream,
    /// Any error answer.
    Error {
        /// HTTP status.
        status: u16,
        /// The API's `error.type`.
        error_type: String,
        /// The API's `error.message`.
        message: String,
    },
}

/// The Messages API, as the local server speaks it: its [`Fault`]s and its
/// routes (`app.rs`); the rest of the server is `mock_support::api`'s.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessagesApi;

impl ApiProtocol for MessagesApi {
    type Fault = Fault;
    const NAME: &'static str = "Messages API";
    const BASE_PATH: &'static str = "";

    fn throttle(retry_after: Option<Duration>) -> Fault {
        Fault::RateLimit { retry_after }
    }

    fn router(state: Arc<ApiState<Self>>) -> Router {
        app::router(state)
    }
}

/// Configures a [`MockServer`]: address, scenarios, key, latency, faults,
/// models (the methods of [`ApiServerBuilder`]).
pub type MockServerBuilder = ApiServerBuilder<MessagesApi>;

/// A running local Messages API server; stops when shut down or dropped. Its
/// methods are [`ApiServer`]'s: `builder()`, `addr()`, `base_url()`,
/// `requests()`, `clear_requests()`, `push_fault()`, `shutdown()`.
pub type MockServer = ApiServer<MessagesApi>;
