//! The model side: requests, responses, streamed events, errors, and the
//! [`ModelBackend`] trait that every provider implements.

mod backend;
pub mod constraints;
mod error;
mod event;
mod into_backend;
mod request;
mod response;
mod support;

pub use backend::{ModelBackend, response_events};
pub use constraints::{RequestRuleError, check_request};
pub use error::{ModelError, ModelErrorKind};
pub use event::{ModelEvent, StreamAccumulator};
pub use into_backend::IntoBackend;
pub use request::{InferenceConfig, ModelRequest, Thinking};
pub use response::{ModelResponse, StopReason, Usage};
pub use support::{Supports, check_supported};
