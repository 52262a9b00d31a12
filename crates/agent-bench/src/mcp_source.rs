//! `--tools mcp-stdio` and `--tools mcp-http`: the demo plugin's tools
//! reached through MCP instead of loaded in process, so a case measures
//! what an MCP round trip costs. The MCP server is `agent mcp-serve
//! --plugin <the demo plugin>` (the same tools, the same executor on the
//! far side, no concurrency limit there), over stdio or over streamable
//! HTTP on 127.0.0.1; its start-up with three servers at once is measured
//! on the way.

use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use agent_cli::exit::Failure;
use mcp_tools::{McpServerConfig, McpSources};
use tool_api::ToolRegistry;

/// Where a case's tools come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToolSource {
    /// The demo plugin, loaded as a dynamic library.
    Plugin,
    /// `agent mcp-serve` serving the demo plugin, over stdio.
    McpStdio,
    /// `agent mcp-serve --listen 127.0.0.1:0` serving it, over streamable HTTP.
    McpHttp,
}

/// How many servers the start-up figure starts at once.
pub const STARTUP_SERVERS: usize = 3;

/// The demo plugin's tools through MCP, and the servers behind them.
/// Drop it after every agent over its tools.
pub struct McpTools {
    /// The first server's tools.
    pub tools: ToolRegistry,
    /// How long starting [`STARTUP_SERVERS`] servers at once took (for
    /// HTTP: connecting to them and initialising, their processes already
    /// listening).
    pub startup: Duration,
    _sources: McpSources,
    _http: Vec<HttpServe>,
}

/// An `agent mcp-serve --listen` process, killed when dropped.
struct HttpServe(std::process::Child);

impl Drop for HttpServe {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl HttpServe {
    /// Starts one and reads the URL it prints.
    fn start(agent: &Path, plugin: &Path) -> Result<(Self, String), Failure> {
        let mut child = std::process::Command::new(agent)
            .args([
                "mcp-serve",
                "--max-concurrency",
                "0",
                "--listen",
                "127.0.0.1:0",
                "--plugin",
            ])
            .arg(plugin)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| Failure::Other(format!("cannot run {}: {e}", agent.display())))?;
        let stderr = child.stderr.take();
        let serve = Self(child);
        let url = stderr.and_then(|s| {
            std::io::BufReader::new(s)
                .lines()
                .map_while(Result::ok)
                .find_map(|l| l.split_once(" tools on ").map(|(_, url)| url.to_owned()))
        });
        match url {
            Some(url) => Ok((serve, url)),
            None => Err(Failure::Other(
                "agent mcp-serve --listen did not say where it listens".into(),
            )),
        }
    }
}

impl McpTools {
    /// Starts [`STARTUP_SERVERS`] servers serving `plugin` with `agent`,
    /// timing their start, and keeps the first one's tools.
    pub async fn start(source: ToolSource, agent: &Path, plugin: &Path) -> Result<Self, Failure> {
        let mut http = Vec::new();
        let mut configs = Vec::with_capacity(STARTUP_SERVERS);
        for i in 0..STARTUP_SERVERS {
            let name = format!("bench{i}");
            let config = match source {
                ToolSource::Plugin => {
                    return Err(Failure::Other("the plugin is not an MCP source".into()));
                }
                ToolSource::McpStdio => McpServerConfig::stdio(
                    name,
                    agent.display().to_string(),
                    vec![
                        "mcp-serve".into(),
                        "--max-concurrency".into(),
                        "0".into(),
                        "--plugin".into(),
                        plugin.display().to_string(),
                    ],
                ),
                ToolSource::McpHttp => {
                    let (serve, url) = HttpServe::start(agent, plugin)?;
                    http.push(serve);
                    McpServerConfig::http(name, url)
                }
            };
            configs.push(config);
        }
        let sources = mcp_tools::start_all(configs)
            .await
            .map_err(|e| Failure::Plugin(e.to_string()))?;
        let mut tools = ToolRegistry::new();
        for tool in sources
            .tools
            .iter()
            .filter(|t| t.server().config().name == "bench0")
        {
            tools
                .register(std::sync::Arc::new(tool.clone()), tool.source())
                .map_err(|e| Failure::Plugin(e.to_string()))?;
        }
        if tools.get("sleep_tool").is_none() {
            return Err(Failure::Plugin(
                "the MCP server offers no `sleep_tool`: is it serving the demo plugin?".into(),
            ));
        }
        Ok(Self {
            tools,
            startup: sources.startup,
            _sources: sources,
            _http: http,
        })
    }
}
