//! Finding the third-party MCP software the tests run against.
//!
//! `.ci/run` installs it (`.ci/install-mcp-deps`) and exports
//! `AGENT_MCP_DEPS`; without the variable the tests look in the script's
//! default directory. Only when neither has it does a test skip, saying so
//! loudly: run `.ci/install-mcp-deps` to get it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use mcp_tools::McpServerConfig;

/// The installed servers and SDK.
pub struct Deps {
    dir: PathBuf,
}

/// The installation, or `None` (after a loud message) when there is none.
pub fn deps(test: &str) -> Option<Deps> {
    let dir = std::env::var_os("AGENT_MCP_DEPS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/agent-ci/mcp")));
    match dir {
        Some(dir)
            if dir
                .join("npm/node_modules/.bin/mcp-server-everything")
                .exists() =>
        {
            Some(Deps { dir })
        }
        _ => {
            eprintln!(
                "\n!!!!! SKIPPED {test}: the MCP reference servers are not installed; \
                 run .ci/install-mcp-deps and set AGENT_MCP_DEPS (.ci/run does both) !!!!!\n"
            );
            None
        }
    }
}

impl Deps {
    fn bin(&self, name: &str) -> String {
        self.dir
            .join("npm/node_modules/.bin")
            .join(name)
            .display()
            .to_string()
    }

    /// `@modelcontextprotocol/server-everything` over stdio.
    pub fn everything(&self, name: &str) -> McpServerConfig {
        McpServerConfig::stdio(
            name,
            self.bin("mcp-server-everything"),
            vec!["stdio".into()],
        )
    }

    /// `@modelcontextprotocol/server-filesystem` confined to `root`.
    pub fn filesystem(&self, name: &str, root: &std::path::Path) -> McpServerConfig {
        McpServerConfig::stdio(
            name,
            self.bin("mcp-server-filesystem"),
            vec![root.display().to_string()],
        )
    }

    /// The Python SDK's interpreter.
    pub fn python(&self) -> String {
        self.dir.join("venv/bin/python").display().to_string()
    }

    /// The fault server (tests/fixtures/fault_server.py), markers in `markers`.
    pub fn faults(&self, name: &str, markers: &std::path::Path) -> McpServerConfig {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/fault_server.py"
        );
        let mut config = McpServerConfig::stdio(name, self.python(), vec![script.into()]);
        if let mcp_tools::Transport::Stdio { env, .. } = &mut config.transport {
            env.insert("FAULT_DIR".into(), markers.display().to_string());
        }
        config
    }

    /// The bare JSON-RPC server (tests/fixtures/raw_server.py) that breaks
    /// the protocol on purpose.
    pub fn raw(&self, name: &str) -> McpServerConfig {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/raw_server.py");
        McpServerConfig::stdio(name, self.python(), vec![script.into()])
    }

    /// The streamable HTTP server (tests/fixtures/http_server.py) on a free
    /// port of 127.0.0.1, refusing requests without `token` when one is given.
    pub fn http_server(&self, token: Option<&str>) -> HttpServer {
        HttpServer::start(&self.python(), token, None)
    }
}

/// A running tests/fixtures/http_server.py, killed when dropped.
pub struct HttpServer {
    child: std::process::Child,
    /// Where its `wait` tool leaves marker files.
    pub marks: tempfile::TempDir,
    python: String,
    token: Option<String>,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl HttpServer {
    fn start(python: &str, token: Option<&str>, port: Option<u16>) -> Self {
        use std::io::BufRead;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/http_server.py");
        let marks = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(python);
        cmd.arg(script)
            .env("MARK_DIR", marks.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        if let Some(token) = token {
            cmd.env("TOKEN", token);
        }
        if let Some(port) = port {
            cmd.env("PORT", port.to_string());
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .unwrap_or_else(|| panic!("the HTTP fixture said {line:?}"))
            .parse()
            .unwrap();
        Self {
            child,
            marks,
            python: python.to_owned(),
            token: token.map(str::to_owned),
            port,
        }
    }

    /// Its MCP endpoint.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    /// Kills it and waits until it is gone.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A new server process on the same port (after [`HttpServer::stop`]).
    pub fn restart(&mut self) {
        self.stop();
        *self = Self::start(&self.python, self.token.as_deref(), Some(self.port));
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether process `pid` is gone (or a zombie, which holds no resources
/// and runs no code).
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}
