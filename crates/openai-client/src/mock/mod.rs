//! [`MockServer`]: a local Chat Completions server (feature `mock-server`),
//! for tests, demos and benchmarks. Nothing leaves the machine.
//!
//! - Serves `POST /v1/chat/completions` (base URL `http://ADDR/v1`) and
//!   `GET /v1/models`.
//! - Plays [`agent_testkit::Scenario`]s (default: the reference work,
//!   [`agent_testkit::reference::all`]); the scenario is chosen by the first
//!   user message and the turn by the number of assistant messages, so
//!   retries and concurrent conversations replay exactly.
//! - Checks requests as OpenAI does (see `validate.rs`): `Authorization:
//!   Bearer` when a key is configured (401), `model`, tool names and
//!   schemas, `parallel_tool_calls` only with tools, `stream_options` only
//!   with `stream`, every `tool_calls` id answered by a `tool` message and
//!   no `tool` message without its call, `response_format`'s documented
//!   shapes and strict mode's schema rules (`response_format.rs`) (400
//!   `invalid_request_error`), then
//!   the shared conversation rules
//!   ([`agent_testkit::validate_conversation`], in its neutral words).
//! - Answers a `json_schema` response format, when the scripted turn's
//!   text is not JSON, with JSON valid against the schema (the scenario's
//!   rule, [`agent_testkit::Scenario`]).
//! - Injects faults: [`Fault`]s queued with [`MockServer::push_fault`] or
//!   [`MockServerBuilder::faults`], and a 429 every n-th request
//!   ([`MockServerBuilder::throttle_every`]).
//! - Records every request ([`MockServer::requests`]): headers of interest
//!   (never the key), the parsed body, and the body as core types.
//!
//! The server shares nothing with the client but the transport: it reads
//! and writes the protocol with its own types (`wire.rs`, written from
//! OpenAI's API reference, strict: unknown arguments and fields are
//! refused as OpenAI refuses them), so a field the client names wrongly
//! fails against it. The protocol has no error flag on a tool result, so
//! the recorded core request marks every result a success. Both are checked
//! against documented bodies kept in `tests/fixtures/`
//! (`tests/fixtures.rs`).
//!
//! Files, named as the Bedrock server's: `routes.rs` (a request's life),
//! `validate.rs` (OpenAI's refusals), `wire.rs` (the server's own wire
//! types and their conversions to and from the core's), `encode.rs` (the stream's
//! chunks), `answer.rs` (HTTP answers), `faults.rs` (the faults and their
//! answers), `recorder.rs` (what a record holds). The protocol-neutral
//! half (lifecycle, scenarios, the fault plan, the record, latency,
//! bodies) is the `mock-support` crate's.
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
//!     ..Default::default()
//! };
//! let response = backend.converse(&request).await.unwrap();
//! assert_eq!(response.message.tool_uses().count(), 2);
//! assert_eq!(server.requests()[0].body["parallel_tool_calls"], true);
//! # }
//! ```

mod answer;
mod encode;
mod faults;
mod recorder;
mod response_format;
mod routes;
mod validate;
mod wire;

use mock_support::api::{ApiServer, ApiServerBuilder};

pub use faults::Fault;
pub use mock_support::{MockError, load_scenarios};
pub use recorder::RecordedRequest;
pub use routes::ChatCompletions;

/// Configures a [`MockServer`]: address, scenarios, key, latency, faults,
/// models (the methods of [`ApiServerBuilder`]).
pub type MockServerBuilder = ApiServerBuilder<ChatCompletions>;

/// A running local Chat Completions server; stops when shut down or
/// dropped. Its methods are [`ApiServer`]'s: `builder()`, `addr()`,
/// `base_url()` (`http://ADDR/v1`), `requests()`, `clear_requests()`,
/// `push_fault()`, `shutdown()`.
pub type MockServer = ApiServer<ChatCompletions>;
