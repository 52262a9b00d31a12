//! A local server speaking Bedrock's Converse and ConverseStream wire
//! protocols (feature `mock-server`), so the real SDK and the real
//! [`crate::BedrockBackend`] run offline in tests, demos and benchmarks.
//!
//! - `POST /model/{modelId}/converse` answers JSON;
//!   `POST /model/{modelId}/converse-stream` answers AWS event-stream frames.
//! - Requests are checked as the service checks them (signed, a known model
//!   id, the wire format, roles, toolUse/toolResult pairing, tool specs) and
//!   refused with its status codes, error types and texts.
//! - Answers come from scripted [`Scenario`]s: the reference work
//!   (`agent_testkit::reference::all()`: Q1–Q4, FANOUT-n, CHAIN-50) plus any
//!   given, e.g. from a [scenario file](load_scenarios).
//! - Faults can be injected ([`Fault`]): every Nth request, or a scripted
//!   list for the next requests.
//! - Every request is recorded ([`RecordedRequest`]) for tests to assert on
//!   what crossed the wire.
//!
//! Files: `routes.rs` (a request's life), `validate.rs` (the service's
//! checks), `wire.rs` (the JSON wire format), `encode.rs` (event-stream
//! frames), `answer.rs` (HTTP answers), `faults.rs` (the faults and their
//! answers), `recorder.rs` (what a record holds). The protocol-neutral
//! half (lifecycle, scenarios, the fault plan, the record, latency) is
//! the `mock-support` crate's.
//!
//! ```
//! use bedrock_client::mock::MockServer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), bedrock_client::mock::MockError> {
//! let server = MockServer::builder()
//!     .latency(std::time::Duration::from_millis(5))
//!     .throttle_every(3)
//!     .start()
//!     .await?;
//! println!("Converse endpoint: {}", server.endpoint_url());
//! assert!(server.requests().is_empty());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod answer;
mod cache;
mod encode;
mod faults;
mod media;
mod recorder;
mod routes;
mod thinking;
mod validate;
mod wire;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agent_testkit::Scenario;
use mock_support::{ServerHandle, Settings};

pub use answer::STREAM_ERROR_MESSAGE;
pub use faults::Fault;
pub use mock_support::{MockError, load_scenarios, parse_scenarios};
pub use recorder::{Outcome, RecordedRequest};

use routes::{AppState, Converse};

/// Configures a [`MockServer`].
#[derive(Debug, Clone, Default)]
pub struct MockServerBuilder {
    settings: Settings<Fault>,
    max_input_tokens: Option<u64>,
    wire_token_counts: bool,
    pace_stream: bool,
}

impl MockServerBuilder {
    /// The port on 127.0.0.1 (default 0: a free one; see [`MockServer::addr`]).
    pub fn port(mut self, port: u16) -> Self {
        self.settings.addr.set_port(port);
        self
    }

    /// The address to listen on (default 127.0.0.1).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.settings.addr.set_ip(host);
        self
    }

    /// The address and port to listen on (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.settings.addr = addr;
        self
    }

    /// The model's latency per call: before the response (Converse) or its
    /// first event (ConverseStream). Errors answer at once.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.settings.latency = latency;
        self
    }

    /// Spreads a streamed answer over the latency, as a model writing its
    /// message does: content block `i` of `n` arrives `latency · (i + 1) /
    /// n` after the request (the message's end still at `latency`), rather
    /// than every event after the whole latency. What eager start (tools
    /// starting while the model writes) is measured against; off by
    /// default, and for Converse answers, which come whole.
    pub fn pace_stream(mut self, on: bool) -> Self {
        self.pace_stream = on;
        self
    }

    /// Adds scenarios, matched before the reference ones.
    pub fn scenarios(mut self, scenarios: impl IntoIterator<Item = Scenario>) -> Self {
        self.settings.scenarios.add(scenarios);
        self
    }

    /// Adds the scenarios of a file (see [`load_scenarios`]), as
    /// [`MockServerBuilder::scenarios`] does.
    pub fn scenario_file(self, path: impl AsRef<Path>) -> Result<Self, MockError> {
        Ok(self.scenarios(load_scenarios(path)?))
    }

    /// Leaves out the reference scenarios (Q1–Q4, FANOUT-n, CHAIN-50).
    pub fn without_reference(mut self) -> Self {
        self.settings.scenarios.without_reference();
        self
    }

    /// Injects `fault` into every `n`th request (counted from 1 over all
    /// requests; 0 turns the rule off). Rules are tried in the order given.
    pub fn fault_every(mut self, n: u64, fault: Fault) -> Self {
        self.settings.fault_every.push((n, fault));
        self
    }

    /// Throttles every `n`th request (429 ThrottlingException).
    pub fn throttle_every(self, n: u64) -> Self {
        self.fault_every(n, Fault::Throttle)
    }

    /// Answers every `n`th request with 500 InternalServerException.
    pub fn server_error_every(self, n: u64) -> Self {
        self.fault_every(n, Fault::InternalError)
    }

    /// Cuts the connection mid-message in every `n`th request.
    pub fn stream_cut_every(self, n: u64) -> Self {
        self.fault_every(n, Fault::StreamCut)
    }

    /// Sends a `modelStreamErrorException` mid-message in every `n`th
    /// ConverseStream request.
    pub fn stream_error_every(self, n: u64) -> Self {
        self.fault_every(n, Fault::StreamError)
    }

    /// Fails the next requests, one fault each, before any every-Nth rule:
    /// `fail_next([Fault::Throttle; 6])` is a burst of six throttles.
    pub fn fail_next(mut self, faults: impl IntoIterator<Item = Fault>) -> Self {
        self.settings.fault_next.extend(faults);
        self
    }

    /// Sends `Retry-After` (seconds) with every throttle.
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.settings.retry_after = Some(after);
        self
    }

    /// Serves exactly these model ids (default: any id with `anthropic.`
    /// in it, or starting with `mock`).
    pub fn models(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.settings.models = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Refuses requests estimated above `tokens` input tokens with the
    /// service's context-overflow ValidationException.
    pub fn max_input_tokens(mut self, tokens: u64) -> Self {
        self.max_input_tokens = Some(tokens);
        self
    }

    /// Counts every request's input tokens from its body as sent (tools,
    /// system prompt, messages; 4 bytes a token), as the prompt cache counts
    /// those of a request with cache points, instead of the scenario's
    /// estimate from the messages alone (default off: it parses each body
    /// once more). On, requests with and without caching compare.
    pub fn wire_token_counts(mut self, on: bool) -> Self {
        self.wire_token_counts = on;
        self
    }

    /// Whether to record requests (default on). Off for long runs, such as
    /// benchmarks, where the record would only grow; the every-Nth count
    /// goes on either way.
    pub fn record(mut self, on: bool) -> Self {
        self.settings.record = on;
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<MockServer, MockError> {
        let converse = Converse {
            max_input_tokens: self.max_input_tokens,
            cache: cache::PromptCache::default(),
            wire_token_counts: self.wire_token_counts,
            pace_stream: self.pace_stream,
        };
        let (handle, state) = self
            .settings
            .start(converse, "Converse", routes::router)
            .await?;
        Ok(MockServer { handle, state })
    }
}

/// A running local Converse server; stops when shut down or dropped.
#[derive(Debug)]
pub struct MockServer {
    handle: ServerHandle,
    state: Arc<AppState>,
}

impl MockServer {
    /// A builder with the defaults: 127.0.0.1, a free port, no latency, the
    /// reference scenarios, no faults.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The address the server is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr()
    }

    /// The URL to give [`crate::BedrockBackendBuilder::endpoint_url`].
    pub fn endpoint_url(&self) -> String {
        self.handle.url()
    }

    /// Every request received so far, in arrival order (none if built with
    /// `record(false)`).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.recorder.all()
    }

    /// Forgets the requests received so far (the count for every-Nth
    /// faults goes on).
    pub fn clear_requests(&self) {
        self.state.recorder.clear();
    }

    /// Fails the next requests, one fault each, from now on.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.faults.push(faults);
    }

    /// Stops accepting connections, lets requests in flight finish, and
    /// waits for the server to stop.
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}
