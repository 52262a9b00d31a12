//! `grep`: lines matching a regular expression, in one file or a tree.

use std::io::{BufRead, BufReader};
use std::path::Path;

use regex::{Regex, RegexBuilder};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tool_api::{ToolContext, ToolError, ToolOutput, TypedTool, async_trait};

use crate::root::Root;

/// Matches returned when the input does not say.
pub(crate) const DEFAULT_MATCHES: usize = 100;
/// Most matches one call returns.
pub(crate) const MAX_MATCHES: usize = 1000;
/// Most files one call reads.
pub(crate) const MAX_FILES: usize = 10_000;
/// Larger files are skipped.
pub(crate) const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Deepest directory level searched below the start.
pub(crate) const MAX_DEPTH: usize = 32;
/// Longer lines are cut to this many characters.
pub(crate) const MAX_LINE_CHARS: usize = 500;
/// Largest compiled pattern, so a pattern cannot exhaust memory.
const MAX_PATTERN_BYTES: usize = 1 << 20;

/// The input of `grep`.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Input {
    /// Regular expression (Rust `regex` syntax), e.g. "fn main".
    pattern: String,
    /// File or directory to search, relative to the root (default: the root).
    #[serde(default)]
    path: Option<String>,
    /// Match without regard to case (default false).
    #[serde(default)]
    case_insensitive: bool,
    /// Most matches to return (default 100, at most 1000).
    #[serde(default)]
    max_matches: Option<usize>,
}

/// Searches text files inside the root.
pub(crate) struct Grep(pub Root);

#[async_trait]
impl TypedTool for Grep {
    type Input = Input;

    fn name(&self) -> &str {
        "grep"
    }

    fn description(&self) -> &str {
        "Finds lines matching a regular expression in a file or, recursively, a directory \
         (relative to the root directory). Returns each match's path, line number and line. \
         Skips hidden, binary and large files."
    }

    async fn run(&self, input: Input, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let root = self.0.clone();
        crate::blocking(move || search(&root, &input, &ctx)).await
    }
}

struct Found {
    matches: Vec<Value>,
    files: usize,
    limit: usize,
    truncated: bool,
}

fn search(root: &Root, input: &Input, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
    let limit = input.max_matches.unwrap_or(DEFAULT_MATCHES);
    if limit == 0 || limit > MAX_MATCHES {
        return Err(ToolError::invalid_input(format!(
            "`max_matches` must be between 1 and {MAX_MATCHES}"
        )));
    }
    let regex = RegexBuilder::new(&input.pattern)
        .case_insensitive(input.case_insensitive)
        .size_limit(MAX_PATTERN_BYTES)
        .build()
        .map_err(|e| ToolError::invalid_input(format!("`pattern` is not a valid regex: {e}")))?;
    let start = root.resolve(input.path.as_deref().unwrap_or("."))?;
    let mut found = Found {
        matches: Vec::new(),
        files: 0,
        limit,
        truncated: false,
    };
    let walk = walkdir::WalkDir::new(&start)
        .follow_links(false)
        .max_depth(MAX_DEPTH)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk.filter_map(Result::ok) {
        if ctx.is_cancelled() {
            return Err(ToolError::fatal("the search was cancelled"));
        }
        if !entry.file_type().is_file() {
            continue;
        }
        if found.files >= MAX_FILES || found.truncated {
            found.truncated = true;
            break;
        }
        found.files += 1;
        search_file(root, entry.path(), &regex, &mut found);
    }
    Ok(ToolOutput::Json(json!({
        "pattern": input.pattern,
        "path": root.relative(&start),
        "matches": found.matches,
        "files_searched": found.files,
        "truncated": found.truncated,
    })))
}

/// Adds the matching lines of `path`; skips large and binary files quietly.
fn search_file(root: &Root, path: &Path, regex: &Regex, found: &mut Found) {
    let Ok(meta) = path.metadata() else { return };
    if meta.len() > MAX_FILE_BYTES {
        return;
    }
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    let rel = root.relative(path);
    for (n, line) in BufReader::new(file).lines().enumerate() {
        // A line that is not UTF-8: a binary file; skip the rest of it.
        let Ok(line) = line else { return };
        if regex.is_match(&line) {
            if found.matches.len() >= found.limit {
                found.truncated = true;
                return;
            }
            let text: String = line.chars().take(MAX_LINE_CHARS).collect();
            found
                .matches
                .push(json!({"path": rel, "line": n + 1, "text": text}));
        }
    }
}
