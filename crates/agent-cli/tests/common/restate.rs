//! The real Restate server for the `agent serve --restate` tests (npm
//! `@restatedev/restate-server`, installed by `.ci/install-restate`): found
//! or skipped loudly, started on free ports of 127.0.0.1, talked to through
//! its admin API and ingress; and the endpoint it invokes.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bedrock_client::mock::MockServer;
use serde_json::Value;

use super::KillOnDrop;
use super::server::endpoint_args;

/// How long anything here may take before the test gives up.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// The `restate-server` binary: `AGENT_RESTATE_SERVER` (CI sets it, and
/// then it must be there), else what `.ci/install-restate` installs into
/// its cache; `None` (the test skips) only when neither is available.
pub fn restate_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AGENT_RESTATE_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "AGENT_RESTATE_SERVER={} is not a file: run .ci/install-restate",
            path.display()
        );
        return Some(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/install-restate");
    match Command::new("bash").arg(&script).output() {
        Ok(out) if out.status.success() => {
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            path.is_file().then_some(path)
        }
        Ok(out) => {
            eprintln!(
                "SKIPPED: the npm package @restatedev/restate-server is unavailable ({}) and AGENT_RESTATE_SERVER is unset; run .ci/install-restate",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!(
                "SKIPPED: cannot run .ci/install-restate ({e}) and AGENT_RESTATE_SERVER is unset"
            );
            None
        }
    }
}

/// A port free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `ready` says yes, or fails saying `what`.
pub fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A Restate server of its own: every port explicit on 127.0.0.1, its data
/// in `dir`.
pub struct Restate {
    _process: KillOnDrop,
    /// The admin API's URL (registrations, SQL queries).
    pub admin: String,
    /// The ingress's URL (invocations).
    pub ingress: String,
}

impl Restate {
    /// Starts `binary` as node `node_name` and waits until its admin API
    /// and ingress answer; `extra` is appended to its configuration (TOML
    /// tables, such as a `[default-retry-policy]`).
    pub fn start(binary: &Path, dir: &Path, node_name: &str, extra: &str) -> Self {
        let [node, admin, ingress, pgsql] = [free_port(), free_port(), free_port(), free_port()];
        let config = dir.join("restate.toml");
        std::fs::write(
            &config,
            format!(
                r#"node-name = "{node_name}"
base-dir = "{data}"
bind-address = "127.0.0.1:{node}"
advertised-address = "http://127.0.0.1:{node}/"
default-num-partitions = 2
disable-telemetry = true
rocksdb-total-memory-size = "256 MiB"
log-filter = "warn"
{extra}
[admin]
bind-address = "127.0.0.1:{admin}"
disable-web-ui = true

[admin.query-engine]
pgsql-bind-address = "127.0.0.1:{pgsql}"

[ingress]
bind-address = "127.0.0.1:{ingress}"
"#,
                data = dir.join("data").display(),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("restate.log")).unwrap();
        let child = Command::new(binary)
            .arg("--config-file")
            .arg(&config)
            .args(["--listen-mode", "tcp", "--no-logo"])
            .current_dir(dir)
            .env("DO_NOT_TRACK", "1")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let restate = Self {
            _process: KillOnDrop(child),
            admin: format!("http://127.0.0.1:{admin}"),
            ingress: format!("http://127.0.0.1:{ingress}"),
        };
        wait_for("Restate's admin API and ingress", || {
            get_ok(&format!("{}/health", restate.admin))
                && get_ok(&format!("{}/restate/health", restate.ingress))
        });
        restate
    }

    /// Registers the deployment at `uri` through the admin API.
    pub fn register(&self, uri: &str) {
        let (status, registered) = http(
            "POST",
            &format!("{}/deployments", self.admin),
            Some(serde_json::json!({ "uri": uri })),
        )
        .unwrap();
        assert!(
            status == 201 || status == 200,
            "registration: {status} {registered}"
        );
    }
}

/// One HTTP request, blocking (on its own runtime thread).
pub fn http(method: &str, url: &str, body: Option<Value>) -> Result<(u16, Value), String> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .timeout(PATIENCE)
                .no_proxy()
                .build()
                .map_err(|e| e.to_string())?;
            // JSON answers: the admin API's SQL endpoint answers Arrow otherwise.
            let mut request = client
                .request(method, &url)
                .header("accept", "application/json");
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let text = response.text().await.map_err(|e| e.to_string())?;
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            Ok((status, value))
        })
    })
    .join()
    .unwrap()
}

fn get_ok(url: &str) -> bool {
    matches!(http("GET", url, None), Ok((200, _)))
}

/// `agent serve --restate` on `port`, run in `home`, the local Converse
/// server as its model and the effects plugin as its tools; its stderr
/// into `log`. Returns once it listens.
pub fn endpoint(port: u16, server: &MockServer, home: &Path, log: std::fs::File) -> KillOnDrop {
    let plugin = tool_api::plugin::testing::cargo_build_plugin_example(
        "fixture-effects",
        "fixture_effects",
        &[],
    )
    .unwrap();
    let child = super::agent_process_with_keys(home)
        .args(["serve", "--restate", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(endpoint_args(server))
        .arg("--plugin")
        .arg(plugin)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let process = KillOnDrop(child);
    wait_for("the endpoint to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    process
}
