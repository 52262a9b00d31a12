//! # http-backend
//!
//! The half the HTTP model backends (`anthropic-client`, `openai-client`)
//! share, written once: each client keeps its wire format, conversions,
//! stream decoder and error kinds, and hands the rest to this crate.
//!
//! - [`ApiKey`]: a key that never shows in logs, and its header;
//! - [`HttpSettings`], [`env_var`], [`parse_base_url`]: what the builders
//!   configure alike;
//! - [`HttpApi`]: the two things the shared half must be told about an API
//!   (its request-id header, its error answers);
//! - [`Endpoint`]: sending to one URL with the auth headers and the
//!   timeouts, whole ([`Endpoint::post_json`]) or streamed
//!   ([`Endpoint::post_stream`]);
//! - [`TransportError`]: no answer, a broken body; [`retry_after`]: the
//!   provider's retry hint;
//! - [`SseDecoder`] and [`decode_sse`]: the server-sent-events pump,
//!   generic over each API's `StreamDecoder`.
//!
//! Nothing here retries: the agent's retry policy is the only retry layer,
//! and every error carries the kind it needs to decide.
//!
//! ```
//! use std::time::Duration;
//! use agent_core::ModelError;
//! use http_backend::{ApiKey, Endpoint, HttpApi, HttpSettings};
//! use reqwest::{StatusCode, header::HeaderMap};
//!
//! struct Echo;
//! impl HttpApi for Echo {
//!     const REQUEST_ID_HEADER: &'static str = "x-request-id";
//!     fn error_from_http(status: StatusCode, _: &HeaderMap, _: &[u8], url: &str) -> ModelError {
//!         ModelError::protocol(format!("HTTP {status} from {url}"))
//!     }
//! }
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("authorization", ApiKey::new("k").header_value("Bearer ").unwrap());
//! let client = HttpSettings::default().client().unwrap();
//! let endpoint: Endpoint<Echo> =
//!     Endpoint::new(client, "http://127.0.0.1:8080/v1/echo".into(), headers, Duration::from_secs(60));
//! assert_eq!(endpoint.url(), "http://127.0.0.1:8080/v1/echo");
//! ```

mod api;
mod api_key;
mod config;
mod error;
mod retry_after;
mod send;
mod sse;

pub use api::HttpApi;
pub use api_key::ApiKey;
pub use config::{HttpSettings, env_var, parse_base_url};
pub use error::{InvalidApiKey, TransportError, chain, from_transport, tag};
pub use retry_after::retry_after;
pub use send::{Endpoint, Reply};
pub use sse::{SseDecoder, decode_sse};
