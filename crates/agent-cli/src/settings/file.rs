//! The config file, `agent.toml`: where it is looked for, and its contents,
//! checked as they are read (unknown keys are refused, naming the line).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::values::{BackendKind, Secret};

/// The config file's contents: every key optional, unknown keys refused.
/// The keys are those of the settings table (`table.rs`); a unit test there
/// checks the two agree.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub(super) backend: Option<BackendKind>,
    pub(super) base_url: Option<String>,
    pub(super) api_key: Option<Secret>,
    pub(super) model: Option<String>,
    pub(super) region: Option<String>,
    pub(super) profile: Option<String>,
    pub(super) endpoint_url: Option<String>,
    pub(super) plugins: Option<Vec<PathBuf>>,
    pub(super) plugin_prefixes: Option<BTreeMap<String, PathBuf>>,
    pub(super) plugins_dir: Option<PathBuf>,
    pub(super) max_concurrency: Option<usize>,
    pub(super) tool_timeout: Option<f64>,
    pub(super) tool_retries: Option<u32>,
    pub(super) model_retries: Option<u32>,
    pub(super) model_retry_max_wait: Option<f64>,
    pub(super) model_retry_budget: Option<f64>,
    pub(super) stream_idle_timeout: Option<f64>,
    pub(super) max_iterations: Option<u32>,
    pub(super) system: Option<String>,
    pub(super) max_tokens: Option<u32>,
    pub(super) thinking: Option<u32>,
    pub(super) stream: Option<bool>,
    pub(super) eager: Option<bool>,
    pub(super) context: Option<String>,
    pub(super) context_window: Option<u64>,
    pub(super) tools: Option<BTreeMap<String, ToolOverride>>,
    pub(super) mcp: Option<BTreeMap<String, super::mcp::McpTable>>,
    pub(super) approve: Option<Vec<String>>,
    pub(super) yes: Option<bool>,
    pub(super) tool_choice: Option<String>,
    pub(super) cache: Option<String>,
    pub(super) cache_ttl: Option<String>,
    pub(super) output_schema: Option<PathBuf>,
    pub(super) guardrail: Option<String>,
    pub(super) guardrail_trace: Option<bool>,
    pub(super) model_fields: Option<BTreeMap<String, serde_json::Value>>,
    pub(super) response_fields: Option<Vec<String>>,
}

/// A `[tools.NAME]` table: one tool's own timeout, retries, output limit
/// and scheduling rules (docs/SCHEDULING.md).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ToolOverride {
    /// Timeout of one attempt, seconds.
    pub timeout: Option<f64>,
    /// Retries of a retryable failure.
    pub retries: Option<u32>,
    /// At most this many calls of the tool at once.
    pub concurrency: Option<usize>,
    /// Resources each call holds alone (`NAME` or `NAME:/json/pointer`).
    pub exclusive: Option<Vec<String>>,
    /// Resources each call shares with other readers.
    pub shared: Option<Vec<String>>,
    /// Its calls' priority behind the global limit (higher first).
    pub priority: Option<i32>,
    /// Running a call twice is the same as once: required by `cache_ttl`;
    /// `false`: `agent resume` answers a call of it that a crash cut off
    /// with an error instead of re-running it.
    pub idempotent: Option<bool>,
    /// Seconds a result is reused for identical calls.
    pub cache_ttl: Option<f64>,
    /// At most this many call starts per period: `"N/s"` or `"N/min"`.
    pub rate: Option<String>,
    /// Adaptive concurrency: `true` (between 1 and `concurrency`) or
    /// `[MIN, MAX]`; the limit halves when the tool reports throttling and
    /// grows back as its calls succeed.
    pub adaptive: Option<tool_api::Adaptive>,
    /// The largest result sent back to the model, in bytes (a larger one is
    /// cut, and the model told); 0 for no limit.
    pub max_output_bytes: Option<usize>,
    /// Each call needs a person's approval (`true`), or not even when an
    /// MCP server calls the tool destructive (`false`); docs/HOOKS.md.
    pub approve: Option<bool>,
}

impl ToolOverride {
    /// The scheduling rules this table sets.
    pub fn scheduling(&self) -> tool_api::Scheduling {
        tool_api::Scheduling {
            concurrency: self.concurrency,
            exclusive: self.exclusive.clone().unwrap_or_default(),
            shared: self.shared.clone().unwrap_or_default(),
            priority: self.priority,
            idempotent: self.idempotent,
            cache_ttl: self.cache_ttl,
            rate: self.rate.clone(),
            adaptive: self.adaptive,
        }
    }
}

/// The config file to read: `--config`, else `./agent.toml`, else the
/// user's one ([`user_config_file`]).
pub fn find_config_file(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let local = PathBuf::from("agent.toml");
    if local.is_file() {
        return Some(local);
    }
    user_config_file().filter(|p| p.is_file())
}

/// Where the user's config file goes: `agent/agent.toml` in the platform's
/// config dir (`$XDG_CONFIG_HOME`, else `~/.config`, on Linux).
pub fn user_config_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("agent").join("agent.toml"))
}

/// serde's message with Rust's type names said in words for a person
/// writing TOML: `expected usize` becomes `expected a whole number`,
/// `expected f64` `expected a number`, a sequence a list, a map or struct
/// a table.
fn plain_types(message: &str) -> String {
    const WORDS: [(&str, &str); 4] = [
        ("a sequence", "a list"),
        ("a map", "a table"),
        ("a borrowed string", "a string"),
        ("a string or a sequence", "a string or a list"),
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("expected ") {
        let (head, tail) = rest.split_at(at + "expected ".len());
        out.push_str(head);
        let word_end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let word = &tail[..word_end];
        let plain = match word {
            "usize" | "u8" | "u16" | "u32" | "u64" | "u128" => Some("a whole number, 0 or more"),
            "isize" | "i8" | "i16" | "i32" | "i64" | "i128" => Some("a whole number"),
            "f32" | "f64" => Some("a number"),
            "struct" => {
                // `struct McpTable`: the type's name means nothing in TOML.
                let after = tail[word_end..].trim_start();
                let name_len = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                out.push_str("a table");
                rest = &after[name_len..];
                continue;
            }
            _ => None,
        };
        match plain {
            Some(plain) => {
                out.push_str(plain);
                rest = &tail[word_end..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    for (from, to) in WORDS.iter().rev() {
        out = out.replace(&format!("expected {from}"), &format!("expected {to}"));
    }
    out
}

/// Reads and checks a config file. Relative plugin paths are taken relative
/// to the file's directory.
pub fn read_config_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut config: FileConfig = toml::from_str(&text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        let key = text
            .lines()
            .nth(line - 1)
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().to_owned())
            .filter(|k| !k.is_empty() && !k.starts_with('['));
        let message = plain_types(e.message().trim());
        let message = match key {
            Some(key) if !message.contains(&format!("`{key}`")) => {
                format!("key `{key}`: {message}")
            }
            _ => message,
        };
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            message,
        }
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    if let Some(plugins) = &mut config.plugins {
        for p in plugins.iter_mut() {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
    if let Some(prefixes) = &mut config.plugin_prefixes {
        for p in prefixes.values_mut() {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
    if let Some(dir) = &mut config.plugins_dir
        && dir.is_relative()
    {
        *dir = base.join(&*dir);
    }
    for server in config.mcp.iter_mut().flat_map(|m| m.values_mut()) {
        if let Some(cwd) = &mut server.cwd
            && cwd.is_relative()
        {
            *cwd = base.join(&*cwd);
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_say_what_to_write_not_rust_type_names() {
        assert_eq!(
            plain_types("invalid type: string \"four\", expected usize"),
            "invalid type: string \"four\", expected a whole number, 0 or more"
        );
        assert_eq!(
            plain_types("invalid type: string \"x\", expected f64"),
            "invalid type: string \"x\", expected a number"
        );
        assert_eq!(
            plain_types("invalid type: integer `1`, expected struct McpTable"),
            "invalid type: integer `1`, expected a table"
        );
        assert_eq!(
            plain_types("invalid type: string \"a\", expected a sequence"),
            "invalid type: string \"a\", expected a list"
        );
        assert_eq!(plain_types("expected a boolean"), "expected a boolean");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        std::fs::write(&path, "[tools.get_weather]\nconcurrency = \"two\"\n").unwrap();
        let err = read_config_file(&path).unwrap_err().to_string();
        assert!(err.contains("expected a whole number"), "{err}");
        assert!(!err.contains("usize"), "{err}");
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("agent.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_bad_file_names_the_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "model = \"m\"\nmax_concurency = 3\n");
        let err = read_config_file(&path).unwrap_err().to_string();
        assert!(err.contains("agent.toml:2:"), "{err}");
        assert!(err.contains("max_concurency"), "{err}");
        let path = write(dir.path(), "model = \"m\"\n\nmax_tokens = \"many\"\n");
        let err = read_config_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("agent.toml:3:") && err.contains("max_tokens"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_tool_table_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "[tools.x]\ntimout = 3\n");
        let err = read_config_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("agent.toml:2") && err.contains("timout"),
            "{err}"
        );
    }
}
