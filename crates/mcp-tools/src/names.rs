//! The rule that turns an MCP tool's name into one the model service takes.
//!
//! MCP allows names Bedrock refuses (dots, slashes, more than 64
//! characters); Bedrock allows `^[a-zA-Z0-9_-]{1,64}$`. The rule:
//!
//! 1. the configured prefix is put before the server's name, verbatim;
//! 2. a result that already fits is used unchanged;
//! 3. otherwise every character outside `[a-zA-Z0-9_-]` becomes `_`, the
//!    result is cut to 55 characters, and `_` plus 8 hex digits of the
//!    FNV-1a hash of the prefixed name is added, so two names that differ
//!    only in the replaced or cut characters stay apart.
//!
//! The tool remembers the server's own name and calls the server with it.

use tool_api::MAX_TOOL_NAME_LEN;

/// How many characters of the cleaned name are kept before the hash.
const KEPT: usize = MAX_TOOL_NAME_LEN - 9;

/// The name the model sees for the server's tool `name` under `prefix`.
///
/// ```
/// use mcp_tools::model_name;
/// assert_eq!(model_name(Some("fs_"), "read_file"), "fs_read_file");
/// assert_eq!(model_name(None, "get-sum"), "get-sum");
/// let mapped = model_name(None, "files.read");
/// assert!(mapped.starts_with("files_read_") && mapped.len() == 19);
/// ```
pub fn model_name(prefix: Option<&str>, name: &str) -> String {
    let full = format!("{}{name}", prefix.unwrap_or(""));
    if tool_api::validate_tool_name(&full).is_ok() {
        return full;
    }
    let cleaned: String = full
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(KEPT)
        .collect();
    format!("{cleaned}_{:08x}", fnv1a(full.as_bytes()))
}

/// 32-bit FNV-1a: tiny, stable across releases and platforms (unlike std's
/// hasher), which keeps mapped names the same from run to run.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_are_kept_and_others_mapped_into_the_alphabet() {
        assert_eq!(model_name(None, "echo"), "echo");
        assert_eq!(model_name(Some("e-"), "echo"), "e-echo");
        for odd in ["a.b", "a/b", "ünï", "", "x y", &"long".repeat(20)] {
            let mapped = model_name(None, odd);
            assert!(
                tool_api::validate_tool_name(&mapped).is_ok(),
                "{odd:?} -> {mapped}"
            );
        }
        assert_ne!(model_name(None, "a.b"), model_name(None, "a/b"));
        let long = model_name(None, &"x".repeat(80));
        assert_eq!(long.len(), 64);
        assert_ne!(long, model_name(None, &"x".repeat(81)));
    }

    #[test]
    fn the_hash_is_stable() {
        // A changed hash would rename tools between releases.
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
    }
}
