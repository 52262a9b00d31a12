//! The model side: requests, responses, streamed events, errors, and the
//! [`ModelBackend`] trait that every provider implements.

mod backend;
mod cache;
mod error;
mod event;
mod guardrail;
mod into_backend;
mod request;
mod response;
mod tool_choice;

pub use backend::{ModelBackend, response_events};
pub use cache::{CachePlan, CachePoint, CacheSettings, CacheTtl, MAX_CACHE_POINTS};
pub use error::{ModelError, ModelErrorKind};
pub use event::{ModelEvent, StreamAccumulator};
pub use guardrail::Guardrail;
pub use into_backend::IntoBackend;
pub use request::{InferenceConfig, ModelRequest};
pub use response::{ModelResponse, StopReason, Usage};
pub use tool_choice::ToolChoice;
