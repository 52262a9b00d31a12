//! `read_file`: part of a UTF-8 text file, by byte offset.

use std::io::{Read, Seek, SeekFrom};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

use crate::root::Root;

/// Bytes read when the input does not say.
pub(crate) const DEFAULT_BYTES: u64 = 64 * 1024;
/// Most bytes one call may read.
pub(crate) const MAX_BYTES: u64 = 1024 * 1024;

/// The input of `read_file`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Input {
    /// File path, relative to the root.
    path: String,
    /// Byte offset to start at (default 0).
    #[serde(default)]
    offset: u64,
    /// How many bytes to read (default 65536, at most 1048576).
    #[serde(default)]
    max_bytes: Option<u64>,
}

/// Reads a text file inside the root.
pub(crate) struct ReadFile(pub Root);

#[async_trait]
impl TypedTool for ReadFile {
    type Input = Input;

    fn name(&self) -> &str {
        "read_file"
    }

    fn description(&self) -> &str {
        "Reads a UTF-8 text file (relative to the root directory), from `offset`, at most \
         `max_bytes` bytes (default 65536, at most 1048576). Says whether the file goes on."
    }

    async fn run(&self, input: Input, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let root = self.0.clone();
        crate::blocking(move || read(&root, &input)).await
    }
}

fn read(root: &Root, input: &Input) -> Result<ToolOutput, ToolError> {
    let max = input.max_bytes.unwrap_or(DEFAULT_BYTES);
    if max == 0 || max > MAX_BYTES {
        return Err(ToolError::invalid_input(format!(
            "`max_bytes` must be between 1 and {MAX_BYTES}"
        )));
    }
    let path = root.resolve(&input.path)?;
    if !path.is_file() {
        return Err(ToolError::invalid_input(format!(
            "`{}` is not a file; use list_dir for directories",
            input.path
        )));
    }
    let fail = |e: std::io::Error| ToolError::fatal(format!("cannot read `{}`: {e}", input.path));
    let mut file = std::fs::File::open(&path).map_err(fail)?;
    let size = file.metadata().map_err(fail)?.len();
    file.seek(SeekFrom::Start(input.offset)).map_err(fail)?;
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes).map_err(fail)?;
    // The limit may split a character at the end: cut before it. Any other
    // invalid byte means the file is not text.
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if e.utf8_error().error_len().is_none() => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).unwrap_or_default()
        }
        Err(_) => {
            return Err(ToolError::invalid_input(format!(
                "`{}` is not UTF-8 text at offset {} (a binary file, or an offset inside a \
                 character); this tool reads text files only",
                input.path, input.offset
            )));
        }
    };
    let end = input.offset.saturating_add(text.len() as u64);
    Ok(ToolOutput::Json(json!({
        "path": root.relative(&path),
        "size": size,
        "offset": input.offset,
        "bytes_read": text.len(),
        "truncated": end < size,
        "content": text,
    })))
}
