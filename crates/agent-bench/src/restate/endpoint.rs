//! The endpoint under measure: the real `agent serve --restate` binary, as a
//! process of its own so its memory is its own, pointed at a local Converse
//! server with the demo plugin's tools.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agent_cli::exit::Failure;

/// A running `agent serve --restate`; dropping it kills it.
pub struct Endpoint {
    child: Child,
    /// Its URI, as Restate registers it.
    pub uri: String,
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Endpoint {
    /// Starts `agent` serving on `port` against the local server at
    /// `model`, with `plugin`'s tools, and waits until it listens.
    pub async fn start(
        agent: &Path,
        plugin: &Path,
        model: &str,
        port: u16,
        home: &Path,
    ) -> Result<Self, Failure> {
        let child = Command::new(agent)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("AWS_CONFIG_FILE", home.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "AKIDLOCALDEMO")
            .env("AWS_SECRET_ACCESS_KEY", "local-demo-secret")
            .env("NO_COLOR", "1")
            .current_dir(home)
            .args(["serve", "--restate", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["--endpoint-url", model, "--region", "us-east-1"])
            .args([
                "--max-concurrency",
                "0",
                "--max-iterations",
                "10000",
                "--plugin",
            ])
            .arg(plugin)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Failure::Other(format!("cannot start {}: {e}", agent.display())))?;
        let endpoint = Self {
            child,
            uri: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if started.elapsed() > Duration::from_secs(60) {
                return Err(Failure::Other(
                    "`agent serve --restate` did not listen within a minute".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(endpoint)
    }

    /// Its resident set size now, in KiB (Linux only).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}
