//! Tools as dynamic libraries: the plugin C ABI and both of its sides.
//!
//! A plugin is a `cdylib` crate whose tools are ordinary [`Tool`](crate::Tool)s.
//! The host loads it with `libloading` and gets the same `dyn Tool`s back,
//! which the executor runs concurrently like any other tool.
//!
//! | module | what | feature |
//! |---|---|---|
//! | [`abi`] | the entry symbol, the `#[repr(C)]` function table, the version | – |
//! | [`payload`] | the JSON payloads: manifest, call request, call result | – |
//! | [`status`] | the JSON of the appended functions: progress reports, worker status | – |
//! | `export` | the plugin side: [`export_plugin!`](crate::export_plugin) and its runtime | `plugin` |
//! | `host` | the host side: load a library or a directory into tools | `host` |
//! | `testing` | test support for plugin authors | `testing` |
//!
//! The author's guide, with the ABI contract, its version policy and the
//! safety model, is `docs/PLUGINS.md`.

pub mod abi;
#[cfg(any(feature = "plugin", feature = "testing"))]
mod dispatch;
#[cfg(feature = "plugin")]
pub mod export;
#[cfg(feature = "host")]
pub mod host;
pub mod payload;
pub mod status;
#[cfg(feature = "testing")]
pub mod testing;
