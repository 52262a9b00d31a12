//! [`McpServerConfig`]: how to reach one MCP server and what to take from it,
//! from an `agent.toml` table or a `--mcp NAME=COMMAND ARGS…` flag.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// How long a server may take to start and answer `initialize` unless its
/// configuration says otherwise: long enough for `npx` to unpack a package.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The variables a stdio server inherits from the agent unless its
/// configuration says [`McpServerConfig::inherit_env`]: the official SDKs'
/// default allow-list (the TypeScript SDK's `getDefaultEnvironment`, itself
/// modelled on `sudo`'s), so a server finds its interpreter and home
/// directory but never sees the agent's API keys or cloud credentials.
#[cfg(not(windows))]
pub const INHERITED_ENV_VARS: &[&str] = &["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];

/// The variables a stdio server inherits from the agent unless its
/// configuration says [`McpServerConfig::inherit_env`] (the official SDKs'
/// Windows allow-list).
#[cfg(windows)]
pub const INHERITED_ENV_VARS: &[&str] = &[
    "APPDATA",
    "HOMEDRIVE",
    "HOMEPATH",
    "LOCALAPPDATA",
    "PATH",
    "PROCESSOR_ARCHITECTURE",
    "SYSTEMDRIVE",
    "SYSTEMROOT",
    "TEMP",
    "USERNAME",
    "USERPROFILE",
    "PROGRAMFILES",
];

/// One MCP server: where it runs, and how its tools join the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpServerConfig {
    /// The server's name: named in every message about it and in each tool's source.
    pub name: String,
    /// How to reach it.
    pub transport: Transport,
    /// Put before every tool name of this server, verbatim (`"fs_"` makes
    /// `read_file` into `fs_read_file`): resolves clashes with other sources.
    pub prefix: Option<String>,
    /// Longest a call of this server's tools may take; past it the call is
    /// cancelled (`notifications/cancelled`) and gets an error result.
    pub timeout: Option<Duration>,
    /// Longest the server may take to start and answer `initialize`.
    pub startup_timeout: Option<Duration>,
    /// Only these tools (by the server's names); `None` takes all.
    pub tools: Option<Vec<String>>,
    /// Most calls of this server's tools in flight at once; `None`: no
    /// limit beyond the executor's.
    pub concurrency: Option<usize>,
    /// A server that fails to start is a warning, not an error.
    pub optional: bool,
    /// A stdio server gets the agent's whole environment, not only
    /// [`INHERITED_ENV_VARS`] and its `env`: API keys and credentials
    /// included, so only for a server trusted with them.
    #[serde(default)]
    pub inherit_env: bool,
}

/// How the agent talks to a server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// A child process speaking JSON-RPC on its stdin and stdout.
    Stdio {
        /// The program to run (looked up on `PATH` when it has no slash).
        command: String,
        /// Its arguments.
        args: Vec<String>,
        /// Its variables, beside the few it inherits from the agent
        /// ([`INHERITED_ENV_VARS`]; all of them with
        /// [`McpServerConfig::inherit_env`]); they win over inherited ones.
        env: BTreeMap<String, String>,
        /// Its working directory; the agent's when `None`.
        cwd: Option<PathBuf>,
    },
    /// A server at a URL, speaking MCP's streamable HTTP transport.
    Http {
        /// The endpoint (`http://` or `https://`), e.g. `https://host/mcp`.
        url: String,
        /// Headers sent with every request, e.g. `Authorization: Bearer …`.
        headers: BTreeMap<String, String>,
    },
}

impl McpServerConfig {
    /// A stdio server running `command` with `args`, all other settings default.
    pub fn stdio(name: impl Into<String>, command: impl Into<String>, args: Vec<String>) -> Self {
        Self::new(
            name,
            Transport::Stdio {
                command: command.into(),
                args,
                env: BTreeMap::new(),
                cwd: None,
            },
        )
    }

    /// A server over `transport`, all other settings default.
    pub fn new(name: impl Into<String>, transport: Transport) -> Self {
        Self {
            name: name.into(),
            transport,
            prefix: None,
            timeout: None,
            startup_timeout: None,
            tools: None,
            concurrency: None,
            optional: false,
            inherit_env: false,
        }
    }

    /// A streamable HTTP server at `url`, all other settings default.
    pub fn http(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self::new(
            name,
            Transport::Http {
                url: url.into(),
                headers: BTreeMap::new(),
            },
        )
    }

    /// The value of a `--mcp` flag: `NAME=URL` (an `http://` or `https://`
    /// URL: a streamable HTTP server) or `NAME=COMMAND ARGS…`, the command line
    /// split as a POSIX shell would split it (quotes and backslashes), but
    /// no shell is run: no variables, globs or pipes.
    ///
    /// ```
    /// use mcp_tools::{McpServerConfig, Transport};
    /// let c = McpServerConfig::parse_flag("fs=npx -y '@scope/server' '/tmp/my dir'").unwrap();
    /// assert_eq!(c.name, "fs");
    /// let Transport::Stdio { command, args, .. } = &c.transport else { panic!() };
    /// assert_eq!(command, "npx");
    /// assert_eq!(args, &["-y", "@scope/server", "/tmp/my dir"]);
    /// ```
    pub fn parse_flag(flag: &str) -> Result<Self, ConfigError> {
        let (name, spec) = flag.split_once('=').ok_or_else(|| ConfigError::Flag {
            flag: flag.to_owned(),
            reason: "expected NAME=COMMAND ARGS…".into(),
        })?;
        let name = name.trim();
        check_name(name)?;
        let spec = spec.trim();
        if spec.starts_with("http://") || spec.starts_with("https://") {
            if spec.contains(char::is_whitespace) {
                return Err(ConfigError::Flag {
                    flag: flag.to_owned(),
                    reason: "a URL takes no arguments (headers go in an [mcp.NAME] table)".into(),
                });
            }
            return Ok(Self::http(name, spec));
        }
        let words = shell_words::split(spec).map_err(|e| ConfigError::Flag {
            flag: flag.to_owned(),
            reason: format!("cannot split the command line: {e}"),
        })?;
        let mut words = words.into_iter();
        let command = words.next().ok_or_else(|| ConfigError::Flag {
            flag: flag.to_owned(),
            reason: "the command is empty".into(),
        })?;
        Ok(Self::stdio(name, command, words.collect()))
    }

    /// The command line, quoted as a shell would need it, or the URL: for
    /// messages (header values, which may be secrets, are never shown).
    pub fn command_line(&self) -> String {
        match &self.transport {
            Transport::Stdio { command, args, .. } => {
                shell_words::join(std::iter::once(command).chain(args))
            }
            Transport::Http { url, .. } => url.clone(),
        }
    }
}

/// Refuses names that would make messages and sources ambiguous.
fn check_name(name: &str) -> Result<(), ConfigError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ConfigError::Name {
            name: name.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_is_split_like_a_shell_without_running_one() {
        let c = McpServerConfig::parse_flag(r#"x=node "a b" c\ d $HOME *"#).unwrap();
        let Transport::Stdio { command, args, .. } = &c.transport else {
            panic!("{c:?}")
        };
        assert_eq!(command, "node");
        assert_eq!(args, &["a b", "c d", "$HOME", "*"]);
        assert_eq!(c.command_line(), "node 'a b' 'c d' '$HOME' '*'");
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        let err = McpServerConfig::parse_flag("no-equals").unwrap_err();
        assert!(err.to_string().contains("NAME=COMMAND"), "{err}");
        let err = McpServerConfig::parse_flag("x=").unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let err = McpServerConfig::parse_flag("x=node 'open").unwrap_err();
        assert!(err.to_string().contains("cannot split"), "{err}");
        let err = McpServerConfig::parse_flag("a b=node").unwrap_err();
        assert!(err.to_string().contains("\"a b\""), "{err}");
        let err = McpServerConfig::parse_flag("x=http://127.0.0.1:1/mcp extra").unwrap_err();
        assert!(err.to_string().contains("takes no arguments"), "{err}");
    }

    #[test]
    fn a_url_flag_is_an_http_server() {
        let c = McpServerConfig::parse_flag("remote=http://127.0.0.1:8931/mcp").unwrap();
        assert_eq!(
            c,
            McpServerConfig::http("remote", "http://127.0.0.1:8931/mcp")
        );
        assert_eq!(c.command_line(), "http://127.0.0.1:8931/mcp");
    }
}
