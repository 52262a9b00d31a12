//! # anthropic-client
//!
//! [`AnthropicBackend`]: an [`agent_core::ModelBackend`] for Claude through
//! the Anthropic Messages API (`POST /v1/messages`), whole or streamed over
//! server-sent events, over `reqwest` with rustls.
//!
//! - [`wire`]: the API's JSON; [`convert`]: to and from the core's types;
//!   [`StreamDecoder`]: stream events to [`agent_core::ModelEvent`]s;
//!   [`error`]: the API's errors to [`agent_core::ModelErrorKind`]s.
//! - The rest (the key, sending with auth and timeouts, transport errors,
//!   the retry hint, the server-sent-events pump) is the shared
//!   `http-backend` crate's.
//! - Feature `mock-server`: `mock::MockServer`, a local Messages API
//!   server for tests, demos and benchmarks: scripted turns, the API's
//!   validation, fault injection and a record of every request.
//!
//! ```no_run
//! use std::sync::Arc;
//! use anthropic_client::AnthropicBackend;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let backend = AnthropicBackend::builder()
//!     .model("claude-sonnet-4-5") // the key comes from ANTHROPIC_API_KEY
//!     .build()?;
//! let agent = agent_core::Agent::builder()
//!     .backend(Arc::new(backend))
//!     .tools(agent_testkit::reference::tools())
//!     .build()?;
//! let run = agent.run("What's the weather in Paris?").await?;
//! println!("{}", run.answer);
//! # Ok(()) }
//! ```

mod backend;
mod builder;
mod cache;
pub mod convert;
pub mod error;
mod stream;
pub mod wire;

#[cfg(feature = "mock-server")]
pub mod mock;

pub use backend::AnthropicBackend;
pub use builder::{
    API_KEY_ENV, API_VERSION, AnthropicBuilder, BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_MODEL,
    MODEL_ENV,
};
pub use error::ConfigError;
pub use http_backend::ApiKey;
pub use stream::StreamDecoder;
