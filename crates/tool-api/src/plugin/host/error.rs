//! [`PluginError`]: why a plugin library could not be loaded or registered.

use std::path::PathBuf;

use crate::RegistryError;
use crate::plugin::abi::ENTRY_SYMBOL_NAME;
use crate::plugin::payload::ManifestError;

/// Why a plugin could not be loaded or its tools registered. Each message
/// names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The path does not exist.
    #[error(
        "plugin {} does not exist; check the path{}",
        path.display(),
        if path.is_relative() { " (relative paths start at the current directory)" } else { "" }
    )]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The library does not exist, but the crate's Rust library (`.rlib`)
    /// does beside it: the crate was not built as a `cdylib`.
    #[error(
        "plugin {path} does not exist, but {rlib} does: the plugin crate was built as a Rust \
         library only; add `crate-type = [\"cdylib\"]` under `[lib]` in its Cargo.toml and build again"
    )]
    NotACdylib {
        /// The path as given.
        path: PathBuf,
        /// The `.rlib` found beside it.
        rlib: PathBuf,
    },
    /// A directory of plugins that does not exist.
    #[error("plugin directory {} does not exist; check the path", path.display())]
    NoSuchDirectory {
        /// The path as given.
        path: PathBuf,
    },
    /// The path is a directory where a library file was expected.
    #[error(
        "plugin {path} is a directory, not a library file; pass the library itself \
         (lib<name>.so, lib<name>.dylib or <name>.dll) or load the whole directory"
    )]
    IsADirectory {
        /// The path as given.
        path: PathBuf,
    },
    /// The path is not a directory where one was expected.
    #[error("plugin directory {path} is not a directory; pass a directory of plugin libraries")]
    NotADirectory {
        /// The path as given.
        path: PathBuf,
    },
    /// A directory could not be listed.
    #[error("cannot list plugin directory {path}: {source}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a dynamic library (of any platform) at all.
    #[error(
        "plugin {path} is not a loadable library ({reason}); build the plugin crate with \
         crate-type = [\"cdylib\"] for this platform and pass the library it produces"
    )]
    NotALibrary {
        /// The file.
        path: PathBuf,
        /// The loader's message.
        reason: String,
    },
    /// The file is a dynamic library, but the system's loader refused it: a
    /// library it links to is missing, or it is for another architecture.
    #[error(
        "plugin {path} could not be loaded: {reason}; the loader's reason names what is \
         missing or wrong (install a library it names, or point the loader's search path \
         at its directory; rebuild a plugin made for another platform)"
    )]
    LoadFailed {
        /// The file.
        path: PathBuf,
        /// The loader's message (`dlerror`).
        reason: String,
    },
    /// The file could not be read.
    #[error("cannot read plugin {path}: {source}; check the file's permissions")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The library does not export the entry symbol.
    #[error(
        "library {path} has no `{}` symbol, so it is not a tool-api plugin; \
         export its tools with `tool_api::export_plugin!`",
        ENTRY_SYMBOL_NAME
    )]
    NoEntrySymbol {
        /// The file.
        path: PathBuf,
    },
    /// The entry function returned null.
    #[error(
        "plugin {path} failed to start (its entry function returned no table); report it to its author"
    )]
    EntryFailed {
        /// The file.
        path: PathBuf,
    },
    /// The plugin speaks another ABI version.
    #[error(
        "plugin {path} was built for plugin ABI version {plugin}, but this host speaks version {host}; \
         rebuild the plugin against a tool-api release with ABI version {host}"
    )]
    AbiMismatch {
        /// The file.
        path: PathBuf,
        /// The plugin's ABI version.
        plugin: u32,
        /// The host's ABI version.
        host: u32,
    },
    /// The plugin's table is smaller than its ABI version requires.
    #[error(
        "plugin {path} has a function table of {plugin} bytes, smaller than the {host} bytes ABI \
         version {version} requires; the plugin is corrupt or was built by a broken tool, rebuild it"
    )]
    TableTooSmall {
        /// The file.
        path: PathBuf,
        /// The table size the plugin reports.
        plugin: u32,
        /// The size the host needs.
        host: u32,
        /// The ABI version both speak.
        version: u32,
    },
    /// The manifest is unusable.
    #[error(
        "plugin {path} has an unusable manifest: {source}; fix the plugin (or report it to its author)"
    )]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong with the manifest.
        #[source]
        source: ManifestError,
    },
    /// A tool could not be registered (most often: two plugins export one name).
    #[error(transparent)]
    Registry(#[from] RegistryError),
}
