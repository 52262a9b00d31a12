//! `list_dir`: the entries of a directory.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

use crate::root::Root;

/// Most entries one call lists.
pub(crate) const MAX_ENTRIES: usize = 1000;

/// The input of `list_dir`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Input {
    /// Directory path, relative to the root (default: the root).
    #[serde(default)]
    path: Option<String>,
}

/// Lists a directory inside the root.
pub(crate) struct ListDir(pub Root);

#[async_trait]
impl TypedTool for ListDir {
    type Input = Input;

    fn name(&self) -> &str {
        "list_dir"
    }

    fn description(&self) -> &str {
        "Lists a directory (relative to the root directory; the root if no path): each entry's \
         name, kind (file, dir, symlink) and size in bytes, sorted by name, at most 1000."
    }

    async fn run(&self, input: Input, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let root = self.0.clone();
        crate::blocking(move || list(&root, input.path.as_deref().unwrap_or("."))).await
    }
}

fn list(root: &Root, path: &str) -> Result<ToolOutput, ToolError> {
    let dir = root.resolve(path)?;
    if !dir.is_dir() {
        return Err(ToolError::invalid_input(format!(
            "`{path}` is not a directory; use read_file for files"
        )));
    }
    let fail = |e: std::io::Error| ToolError::fatal(format!("cannot list `{path}`: {e}"));
    let mut entries: Vec<(String, Value)> = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // A directory entry's metadata does not follow symlinks: a link is
        // reported as a link.
        let meta = entry.metadata().map_err(fail)?;
        let kind = if meta.is_symlink() {
            "symlink"
        } else if meta.is_dir() {
            "dir"
        } else if meta.is_file() {
            "file"
        } else {
            "other"
        };
        let value = json!({"name": name, "kind": kind, "size": meta.len()});
        entries.push((name, value));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let total = entries.len();
    entries.truncate(MAX_ENTRIES);
    Ok(ToolOutput::Json(json!({
        "path": root.relative(&dir),
        "entries": entries.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "total": total,
        "truncated": total > MAX_ENTRIES,
    })))
}
