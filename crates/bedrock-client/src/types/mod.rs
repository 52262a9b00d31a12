//! Conversions between the core types of `agent-core` and the SDK's types,
//! one file per family. Each is a `From`/`TryFrom` on a small wrapper (the
//! SDK's types and the core's are both foreign here).
//!
//! - [`documents`]: JSON values ↔ SDK documents, exact for numbers;
//! - [`messages`]: messages and blocks, stop reasons, usage;
//! - [`media`]: images and documents;
//! - `reasoning`: reasoning blocks, unchanged both ways;
//! - [`tools`]: tool specs → `toolConfig`;
//! - [`request`]: a whole request → the parts of a Converse call;
//! - [`thinking`]: extended thinking → `additionalModelRequestFields`;
//! - [`errors`]: SDK errors → [`agent_core::ModelError`].

pub mod documents;
pub mod errors;
pub mod media;
pub mod messages;
mod reasoning;
pub mod request;
pub mod thinking;
pub mod tools;

pub use documents::{NotJson, SdkDocument};
pub use errors::SdkFailure;
pub use media::{SdkDocumentBlock, SdkImage};
pub use messages::{SdkContentBlock, SdkMessage, SdkStopReason, SdkUsage};
pub use request::ConverseParts;
pub use tools::{SdkTool, SdkToolConfig};
