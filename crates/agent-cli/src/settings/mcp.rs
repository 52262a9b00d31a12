//! `[mcp.NAME]` tables of `agent.toml`, and `--mcp NAME=COMMAND ARGS…`
//! flags, as one value type: [`McpTable`], turned into the
//! `mcp_tools::McpServerConfig` that starts the server.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use mcp_tools::{McpServerConfig, Transport};
use serde::{Deserialize, Serialize};

/// One MCP server, as the config file writes it.
///
/// ```toml
/// [mcp.fs]
/// command = "npx"
/// args = ["-y", "@modelcontextprotocol/server-filesystem", "/srv/docs"]
/// prefix = "fs_"
/// timeout = 30
/// tools = ["read_text_file", "list_directory"]
/// optional = true
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct McpTable {
    /// The program to run.
    pub command: String,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Variables added to its environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Its working directory (relative to the config file's directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// Put before each of its tool names, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Seconds a call of its tools may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    /// Seconds it may take to start and answer `initialize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_timeout: Option<f64>,
    /// Only these of its tools (by the server's names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
    /// A failure to start is a warning, not an error.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

impl McpTable {
    /// The table of a parsed `--mcp` flag, keyed by the server's name.
    pub fn from_config(config: McpServerConfig) -> (String, Self) {
        let Transport::Stdio {
            command,
            args,
            env,
            cwd,
        } = config.transport;
        let table = Self {
            command,
            args,
            env,
            cwd,
            prefix: config.prefix,
            timeout: config.timeout.map(|d| d.as_secs_f64()),
            startup_timeout: config.startup_timeout.map(|d| d.as_secs_f64()),
            tools: config.tools,
            optional: config.optional,
        };
        (config.name, table)
    }

    /// The server configuration `mcp-tools` starts, for the server `name`.
    ///
    /// The timeouts were checked by the setting's check (`table::MCP`), so
    /// an out-of-range one here means no limit rather than a panic.
    pub fn to_config(&self, name: &str) -> McpServerConfig {
        let secs = |t: Option<f64>| t.and_then(|t| Duration::try_from_secs_f64(t).ok());
        let mut config = McpServerConfig::new(
            name,
            Transport::Stdio {
                command: self.command.clone(),
                args: self.args.clone(),
                env: self.env.clone(),
                cwd: self.cwd.clone(),
            },
        );
        config.prefix = self.prefix.clone();
        config.timeout = secs(self.timeout);
        config.startup_timeout = secs(self.startup_timeout);
        config.tools = self.tools.clone();
        config.optional = self.optional;
        config
    }
}

/// Parses a `--mcp` flag's value (for clap).
pub fn parse_flag(raw: &str) -> Result<(String, McpTable), String> {
    McpServerConfig::parse_flag(raw)
        .map(McpTable::from_config)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_and_a_table_give_the_same_server() {
        let (name, from_flag) = parse_flag("fs=npx -y '@scope/fs' /srv").unwrap();
        let from_file: BTreeMap<String, McpTable> =
            toml::from_str("[fs]\ncommand = \"npx\"\nargs = [\"-y\", \"@scope/fs\", \"/srv\"]\n")
                .unwrap();
        assert_eq!(name, "fs");
        assert_eq!(from_file["fs"], from_flag);
        let config = from_flag.to_config(&name);
        assert_eq!(config.command_line(), "npx -y @scope/fs /srv");
    }

    #[test]
    fn timeouts_become_durations() {
        let table = McpTable {
            command: "x".into(),
            timeout: Some(1.5),
            ..McpTable::default()
        };
        assert_eq!(
            table.to_config("x").timeout,
            Some(Duration::from_millis(1500))
        );
    }
}
