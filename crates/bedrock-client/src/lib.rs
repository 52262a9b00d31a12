//! # bedrock-client
//!
//! [`BedrockBackend`]: the [`agent_core::ModelBackend`] for Claude (or any
//! Converse model) on Amazon Bedrock, over `Converse` and `ConverseStream`
//! with `aws-sdk-bedrockruntime`; and, behind the `mock-server` feature, a
//! local server speaking the same wire protocol, so tests, demos and
//! benchmarks run offline (`mock::MockServer`).
//!
//! - [`builder`]: configuration (AWS chain, region, profile, model id,
//!   timeouts, endpoint override);
//! - [`backend`]: the calls;
//! - [`count_tokens`]: CountTokens, and the base-model-id rule it needs;
//! - [`stream`]: stream events → core events;
//! - [`types`]: conversions, one file per family, and error mapping;
//! - `answer_check`: the service's rules for tool-use ids and names, checked
//!   on every answer before any tool runs;
//! - `exact_json`: byte-stable request bodies, exact tool inputs;
//! - `mock` (feature `mock-server`): the local Converse server.
//!
//! Retries happen in one layer, the agent's: the SDK's retries are off, and
//! every error carries a kind that says whether a retry may help. See
//! `docs/BEDROCK.md`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use agent_core::ModelBackend;
//! use bedrock_client::BedrockBackend;
//!
//! # async fn run() -> Result<(), bedrock_client::BedrockError> {
//! let backend: Arc<dyn ModelBackend> = Arc::new(
//!     BedrockBackend::builder().region("us-east-1").build().await?,
//! );
//! # Ok(())
//! # }
//! ```

mod answer_check;
pub mod backend;
pub mod builder;
pub mod count_tokens;
mod error;
mod exact_json;
pub mod stream;
pub mod types;

#[cfg(feature = "mock-server")]
pub mod mock;

pub use backend::{BedrockBackend, DEFAULT_MODEL_ID};
pub use builder::{
    BedrockBackendBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT,
    DEFAULT_STREAM_IDLE_TIMEOUT,
};
pub use error::BedrockError;
pub use stream::StreamDecoder;

/// The README's example of embedding the agent, compiled as a doctest so it
/// stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
