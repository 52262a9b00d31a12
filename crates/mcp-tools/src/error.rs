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
#[error("MCP server `{server}` ({command}): {reason}{}", stderr_tail(.command, .stderr))]
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

/// The stderr lines as the end of a message; for a stdio server without
/// any, that it wrote none; for an HTTP server (its `command` is its URL),
/// which has no stderr of ours, nothing.
fn stderr_tail(command: &str, lines: &[String]) -> String {
    let http = command.starts_with("http://") || command.starts_with("https://");
    if lines.is_empty() && http {
        return String::new();
    }
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
        let http = StartError {
            server: "web".into(),
            command: "http://127.0.0.1:9/mcp".into(),
            reason: "connection refused".into(),
            stderr: Vec::new(),
        };
        assert_eq!(
            http.to_string(),
            "MCP server `web` (http://127.0.0.1:9/mcp): connection refused"
        );
    }
}
