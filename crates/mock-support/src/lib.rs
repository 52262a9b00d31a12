//! The protocol-neutral half of the workspace's local model servers (the
//! `mock-server` features of `bedrock-client`, `anthropic-client` and
//! `openai-client`), written once. Each protocol keeps only what is its
//! own: routes, wire parsing, validation texts, answer encoding, and how a
//! fault looks on its wire.
//!
//! One file per concept:
//! - `lifecycle.rs`: [`serve`] an axum router on an address, a
//!   [`ServerHandle`] with the address, graceful shutdown, stop on drop.
//! - `settings.rs`: [`Settings`], the common half of each builder (address,
//!   latency, scenarios, faults, retry hint, models, recording), and
//!   [`Shared`], the state every request shares.
//! - `scenarios.rs`: [`Scenarios`] (the reference work plus those given),
//!   scenario files ([`load_scenarios`]), the choice for a request.
//! - `faults.rs`: [`FaultPlan`], which request gets which fault.
//! - `recorder.rs`: [`Recorder`], arrival numbers and the record.
//! - `latency.rs`: the model's latency.
//! - `response.rs`: JSON, event-stream and chunked bodies, whole or cut.
//! - `split.rs`: text and tool input cut into stream deltas.
//! - `api.rs`: the builder, server and record of the JSON-over-HTTP APIs
//!   with a key (Messages API, Chat Completions), over [`api::ApiProtocol`].
//! - `testing.rs`: what the backends' tests against their local servers
//!   share (the request, scenarios, a stream collected).
//! - `error.rs`: [`MockError`].
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, extract::State, routing::get};
//! use mock_support::{Settings, Shared};
//!
//! type AppState = Shared<&'static str, u64, ()>;
//!
//! async fn hello(State(state): State<Arc<AppState>>) -> String {
//!     let seq = state.recorder.arrive();
//!     state.recorder.record(seq, || seq);
//!     match state.faults.pick(seq) {
//!         Some(fault) => fault.to_owned(),
//!         None => "hello".to_owned(),
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), mock_support::MockError> {
//! let mut settings = Settings::default();
//! settings.fault_next.push("busy");
//! let router = |state| Router::new().route("/", get(hello)).with_state(state);
//! let (server, state) = settings.start((), "example", router).await?;
//! println!("listening on {}", server.url());
//! assert!(state.recorder.all().is_empty());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod api;
mod error;
pub mod faults;
pub mod latency;
pub mod lifecycle;
pub mod prompt_cache;
pub mod reasoning;
pub mod recorder;
pub mod response;
pub mod scenarios;
pub mod settings;
pub mod split;
pub mod testing;

pub use error::MockError;
pub use faults::FaultPlan;
pub use lifecycle::{ServerHandle, serve};
pub use recorder::Recorder;
pub use scenarios::{Scenarios, load_scenarios, parse_scenarios};
pub use settings::{Settings, Shared};
