//! Opening a plugin library: `dlopen` once per canonical path, check the entry
//! symbol and the ABI, read the manifest. Libraries are never unloaded: a
//! plugin's runtime threads and callbacks may outlive any handle we hold.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use super::tool::PluginHandle;
use super::{DEFAULT_STALL_REPORT_AFTER, PluginError};
use crate::Tool;
use crate::plugin::abi::{
    ABI_VERSION, ENTRY_SYMBOL, EntryFn, PluginTable, TABLE_SIZE, V1_TABLE_SIZE,
};
use crate::plugin::payload::Manifest;

/// A plugin library loaded into this process: where it is, what it offers,
/// and its tools, ready to register.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// The library's canonical path.
    pub path: PathBuf,
    /// Its manifest, with every tool spec normalised.
    pub manifest: Manifest,
    /// Its tools, in manifest order. Calls run on the plugin's own runtime.
    pub tools: Vec<Arc<dyn Tool>>,
    /// The plugin's functions, shared by its tools.
    handle: Arc<PluginHandle>,
}

impl LoadedPlugin {
    fn new(
        path: PathBuf,
        manifest: Manifest,
        handle: Arc<PluginHandle>,
        stall_after: Option<std::time::Duration>,
    ) -> Self {
        let tools = manifest
            .tools
            .iter()
            .map(|spec| {
                Arc::new(super::tool::PluginTool::new(
                    spec.clone(),
                    handle.clone(),
                    stall_after,
                )) as Arc<dyn Tool>
            })
            .collect();
        Self {
            path,
            manifest,
            tools,
            handle,
        }
    }

    /// This plugin with its tools reporting a call that has not started
    /// `after` it was sent ([`crate::ToolContext::stalled`], naming the call
    /// that holds the plugin's worker), or never with `None`. The default is
    /// [`DEFAULT_STALL_REPORT_AFTER`](super::DEFAULT_STALL_REPORT_AFTER).
    /// Plugins built before `worker_status` existed report no stalls.
    pub fn with_stall_report(self, after: Option<std::time::Duration>) -> Self {
        Self::new(self.path, self.manifest, self.handle, after)
    }

    /// Whether the plugin's table has `call_with_notify` and
    /// `worker_status` (plugins built before them do not: their calls report
    /// no progress and no stalls).
    pub fn has_notifications(&self) -> bool {
        self.handle.has_notifications()
    }
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("path", &self.path)
            .field("name", &self.manifest.name)
            .field("version", &self.manifest.version)
            .field(
                "tools",
                &self
                    .manifest
                    .tools
                    .iter()
                    .map(|t| &t.name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Plugins loaded so far, by canonical path: the host's one piece of
/// process-wide state, and it must be. `dlopen` is process-wide: a library is
/// mapped once per process, with one set of statics (one plugin runtime, one
/// table), whoever opens it, and since libraries are never unloaded its
/// handle lives as long as the process. A registry per host object would let
/// two of them each believe they own the one plugin instance.
static LOADED: LazyLock<Mutex<HashMap<PathBuf, LoadedPlugin>>> = LazyLock::new(Default::default);

/// A missing library, with the hint an author needs most often: cargo
/// built the crate, but as an `.rlib` only (no `crate-type = ["cdylib"]`).
fn not_found(path: &Path) -> PluginError {
    let rlib = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(super::LIBRARY_SUFFIX))
        .map(|stem| {
            stem.strip_prefix(std::env::consts::DLL_PREFIX)
                .unwrap_or(stem)
        })
        .map(|name| path.with_file_name(format!("lib{name}.rlib")))
        .filter(|rlib| rlib.is_file());
    match rlib {
        Some(rlib) => PluginError::NotACdylib {
            path: path.to_owned(),
            rlib,
        },
        None => PluginError::NotFound {
            path: path.to_owned(),
        },
    }
}

/// Loads the plugin library at `path`, or returns the one already loaded from
/// the same canonical path.
pub fn load(path: &Path) -> Result<LoadedPlugin, PluginError> {
    let meta = std::fs::metadata(path).map_err(|_| not_found(path))?;
    if meta.is_dir() {
        return Err(PluginError::IsADirectory {
            path: path.to_owned(),
        });
    }
    let canonical = path.canonicalize().map_err(|_| PluginError::NotFound {
        path: path.to_owned(),
    })?;
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(plugin) = loaded.get(&canonical) {
        return Ok(plugin.clone());
    }
    let plugin = open(&canonical)?;
    loaded.insert(canonical, plugin.clone());
    Ok(plugin)
}

fn open(path: &Path) -> Result<LoadedPlugin, PluginError> {
    let at = || path.to_owned();
    // SAFETY: loading a library runs its initialisers. A plugin is trusted
    // native code (see docs/PLUGINS.md, "Safety model"): the caller chose to
    // load it. The handle is leaked, so the library is never unloaded.
    let library = unsafe { libloading::Library::new(path) }.map_err(|e| open_failed(path, &e))?;
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    // SAFETY: the ABI defines the entry symbol's type as `EntryFn`; a library
    // exporting that name makes that promise.
    let entry: EntryFn = *unsafe { library.get::<EntryFn>(ENTRY_SYMBOL) }
        .map_err(|_| PluginError::NoEntrySymbol { path: at() })?;
    // SAFETY: calling the entry function per the ABI; it takes no arguments.
    let table_ptr = unsafe { entry() };
    if table_ptr.is_null() {
        return Err(PluginError::EntryFailed { path: at() });
    }
    // SAFETY: every ABI version begins the table with two u32s (version and
    // size), so reading them is valid whatever version the plugin speaks.
    let [abi_version, table_size] = unsafe { table_ptr.cast::<[u32; 2]>().read() };
    if abi_version != ABI_VERSION {
        return Err(PluginError::AbiMismatch {
            path: at(),
            plugin: abi_version,
            host: ABI_VERSION,
        });
    }
    let too_small = || PluginError::TableTooSmall {
        path: at(),
        plugin: table_size,
        host: u32::try_from(V1_TABLE_SIZE).unwrap_or(u32::MAX),
        version: ABI_VERSION,
    };
    let table_size = usize::try_from(table_size).map_err(|_| too_small())?;
    if table_size < V1_TABLE_SIZE {
        return Err(too_small());
    }
    // SAFETY: the plugin speaks our version and its table holds at least the
    // fields version 1 first had (checked above); `read_table` reads only the
    // fields `table_size` covers. The table lives as long as the (never
    // unloaded) library.
    let table = unsafe { read_table(table_ptr, table_size) };
    let manifest = Manifest::from_json(&read_manifest(&table))
        .map_err(|source| PluginError::Manifest { path: at(), source })?;
    let handle = Arc::new(PluginHandle::new(path.to_owned(), &manifest, table));
    Ok(LoadedPlugin::new(
        path.to_owned(),
        manifest,
        handle,
        Some(DEFAULT_STALL_REPORT_AFTER),
    ))
}

/// Copies the fields of the plugin's table that `table_size` bytes cover;
/// the appended ones it does not cover stay null (absent).
///
/// # Safety
///
/// `table_ptr` points to a table of at least `table_size` readable bytes,
/// and `table_size >= V1_TABLE_SIZE`.
unsafe fn read_table(table_ptr: *const PluginTable, table_size: usize) -> PluginTable {
    // Whole fields only: every field after the version-1 ones is one word.
    let word = std::mem::size_of::<usize>();
    let covered = if table_size >= TABLE_SIZE as usize {
        TABLE_SIZE as usize
    } else {
        V1_TABLE_SIZE + (table_size - V1_TABLE_SIZE) / word * word
    };
    let mut table = std::mem::MaybeUninit::<PluginTable>::zeroed();
    // SAFETY: `covered <= table_size` bytes are readable at `table_ptr`, and
    // `covered <= size_of::<PluginTable>()` fit in `table`.
    unsafe {
        std::ptr::copy_nonoverlapping(
            table_ptr.cast::<u8>(),
            table.as_mut_ptr().cast::<u8>(),
            covered,
        );
    }
    // SAFETY: the version-1 fields (non-null function pointers) came from
    // the plugin's table; every field after them is an `Option` of a
    // function pointer, for which all-zero bytes are `None`.
    unsafe { table.assume_init() }
}

/// Why `dlopen` refused `path`, in the loader's own words (the `dlerror`
/// text: a missing library's name, a permission, a wrong architecture), with
/// the `cdylib` hint only for a file that is no dynamic library at all.
fn open_failed(path: &Path, error: &libloading::Error) -> PluginError {
    // libloading's own message is only "dlopen failed": the system's
    // reason is its source.
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    match starts_like_a_library(path) {
        Err(source) => PluginError::Unreadable {
            path: path.to_owned(),
            source,
        },
        Ok(false) => PluginError::NotALibrary {
            path: path.to_owned(),
            reason,
        },
        Ok(true) => PluginError::LoadFailed {
            path: path.to_owned(),
            reason,
        },
    }
}

/// Whether the file at `path` begins as a dynamic library of some platform
/// does: ELF, Mach-O (thin or fat, either byte order) or PE.
fn starts_like_a_library(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;

    let mut magic = [0_u8; 4];
    let mut file = std::fs::File::open(path)?;
    let mut len = 0;
    while len < magic.len() {
        match file.read(&mut magic[len..])? {
            0 => break,
            n => len += n,
        }
    }
    let magic = &magic[..len];
    let mach_o = [0xfeed_face_u32, 0xfeed_facf, 0xcafe_babe]
        .iter()
        .any(|m| magic == m.to_be_bytes() || magic == m.to_le_bytes());
    Ok(magic == b"\x7fELF" || mach_o || magic.starts_with(b"MZ"))
}

/// Copies the manifest out of the plugin's buffer and hands the buffer back.
fn read_manifest(table: &PluginTable) -> Vec<u8> {
    // SAFETY: per the ABI, `manifest` returns a buffer the plugin owns.
    let buffer = unsafe { (table.manifest)() };
    let bytes = if buffer.ptr.is_null() || buffer.len == 0 {
        Vec::new()
    } else {
        // SAFETY: the buffer holds `len` bytes at `ptr` until we free it below.
        unsafe { std::slice::from_raw_parts(buffer.ptr, buffer.len) }.to_vec()
    };
    // SAFETY: the buffer came from this plugin's `manifest` and is freed once.
    unsafe { (table.free_buffer)(buffer) };
    bytes
}
