//! `[mcp.NAME]` tables of `agent.toml`, and `--mcp NAME=COMMAND ARGS…` or
//! `--mcp NAME=URL` flags, as one value type: [`McpTable`], turned into the
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
///
/// [mcp.remote]
/// url = "https://tools.example.com/mcp"
/// headers = { Authorization = "Bearer …" }
/// concurrency = 4
/// ```
///
/// A table has a `command` (a stdio server) or a `url` (streamable HTTP),
/// not both (the setting's check says so).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct McpTable {
    /// The program to run (a stdio server).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Its variables. It inherits only `HOME`, `LOGNAME`, `PATH`, `SHELL`,
    /// `TERM` and `USER` from the agent (`mcp_tools::INHERITED_ENV_VARS`),
    /// never the agent's API keys; anything else it needs goes here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Give it the agent's whole environment (API keys included), for a
    /// server trusted with it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inherit_env: bool,
    /// Its working directory (relative to the config file's directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// The URL of a streamable HTTP server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Headers sent to an HTTP server with every request. Their values
    /// (bearer tokens) are never shown: `agent config --json` prints
    /// `"(hidden)"` for each.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "hidden_values"
    )]
    pub headers: BTreeMap<String, String>,
    /// Put before each of its tool names, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Seconds a call of its tools may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    /// Seconds it may take to start and answer `initialize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_timeout: Option<f64>,
    /// Most of its calls in flight at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
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
        let mut table = Self::default();
        match config.transport {
            Transport::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                table.command = command;
                table.args = args;
                table.env = env;
                table.cwd = cwd;
            }
            Transport::Http { url, headers } => {
                table.url = Some(url);
                table.headers = headers;
            }
        }
        let table = Self {
            prefix: config.prefix,
            concurrency: config.concurrency,
            timeout: config.timeout.map(|d| d.as_secs_f64()),
            startup_timeout: config.startup_timeout.map(|d| d.as_secs_f64()),
            tools: config.tools,
            optional: config.optional,
            inherit_env: config.inherit_env,
            ..table
        };
        (config.name, table)
    }

    /// The server configuration `mcp-tools` starts, for the server `name`.
    ///
    /// The timeouts were checked by the setting's check (`table::MCP`), so
    /// an out-of-range one here means no limit rather than a panic.
    pub fn to_config(&self, name: &str) -> McpServerConfig {
        let secs = |t: Option<f64>| t.and_then(|t| Duration::try_from_secs_f64(t).ok());
        let transport = match &self.url {
            Some(url) => Transport::Http {
                url: url.clone(),
                headers: self.headers.clone(),
            },
            None => Transport::Stdio {
                command: self.command.clone(),
                args: self.args.clone(),
                env: self.env.clone(),
                cwd: self.cwd.clone(),
            },
        };
        let mut config = McpServerConfig::new(name, transport);
        config.prefix = self.prefix.clone();
        config.timeout = secs(self.timeout);
        config.startup_timeout = secs(self.startup_timeout);
        config.tools = self.tools.clone();
        config.concurrency = self.concurrency;
        config.optional = self.optional;
        config.inherit_env = self.inherit_env;
        config
    }
}

/// Serialises header names with their values hidden: they are often secrets.
fn hidden_values<S: serde::Serializer>(
    headers: &BTreeMap<String, String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(headers.keys().map(|k| (k, "(hidden)")))
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
    fn a_url_flag_and_an_http_table_give_the_same_server() {
        let (name, from_flag) = parse_flag("web=http://127.0.0.1:8931/mcp").unwrap();
        let from_file: BTreeMap<String, McpTable> =
            toml::from_str("[web]\nurl = \"http://127.0.0.1:8931/mcp\"\n").unwrap();
        assert_eq!(from_file["web"], from_flag);
        let with_headers: BTreeMap<String, McpTable> = toml::from_str(
            "[web]\nurl = \"https://h/mcp\"\nheaders = { Authorization = \"Bearer t\" }\n\
             concurrency = 2\n",
        )
        .unwrap();
        let config = with_headers["web"].to_config(&name);
        assert_eq!(
            config.transport,
            Transport::Http {
                url: "https://h/mcp".into(),
                headers: [("Authorization".into(), "Bearer t".into())].into(),
            }
        );
        assert_eq!(config.concurrency, Some(2));
        let shown = serde_json::to_string(&with_headers["web"]).unwrap();
        assert!(
            shown.contains(r#""headers":{"Authorization":"(hidden)"}"#),
            "{shown}"
        );
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
