//! [`MockServer`]: a local Messages API server (feature `mock-server`), for
//! tests, demos and benchmarks. Nothing leaves the machine.
//!
//! - Plays [`agent_testkit::Scenario`]s (default: the reference work,
//!   [`agent_testkit::reference::all`]); the scenario is chosen by the first
//!   user message and the turn by the number of assistant messages, so
//!   retries and concurrent conversations replay exactly.
//! - Checks requests as the API does (see `validate.rs`): the key, in
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
//! The server shares nothing with the client but the transport: it reads
//! and writes the protocol with its own types (`wire.rs`, written from
//! Anthropic's documentation, strict: unknown fields and block types are
//! refused as the API refuses them), so a field the client names wrongly
//! fails against it. Both are checked against documented bodies kept in
//! `tests/fixtures/` (`tests/fixtures.rs`).
//!
//! Files, named as the Bedrock server's: `routes.rs` (a request's life),
//! `validate.rs` (the API's refusals), `wire.rs` (the server's own wire
//! types and their conversions to and from the core's), `encode.rs` (the
//! stream's events), `answer.rs` (HTTP answers), `faults.rs` (the faults and their
//! answers), `recorder.rs` (what a record holds). The protocol-neutral
//! half (lifecycle, scenarios, the fault plan, the record, latency,
//! bodies) is the `mock-support` crate's.
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
//!     ..Default::default()
//! };
//! let response = backend.converse(&request).await.unwrap();
//! assert_eq!(response.message.tool_uses().count(), 2);
//! assert_eq!(server.requests()[0].headers["anthropic-version"], "2023-06-01");
//! # }
//! ```

mod answer;
mod cache;
mod encode;
mod faults;
mod recorder;
mod routes;
mod thinking;
mod validate;
mod wire;

use mock_support::api::{ApiServer, ApiServerBuilder};

pub use faults::Fault;
pub use mock_support::{MockError, load_scenarios};
pub use recorder::RecordedRequest;
pub use routes::MessagesApi;

/// Configures a [`MockServer`]: address, scenarios, key, latency, faults,
/// models (the methods of [`ApiServerBuilder`]).
pub type MockServerBuilder = ApiServerBuilder<MessagesApi>;

/// A running local Messages API server; stops when shut down or dropped. Its
/// methods are [`ApiServer`]'s: `builder()`, `addr()`, `base_url()`,
/// `requests()`, `clear_requests()`, `push_fault()`, `shutdown()`.
pub type MockServer = ApiServer<MessagesApi>;
