//! The model side: requests, responses, streamed events, errors, and the
//! [`ModelBackend`] trait that every provider implements.

mod backend;
mod cache;
pub mod constraints;
mod error;
mod event;
mod guardrail;
mod into_backend;
mod output_format;
mod request;
mod response;
mod support;

pub use backend::{ModelBackend, response_events};
pub use constraints::{RequestRuleError, check_request};
mod tool_choice;

pub use cache::{CachePlan, CachePoint, CacheSettings, CacheTtl, MAX_CACHE_POINTS};
pub use error::{ModelError, ModelErrorKind, UNREACHABLE_ATTEMPTS};
pub use event::{ModelEvent, StreamAccumulator};
pub use guardrail::Guardrail;
pub use into_backend::IntoBackend;
pub use output_format::OutputFormat;
pub use request::{InferenceConfig, ModelRequest, Thinking};
pub use response::{ModelResponse, StopReason, Usage};
pub use support::{Supports, check_supported};
pub use tool_choice::ToolChoice;
