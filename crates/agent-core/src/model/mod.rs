//! The model side: requests, responses, streamed events, errors, and the
//! [`ModelBackend`] trait that every provider implements.

mod backend;
mod error;
mod event;
mod into_backend;
mod request;
mod response;

pub use backend::{ModelBackend, response_events};
pub use error::{ModelError, ModelErrorKind};
pub use event::{ModelEvent, StreamAccumulator};
pub use into_backend::IntoBackend;
pub use request::{InferenceConfig, ModelRequest};
pub use response::{ModelResponse, StopReason, Usage};
