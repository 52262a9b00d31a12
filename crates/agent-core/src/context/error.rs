//! [`ContextError`]: why a conversation could not be shortened.

use crate::ModelError;

/// A reduction that failed. The conversation is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The summary could not be had from the model.
    #[error("could not summarise the earlier conversation: {0}")]
    Summary(ModelError),
}
