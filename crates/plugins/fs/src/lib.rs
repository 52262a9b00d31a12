//! # fs-tools: read-only file tools confined to a root
//!
//! Three tools for a model to look at files, and nothing else: no writes, no
//! execution, and no way out of one root directory.
//!
//! | tool | input | limits |
//! |---|---|---|
//! | `read_file` | `path`, `offset?`, `max_bytes?` | 64 KiB by default, 1 MiB at most per call; UTF-8 text only |
//! | `list_dir` | `path?` | 1,000 entries at most |
//! | `grep` | `pattern` (regex), `path?`, `case_insensitive?`, `max_matches?` | 100 matches by default, 1,000 at most; 10,000 files, 1 MiB per file, depth 32; lines cut at 500 characters |
//!
//! The root is the directory named by the environment variable
//! `FS_TOOLS_ROOT` when the plugin loads, or the host's current directory. A
//! path is resolved against the root, then canonicalised (`..` and symbolic
//! links resolved); a path that ends up outside the root is refused, so
//! neither `..` nor a symlink leads out. `grep` does not follow symlinks and
//! skips hidden files and directories (names starting with `.`).
//! Paths in outputs are relative to the root.

mod grep;
mod list_dir;
mod read_file;
mod root;

use std::sync::Arc;

use tool_api::{Tool, Typed};

pub use root::{ROOT_ENV, Root};

/// The three tools over `root`.
pub fn tools_in(root: Root) -> Result<Vec<Arc<dyn Tool>>, tool_api::SpecError> {
    Ok(vec![
        Arc::new(Typed::new(read_file::ReadFile(root.clone()))?),
        Arc::new(Typed::new(list_dir::ListDir(root.clone()))?),
        Arc::new(Typed::new(grep::Grep(root))?),
    ])
}

/// The tools over the root [`ROOT_ENV`] names (or the current directory).
pub fn tools() -> Result<Vec<Arc<dyn Tool>>, String> {
    let root = Root::from_env()?;
    tools_in(root).map_err(|e| e.to_string())
}

tool_api::export_plugin!(tools);

/// Runs blocking file work on the runtime's blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, tool_api::ToolError> + Send + 'static,
) -> Result<T, tool_api::ToolError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| tool_api::ToolError::fatal(format!("the file operation failed: {e}")))?
}
