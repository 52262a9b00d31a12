//! # openai-client
//!
//! [`OpenAiBackend`]: an [`agent_core::ModelBackend`] for any server that
//! speaks the OpenAI Chat Completions protocol — OpenAI itself, Ollama,
//! vLLM, llama.cpp's server, LM Studio — whole or streamed over server-sent
//! events, over `reqwest` with rustls. A base URL and an optional key are
//! all it needs.
//!
//! - [`wire`]: the protocol's JSON; [`convert`]: to and from the core's
//!   types (N `tool` messages for the core's one message of N results);
//!   [`StreamDecoder`]: chunks to [`agent_core::ModelEvent`]s; [`error`]:
//!   server errors to [`agent_core::ModelErrorKind`]s;
//!   [`response_format`]: structured output as `response_format` with a
//!   JSON schema ([`OpenAiBuilder::native_structured_output`]).
//! - The rest (the key, sending with auth and timeouts, transport errors,
//!   the retry hint, the server-sent-events pump) is the shared
//!   `http-backend` crate's.
//! - Feature `mock-server`: `mock::MockServer`, a local Chat Completions
//!   server for tests, demos and benchmarks: scripted turns, the protocol's
//!   validation, fault injection and a record of every request.
//!
//! ```no_run
//! use std::sync::Arc;
//! use openai_client::OpenAiBackend;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let backend = OpenAiBackend::builder()
//!     .base_url("http://localhost:11434/v1")
//!     .model("llama3.2")
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
pub mod convert;
pub mod error;
pub mod response_format;
mod stream;
pub mod wire;

#[cfg(feature = "mock-server")]
pub mod mock;

pub use backend::OpenAiBackend;
pub use builder::{
    API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_MODEL, MODEL_ENV,
    NATIVE_STRUCTURED_OUTPUT_ENV, OpenAiBuilder,
};
pub use convert::MaxTokensField;
pub use error::ConfigError;
pub use http_backend::ApiKey;
pub use stream::StreamDecoder;
