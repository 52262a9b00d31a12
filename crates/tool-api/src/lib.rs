//! # tool-api
//!
//! Everything a tool author depends on, and nothing more: no AWS, no tokio
//! runtime.
//!
//! - [`Tool`]: the trait every tool implements, with its [`ToolSpec`];
//!   [`ToolOutput`], [`ToolError`] and [`ToolContext`] around a call;
//!   [`ToolContext::progress`] reports how far a call has got.
//! - [`TypedTool`] / [`Typed`] and [`tool_fn`]: tools over a typed input whose
//!   schema comes from `schemars`.
//! - [`schema`]: the rules that make a schema acceptable to Amazon Bedrock.
//! - [`ToolRegistry`]: tools by unique name, checked at registration.
//! - [`plugin`]: tools as dynamic libraries: the C ABI, `export_plugin!`
//!   (feature `plugin`), the loader (feature `host`) and test support for
//!   plugin authors (feature `testing`).
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use tool_api::{tool_fn, ToolOutput, ToolRegistry};
//! use std::sync::Arc;
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Input {
//!     /// Ticker symbol, e.g. "AAPL".
//!     symbol: String,
//! }
//!
//! let quote = tool_fn("get_stock_price", "Latest price of a stock.", |i: Input, _ctx| async move {
//!     Ok(ToolOutput::Json(serde_json::json!({ "symbol": i.symbol, "price": 187.5 })))
//! })
//! .unwrap();
//! let mut tools = ToolRegistry::new();
//! tools.register(Arc::new(quote), "built-in").unwrap();
//! ```

mod context;
mod error;
mod into_tool;
pub mod media;
mod name;
mod output;
pub mod plugin;
mod prefixed;
mod progress;
mod registry;
mod scheduling;
pub mod schema;
mod tool;
mod typed;

pub use context::ToolContext;
pub use error::{RegistryError, SpecError, ToolError};
pub use into_tool::IntoTool;
pub use media::{Blob, Document, DocumentFormat, Image, ImageFormat, MediaError, MediaSource};
pub use name::{MAX_TOOL_NAME_LEN, validate_tool_name};
pub use output::{OutputPart, ToolOutput};
pub use prefixed::Prefixed;
pub use progress::{Progress, ProgressSink, Stall};
pub use registry::{RegisteredTool, ToolRegistry};
pub use scheduling::{Adaptive, Scheduling};
pub use tool::{Tool, ToolSpec};
pub use typed::{FnTool, Typed, TypedTool, tool_fn};

/// Re-exported so tools and plugins name one version of each.
pub use async_trait::async_trait;
pub use tokio_util::sync::CancellationToken;

/// The examples of the plugin author's guide (docs/PLUGINS.md), compiled
/// and run as doctests so that the guide stays true (`cargo test -p
/// tool-api --doc`).
#[cfg(doctest)]
#[doc = include_str!("../../../docs/PLUGINS.md")]
pub struct PluginsGuideDoctests;
