//! The live Restate server the Restate bench runs against: a
//! `restate-server` process of its own (every port explicit on 127.0.0.1,
//! its data in a scratch directory), and the HTTP calls to its admin API
//! and ingress.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agent_cli::exit::Failure;
use serde_json::Value;

/// A running `restate-server`; dropping it kills it.
pub struct RestateServer {
    child: Child,
    /// The admin API's base URL.
    pub admin: String,
    /// The ingress's base URL.
    pub ingress: String,
    /// The client every call goes through.
    pub http: reqwest::Client,
}

impl Drop for RestateServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on 127.0.0.1 a moment ago.
pub fn free_port() -> Result<u16, Failure> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Failure::Other(format!("no free port on 127.0.0.1: {e}")))
}

impl RestateServer {
    /// Starts `binary` with its data in `dir` and waits until it serves.
    pub async fn start(binary: &Path, dir: &Path) -> Result<Self, Failure> {
        let [node, admin, ingress, pgsql] =
            [free_port()?, free_port()?, free_port()?, free_port()?];
        let config = dir.join("restate.toml");
        let text = format!(
            "node-name = \"agent-bench\"\nbase-dir = \"{}\"\n\
             bind-address = \"127.0.0.1:{node}\"\nadvertised-address = \"http://127.0.0.1:{node}/\"\n\
             disable-telemetry = true\nlog-filter = \"error\"\n\
             [admin]\nbind-address = \"127.0.0.1:{admin}\"\ndisable-web-ui = true\n\
             [admin.query-engine]\npgsql-bind-address = \"127.0.0.1:{pgsql}\"\n\
             [ingress]\nbind-address = \"127.0.0.1:{ingress}\"\n",
            dir.join("data").display()
        );
        std::fs::write(&config, text)
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", config.display())))?;
        let log = std::fs::File::create(dir.join("restate.log"))
            .map_err(|e| Failure::Other(format!("cannot create the Restate log: {e}")))?;
        let log2 = log.try_clone().map_err(|e| Failure::Other(e.to_string()))?;
        let child = Command::new(binary)
            .arg("--config-file")
            .arg(&config)
            .args(["--listen-mode", "tcp", "--no-logo"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| Failure::Other(format!("cannot start {}: {e}", binary.display())))?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(1024)
            .build()
            .map_err(|e| Failure::Other(format!("cannot build the HTTP client: {e}")))?;
        let server = Self {
            child,
            admin: format!("http://127.0.0.1:{admin}"),
            ingress: format!("http://127.0.0.1:{ingress}"),
            http,
        };
        let started = Instant::now();
        loop {
            let admin_ok = server.get_ok(&format!("{}/health", server.admin)).await;
            let ingress_ok = server
                .get_ok(&format!("{}/restate/health", server.ingress))
                .await;
            if admin_ok && ingress_ok {
                return Ok(server);
            }
            if started.elapsed() > Duration::from_secs(120) {
                return Err(Failure::Other(format!(
                    "restate-server did not start in 2 minutes (log: {})",
                    dir.join("restate.log").display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn get_ok(&self, url: &str) -> bool {
        matches!(self.http.get(url).send().await, Ok(r) if r.status().is_success())
    }

    /// Registers the endpoint at `uri` (a new deployment: the latest
    /// revision of `Agent` takes new invocations).
    pub async fn register(&self, uri: &str) -> Result<(), Failure> {
        let response = self
            .http
            .post(format!("{}/deployments", self.admin))
            .json(&serde_json::json!({ "uri": uri, "force": true }))
            .send()
            .await
            .map_err(|e| Failure::Other(format!("registering {uri}: {e}")))?;
        if !response.status().is_success() {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            return Err(Failure::Other(format!(
                "registering {uri}: {status} {text}"
            )));
        }
        Ok(())
    }

    /// One turn of session `key` through the ingress: the run's document.
    pub async fn send(&self, key: &str, prompt: &str) -> Result<Value, Failure> {
        let response = self
            .http
            .post(format!("{}/Agent/{key}/send", self.ingress))
            .json(&prompt)
            .send()
            .await
            .map_err(|e| Failure::Other(format!("send to session {key}: {e}")))?;
        let status = response.status();
        let doc: Value = response
            .json()
            .await
            .map_err(|e| Failure::Other(format!("send to session {key}: {e}")))?;
        if !status.is_success() || !doc["error"].is_null() {
            return Err(Failure::Model(format!(
                "send to session {key}: {status} {doc}"
            )));
        }
        Ok(doc)
    }
}
