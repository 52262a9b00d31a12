//! [`IntoBackend`]: what `AgentBuilder::backend` accepts, so a caller
//! passes a backend by value (`.backend(BedrockBackend::from_env().await?)`)
//! as readily as an `Arc` it shares with other agents.

use std::sync::Arc;

use super::ModelBackend;

/// A backend by value, an `Arc` of one, or an `Arc<dyn ModelBackend>`:
/// each becomes the shared `Arc<dyn ModelBackend>` an agent holds.
pub trait IntoBackend {
    /// The backend, shared.
    fn into_backend(self) -> Arc<dyn ModelBackend>;
}

impl<B: ModelBackend + 'static> IntoBackend for B {
    fn into_backend(self) -> Arc<dyn ModelBackend> {
        Arc::new(self)
    }
}

impl<B: ModelBackend + 'static> IntoBackend for Arc<B> {
    fn into_backend(self) -> Arc<dyn ModelBackend> {
        self
    }
}

impl IntoBackend for Arc<dyn ModelBackend> {
    fn into_backend(self) -> Arc<dyn ModelBackend> {
        self
    }
}
