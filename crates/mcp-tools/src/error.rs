//! Errors: [`ConfigError`] for a server's configuration, [`StartError`] for a
//! server that could not be started or whose tools cannot be offered.

/// A server configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A `--mcp` flag that does not parse.
    #[error("--mcp {flag:?}: {reason}")]
    Flag {
        /// The flag's value as given.
        flag: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A server name outside `[a-zA-Z0-9_-]+`.
    #[error("MCP server name {name:?} must be letters, digits, `_` or `-`")]
    Name {
        /// The name as given.
        name: String,
    },
}

/// Why an MCP server's tools are not available.
#[derive(Debug, thiserror::Error)]
#[error("MCP server `{server}` ({command}): {reason}{}", stderr_tail(.stderr))]
pub struct StartError {
    /// The server's configured name.
    pub server: String,
    /// Its command line (or URL).
    pub command: String,
    /// What went wrong, written for the person running the agent.
    pub reason: String,
    /// The last lines the server wrote to its stderr, oldest first.
    pub stderr: Vec<String>,
}

/// The stderr lines as the end of a message, or nothing when there are none.
fn stderr_tail(lines: &[String]) -> String {
    if lines.is_empty() {
        return "; it wrote nothing to stderr".into();
    }
    let mut out = String::from("; the last lines of its stderr:");
    for line in lines {
        out.push_str("\n  | ");
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_error_names_server_command_and_stderr() {
        let e = StartError {
            server: "fs".into(),
            command: "npx fs-server".into(),
            reason: "it exited with status 1 before answering initialize".into(),
            stderr: vec!["boom".into(), "bye".into()],
        };
        assert_eq!(
            e.to_string(),
            "MCP server `fs` (npx fs-server): it exited with status 1 before answering \
             initialize; the last lines of its stderr:\n  | boom\n  | bye"
        );
    }
}
